"""Sealed decisions for the benchmarks and the workflow tests, which are not about identity.

A person's decision takes effect only sealed by a codec server (SPEC §6). The benchmarks and the
tests of the workflows send plain decision objects through a client whose codec seals them as the
codec server would: for the actor the decision names (standing in for the person who signed in), on
the case of the workflow it is sent to, at the server's own clock, with a seal key of the run's own.
It holds the codec servers' private key, so it is a harness, never a person's tool; the identity
tests (tests/system/test_identity.py, tests/system/test_codec_server.py) go through the real OIDC provider and the
real codec servers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from domain.seals import is_sealed
from les.codec import EncryptionCodec
from les.keyring import Compartment, Keyring
from les.seals import SealingKey, load_sealing_key, seal
from les.temporal import data_converter

Clock = Callable[[], Awaitable[datetime]]


async def wall_clock() -> datetime:
    return datetime.now(UTC)


class SealingTestCodec(PayloadCodec, WithSerializationContext):
    """EncryptionCodec that first seals every decision object sent to a case (see the module)."""

    def __init__(self, inner: EncryptionCodec, key: SealingKey, clock: list[Clock],
                 context: SerializationContext | None = None) -> None:
        self.inner, self.key, self.clock, self._context = inner, key, clock, context

    @property
    def cases(self):
        return self.inner.cases

    def with_context(self, context: SerializationContext) -> SealingTestCodec:
        return SealingTestCodec(self.inner.with_context(context), self.key, self.clock, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        # Only what a client sends a workflow (signals, updates); the tests' workers share this
        # converter, and their activities' payloads are not decisions.
        workflow_id = getattr(self._context, "workflow_id", None) or ""
        if type(self._context) is WorkflowSerializationContext and workflow_id.startswith("case-"):
            payloads = [await self._sealed(p, workflow_id.removeprefix("case-")) for p in payloads]
        return await self.inner.encode(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.inner.decode(payloads)

    async def _sealed(self, payload: Payload, request_id: str) -> Payload:
        compartment = Compartment.NATIONAL_SECURITY if self.inner._notice([]) else Compartment.GENERAL
        return sealed_as_its_actor(payload, request_id, str(compartment), self.key, await self.clock[0]())


def sealed_as_its_actor(payload: Payload, request_id: str, compartment: str, key: SealingKey,
                        at: datetime) -> Payload:
    """A plain decision object sealed as a codec server seals it, for the `actor` it names (standing in
    for the person signed in) on `request_id`; any other payload as it is."""
    if payload.metadata.get("encoding") != b"json/plain":
        return payload
    value = json.loads(payload.data)
    if not isinstance(value, dict) or is_sealed(value) or "actor" not in value:
        return payload
    envelope = seal({**value, "case": request_id}, person=str(value["actor"]), case=request_id,
                    compartment=compartment, key=key, at=at)
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(envelope).encode())


def sealing_data_converter(keyring: Keyring, seal_dir: Path, clock: Clock = wall_clock) -> DataConverter:
    """A harness's client converter: encrypted as the worker's, decisions sealed. `.clock` (a one-item
    list) may be pointed at a test server's clock once the server is up."""
    import dataclasses

    holder: list[Clock] = [clock]
    converter = data_converter(keyring)
    codec = SealingTestCodec(converter.payload_codec, load_sealing_key(seal_dir), holder)
    converter = dataclasses.replace(converter, payload_codec=codec)
    return converter
