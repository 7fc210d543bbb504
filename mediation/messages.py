"""The subset of ETSI TS 103 221-1 (X1) spoken here, as XML both ways.

Requests and responses are built with the standard library's ElementTree and parsed only with
defusedxml (no entity expansion, no external references): a reply from the network is untrusted.
Element names follow the X1 schema (namespace http://uri.etsi.org/03221/X1/2017/10); the message
type rides on `xsi:type`. docs/architecture.md says what is spoken and where this departs from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

X1_NS = "http://uri.etsi.org/03221/X1/2017/10"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
X1_VERSION = "v1.6.1"
ET.register_namespace("x1", X1_NS)
ET.register_namespace("xsi", XSI_NS)

ACKNOWLEDGED = "AcknowledgedAndCompleted"
PROVISIONED = "provisioned"
DEACTIVATED = "deactivated"
"""taskStatus/provisioningStatus values this subset reports (a deactivated task is kept on record)."""

MESSAGE_TYPES = ("ActivateTask", "ModifyTask", "DeactivateTask", "GetTaskDetails", "ListAllDetails")


class ErrorCode:
    """errorInformation/errorCode values of this subset (the simulator's own numbering)."""

    MALFORMED = 1001
    """The request is not a well-formed X1 message of this subset."""
    UNSUPPORTED = 1002
    """A message type outside the subset."""
    XID_EXISTS = 2001
    """ActivateTask for an XID already on record (provisioned, or deactivated: XIDs are never reused)."""
    XID_UNKNOWN = 2002
    """No provisioned task has this XID."""
    TEMPORARILY_UNAVAILABLE = 3001
    """The mediation function cannot act now; the same request may succeed later."""


def q(name: str) -> str:
    return f"{{{X1_NS}}}{name}"


class MalformedMessage(ValueError):
    """Text that is not an X1 message of this subset (or is hostile XML)."""


@dataclass(frozen=True)
class TaskDetails:
    """An X1 task: who is intercepted, which products, for which LIID, from when to when."""

    xid: str
    targets: tuple[str, ...]
    """E.164 numbers, `+` and digits (sent in X1 as `e164Number`, digits only)."""
    delivery_type: str
    """X2Only or X2andX3."""
    liid: str
    """The lawful interception identifier: LES uses the request id."""
    start_time: datetime | None = None
    end_time: datetime | None = None
    destination_ids: tuple[str, ...] = field(default_factory=tuple)
    implicit_deactivation_allowed: bool = False
    """Always sent false: LES switches a task off itself, at the legal instant."""

    def same_task(self, other: TaskDetails) -> bool:
        """The same interception: XID, targets (in any order), products, LIID, start and end."""
        return (self.xid, sorted(self.targets), self.delivery_type, self.liid, self.start_time, self.end_time) == (
            other.xid, sorted(other.targets), other.delivery_type, other.liid, other.start_time, other.end_time)


@dataclass(frozen=True)
class X1Message:
    """One x1RequestMessage or x1ResponseMessage: its type, header and whichever body it carries."""

    type: str
    admf_id: str = ""
    ne_id: str = ""
    timestamp: datetime | None = None
    transaction_id: str = ""
    xid: str | None = None
    task: TaskDetails | None = None
    status: str | None = None
    xids: tuple[str, ...] = ()
    ok: bool = False
    error_code: int | None = None
    error_description: str = ""


def x1_time(at: datetime) -> str:
    """QualifiedMicrosecondDateTime: UTC with microseconds and `Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise MalformedMessage(f"{text!r} has no time zone")
    return at.astimezone(UTC)


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, q(name))
    if text is not None:
        child.text = text
    return child


def task_details_element(parent: ET.Element, task: TaskDetails) -> None:
    """taskDetails in the schema's sequence: xId, targetIdentifiers, deliveryType, listOfDIDs,
    listOfMediationDetails (lIID, startTime, endTime), implicitDeactivationAllowed."""
    details = _sub(parent, "taskDetails")
    _sub(details, "xId", task.xid)
    identifiers = _sub(details, "targetIdentifiers")
    for number in task.targets:
        _sub(_sub(identifiers, "targetIdentifier"), "e164Number", number.removeprefix("+"))
    _sub(details, "deliveryType", task.delivery_type)
    dids = _sub(details, "listOfDIDs")
    for did in task.destination_ids:
        _sub(dids, "dId", did)
    mediation = _sub(_sub(details, "listOfMediationDetails"), "mediationDetails")
    _sub(mediation, "lIID", task.liid)
    if task.start_time is not None:
        _sub(mediation, "startTime", x1_time(task.start_time))
    if task.end_time is not None:
        _sub(mediation, "endTime", x1_time(task.end_time))
    _sub(details, "implicitDeactivationAllowed", "true" if task.implicit_deactivation_allowed else "false")


def render(message: X1Message, *, response: bool) -> bytes:
    """An X1Request (or X1Response) carrying one message."""
    root = ET.Element(q("X1Response" if response else "X1Request"))
    body = _sub(root, "x1ResponseMessage" if response else "x1RequestMessage")
    body.set(f"{{{XSI_NS}}}type", f"x1:{message.type}")
    _sub(body, "admfIdentifier", message.admf_id)
    _sub(body, "neIdentifier", message.ne_id)
    _sub(body, "messageTimestamp", x1_time(message.timestamp or datetime.now(UTC)))
    _sub(body, "version", X1_VERSION)
    _sub(body, "x1TransactionId", message.transaction_id or str(uuid.uuid4()))
    if message.error_code is not None:
        _sub(body, "requestMessageType", message.type.replace("Response", "Request"))
        info = _sub(body, "errorInformation")
        _sub(info, "errorCode", str(message.error_code))
        _sub(info, "errorDescription", message.error_description)
        body.set(f"{{{XSI_NS}}}type", "x1:ErrorResponse")
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    if message.xid is not None and message.task is None:
        _sub(body, "xId", message.xid)
    if message.task is not None:
        if message.status is None:
            task_details_element(body, message.task)
        else:
            response_details = _sub(body, "taskResponseDetails")
            task_details_element(response_details, message.task)
            _sub(_sub(response_details, "taskStatus"), "provisioningStatus", message.status)
    if message.type == "ListAllDetailsResponse":
        listed = _sub(body, "listOfXIDs")
        for xid in message.xids:
            _sub(listed, "xId", xid)
    if message.ok:
        _sub(body, "oK", ACKNOWLEDGED)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _text(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    child = element.find(q(name))
    return None if child is None or child.text is None else child.text.strip()


def _required(element: ET.Element, name: str) -> str:
    value = _text(element, name)
    if not value:
        raise MalformedMessage(f"{name} is missing")
    return value


def parse_task_details(details: ET.Element) -> TaskDetails:
    xid = _required(details, "xId")
    try:
        uuid.UUID(xid)
    except ValueError:
        raise MalformedMessage(f"xId {xid!r} is not a UUID") from None
    numbers = [n.text.strip() for n in details.iterfind(f"{q('targetIdentifiers')}/{q('targetIdentifier')}/"
                                                         f"{q('e164Number')}") if n.text]
    if not numbers or not all(n.isdigit() and 1 <= len(n) <= 15 for n in numbers):
        raise MalformedMessage("targetIdentifiers must hold one or more e164Number of 1-15 digits")
    delivery = _required(details, "deliveryType")
    if delivery not in ("X2Only", "X3Only", "X2andX3"):
        raise MalformedMessage(f"deliveryType {delivery!r} is not X2Only, X3Only or X2andX3")
    mediation = details.find(f"{q('listOfMediationDetails')}/{q('mediationDetails')}")
    if mediation is None:
        raise MalformedMessage("listOfMediationDetails/mediationDetails (with the lIID) is missing")
    start, end = _text(mediation, "startTime"), _text(mediation, "endTime")
    return TaskDetails(
        xid=xid,
        targets=tuple(f"+{n}" for n in numbers),
        delivery_type=delivery,
        liid=_required(mediation, "lIID"),
        start_time=parse_time(start) if start else None,
        end_time=parse_time(end) if end else None,
        destination_ids=tuple(d.text.strip() for d in details.iterfind(f"{q('listOfDIDs')}/{q('dId')}") if d.text),
        implicit_deactivation_allowed=_text(details, "implicitDeactivationAllowed") == "true",
    )


def parse(data: bytes) -> X1Message:
    """The one message of an X1Request or X1Response; MalformedMessage for anything else."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException) as err:
        raise MalformedMessage(f"not well-formed X1 XML: {err}") from None
    if root.tag not in (q("X1Request"), q("X1Response")):
        raise MalformedMessage(f"{root.tag} is not an X1Request or X1Response")
    bodies = [e for e in root if e.tag in (q("x1RequestMessage"), q("x1ResponseMessage"))]
    if len(bodies) != 1:
        raise MalformedMessage(f"{len(bodies)} messages; this subset takes exactly one")
    body = bodies[0]
    kind = (body.get(f"{{{XSI_NS}}}type") or "").rpartition(":")[2]
    if not kind:
        raise MalformedMessage("the message names no xsi:type")
    stamp = _text(body, "messageTimestamp")
    code = _text(body.find(q("errorInformation")), "errorCode")
    details = body.find(q("taskDetails"))
    response_details = body.find(q("taskResponseDetails"))
    if response_details is not None:
        details = response_details.find(q("taskDetails"))
    status = None
    if response_details is not None:
        status = _text(response_details.find(q("taskStatus")), "provisioningStatus")
    return X1Message(
        type=kind,
        admf_id=_text(body, "admfIdentifier") or "",
        ne_id=_text(body, "neIdentifier") or "",
        timestamp=parse_time(stamp) if stamp else None,
        transaction_id=_text(body, "x1TransactionId") or "",
        xid=_text(body, "xId"),
        task=parse_task_details(details) if details is not None else None,
        status=status,
        xids=tuple(x.text.strip() for x in body.iterfind(f"{q('listOfXIDs')}/{q('xId')}") if x.text),
        ok=_text(body, "oK") == ACKNOWLEDGED,
        error_code=int(code) if code and code.isdigit() else None,
        error_description=_text(body.find(q("errorInformation")), "errorDescription") or "",
    )
