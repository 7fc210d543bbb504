"""Refusals of decisions that are not proven (issue 20, SPEC §6), against the real OIDC provider, the
real codec servers, a dev server and the real worker process (`worker.py`).

Each decision is sent as someone holding bytes would send it: `temporal workflow signal` without a
codec, or the raw gRPC API (SignalWorkflowExecution) with a payload captured from a codec server or
made with the product's own keys (an insider's). Each is refused by the case, in words, recorded in
its history as refused, and changes nothing: unsealed, replayed, moved to another case, stale,
forged, plain, and a national security ciphertext moved into a general case. The expected refusals
are written from SPEC §6's list, by hand."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from google.protobuf.json_format import MessageToDict, ParseDict
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest

from tests.conftest import BIN, running_dev_server
from tests.e2e_support import Terminal, refused_events, require_postgres, run, worked_terminal
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]


@pytest.fixture(scope="module")
async def server(is_postgres, keyring):
    require_postgres(is_postgres)
    async with running_dev_server(keyring) as env:
        yield env


@pytest.fixture(scope="module")
def terminal(server, database_url, prepared_store, tmp_path_factory, keyring_dir, oidc_provider, codec_servers):
    with worked_terminal(server, database_url, tmp_path_factory.mktemp("identity"), "les-identity", keyring_dir,
                         oidc=oidc_provider, codec=codec_servers) as shell:
        yield shell


async def waiting_case(server, terminal: Terminal, kind: str, request_id: str) -> dict[str, Any]:
    """examples/<kind>.json under `request_id`, submitted (by jdoe; an NSL by tnguyen), awaiting approval."""
    submitted = terminal.submit(dated(example(kind, request_id), await server.get_current_time()))
    assert submitted.returncode == 0, submitted.stderr
    return terminal.wait_for(request_id, "awaiting_approval", actor="tnguyen" if "national" in kind else "jdoe")


def json_payload(value: Any) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


def encoded_by_codec_server(url: str, token: str, value: dict[str, Any]) -> Payload:
    """What a codec server's /encode answers for `value`, as the Temporal CLI or the Web UI asks it
    (the Temporal codec server protocol: Payloads as JSON, bearer token)."""
    body = MessageToDict(Payloads(payloads=[json_payload(value)]))
    answer = httpx.post(f"{url}/encode", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert answer.status_code == 200, answer.text
    encoded = Payloads()
    ParseDict(answer.json(), encoded)
    [payload] = encoded.payloads
    assert payload.metadata["encoding"] == b"binary/encrypted", payload.metadata  # sealed, then encrypted
    return payload


async def raw_signal(server, request_id: str, payload: Payload, name: str = "approve", sent_as: str = "") -> None:
    """SignalWorkflowExecution with exactly this payload (no codec in between)."""
    client = server.client
    await client.workflow_service.signal_workflow_execution(SignalWorkflowExecutionRequest(
        namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=f"case-{request_id}"),
        signal_name=name, input=Payloads(payloads=[payload]), identity="holder of the bytes",
        request_id=sent_as or None))


def refusals_after(terminal: Terminal, request_id: str, count: int, actor: str = "jdoe") -> dict[str, Any]:
    """The case's status once its history holds `count` refused decisions."""
    deadline = time.monotonic() + 30
    while True:
        shown = terminal.status(request_id, actor=actor)
        if len(refused_events(shown)) >= count:
            return shown
        assert time.monotonic() < deadline, shown["history"]
        time.sleep(0.2)


def unchanged(shown: dict[str, Any]) -> None:
    """Nothing the refused decisions said took effect."""
    assert shown["state"] == "awaiting_approval" and shown["approvals"] == {}, shown
    assert [e["name"] for e in shown["history"] if e["accepted"]] == ["verified"]


def general_ciphertext(keyring, value: dict[str, Any], workflow_id: str) -> Payload:
    """`value` encrypted under the general key bound to `workflow_id`, as an insider holding the key could."""
    from les.codec import encrypt
    from les.keyring import Compartment

    return encrypt(json_payload(value), keyring, Compartment.GENERAL, workflow_id)


async def test_an_unsealed_decision_from_the_temporal_cli_without_a_codec_is_recorded_refused(server, terminal):
    await waiting_case(server, terminal, "subpoena", "ID-SUB-0001")
    sent = run(str(BIN / "temporal"), "workflow", "signal", "--address", terminal.address,
               "--workflow-id", "case-ID-SUB-0001", "--name", "approve",
               "--input", json.dumps({"actor": "jdoe", "role": "analyst", "note": "typed", "case": "ID-SUB-0001"}),
               env=terminal.env)
    assert sent.returncode == 0, sent.stderr  # a signal is accepted by the server; the case judges it
    shown = refusals_after(terminal, "ID-SUB-0001", 1)
    [refused] = refused_events(shown)
    assert (refused["name"], refused["via"]) == ("approve", "signal")
    assert refused["reason"].startswith("the decision is not sealed: a decision takes effect only when it reaches "
                                        "the case through a codec server that signed you in")
    unchanged(shown)


async def test_a_replayed_seal_is_refused_the_second_time(server, terminal):
    await waiting_case(server, terminal, "subpoena", "ID-SUB-0002")
    captured = encoded_by_codec_server(terminal.codec.general, terminal.token("jdoe"),
                                       {"case": "ID-SUB-0002", "role": "analyst", "question": "which period?",
                                        "note": "asked once"})
    await raw_signal(server, "ID-SUB-0002", captured, name="request_info", sent_as="first")
    asked = terminal.wait_for("ID-SUB-0002", "awaiting_info")
    await raw_signal(server, "ID-SUB-0002", captured, name="request_info", sent_as="again")  # the same bytes
    shown = refusals_after(terminal, "ID-SUB-0002", 1)
    [refused] = refused_events(shown)
    assert refused["name"] == "request_info"
    assert refused["reason"] == ("this seal was used on this case before: a sealed decision takes effect once "
                                 "(replayed)")
    accepted = [e for e in shown["history"] if e["name"] == "request_info" and e["accepted"]]
    assert [(e["actor"], e["role"]) for e in accepted] == [("jdoe", "analyst")]  # the signed-in person, once
    assert shown["state"] == asked["state"] == "awaiting_info"


async def test_a_seal_moved_to_another_case_is_refused(server, terminal, keyring, seal_dir):
    from les.seals import load_sealing_key, seal

    await waiting_case(server, terminal, "subpoena", "ID-SUB-0003")
    await waiting_case(server, terminal, "subpoena", "ID-SUB-0004")
    # What the codec server sealed for ID-SUB-0003, sent as it is to ID-SUB-0004: its ciphertext is bound.
    captured = encoded_by_codec_server(terminal.codec.general, terminal.token("jdoe"),
                                       {"case": "ID-SUB-0003", "role": "analyst", "note": "for 0003"})
    await raw_signal(server, "ID-SUB-0004", captured)
    shown = refusals_after(terminal, "ID-SUB-0004", 1)
    assert refused_events(shown)[0]["reason"] == ("a payload encrypted for another workflow was sent to "
                                                  "case-ID-SUB-0004: a ciphertext is bound to its workflow")
    # The same seal re-encrypted for ID-SUB-0004 by someone holding the general key: the seal names its case.
    envelope = seal({"case": "ID-SUB-0003", "role": "analyst", "note": "for 0003"}, person="jdoe",
                    case="ID-SUB-0003", compartment="general", key=load_sealing_key(seal_dir))
    await raw_signal(server, "ID-SUB-0004", general_ciphertext(keyring, envelope, "case-ID-SUB-0004"))
    shown = refusals_after(terminal, "ID-SUB-0004", 2)
    assert refused_events(shown)[1]["reason"] == ("the seal is for case ID-SUB-0003, not this case (ID-SUB-0004): "
                                                  "a sealed decision takes effect only on the case it names")
    unchanged(shown)
    assert terminal.status("ID-SUB-0003")["approvals"] == {}  # nor did anything happen to the case it named


async def test_a_stale_seal_is_refused(server, terminal, keyring, seal_dir):
    from les.seals import load_sealing_key, seal

    await waiting_case(server, terminal, "subpoena", "ID-SUB-0005")
    six_minutes_ago = await server.get_current_time() - timedelta(minutes=6)
    envelope = seal({"case": "ID-SUB-0005", "role": "analyst", "note": "late"}, person="jdoe", case="ID-SUB-0005",
                    compartment="general", key=load_sealing_key(seal_dir), at=six_minutes_ago)
    await raw_signal(server, "ID-SUB-0005", general_ciphertext(keyring, envelope, "case-ID-SUB-0005"))
    shown = refusals_after(terminal, "ID-SUB-0005", 1)
    reason = refused_events(shown)[0]["reason"]
    assert reason.startswith(f"the seal is stale: made at {envelope['seal']['at'].replace('Z', '+00:00')}, more "
                             "than five minutes before it reached the case (")
    assert reason.endswith("); send the decision again")
    unchanged(shown)


async def test_a_forged_seal_is_refused(server, terminal, keyring, tmp_path):
    from les.seals import add_seal_key, load_sealing_key, seal

    await waiting_case(server, terminal, "subpoena", "ID-SUB-0006")
    add_seal_key(tmp_path / "forger")  # a key of the same name (seal-v1) that is not the codec servers'
    forger = load_sealing_key(tmp_path / "forger")
    envelope = seal({"case": "ID-SUB-0006", "role": "analyst", "note": "forged"}, person="rcruz",
                    case="ID-SUB-0006", compartment="general", key=forger)
    await raw_signal(server, "ID-SUB-0006", general_ciphertext(keyring, envelope, "case-ID-SUB-0006"))
    shown = refusals_after(terminal, "ID-SUB-0006", 1)
    assert refused_events(shown)[0]["reason"] == ("the seal's signature does not verify: forged, or the decision "
                                                  "was changed after it was sealed")
    unchanged(shown)


async def test_a_plain_payload_is_refused_even_when_it_carries_a_valid_seal(server, terminal, seal_dir):
    """SPEC §6: plain payloads are refused for anything a person sends. Here a seal made with the codec
    servers' own key (an insider's copy of a sealed decision), sent unencrypted."""
    from les.seals import load_sealing_key, seal

    await waiting_case(server, terminal, "subpoena", "ID-SUB-0007")
    envelope = seal({"case": "ID-SUB-0007", "role": "analyst", "note": "plain"}, person="jdoe", case="ID-SUB-0007",
                    compartment="general", key=load_sealing_key(seal_dir), at=await server.get_current_time())
    await raw_signal(server, "ID-SUB-0007", json_payload(envelope))
    shown = refusals_after(terminal, "ID-SUB-0007", 1)
    unchanged(shown)
    assert "plain" in refused_events(shown)[0]["reason"]


async def nsl_ciphertext_planted_in_a_subpoena(server, terminal, nsl_id: str, subpoena_id: str) -> Payload:
    """tnguyen's sealed approval of an NSL (the cleared codec server's answer) sent as it is to a subpoena."""
    await waiting_case(server, terminal, "national_security_letter", nsl_id)
    await waiting_case(server, terminal, "subpoena", subpoena_id)
    captured = encoded_by_codec_server(terminal.codec.cleared, terminal.token("tnguyen"),
                                       {"case": nsl_id, "role": "analyst", "note": "NSL papers checked"})
    assert captured.metadata["encryption-key-id"] == b"natsec-v1"
    await raw_signal(server, subpoena_id, captured)
    return captured


async def test_a_national_security_ciphertext_moved_into_a_subpoena_is_refused(server, terminal):
    await nsl_ciphertext_planted_in_a_subpoena(server, terminal, "ID-NSL-0001", "ID-SUB-0008")
    # read by a cleared person: whether or not jdoe can still read the subpoena is the next test's question
    shown = refusals_after(terminal, "ID-SUB-0008", 1, actor="tnguyen")
    [refused] = refused_events(shown)
    assert refused["reason"] == ("a payload encrypted for another workflow was sent to case-ID-SUB-0008: "
                                 "a ciphertext is bound to its workflow")
    assert refused["actor"] != "tnguyen" and "NSL papers checked" not in json.dumps(shown)
    unchanged(shown)
    nsl = terminal.status("ID-NSL-0001", actor="tnguyen")
    assert nsl["approvals"] == {} and refused_events(nsl) == []  # and the NSL itself heard nothing of it


async def test_a_planted_national_security_ciphertext_leaves_the_subpoena_to_its_analyst(server, terminal):
    await nsl_ciphertext_planted_in_a_subpoena(server, terminal, "ID-NSL-0002", "ID-SUB-0009")
    refusals_after(terminal, "ID-SUB-0009", 1, actor="tnguyen")
    shown = terminal.starter("status", "ID-SUB-0009", "--json", person="jdoe")
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    assert json.loads(shown.stdout)["state"] == "awaiting_approval"
    decided = terminal.decide("approve", "ID-SUB-0009", "jdoe", "analyst", note="in order")
    assert decided.returncode == 0, decided.stderr
