"""les/temporal.py ContextDataConverter: the converter the SDK clones for each payload's context
(issue 26) still gives each clone the context's codec, and round-trips what the worker sends."""

from __future__ import annotations

import asyncio

from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from domain.case import CaseState
from les.keyring import Keyring, ensure_local_keyring
from les.temporal import data_converter


def converter(tmp_path):
    ensure_local_keyring(tmp_path / "keys")
    return data_converter(Keyring.load(tmp_path / "keys", environ={}))


def test_a_clone_carries_its_context_and_shares_the_rest(tmp_path):
    base = converter(tmp_path)
    context = WorkflowSerializationContext(namespace="default", workflow_id="case-CTX-1")
    clone = base.with_context(context)
    assert clone is not base and type(clone) is type(base)
    assert clone.payload_codec._context == context and base.payload_codec._context is None
    assert clone.payload_converter is base.payload_converter  # built once, not per payload
    assert clone.failure_converter is base.failure_converter


def test_a_national_security_activity_is_sealed_with_its_compartments_key(tmp_path):
    base = converter(tmp_path)
    context = ActivitySerializationContext(
        namespace="default", workflow_id="case-NSL-1", workflow_type="NationalSecurityLetter",
        activity_type="verify_request", activity_task_queue="les-requests", is_local=False, activity_id="1")
    clone = base.with_context(context)
    payloads = asyncio.run(clone.encode([{"state": CaseState.AWAITING_APPROVAL}]))
    assert payloads[0].metadata["encryption-key-id"] == b"natsec-v1"
    assert asyncio.run(clone.decode(payloads, [dict])) == [{"state": "awaiting_approval"}]
    plain = asyncio.run(base.with_context(WorkflowSerializationContext(
        namespace="default", workflow_id="case-SUB-1")).encode([{"a": 1}]))
    assert plain[0].metadata["encryption-key-id"] == b"general-v1"
