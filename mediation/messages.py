"""The subset of ETSI TS 103 221-1 (X1) spoken here, as XML both ways, as the published schema writes it.

Requests and responses are built with the standard library's ElementTree and parsed only with
defusedxml (no entity expansion, no external references): a reply from the network is untrusted.
Element names, order and required fields follow the vendored schema (standards/etsi-ts-103-221-1/,
namespace http://uri.etsi.org/03221/X1/2017/10; mediation/schema.py validates against it); the
message type rides on `xsi:type`. docs/x1.md says what is spoken and what is left out."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

X1_NS = "http://uri.etsi.org/03221/X1/2017/10"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
X1_VERSION = "v1.22.1"
"""The TS 103 221-1 version LES speaks: the one of the vendored schema."""
ET.register_namespace("x1", X1_NS)
ET.register_namespace("xsi", XSI_NS)

ACKNOWLEDGED = "AcknowledgedAndCompleted"
COMPLETE = "complete"
"""taskStatus/provisioningStatus of a task provisioned and working (the others: awaitingProvisioning, failed)."""

MESSAGE_TYPES = ("ActivateTask", "ModifyTask", "DeactivateTask", "GetTaskDetails", "ListAllDetails",
                 "CreateDestination", "GetDestinationDetails")
"""The requests of this subset (each answered by `<type>Response` or an ErrorResponse)."""

MEDIATION_DELIVERY = {"X2Only": "HI2Only", "X3Only": "HI3Only", "X2andX3": "HI2andHI3"}
"""mediationDetails/deliveryType (to the LEA over HI2/HI3) for each task deliveryType (X2/X3)."""

LIID_PATTERN = re.compile(r"[!-~]{1,25}|[0-9a-f]{26,50}")
"""TS 103 280 LIID: 1-25 printable ASCII characters, or 26-50 lowercase hex digits."""
UUID_PATTERN = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")
"""TS 103 280 UUID as XIDs, DIDs and transaction ids are written: lowercase, hyphenated."""


class ErrorCode:
    """errorInformation/errorCode values, with the semantics a TS 103 221-1 endpoint gives them.

    The client acts on 2010 and 2020 only (each checked by reading back, see mediation/x1.py);
    every other code, 3001 included, is a refusal that retrying does not change. The 1xxx and
    DID codes are the ones this project's simulator answers with (docs/x1.md)."""

    REQUEST_INVALID = 1001
    """The request is not valid against the schema (or not well-formed XML)."""
    UNSUPPORTED = 1002
    """A message type or option outside what this mediation function supports."""
    XID_EXISTS = 2010
    """ActivateTask for an XID the mediation function already holds."""
    XID_UNKNOWN = 2020
    """No task with this XID (never provisioned, or deactivated and forgotten)."""
    NOT_RETRYABLE = 3001
    """Given as an example of a code that is never retried."""
    DID_EXISTS = 3010
    """CreateDestination for a DID the mediation function already holds."""
    DID_UNKNOWN = 3020
    """No destination with this DID."""


def q(name: str) -> str:
    return f"{{{X1_NS}}}{name}"


class MalformedMessage(ValueError):
    """Text that is not an X1 message this subset can read (or is hostile XML)."""


@dataclass(frozen=True)
class TaskDetails:
    """An X1 task: who is intercepted, which products, to which destinations, for which LIID, when."""

    xid: str
    targets: tuple[str, ...]
    """E.164 numbers, `+` and digits (sent in X1 as `e164Number`, digits only); another kind of
    identifier a peer holds is read as `<kind>:<value>` (e.g. `imsi:310150123456789`)."""
    delivery_type: str
    """X2Only or X2andX3."""
    liid: str | None
    """The lawful interception identifier (mediationDetails/LIID); None when the task has no
    mediation details (a peer may hold such tasks)."""
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
class DestinationDetails:
    """An X1 destination: where the mediation function delivers X2 (and X3) for the tasks naming its DID."""

    did: str
    delivery_type: str
    """X2Only or X2andX3: what may be delivered to it."""
    address: str
    """deliveryAddress/uri."""
    friendly_name: str | None = None

    def same_destination(self, other: DestinationDetails) -> bool:
        return (self.did, self.delivery_type, self.address) == (other.did, other.delivery_type, other.address)


@dataclass(frozen=True)
class X1Message:
    """One x1RequestMessage or x1ResponseMessage: its type, header and whichever body it carries."""

    type: str
    admf_id: str = ""
    ne_id: str = ""
    timestamp: datetime | None = None
    transaction_id: str = ""
    xid: str | None = None
    did: str | None = None
    task: TaskDetails | None = None
    destination: DestinationDetails | None = None
    status: str | None = None
    """GetTaskDetailsResponse provisioningStatus (or GetDestinationDetailsResponse destinationDeliveryStatus)."""
    faults: tuple[tuple[int, str], ...] = ()
    """taskStatus/listOfFaults: (errorCode, errorDescription) of each unresolved fault."""
    xids: tuple[str, ...] = ()
    dids: tuple[str, ...] = ()
    ok: bool = False
    request_type: str | None = None
    """ErrorResponse requestMessageType: the request type the error answers (e.g. ActivateTask)."""
    error_code: int | None = None
    error_description: str = ""


def x1_time(at: datetime) -> str:
    """QualifiedMicrosecondDateTime: UTC with microseconds and `Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedMessage(f"{text!r} is not an ISO 8601 instant") from None
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
    listOfMediationDetails (LIID, deliveryType, StartTime, EndTime), implicitDeactivationAllowed."""
    details = _sub(parent, "taskDetails")
    _sub(details, "xId", task.xid)
    identifiers = _sub(details, "targetIdentifiers")
    for target in task.targets:
        kind, value = ("e164Number", target.removeprefix("+")) if target.startswith("+") else target.split(":", 1)
        _sub(_sub(identifiers, "targetIdentifier"), kind, value)
    _sub(details, "deliveryType", task.delivery_type)
    dids = _sub(details, "listOfDIDs")
    for did in task.destination_ids:
        _sub(dids, "dId", did)
    if task.liid is not None:
        mediation = _sub(_sub(details, "listOfMediationDetails"), "mediationDetails")
        _sub(mediation, "LIID", task.liid)
        _sub(mediation, "deliveryType", MEDIATION_DELIVERY[task.delivery_type])
        if task.start_time is not None:
            _sub(mediation, "StartTime", x1_time(task.start_time))
        if task.end_time is not None:
            _sub(mediation, "EndTime", x1_time(task.end_time))
    _sub(details, "implicitDeactivationAllowed", "true" if task.implicit_deactivation_allowed else "false")


def destination_details_element(parent: ET.Element, destination: DestinationDetails) -> None:
    details = _sub(parent, "destinationDetails")
    _sub(details, "dId", destination.did)
    if destination.friendly_name is not None:
        _sub(details, "friendlyName", destination.friendly_name)
    _sub(details, "deliveryType", destination.delivery_type)
    _sub(_sub(details, "deliveryAddress"), "uri", destination.address)


def _header(body: ET.Element, message: X1Message) -> None:
    _sub(body, "admfIdentifier", message.admf_id)
    _sub(body, "neIdentifier", message.ne_id)
    _sub(body, "messageTimestamp", x1_time(message.timestamp or datetime.now(UTC)))
    _sub(body, "version", X1_VERSION)


def render(message: X1Message, *, response: bool) -> bytes:
    """An X1Request (or X1Response) carrying one message; an X1TopLevelErrorResponse for the type
    `X1TopLevelErrorResponse` (the answer to a request that is not an X1Request at all)."""
    if message.type == "X1TopLevelErrorResponse":
        root = ET.Element(q("X1TopLevelErrorResponse"))
        _header(root, message)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    root = ET.Element(q("X1Response" if response else "X1Request"))
    body = _sub(root, "x1ResponseMessage" if response else "x1RequestMessage")
    body.set(f"{{{XSI_NS}}}type", f"x1:{message.type}")
    _header(body, message)
    _sub(body, "x1TransactionId", message.transaction_id or str(uuid.uuid4()))
    if message.type == "ErrorResponse":
        _sub(body, "requestMessageType", message.request_type or "")
        info = _sub(body, "errorInformation")
        _sub(info, "errorCode", str(message.error_code))
        _sub(info, "errorDescription", message.error_description)
    elif message.type == "GetTaskDetailsResponse":
        assert message.task is not None and message.status is not None
        response_details = _sub(body, "taskResponseDetails")
        task_details_element(response_details, message.task)
        status = _sub(response_details, "taskStatus")
        _sub(status, "provisioningStatus", message.status)
        faults = _sub(status, "listOfFaults")
        for code, description in message.faults:
            fault = _sub(faults, "unresolvedFault")
            _sub(fault, "errorCode", str(code))
            _sub(fault, "errorDescription", description)
    elif message.type == "GetDestinationDetailsResponse":
        assert message.destination is not None and message.status is not None
        response_details = _sub(body, "destinationResponseDetails")
        destination_details_element(response_details, message.destination)
        status = _sub(response_details, "destinationStatus")
        _sub(status, "destinationDeliveryStatus", message.status)
        _sub(status, "listOfFaults")
    elif message.type == "ListAllDetailsResponse":
        listed = _sub(body, "ListOfXIDs")
        for xid in message.xids:
            _sub(listed, "xId", xid)
        destinations = _sub(body, "ListOfDIDs")
        for did in message.dids:
            _sub(destinations, "dId", did)
    elif message.task is not None:
        task_details_element(body, message.task)
    elif message.destination is not None:
        destination_details_element(body, message.destination)
    elif message.xid is not None:
        _sub(body, "xId", message.xid)
    elif message.did is not None:
        _sub(body, "dId", message.did)
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


def _uuid(text: str, name: str) -> str:
    if not UUID_PATTERN.fullmatch(text):
        raise MalformedMessage(f"{name} {text!r} is not a UUID as TS 103 280 writes it")
    return text


def _targets(details: ET.Element) -> tuple[str, ...]:
    targets = []
    for identifier in details.iterfind(f"{q('targetIdentifiers')}/{q('targetIdentifier')}"):
        chosen = list(identifier)
        if len(chosen) != 1 or not (chosen[0].text or "").strip():
            raise MalformedMessage("a targetIdentifier holds exactly one identifier with a value")
        kind, value = chosen[0].tag.rpartition("}")[2], (chosen[0].text or "").strip()
        if kind == "e164Number":
            if not (value.isdigit() and value.isascii() and 1 <= len(value) <= 15):
                raise MalformedMessage(f"e164Number {value!r} is not 1-15 digits")
            targets.append(f"+{value}")
        else:
            targets.append(f"{kind}:{value}")
    if not targets:
        raise MalformedMessage("targetIdentifiers holds no targetIdentifier")
    return tuple(targets)


def parse_task_details(details: ET.Element) -> TaskDetails:
    """A taskDetails as any schema-valid peer writes it: any kind of target identifier, with or
    without mediation details (the first mediationDetails gives the LIID and the window)."""
    xid = _uuid(_required(details, "xId"), "xId")
    delivery = _required(details, "deliveryType")
    if delivery not in MEDIATION_DELIVERY:
        raise MalformedMessage(f"deliveryType {delivery!r} is not X2Only, X3Only or X2andX3")
    mediation = details.find(f"{q('listOfMediationDetails')}/{q('mediationDetails')}")
    liid = _required(mediation, "LIID") if mediation is not None else None
    start, end = _text(mediation, "StartTime"), _text(mediation, "EndTime")
    return TaskDetails(
        xid=xid,
        targets=_targets(details),
        delivery_type=delivery,
        liid=liid,
        start_time=parse_time(start) if start else None,
        end_time=parse_time(end) if end else None,
        destination_ids=tuple(_uuid(d.text.strip(), "dId")
                              for d in details.iterfind(f"{q('listOfDIDs')}/{q('dId')}") if d.text),
        implicit_deactivation_allowed=_text(details, "implicitDeactivationAllowed") in ("true", "1"),
    )


def parse_destination_details(details: ET.Element) -> DestinationDetails:
    address = details.find(q("deliveryAddress"))
    chosen = list(address) if address is not None else []
    if len(chosen) != 1:
        raise MalformedMessage("deliveryAddress holds exactly one address")
    value = chosen[0].text.strip() if chosen[0].text else ET.tostring(chosen[0], encoding="unicode")
    kind = chosen[0].tag.rpartition("}")[2]
    return DestinationDetails(
        did=_uuid(_required(details, "dId"), "dId"),
        delivery_type=_required(details, "deliveryType"),
        address=value if kind == "uri" else f"{kind}:{value}",
        friendly_name=_text(details, "friendlyName"),
    )


def _faults(status: ET.Element | None) -> tuple[tuple[int, str], ...]:
    if status is None:
        return ()
    faults = []
    for fault in status.iterfind(f"{q('listOfFaults')}/{q('unresolvedFault')}"):
        code = _text(fault, "errorCode") or ""
        faults.append((int(code) if code.lstrip("-").isdigit() else -1, _text(fault, "errorDescription") or ""))
    return tuple(faults)


def parse(data: bytes) -> X1Message:
    """The one message of an X1Request or X1Response (or an X1TopLevelErrorResponse); MalformedMessage
    for anything else. Structure only: mediation/schema.py says whether the document is schema-valid."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException) as err:
        raise MalformedMessage(f"not well-formed X1 XML: {err}") from None
    if root.tag == q("X1TopLevelErrorResponse"):
        return X1Message(type="X1TopLevelErrorResponse", admf_id=_text(root, "admfIdentifier") or "",
                         ne_id=_text(root, "neIdentifier") or "")
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
    info = body.find(q("errorInformation"))
    code = _text(info, "errorCode")
    details = body.find(q("taskDetails"))
    response_details = body.find(q("taskResponseDetails"))
    status_element = None
    if response_details is not None:
        details = response_details.find(q("taskDetails"))
        status_element = response_details.find(q("taskStatus"))
        if details is None or status_element is None:
            raise MalformedMessage("taskResponseDetails holds no taskDetails or no taskStatus")
    destination = body.find(q("destinationDetails"))
    destination_response = body.find(q("destinationResponseDetails"))
    status = _text(status_element, "provisioningStatus")
    if destination_response is not None:
        destination = destination_response.find(q("destinationDetails"))
        status = _text(destination_response.find(q("destinationStatus")), "destinationDeliveryStatus")
    if kind == "ListAllDetailsResponse" and body.find(q("ListOfXIDs")) is None:
        raise MalformedMessage("ListAllDetailsResponse holds no ListOfXIDs")
    if kind == "ErrorResponse" and (code is None or not code.lstrip("-").isdigit()):
        raise MalformedMessage("ErrorResponse holds no numeric errorInformation/errorCode")
    try:
        return X1Message(
            type=kind,
            admf_id=_text(body, "admfIdentifier") or "",
            ne_id=_text(body, "neIdentifier") or "",
            timestamp=parse_time(stamp) if stamp else None,
            transaction_id=_text(body, "x1TransactionId") or "",
            xid=_text(body, "xId"),
            did=_text(body, "dId"),
            task=parse_task_details(details) if details is not None else None,
            destination=parse_destination_details(destination) if destination is not None else None,
            status=status,
            faults=_faults(status_element),
            xids=tuple(_uuid(x.text.strip(), "xId") for x in body.iterfind(f"{q('ListOfXIDs')}/{q('xId')}")
                       if x.text),
            dids=tuple(_uuid(d.text.strip(), "dId") for d in body.iterfind(f"{q('ListOfDIDs')}/{q('dId')}")
                       if d.text),
            ok=_text(body, "oK") in (ACKNOWLEDGED, "Acknowledged"),
            request_type=_text(body, "requestMessageType"),
            error_code=int(code) if code is not None and kind == "ErrorResponse" else None,
            error_description=_text(info, "errorDescription") or "",
        )
    except ValueError as err:
        raise MalformedMessage(str(err)) from None


def request_header(data: bytes) -> X1Message | None:
    """Only the type and header of an X1Request's message, for answering one this subset cannot read
    (schema-invalid): None when the document is not an X1Request naming an xsi:type at all."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException):
        return None
    body = root.find(q("x1RequestMessage")) if root.tag == q("X1Request") else None
    kind = (body.get(f"{{{XSI_NS}}}type") or "").rpartition(":")[2] if body is not None else ""
    if body is None or not kind:
        return None
    tid = _text(body, "x1TransactionId") or ""
    return X1Message(type=kind, admf_id=_text(body, "admfIdentifier") or "", ne_id=_text(body, "neIdentifier") or "",
                     transaction_id=tid if UUID_PATTERN.fullmatch(tid) else "")
