"""X1 as ETSI TS 103 221-1 writes it, checked against outside references: the published schemas
(vendored unedited, digests checked), and peer messages written by hand from the standard, in
both directions. No mock of the X1 layer: the real client talks to the real simulator process
over mutual TLS; a far end speaking only the standard is a small server of this test's own that
answers with the hand-written messages below (also over TLS)."""

from __future__ import annotations

import hashlib
import ssl
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from les.x1_tls import CA_CERT, SERVER_CERT, SERVER_KEY, X1TlsError, server_context
from mediation.errors import MediationRefused, MediationUnreadable, TaskConflict, UnknownTask
from mediation.messages import DestinationDetails, TaskDetails, X1Message, parse, render
from mediation.schema import DIGESTS, schema_errors, schema_folder
from mediation.simulator import NE_ID
from mediation.x1 import X1Client

T0 = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 30, tzinfo=UTC)
XID = "6f1c7a52-2d43-4f0a-9b1e-8f3a2c5d7e90"
XID2 = "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
DID = "0b6d3c1e-5a4f-4e2b-8c7d-1e9f2a3b4c5d"
PUBLISHED = {
    "TS_103_221_01.xsd": "83650c315ac79a0adc21a6e33344db90b3b3442c5073e38385d036f3565ca823",
    "TS_103_221_01_HashedID.xsd": "3279bf6317dc50a5eec75c8b720fe95dcb98270f3eab46808592a7cb5b1edb4b",
    "TS_103_280.xsd": "ba7fd42f5643a7cde79bf38fbc8ec9b90b145b157495f45da0a385bddc4966c0",
}
"""The digests of the files as ETSI published them (standards/etsi-ts-103-221-1/README.md), by hand."""

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<X1Response xmlns="http://uri.etsi.org/03221/X1/2017/10" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><x1ResponseMessage xsi:type="{type}">'
        "<admfIdentifier>les-orchestrator</admfIdentifier><neIdentifier>peer-ne-1</neIdentifier>"
        "<messageTimestamp>2026-03-01T00:00:01.000000Z</messageTimestamp><version>v1.22.1</version>"
        "<x1TransactionId>3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b</x1TransactionId>")
TAIL = "</x1ResponseMessage></X1Response>"


def peer(kind: str, body: str) -> bytes:
    return (HEAD.format(type=kind) + body + TAIL).encode()


def error(request_type: str, code: int) -> bytes:
    return peer("ErrorResponse", f"<requestMessageType>{request_type}</requestMessageType><errorInformation>"
                                 f"<errorCode>{code}</errorCode><errorDescription>as the peer says</errorDescription>"
                                 "</errorInformation>")


TASK_WITH_MEDIATION = (
    f"<taskResponseDetails><taskDetails><xId>{XID}</xId><targetIdentifiers><targetIdentifier>"
    "<e164Number>16125550188</e164Number></targetIdentifier></targetIdentifiers><deliveryType>X2Only</deliveryType>"
    f"<listOfDIDs><dId>{DID}</dId></listOfDIDs><listOfMediationDetails><mediationDetails><LIID>LES-2026-000103</LIID>"
    "<deliveryType>HI2Only</deliveryType><StartTime>2026-03-01T00:00:00.000000Z</StartTime>"
    "<EndTime>2026-04-30T00:00:00.000000Z</EndTime></mediationDetails></listOfMediationDetails>"
    "<implicitDeactivationAllowed>false</implicitDeactivationAllowed></taskDetails>"
    "<taskStatus><provisioningStatus>complete</provisioningStatus><listOfFaults/></taskStatus></taskResponseDetails>")
TASK_WITHOUT_MEDIATION = (
    f"<taskResponseDetails><taskDetails><xId>{XID2}</xId><targetIdentifiers><targetIdentifier>"
    "<imsi>310150123456789</imsi></targetIdentifier></targetIdentifiers><deliveryType>X2andX3</deliveryType>"
    f"<listOfDIDs><dId>{DID}</dId></listOfDIDs></taskDetails><taskStatus>"
    "<provisioningStatus>awaitingProvisioning</provisioningStatus><listOfFaults><unresolvedFault>"
    "<errorCode>4001</errorCode><errorDescription>IMSI not yet attached</errorDescription></unresolvedFault>"
    "</listOfFaults></taskStatus></taskResponseDetails>")
TWO_TASKS = peer("ListAllDetailsResponse", f"<ListOfXIDs><xId>{XID}</xId><xId>{XID2}</xId></ListOfXIDs>"
                                           f"<ListOfDIDs><dId>{DID}</dId></ListOfDIDs>")


def the_task() -> TaskDetails:
    return TaskDetails(xid=XID, targets=("+16125550188",), delivery_type="X2Only", liid="LES-2026-000103",
                       start_time=T0, end_time=END, destination_ids=(DID,))


# ---- the vendored schemas ---------------------------------------------------------------------------------------


def test_the_vendored_schemas_are_the_published_files() -> None:
    folder = schema_folder()
    assert {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in PUBLISHED} == PUBLISHED
    assert DIGESTS == PUBLISHED


def test_the_peer_messages_of_this_test_are_schema_valid() -> None:
    """The hand-written messages are an outside reference only if the schema accepts them."""
    for message in (peer("GetTaskDetailsResponse", TASK_WITH_MEDIATION),
                    peer("GetTaskDetailsResponse", TASK_WITHOUT_MEDIATION), TWO_TASKS,
                    error("ActivateTask", 2010), error("DeactivateTask", 2020), error("GetTaskDetails", 3001),
                    peer("ActivateTaskResponse", "<oK>AcknowledgedAndCompleted</oK>")):
        assert schema_errors(message) == []
    invalid = peer("GetTaskDetailsResponse", TASK_WITH_MEDIATION.replace("<LIID>", "<lIID>").replace("</LIID>",
                                                                                                    "</lIID>"))
    assert any("lIID" in problem for problem in schema_errors(invalid))


def test_every_request_the_client_builds_is_schema_valid() -> None:
    destination = DestinationDetails(did=DID, delivery_type="X2Only", address="https://les.invalid/x2x3",
                                     friendly_name="LES LES-2026-000103")
    requests = [X1Message(type="CreateDestinationRequest", destination=destination),
                X1Message(type="GetDestinationDetailsRequest", did=DID),
                X1Message(type="ActivateTaskRequest", task=the_task()),
                X1Message(type="ModifyTaskRequest", task=the_task()),
                X1Message(type="DeactivateTaskRequest", xid=XID),
                X1Message(type="GetTaskDetailsRequest", xid=XID),
                X1Message(type="ListAllDetailsRequest")]
    for request in requests:
        xml = render(request.__class__(**{**request.__dict__, "admf_id": "les-orchestrator", "ne_id": NE_ID}),
                     response=False)
        assert schema_errors(xml) == [], request.type


# ---- the client against a far end speaking only the standard ----------------------------------------------------


class Peer:
    """A far end of this test's own over TLS: each POST answered with the next canned message;
    every request it receives is kept (and checked against the schema by the test)."""

    def __init__(self, tls_folder, answers: list[bytes]) -> None:
        self.answers, self.received = list(answers), []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:
                owner.received.append(self.rfile.read(int(self.headers["Content-Length"])))
                data = owner.answers.pop(0)
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = server_context(tls_folder / SERVER_CERT, tls_folder / SERVER_KEY, tls_folder / CA_CERT)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/X1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def far_end(mediation_simulator):
    """Start a Peer with the canned answers given; the client that talks to it (mutual TLS)."""
    peers: list[Peer] = []

    def start(*answers: bytes) -> tuple[Peer, X1Client]:
        far = Peer(mediation_simulator.tls_folder, list(answers))
        peers.append(far)
        return far, X1Client(far.url, ne_id="peer-ne-1", tls=mediation_simulator.tls)

    yield start
    for far in peers:
        for request in far.received:
            assert schema_errors(request) == []  # every request the client sent the far end was valid
        far.close()


def test_a_two_task_list_is_read_as_two_tasks(far_end) -> None:
    _, client = far_end(TWO_TASKS)
    with client:
        holdings = client.list_all_details()
    assert (holdings.xids, holdings.dids) == ((XID, XID2), (DID,))


def test_get_task_details_with_and_without_mediation_details(far_end) -> None:
    _, client = far_end(peer("GetTaskDetailsResponse", TASK_WITH_MEDIATION),
                        peer("GetTaskDetailsResponse", TASK_WITHOUT_MEDIATION))
    with client:
        first, second = client.get_task_details(XID), client.get_task_details(XID2)
    assert (first.task, first.status, first.faults) == (the_task(), "complete", ())
    assert (second.task.liid, second.task.targets, second.task.delivery_type, second.status, second.faults) == (
        None, ("imsi:310150123456789",), "X2andX3", "awaitingProvisioning", ((4001, "IMSI not yet attached"),))


def test_2010_is_read_back_and_a_match_is_already_active(far_end) -> None:
    far, client = far_end(error("ActivateTask", 2010), peer("GetTaskDetailsResponse", TASK_WITH_MEDIATION),
                          error("ActivateTask", 2010), peer("GetTaskDetailsResponse", TASK_WITH_MEDIATION))
    with client:
        assert client.activate_task(the_task()).already_active is True
        other = TaskDetails(**{**the_task().__dict__, "end_time": datetime(2026, 5, 1, tzinfo=UTC)})
        with pytest.raises(TaskConflict, match="already provisioned with other details"):
            client.activate_task(other)
    assert [parse(r).type for r in far.received] == ["ActivateTaskRequest", "GetTaskDetailsRequest"] * 2


def test_2020_is_absent_and_3001_is_a_refusal_not_retried(far_end) -> None:
    far, client = far_end(error("DeactivateTask", 2020), error("GetTaskDetails", 2020), error("ActivateTask", 3001))
    with client:
        with pytest.raises(UnknownTask, match="X1 error 2020"):
            client.deactivate_task(XID)
        with pytest.raises(UnknownTask, match="X1 error 2020"):
            client.get_task_details(XID)
        with pytest.raises(MediationRefused, match="X1 error 3001") as refused:
            client.activate_task(the_task())
    assert refused.value.transient is False and not isinstance(refused.value, UnknownTask)
    assert len(far.received) == 3  # nothing was sent twice


def test_an_unreadable_list_is_a_fault_never_an_empty_list(far_end) -> None:
    legacy = peer("ListAllDetailsResponse", f"<listOfXIDs><xId>{XID}</xId></listOfXIDs>")
    _, client = far_end(legacy, b"<html>gateway error</html>")
    with client:
        with pytest.raises(MediationUnreadable, match="not valid X1"):
            client.list_all_details()
        with pytest.raises(MediationUnreadable, match="not valid X1"):
            client.list_all_details()


# ---- the simulator accepts a schema-valid peer's requests and answers schema-valid -------------------------------

REQUEST = ('<?xml version="1.0" encoding="UTF-8"?><X1Request xmlns="http://uri.etsi.org/03221/X1/2017/10" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><x1RequestMessage xsi:type="{type}">'
           "<admfIdentifier>another-admf</admfIdentifier><neIdentifier>{ne}</neIdentifier>"
           "<messageTimestamp>2026-03-01T00:00:00.000000Z</messageTimestamp><version>v1.19.1</version>"
           "<x1TransactionId>{tid}</x1TransactionId>{body}</x1RequestMessage></X1Request>")


def post(simulator, kind: str, body: str = "", ne: str = NE_ID) -> X1Message:
    data = REQUEST.format(type=kind, ne=ne, tid=str(uuid.uuid4()), body=body).encode()
    with httpx.Client(verify=simulator.tls.client_context()) as http:
        answer = http.post(simulator.url, content=data).content
    assert schema_errors(answer) == []
    return parse(answer)


def test_the_simulator_speaks_the_standard_to_a_peer(mediation_simulator) -> None:
    destination = (f"<destinationDetails><dId>{DID}</dId><deliveryType>X2Only</deliveryType>"
                   "<deliveryAddress><uri>https://lea.example/x2</uri></deliveryAddress></destinationDetails>")
    task = (f"<taskDetails><xId>{XID}</xId><targetIdentifiers><targetIdentifier><e164Number>16125550188</e164Number>"
            f"</targetIdentifier></targetIdentifiers><deliveryType>X2Only</deliveryType><listOfDIDs><dId>{DID}</dId>"
            "</listOfDIDs><listOfMediationDetails><mediationDetails><LIID>PEER-1</LIID><deliveryType>HI2Only"
            "</deliveryType></mediationDetails></listOfMediationDetails></taskDetails>")
    named_too_early = post(mediation_simulator, "ActivateTaskRequest", task)
    assert (named_too_early.type, named_too_early.request_type, named_too_early.error_code) == (
        "ErrorResponse", "ActivateTask", 3020)  # its DID was never created
    assert post(mediation_simulator, "CreateDestinationRequest", destination).ok
    assert post(mediation_simulator, "ActivateTaskRequest", task).ok
    again = post(mediation_simulator, "ActivateTaskRequest", task)
    assert (again.type, again.request_type, again.error_code) == ("ErrorResponse", "ActivateTask", 2010)
    listed = post(mediation_simulator, "ListAllDetailsRequest")
    assert (listed.xids, listed.dids) == ((XID,), (DID,))
    held = post(mediation_simulator, "GetTaskDetailsRequest", f"<xId>{XID}</xId>")
    assert (held.task.liid, held.status, held.faults) == ("PEER-1", "complete", ())
    assert post(mediation_simulator, "DeactivateTaskRequest", f"<xId>{XID}</xId>").ok
    for kind in ("DeactivateTask", "GetTaskDetails"):
        gone = post(mediation_simulator, f"{kind}Request", f"<xId>{XID}</xId>")
        assert (gone.request_type, gone.error_code) == (kind, 2020)
    assert post(mediation_simulator, "ListAllDetailsRequest").xids == ()
    wrong_ne = post(mediation_simulator, "ListAllDetailsRequest", ne="someone-else")
    assert (wrong_ne.error_code, wrong_ne.request_type) == (1001, "ListAllDetails")
    invalid = post(mediation_simulator, "ActivateTaskRequest", task.replace("<LIID>", "<lIID>").replace("</LIID>",
                                                                                                        "</lIID>"))
    assert (invalid.error_code, invalid.request_type) == (1001, "ActivateTask")
    assert "lIID" in invalid.error_description
    unsupported = post(mediation_simulator, "GetNEStatusRequest")
    assert (unsupported.error_code, unsupported.request_type) == (1002, "GetNEStatus")


def test_the_simulator_refuses_a_client_without_a_certificate(mediation_simulator) -> None:
    trusting_only = ssl.create_default_context(cafile=str(mediation_simulator.tls.ca))
    # TLS 1.3: the server checks the client's certificate after the handshake and drops the connection
    refused = r"disconnected without sending a response|certificate required|Connection reset"
    with pytest.raises(httpx.TransportError, match=refused), httpx.Client(verify=trusting_only) as http:
        http.post(mediation_simulator.url, content=b"<x/>").raise_for_status()
    assert mediation_simulator.admin.healthy()  # with the certificate it answers


def test_plain_http_is_refused_unless_named_and_https_needs_the_files(tmp_path) -> None:
    with pytest.raises(X1TlsError, match="LES_X1_PLAIN_HTTP=1 allows plain http for development only"):
        X1Client("http://127.0.0.1:8733/X1", ne_id="ne")
    X1Client("http://127.0.0.1:8733/X1", ne_id="ne", plain_http=True).close()
    from les.x1_tls import X1Tls

    with pytest.raises(X1TlsError, match=r"LES_X1_CLIENT_CERT .*: no such file"):
        X1Client("https://127.0.0.1:8733/X1", ne_id="ne", tls=X1Tls.local(tmp_path))


def test_the_simulator_caps_bodies_before_reading_them(mediation_simulator) -> None:
    import socket

    context = mediation_simulator.tls.client_context()

    def raw(head: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", mediation_simulator.port)) as plain, \
                context.wrap_socket(plain, server_hostname="127.0.0.1") as sock:
            sock.sendall(head)
            return sock.recv(200)

    assert raw(b"POST /X1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 411")
    assert raw(b"POST /X1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n"
               ).startswith(b"HTTP/1.1 413")  # refused before a byte of the body is read
    assert raw(b"POST /X1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               b"5\r\n<X1Re\r\n").startswith(b"HTTP/1.1 411")  # streamed without a length: refused unread
    assert raw(b"POST /X1 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n"
               ).startswith(b"HTTP/1.1 400")


# ---- the reconciliation never concludes "nothing active" from an answer it could not read -------------------------


async def test_an_unreadable_list_makes_a_faulty_sweep_not_an_empty_one(time_skipping_env, settings, prepared_store,
                                                                        far_end) -> None:
    from dataclasses import replace

    from tests.workflow_support import running_worker
    from workflows.reconciliation import MediationReconciliation, ReconciliationInput

    legacy_names = peer("ListAllDetailsResponse", f"<listOfXIDs><xId>{XID}</xId></listOfXIDs>")
    far, _ = far_end(legacy_names)
    env = time_skipping_env
    wired = replace(settings, mediation_url=far.url, mediation_ne_id="peer-ne-1")
    async with running_worker(env.client, wired):
        sweep = await env.client.start_workflow(
            MediationReconciliation.run, ReconciliationInput(interval_seconds=3600, sweeps_per_run=2),
            id="reconciliation-unreadable", task_queue=wired.task_queue)
        swept = []
        for _ in range(200):
            swept = await sweep.query(MediationReconciliation.sweeps)
            if swept:
                break
            await env.sleep(timedelta(seconds=1))
        description = await sweep.describe()
        await sweep.terminate("test over")
    assert len(swept) == 1 and swept[0].active == 0 and swept[0].orphans == []
    assert swept[0].fault is not None and swept[0].fault.startswith("MediationUnreadable: ListAllDetails: "
                                                                    "the answer is not valid X1")
    assert description.status.name == "RUNNING"  # the reconciliation goes on to its next sweep
