"""The payload codec of people's tools: no key on this machine, every payload through the codec servers.

`starter.py` (and `starter.py audit`) encode and decode through the general codec server with the
signed-in person's token, and through the cleared one for national security payloads; so a
person reads exactly what the codec servers let that person read, and every decision they send
is sealed there (console/codec_server.py). A national security payload the cleared server will not
open for this person stays encrypted, and the command says the contents are withheld."""

from __future__ import annotations

import json
import ssl
from collections.abc import Sequence
from pathlib import Path

import httpx
from google.protobuf.json_format import MessageToDict, ParseDict
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from domain.seals import REFUSED_FIELD
from les.codec import is_encrypted, key_id_of
from les.keyring import Compartment

TIMEOUT = 15.0


class CodecRefused(Exception):
    """A codec server refused: `status` is its HTTP status, the message its words."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CodecUnreachable(Exception):
    """No codec server answered."""


class RemoteCodec(PayloadCodec):
    def __init__(self, general_url: str, cleared_url: str, token: str, *, ca_file: Path | None = None,
                 read_only: bool = False) -> None:
        self.general_url = general_url.rstrip("/")
        self.cleared_url = cleared_url.rstrip("/")
        self._token = token
        self._verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
        self.read_only = read_only
        """For a replayer: what the workflow code produces while replaying is compared, never sent, so it
        is not encoded (the codec servers encode only what a person sends)."""

    def __repr__(self) -> str:  # never the token
        return f"RemoteCodec({self.general_url}, {self.cleared_url})"

    async def _call(self, url: str, operation: str, payloads: Sequence[Payload]) -> list[Payload]:
        body = MessageToDict(Payloads(payloads=list(payloads)))
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, verify=self._verify) as http:
                answer = await http.post(f"{url}/{operation}", json=body,
                                         headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as err:
            raise CodecUnreachable(f"the codec server at {url} did not answer ({type(err).__name__}); is the "
                                   "stack up (`python3 stack.py up`)?") from None
        if answer.status_code != 200:
            try:
                message = answer.json().get("error") or answer.text
            except ValueError:
                message = answer.text[:200]
            raise CodecRefused(f"the codec server refused: {message}", answer.status_code)
        result = Payloads()
        ParseDict(answer.json(), result)
        return list(result.payloads)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if self.read_only:
            return list(payloads)
        try:
            return _unless_refused(await self._call(self.general_url, "encode", payloads))
        except CodecRefused as refused:
            if refused.status != 403 or "cleared codec server" not in str(refused):
                raise
        return _unless_refused(await self._call(self.cleared_url, "encode", payloads))

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if not any(is_encrypted(p) for p in payloads):
            return list(payloads)
        opened = await self._call(self.general_url, "decode", payloads)
        natsec = [i for i, p in enumerate(opened) if is_encrypted(p)
                  and (key_id_of(p) or "").startswith(f"{Compartment.NATIONAL_SECURITY}-")]
        if natsec:
            try:
                cleared = await self._call(self.cleared_url, "decode", [opened[i] for i in natsec])
            except CodecRefused as refused:
                if refused.status != 403:
                    raise
                return opened  # not cleared: the contents stay encrypted, and the command says so
            for index, payload in zip(natsec, cleared, strict=True):
                opened[index] = payload
        return opened


def _unless_refused(payloads: list[Payload]) -> list[Payload]:
    """The encoded payloads; CodecRefused when the codec server put a refusal in their place (it
    does so rather than fail, for the Temporal CLI's sake): starter.py then sends nothing."""
    for payload in payloads:
        if payload.metadata.get("encoding") == b"json/plain":
            try:
                value = json.loads(payload.data)
            except ValueError:
                continue
            if isinstance(value, dict) and set(value) == {REFUSED_FIELD}:
                reason = str(value[REFUSED_FIELD])
                status = 401 if reason.startswith(("sign in first", "the token is refused")) else 403
                raise CodecRefused(f"the codec server refused: {reason}", status)
    return payloads
