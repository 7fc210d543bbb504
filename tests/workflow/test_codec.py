"""The payload codec and its keyring: AES-256-GCM with the key id in the metadata, the natsec
compartment for NSL and FISA cases, rotation (the newest key encrypts, every older one still
decrypts), plain payloads passing through, and whole workflows whose history holds only
ciphertext and still replays after a rotation."""

from __future__ import annotations

import asyncio
import base64
import json
import os

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.case import CaseState, Resolution
from les.codec import EncryptionCodec, PayloadUndecryptable, key_id_of
from les.keyring import Compartment, Keyring, KeyringError, add_key, ensure_local_keyring
from les.temporal import data_converter, register_search_attributes
from tests.conftest import BIN
from tests.seal_support import sealing_data_converter
from tests.workflow_support import (
    dated,
    decision,
    example,
    finish,
    running_worker,
    status,
    submit,
    wait_for_state,
)
from workflows import ALL_WORKFLOWS, SubpoenaWorkflow
from workflows.versions import SINGLE_MARKER


def json_payload(value) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


def fresh_keyring(tmp_path, *compartments: Compartment) -> Keyring:
    for compartment in compartments or tuple(Compartment):
        add_key(tmp_path / "keys", compartment)
    return Keyring.load(tmp_path / "keys", environ={})


def metadata_of(payload: Payload) -> dict[str, str]:
    return {k: v.decode() for k, v in payload.metadata.items()}


# ---- the keyring -------------------------------------------------------------------------------------


def test_the_local_keyring_is_created_once_private_and_is_what_loads(tmp_path):
    folder = tmp_path / "keyring"
    assert ensure_local_keyring(folder) == ["general-v1", "natsec-v1"]
    assert ensure_local_keyring(folder) == []  # the second run keeps the keys it made
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert sorted((p.name, oct(p.stat().st_mode & 0o777)) for p in folder.iterdir()) == [
        ("general-v1", "0o600"), ("natsec-v1", "0o600")]
    assert len(base64.b64decode((folder / "general-v1").read_text())) == 32  # AES-256
    assert Keyring.load(folder, environ={}).key_ids == ["general-v1", "natsec-v1"]


def test_a_key_file_others_can_read_is_refused(tmp_path):
    folder = tmp_path / "keyring"
    ensure_local_keyring(folder)
    os.chmod(folder / "natsec-v1", 0o644)
    with pytest.raises(KeyringError, match=r"natsec-v1 is readable by others \(mode 0644\); `chmod 600 "):
        Keyring.load(folder, environ={})


def test_keys_come_from_the_environment_too(tmp_path):
    secret = base64.b64encode(bytes(range(32))).decode()
    keyring = Keyring.load(tmp_path / "none", environ={"LES_PAYLOAD_KEYS": f"general-v7:{secret}"})
    assert keyring.key_ids == ["general-v7"]
    assert keyring.active(Compartment.GENERAL).secret == bytes(range(32))
    with pytest.raises(KeyringError, match="key general-v1 has 16 bytes; AES-256 needs 32"):
        Keyring.load(None, environ={"LES_PAYLOAD_KEYS": "general-v1:" + base64.b64encode(b"x" * 16).decode()})
    with pytest.raises(KeyringError, match="'master' is not a key id"):
        Keyring.load(None, environ={"LES_PAYLOAD_KEYS": f"master:{secret}"})
    with pytest.raises(KeyringError, match="no payload-encryption keys"):
        Keyring.load(tmp_path / "none", environ={})


def test_the_key_printed_is_never_the_secret(tmp_path):
    keyring = fresh_keyring(tmp_path)
    secret = base64.b64encode(keyring.active(Compartment.GENERAL).secret).decode()
    assert repr(keyring) == "Keyring(general-v1, natsec-v1)"
    assert secret not in repr(keyring.active(Compartment.GENERAL))


# ---- the codec ---------------------------------------------------------------------------------------


async def test_a_payload_is_encrypted_with_the_key_id_in_its_metadata_and_decrypts_back(tmp_path):
    codec = EncryptionCodec(fresh_keyring(tmp_path))
    original = json_payload({"target": "+13035550123", "reference": "GJ-2026-0457"})
    [sealed] = await codec.encode([original])
    assert metadata_of(sealed) == {"encoding": "binary/encrypted", "encryption-key-id": "general-v1"}
    assert b"3035550123" not in sealed.data and b"GJ-2026" not in sealed.data and b"json" not in sealed.data
    assert (await codec.decode([sealed])) == [original]
    [again] = await codec.encode([original])
    assert again.data != sealed.data  # a fresh nonce every time


async def test_plain_payloads_decode_as_they_are(tmp_path):
    """What makes recorded histories and `temporal workflow signal --input '{...}'` keep working."""
    codec = EncryptionCodec(fresh_keyring(tmp_path))
    plain = json_payload({"actor": "jdoe", "role": "analyst"})
    assert (await codec.decode([plain])) == [plain]


async def test_altered_ciphertext_and_unknown_keys_are_refused(tmp_path):
    codec = EncryptionCodec(fresh_keyring(tmp_path))
    [sealed] = await codec.encode([json_payload({"a": 1})])
    altered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(PayloadUndecryptable, match="under key general-v1 fails authentication"):
        await codec.decode([altered])
    relabelled = Payload(metadata={**sealed.metadata, "encryption-key-id": b"general-v9"}, data=sealed.data)
    with pytest.raises(PayloadUndecryptable, match="key general-v9, which this process does not hold"):
        await codec.decode([relabelled])


async def test_rotation_new_key_encrypts_old_keys_still_decrypt(tmp_path):
    before = EncryptionCodec(fresh_keyring(tmp_path, Compartment.GENERAL))
    [old] = await before.encode([json_payload({"n": 1})])
    add_key(tmp_path / "keys", Compartment.GENERAL)
    after = EncryptionCodec(Keyring.load(tmp_path / "keys", environ={}))
    [new] = await after.encode([json_payload({"n": 2})])
    assert (key_id_of(old), key_id_of(new)) == ("general-v1", "general-v2")
    assert json.loads((await after.decode([old]))[0].data) == {"n": 1}
    os.remove(tmp_path / "keys" / "general-v1")  # retired too early: what it sealed is lost, loudly
    retired = EncryptionCodec(Keyring.load(tmp_path / "keys", environ={}))
    with pytest.raises(PayloadUndecryptable, match="general-v1, which this process does not hold"):
        await retired.decode([old])


@pytest.mark.parametrize("request_type", ["national_security_letter", "fisa_order"])
async def test_a_national_security_case_is_sealed_under_the_natsec_key_from_its_first_payload(
    tmp_path, request_type
):
    codec = EncryptionCodec(fresh_keyring(tmp_path))
    case = codec.with_context(WorkflowSerializationContext(namespace="default", workflow_id="case-X-1"))
    [submission] = await case.encode([json_payload({"request_id": "X-1", "request_type": request_type})])
    [decision_payload] = await case.encode([json_payload({"actor": "tnguyen", "role": "analyst"})])
    other = codec.with_context(WorkflowSerializationContext(namespace="default", workflow_id="case-Y-1"))
    [unrelated] = await other.encode([json_payload({"actor": "jdoe", "role": "analyst"})])
    activity = codec.with_context(ActivitySerializationContext(
        namespace="default", activity_id="1", activity_type="retrieve_records", activity_task_queue="q",
        workflow_id="case-Z-1", workflow_type="NationalSecurityLetter", is_local=False))
    [activity_input] = await activity.encode([json_payload({"request_id": "Z-1"})])
    assert [key_id_of(p) for p in (submission, decision_payload, unrelated, activity_input)] == [
        "natsec-v1", "natsec-v1", "general-v1", "natsec-v1"]


async def test_a_holder_without_the_natsec_key_can_neither_read_nor_write_a_national_security_case(tmp_path):
    full = EncryptionCodec(fresh_keyring(tmp_path))
    [sealed] = await full.encode([json_payload({"request_type": "national_security_letter"})])
    general_only = EncryptionCodec(full.keyring.restricted_to(Compartment.GENERAL))
    with pytest.raises(PayloadUndecryptable, match="natsec-v1, which this process does not hold"):
        await general_only.decode([sealed])
    with pytest.raises(KeyringError, match="no natsec key is held"):
        await general_only.encode([json_payload({"request_type": "fisa_order"})])


# ---- whole workflows ---------------------------------------------------------------------------------


def payloads_in(history_json: str) -> list[tuple[str, dict]]:
    """Every payload in a history's JSON (inputs, results, signals, updates, failures, summaries,
    search attributes) with the name of the field holding it."""
    found: list[tuple[str, dict]] = []

    def walk(node, name):
        if isinstance(node, dict):
            if "metadata" in node and "data" in node and isinstance(node["metadata"], dict):
                found.append((name, node))
            for key, value in node.items():
                walk(value, key)
        elif isinstance(node, list):
            for value in node:
                walk(value, name)

    walk(json.loads(history_json), "")
    return found


def key_ids(history_json: str) -> set[str]:
    """The keys a history's payloads are sealed with; a plain one is named by its field."""
    return {base64.b64decode(p["metadata"].get("encryption-key-id", "")).decode() or f"PLAIN {name}"
            for name, p in payloads_in(history_json)}


# Search attributes must stay plain for the server to index them; they name no one (roles, moments,
# flags). The markers' bookkeeping (a patch's id, a local activity's type and attempt, written by the
# SDK's core, never through the codec) is what `payloads` leaves plain.
PLAIN_SEARCH_ATTRIBUTES = {"PLAIN LesRequestType", "PLAIN LesResponseDue", "PLAIN LesCaseState",
                           "PLAIN LesWaitingFor", "PLAIN LesSecrecyBinds", "PLAIN TemporalChangeVersion",
                           "PLAIN payloads"}


LOCAL_ACTIVITY_BOOKKEEPING = {"seq", "attempt", "activity_id", "activity_type", "complete_time", "backoff",
                              "original_schedule_time", "activation_index"}
"""What the SDK's core writes, plain, in a local activity's marker (workflows/versions.py LOCAL_CASE_STORE)."""


async def run_case(keyring, settings, name: str, request_id: str, decisions: list[dict]) -> str:
    # The decisions are sealed as a codec server seals them (tests/seal_support.py): the worker takes
    # no other (SPEC §6); the seal travels inside the encrypted payload, so the history still shows no name.
    converter = sealing_data_converter(keyring, settings.seal_dir)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"), data_converter=converter)
    converter.payload_codec.clock[0] = env.get_current_time
    async with env:
        await register_search_attributes(env.client, "default")
        async with running_worker(env.client, settings):
            handle = await submit(env.client, settings, dated(example(name, request_id), await env.get_current_time()))
            await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
            await handle.signal(SubpoenaWorkflow.approve, {"role": "analyst"})  # refused: a failure to encode
            for payload in decisions:
                await handle.execute_update(SubpoenaWorkflow.approve_sync, payload)
            outcome = await finish(env, handle)
            assert outcome.resolution is Resolution.DELIVERED
            return (await handle.fetch_history()).to_json()


async def test_histories_hold_only_ciphertext_and_replay_after_a_rotation(tmp_path, settings, prepared_store):
    keys = tmp_path / "keys"
    ensure_local_keyring(keys)
    first = Keyring.load(keys, environ={})
    subpoena = await run_case(first, settings, "subpoena", "ROT-SUB-1", [decision()])
    nsl = await run_case(first, settings, "national_security_letter", "ROT-NSL-1",
                         [decision(actor="tnguyen"), decision(actor="rcruz", role="legal")])
    assert key_ids(subpoena) == {"general-v1", *PLAIN_SEARCH_ATTRIBUTES}
    assert key_ids(nsl) == {"natsec-v1", *PLAIN_SEARCH_ATTRIBUTES}
    for history in (subpoena, nsl):
        plain = [json.loads(base64.b64decode(p["data"])) for name, p in payloads_in(history)
                 if name == "payloads" and "encryption-key-id" not in p["metadata"]]
        # What stays plain in the markers names code and steps, nothing about the case: the one patch
        # marker a new run makes (SINGLE_MARKER, which implies every patch before it: issue 26), and
        # each local activity's bookkeeping (its type, number, attempt, times). Its answer is sealed.
        patches = [p for p in plain if "activity_type" not in p]
        assert patches == [{"id": SINGLE_MARKER, "deprecated": False}]
        local = [p for p in plain if "activity_type" in p]
        assert {p["activity_type"] for p in local} >= {"open_case", "record_case_event", "close_case"}
        assert all(set(p) <= LOCAL_ACTIVITY_BOOKKEEPING for p in local), [set(p) for p in local]
        results = [p for event in json.loads(history)["events"]
                   for p in event.get("markerRecordedEventAttributes", {}).get("details", {})
                   .get("result", {}).get("payloads", [])]
        assert len(results) == len(local)
        assert all("encryption-key-id" in p["metadata"] or base64.b64decode(p["metadata"]["encoding"]) == b"binary/null"
                   for p in results)
    for text in ("3035550123", "GJ-2026-0457", "Jane Roe", "2025550177", "NSL-26-0042", "fbi.gov", "tnguyen"):
        assert text not in subpoena + nsl

    add_key(keys, Compartment.GENERAL)
    add_key(keys, Compartment.NATIONAL_SECURITY)
    rotated = Keyring.load(keys, environ={})
    assert [rotated.active(c).key_id for c in Compartment] == ["general-v2", "natsec-v2"]
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=data_converter(rotated))
    for workflow_id, history in (("case-ROT-SUB-1", subpoena), ("case-ROT-NSL-1", nsl)):
        result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, history),
                                                raise_on_replay_failure=False)
        assert result.replay_failure is None, workflow_id

    without_natsec = Replayer(workflows=ALL_WORKFLOWS,
                              data_converter=data_converter(rotated.restricted_to(Compartment.GENERAL)))
    result = await without_natsec.replay_workflow(WorkflowHistory.from_json("case-ROT-NSL-1", nsl),
                                                  raise_on_replay_failure=False)
    # The failure's own message is sealed too ("Encoded failure"): only that it failed shows.
    assert "Workflow activation completion failed" in str(result.replay_failure)


# ---- binding: a ciphertext belongs to its workflow and its compartment (SPEC §6, issue 20) ------------


def refusal_in(payload: Payload) -> str:
    """The words of the refusal the worker's codec hands over in place of a payload it will not open."""
    assert metadata_of(payload) == {"encoding": "json/plain"}, metadata_of(payload)
    value = json.loads(payload.data)
    assert set(value) == {"les_refused"}, value
    return value["les_refused"]


def in_workflow(codec: EncryptionCodec, workflow_id: str) -> EncryptionCodec:
    return codec.with_context(WorkflowSerializationContext(namespace="default", workflow_id=workflow_id))


async def test_a_ciphertext_moved_to_another_workflow_is_refused_there(tmp_path):
    codec = EncryptionCodec(fresh_keyring(tmp_path))
    original = json_payload({"actor": "jdoe", "role": "analyst", "case": "BIND-1"})
    [bound] = await in_workflow(codec, "case-BIND-1").encode([original])
    assert metadata_of(bound)["les-bound-to"] == "case-BIND-1"
    assert await in_workflow(codec, "case-BIND-1").decode([bound]) == [original]  # at home it opens
    [moved] = await in_workflow(codec, "case-BIND-2").decode([bound])
    assert refusal_in(moved) == ("a payload encrypted for another workflow was sent to case-BIND-2: a "
                                 "ciphertext is bound to its workflow")
    # Relabelled to claim the other workflow, the authentication tag no longer matches: refused too.
    relabelled = Payload(metadata={**bound.metadata, "les-bound-to": b"case-BIND-2"}, data=bound.data)
    with pytest.raises(PayloadUndecryptable, match="general-v1"):
        await in_workflow(codec, "case-BIND-2").decode([relabelled])


async def test_a_general_key_payload_in_a_national_security_workflow_is_refused(tmp_path):
    from les.codec import encrypt

    codec = EncryptionCodec(fresh_keyring(tmp_path))
    nsl = in_workflow(codec, "case-BIND-NSL-1")
    await nsl.encode([json_payload({"request_id": "BIND-NSL-1", "request_type": "national_security_letter"})])
    # A decision sent to the NSL through the general codec server: general key, bound to the NSL's workflow.
    from les.seals import ensure_seal_keys, load_sealing_key, seal

    ensure_seal_keys(tmp_path / "seal")
    envelope = seal({"role": "analyst", "case": "BIND-NSL-1"}, person="jdoe", case="BIND-NSL-1", compartment="general",
                    key=load_sealing_key(tmp_path / "seal"))
    planted = encrypt(json_payload(envelope), codec.keyring, Compartment.GENERAL, "case-BIND-NSL-1")
    [opened] = await nsl.decode([planted])
    assert refusal_in(opened).startswith("a decision under the general key was sent to a national security case")


async def test_a_national_security_ciphertext_moved_into_a_subpoena_is_refused_and_recorded(
        time_skipping_env, keyring, settings, prepared_store, seal_dir):
    """A cleared person's sealed NSL decision, taken from the NSL's history and sent as it is to a
    subpoena case through the raw API (as someone holding the bytes would): the worker refuses to open
    it, the subpoena records the refusal, nothing changes, and nothing was stored under the general key."""
    from temporalio.api.common.v1 import Payloads, WorkflowExecution
    from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest

    from les.codec import decrypt, encrypt
    from les.seals import load_sealing_key, seal

    client = time_skipping_env.client
    async with running_worker(client, settings):
        handle = await submit(client, settings, dated(example("subpoena", "MOVE-SUB-1"),
                                                      await time_skipping_env.get_current_time()))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        envelope = seal({"actor": "tnguyen", "role": "analyst", "note": "in order", "case": "MOVE-NSL-1"},
                        person="tnguyen", case="MOVE-NSL-1", compartment="natsec", key=load_sealing_key(seal_dir),
                        at=await time_skipping_env.get_current_time())
        nsl_ciphertext = encrypt(json_payload(envelope), keyring, Compartment.NATIONAL_SECURITY, "case-MOVE-NSL-1")
        await client.workflow_service.signal_workflow_execution(SignalWorkflowExecutionRequest(
            namespace="default", workflow_execution=WorkflowExecution(workflow_id="case-MOVE-SUB-1"),
            signal_name="approve", input=Payloads(payloads=[nsl_ciphertext]), identity="holder of the bytes"))
        deadline = asyncio.get_running_loop().time() + 20
        shown = await status(handle)
        while all(e.accepted for e in shown.history):
            assert asyncio.get_running_loop().time() < deadline, shown.history
            await asyncio.sleep(0.1)
            shown = await status(handle)
        history = (await handle.fetch_history()).to_json()
    [refused] = [e for e in shown.history if not e.accepted]
    assert (refused.name, refused.via) == ("approve", "signal")
    assert refused.reason == ("a payload encrypted for another workflow was sent to case-MOVE-SUB-1: a "
                              "ciphertext is bound to its workflow")
    assert shown.state is CaseState.AWAITING_APPROVAL and shown.approvals == {}
    # The subpoena never re-stored the NSL's decision under the general key: no general-key payload of its
    # history, opened, names the NSL or its cleared analyst.
    general = [decrypt(Payload(metadata={k: base64.b64decode(v) for k, v in p["metadata"].items()},
                               data=base64.b64decode(p["data"])), keyring, "case-MOVE-SUB-1").data
               for _, p in payloads_in(history) if base64.b64decode(p["metadata"].get("encryption-key-id", ""))
               == b"general-v1"]
    assert general and not [data for data in general if b"tnguyen" in data or b"MOVE-NSL-1" in data]
