"""Prospective collection in the domain's words: what is switched on at the mediation system for
which categories, how a task is named, and what each column of a collected file means.

Pure: used by the mediation adapter, the simulator, the activities and the workflows alike."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from enum import StrEnum

from domain.vocabulary import RecordCategory


class DeliveryType(StrEnum):
    """ETSI TS 103 221-1 DeliveryType: which products the mediation function delivers."""

    X2_ONLY = "X2Only"
    """Intercept-related information only (dialing, routing, addressing, signaling): a pen/trap."""
    X2_AND_X3 = "X2andX3"
    """IRI and communication content: a Title III (or FISA) interception of content."""


def delivery_type_for(categories: Iterable[RecordCategory | str]) -> DeliveryType:
    """X2andX3 only when content is permitted; a pen/trap never gets X3 (18 U.S.C. 3121(c))."""
    wanted = {RecordCategory(c) for c in categories}
    if not wanted & {RecordCategory.PEN_TRAP, RecordCategory.INTERCEPT_CONTENT}:
        raise ValueError("no prospective category (pen_trap or intercept_content) to collect")
    return DeliveryType.X2_AND_X3 if RecordCategory.INTERCEPT_CONTENT in wanted else DeliveryType.X2_ONLY


XID_NAMESPACE = uuid.UUID("5c6f1f4e-3b53-4f0e-9d7a-2b8f4d1e6a10")
"""Fixed namespace for deriving task XIDs (UUIDv5) from request ids."""


def task_xid(request_id: str, serial: int = 1) -> str:
    """The XID of a request's `serial`-th mediation task: the same request always names the same
    task, so a retried or replayed activation can never switch on a second one."""
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
        raise ValueError(f"a task serial is a positive integer, not {serial!r}")
    return str(uuid.uuid5(XID_NAMESPACE, f"{request_id}/{serial}"))


SHORT_LIID = re.compile(r"[!-~]{1,25}")
"""The first form of a TS 103 280 LIID: 1-25 printable ASCII characters (the other: 26-50 lowercase hex)."""


def liid_for(request_id: str) -> str:
    """The LIID a request's mediation task is provisioned under: the request id itself when it is
    a short LIID (1-25 printable ASCII), else the first 50 hex digits of its SHA-256 (the schema's
    long form). Distinct request ids give distinct LIIDs (the two forms never meet: one is at most
    25 characters, the other 50)."""
    if SHORT_LIID.fullmatch(request_id):
        return request_id
    return hashlib.sha256(request_id.encode()).hexdigest()[:50]


PEN_TRAP_LEGEND: list[tuple[str, str]] = [
    ("event_id", "identifier of the event, unique within the task"),
    ("occurred_at", "when the mediation system observed the event (UTC)"),
    ("target", "the target identifier (E.164) the event was collected for"),
    ("direction", "outgoing (the target originated) or incoming (the target was called or messaged)"),
    ("event_type", "call_setup, call_answer, call_release or sms: the signaling event observed"),
    ("calling_number", "E.164 number of the originating party (dialing/addressing information)"),
    ("called_number", "E.164 number dialed or addressed (dialing/addressing information)"),
    ("redirected_to", "E.164 number the call was forwarded to (routing information); empty when not forwarded"),
    ("release_cause", "ITU-T Q.850 release cause of a call_release (16 normal clearing, 17 user busy, "
                      "19 no answer); empty otherwise"),
]
"""pen_trap: dialing, routing, addressing and signaling information only, never content and never
location (18 U.S.C. 3121(c); 47 U.S.C. 1002(a)(2)(B))."""

INTERCEPT_CONTENT_LEGEND: list[tuple[str, str]] = [
    ("content_id", "identifier of the intercepted communication's content, unique within the task"),
    ("started_at", "when the content began: call answer or message submission (UTC)"),
    ("target", "the target identifier (E.164) the content was intercepted for"),
    ("direction", "outgoing or incoming, as seen from the target"),
    ("kind", "voice (a call's audio) or sms (a message's body)"),
    ("other_party", "E.164 number of the other party"),
    ("duration_s", "seconds of voice content intercepted; empty for a message"),
    ("codec", "how the content is encoded (G.711 for voice, GSM-7 for messages)"),
    ("content_bytes", "size of the content delivered, in bytes"),
    ("content_sha256", "SHA-256 of the content, hex: the content itself travels over X3, not in this file"),
]
"""intercept_content: one row per intercepted communication, with the hash of its content."""

COLLECTION_LEGEND: dict[RecordCategory, list[tuple[str, str]]] = {
    RecordCategory.PEN_TRAP: PEN_TRAP_LEGEND,
    RecordCategory.INTERCEPT_CONTENT: INTERCEPT_CONTENT_LEGEND,
}
"""Each collected category's CSV columns, in header order, with what each one means."""
