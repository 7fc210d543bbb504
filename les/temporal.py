"""How every process reaches Temporal: one client factory, one data converter, the search attributes."""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.runtime import Runtime

from les.codec import NATIONAL_SECURITY_WORKFLOW_TYPES, EncryptionCodec
from les.config import Settings
from les.keyring import Keyring, KeyringError
from les.temporal_profile import ProfileError

REQUEST_TYPE = SearchAttributeKey.for_keyword("LesRequestType")
CASE_STATE = SearchAttributeKey.for_keyword("LesCaseState")
RESPONSE_DUE = SearchAttributeKey.for_datetime("LesResponseDue")
OVERDUE = SearchAttributeKey.for_bool("LesOverdue")
# The queues (README): plain text on the server, so a role, a moment, a flag; never anything identifying.
WAITING_FOR = SearchAttributeKey.for_keyword_list("LesWaitingFor")
"""Who the case waits for: `analyst`, `supervisor`, `legal`, `customer` or `none` (Case.waiting_for)."""
COLLECTION_END = SearchAttributeKey.for_datetime("LesCollectionEnd")
"""Surveillance: the instant collection must be off (the order's end, moved by extensions)."""
SECRECY_BINDS = SearchAttributeKey.for_bool("LesSecrecyBinds")
"""Whether secrecy (statute or a 2705(b) order) bound the carrier when the process was verified."""

SEARCH_ATTRIBUTES = (REQUEST_TYPE, CASE_STATE, RESPONSE_DUE, OVERDUE, WAITING_FOR, COLLECTION_END, SECRECY_BINDS)
"""Registered on the server at start-up (`temporal server start-dev --search-attribute ...`)."""

CLI_TYPE_NAMES = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool", "KEYWORD_LIST": "KeywordList"}


def search_attribute_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for the Temporal CLI dev server."""
    flags: list[str] = []
    for key in SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={CLI_TYPE_NAMES[key.indexed_value_type.name]}"]
    return flags


DEV_SERVER_SETTINGS = ["--dynamic-config-value", "system.forceSearchAttributesCacheRefreshOnRead=false"]
"""The Temporal CLI's dev server re-reads the search attributes on every read (the cluster
metadata and the namespace from its SQLite file), so that one added while it runs is usable at
once. Ours are registered by its flags before it serves (`search_attribute_flags`), so the dev
servers this project starts (console/stack.py, bench/harness.py) read them from cache, as a
production server does: about 20 fewer persistence requests per case (issue 26)."""


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` flags: the project's search attributes and DEV_SERVER_SETTINGS."""
    return [*search_attribute_flags(), *DEV_SERVER_SETTINGS]


def start_attributes(request_type: str) -> TypedSearchAttributes:
    """The search attributes a request's workflow starts with: its type, so the queues find it
    from its first moment and the workflow need not upsert it (workflows/case_desk.py)."""
    return TypedSearchAttributes([SearchAttributePair(REQUEST_TYPE, str(request_type))])


def workflow_id_for(request_id: str) -> str:
    """The workflow id of a request: one workflow per request id, ever."""
    return f"case-{request_id}"


class TemporalUnavailable(Exception):
    """The Temporal server cannot be reached."""


class TemporalMisconfigured(TemporalUnavailable):
    """Nothing was tried: this machine's connection profile or keyring cannot be used (a
    configuration error, not an outage; a TemporalUnavailable for callers that need not tell)."""


FAILURE_CONVERTER = DefaultFailureConverterWithEncodedAttributes


@dataclasses.dataclass(frozen=True)
class ContextDataConverter(DataConverter):
    """The SDK's DataConverter, cloned for a serialization context without building its payload and
    failure converters again. The SDK asks `with_context` for every payload of every command and
    activity (the codec picks its key by the context, so every call clones); its clone runs
    `dataclasses.replace`, whose `__post_init__` builds a new pydantic payload converter and
    failure converter only to replace them at once: about 3% of the worker's Python time under
    bench/throughput.py (issue 26). Here the clone is a shallow copy given the context's
    components, what the SDK's clone ends with."""

    def with_context(self, context: SerializationContext) -> ContextDataConverter:
        parts = {name: getattr(self, name) for name in
                 ("payload_converter", "payload_codec", "failure_converter", "external_storage")}
        changed = {name: part.with_context(context) for name, part in parts.items()
                   if isinstance(part, WithSerializationContext)}
        if all(changed[name] is parts[name] for name in changed):
            return self
        cloned = copy.copy(self)
        for name, part in changed.items():
            object.__setattr__(cloned, name, part)
        return cloned


def data_converter(keyring: Keyring | None = None, *, codec: PayloadCodec | None = None,
                   refuse_plain_decisions: bool = False) -> DataConverter:
    """THE data converter of every process: pydantic JSON, every payload AES-256-GCM encrypted,
    failure messages and stack traces moved into an encrypted payload too. The worker (and the
    tests, the replayer) encrypt with the keyring (les/codec.py); people's tools pass `codec`, the
    codec servers' (les/remote_codec.py), and hold no key. The worker refuses a sealed decision
    that reaches it unencrypted (`refuse_plain_decisions`); a replayer of histories stored decoded
    (tests/histories, `audit export`) must not."""
    return ContextDataConverter(
        payload_converter_class=pydantic_data_converter.payload_converter_class,
        payload_codec=codec if codec is not None else EncryptionCodec(
            keyring, refuse_plain_decisions=refuse_plain_decisions),
        failure_converter_class=FAILURE_CONVERTER,
        external_storage=pydantic_data_converter.external_storage,
    )


def load_keyring(settings: Settings) -> Keyring:
    """The keys this process holds (les/keyring.py); a missing keyring is a clear error."""
    try:
        return Keyring.load(settings.keyring_dir)
    except KeyringError as err:
        raise TemporalMisconfigured(f"cannot encrypt payloads: {err}") from err


def note_national_security(client: Client, workflow_id: str, workflow_type: str | None) -> None:
    """Before a client speaks to a case it has not read: a national security case's payloads go
    under the natsec key (the codec cannot tell from a bare decision what case it is for)."""
    codec = client.data_converter.payload_codec
    if workflow_type in NATIONAL_SECURITY_WORKFLOW_TYPES and isinstance(codec, EncryptionCodec):
        codec.cases.add(workflow_id)


def connect_config(settings: Settings) -> dict[str, Any]:
    """`Client.connect` keyword arguments (all but the data converter): TLS, API key and gRPC
    metadata from the Temporal connection profile (les/temporal_profile.py), the address and
    namespace as Settings resolved them (LES_* over TEMPORAL_* over the profile file)."""
    options: dict[str, Any] = {}
    if settings.temporal_profile is not None:
        try:
            options.update(settings.temporal_profile.connect_options())
        except ProfileError as err:
            raise TemporalMisconfigured(str(err)) from None
    options["target_host"] = settings.temporal_address
    options["namespace"] = settings.temporal_namespace
    return options


async def connect(settings: Settings, keyring: Keyring | None = None, *, codec: PayloadCodec | None = None,
                  runtime: Runtime | None = None, refuse_plain_decisions: bool = False) -> Client:
    """Connect with the project's data converter, turning a dead server into a clear error.
    Every process that speaks to Temporal (worker, starter, stack, audit) connects here, with the
    tracing interceptor when OTEL_* variables ask for traces (les/telemetry.py) and `runtime`
    (the worker's, with its metrics) or the SDK's default one; people's tools pass the codec
    servers' `codec` and hold no key."""
    from les.telemetry import TelemetryUnavailable, tracing_interceptors

    if codec is None:
        keyring = keyring if keyring is not None else load_keyring(settings)
    options = connect_config(settings)
    try:
        interceptors = tracing_interceptors()
    except TelemetryUnavailable as err:
        raise TemporalUnavailable(str(err)) from None
    try:
        converter = data_converter(keyring, codec=codec, refuse_plain_decisions=refuse_plain_decisions)
        return await Client.connect(**options, data_converter=converter,
                                    interceptors=interceptors, runtime=runtime)
    except RuntimeError as err:
        profile = settings.temporal_profile
        from_profile = profile is not None and profile.profile is not None and (
            profile.address == settings.temporal_address or profile.profile.tls or profile.profile.api_key)
        hint = (f"check the Temporal {profile.describe()}" if from_profile
                else "start the stack with `python3 stack.py up`")
        reason = connect_failure(str(err))
        raise TemporalUnavailable(
            f"cannot reach the Temporal server at {settings.temporal_address} ({reason}); {hint}"
        ) from err


def connect_failure(text: str) -> str:
    """A few words for the SDK's connection error, whose text is the Rust client's nested debug dump."""
    text = " ".join(text.split())
    if "dns error" in text:
        return "its host name does not resolve"
    if (code := re.search(r"Status \{ code: (\w+)", text)) is not None:
        return f"it answered, but not as a Temporal server that accepts this client ({code.group(1)})"
    if (os_error := re.search(r'Os \{[^}]*message: "([^"]+)"', text)) is not None:
        return os_error.group(1).lower()
    if re.search(r"tls|certificate|handshake", text, re.IGNORECASE):
        return "the TLS handshake failed"
    if re.search(r"timed? ?out|deadline", text, re.IGNORECASE):
        return "no answer in time"
    return text.removeprefix("Failed client connect: ")[:120]


async def register_search_attributes(client: Client, namespace: str) -> None:
    """Register the project's search attributes on a server started without the CLI flags."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type.value) for key in SEARCH_ATTRIBUTES
            },
        )
    )
