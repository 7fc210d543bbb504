"""The codec server over real HTTP: round trip, CORS for the UI's origin only, tokens checked
against the roster on every call, and the natsec key never served by the general endpoint."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from les.codec import EncryptionCodec, key_id_of
from les.codec_server import CodecService, TokenBook, write_tokens
from les.keyring import Compartment
from tests.conftest import TOKENS

UI = "http://localhost:8233"
PAYLOAD = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
           "data": base64.b64encode(json.dumps({"target": "+13035550123"}).encode()).decode()}


def call(url: str, *, method: str = "POST", body: dict | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, method=method, headers={"Content-Type": "application/json",
                                                                  **(headers or {})},
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read()
            return answer.status, dict(answer.headers), json.loads(text) if text else None
    except urllib.error.HTTPError as refused:
        text = refused.read()
        return refused.code, dict(refused.headers), json.loads(text) if text else None


def bearer(actor: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[actor]}", "Origin": UI}


@pytest.fixture
def servers(codec_servers, prepared_store):
    codec_servers.ui_origins.add(UI)
    return codec_servers


def test_encode_then_decode_round_trips_and_the_sealed_payload_names_its_key(servers):
    status, headers, sealed = call(f"{servers.general}/encode", body={"payloads": [PAYLOAD]}, headers=bearer("jdoe"))
    assert status == 200 and headers["Access-Control-Allow-Origin"] == UI
    [payload] = sealed["payloads"]
    assert base64.b64decode(payload["metadata"]["encryption-key-id"]) == b"general-v1"
    assert b"3035550123" not in base64.b64decode(payload["data"])
    status, _, opened = call(f"{servers.general}/decode", body=sealed, headers=bearer("jdoe"))
    assert (status, opened) == (200, {"payloads": [PAYLOAD]})


def test_the_token_may_travel_in_the_path_for_a_ui_that_sends_no_header(servers):
    status, _, opened = call(f"{servers.general}/t/{TOKENS['jdoe']}/decode", body={"payloads": [PAYLOAD]},
                             headers={"Origin": UI})
    assert (status, opened) == (200, {"payloads": [PAYLOAD]})


def test_cors_preflight_answers_the_ui_origin_only(servers):
    status, headers, _ = call(f"{servers.general}/decode", method="OPTIONS",
                              headers={"Origin": UI, "Access-Control-Request-Method": "POST",
                                       "Access-Control-Request-Headers": "content-type,x-namespace,authorization"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == UI
    assert headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization, X-Namespace"
    status, headers, _ = call(f"{servers.general}/decode", method="OPTIONS", headers={"Origin": "http://evil.test"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize(("headers", "status", "message"), [
    ({}, 401, "a bearer token is required"),
    ({"Authorization": "Bearer not-a-token"}, 401, "unknown token"),
    ({"Authorization": f"Bearer {TOKENS['nobody']}"}, 403, "the token's holder is not active on the roster"),
])
def test_a_missing_or_bad_token_is_refused(servers, headers, status, message):
    for operation in ("encode", "decode"):
        answer = call(f"{servers.general}/{operation}", body={"payloads": [PAYLOAD]}, headers=headers)
        assert (answer[0], answer[2]) == (status, {"error": message})


def test_the_cleared_endpoint_answers_cleared_people_only(servers):
    status, _, body = call(f"{servers.cleared}/decode", body={"payloads": [PAYLOAD]}, headers=bearer("jdoe"))
    assert (status, body) == (403, {"error": "this endpoint serves cleared people only"})
    status, _, _ = call(f"{servers.cleared}/decode", body={"payloads": [PAYLOAD]}, headers=bearer("tnguyen"))
    assert status == 200


async def test_a_national_security_payload_stays_sealed_through_the_general_endpoint(servers, keyring):
    codec = EncryptionCodec(keyring)
    nsl = {"request_id": "LES-2026-000105", "request_type": "national_security_letter"}
    [sealed] = await codec.encode([_payload(nsl)])
    assert key_id_of(sealed) == "natsec-v1"
    body = {"payloads": [_json(sealed)]}
    _, _, general = call(f"{servers.general}/decode", body=body, headers=bearer("jdoe"))
    assert general == body  # shown as encrypted: the general endpoint does not hold the key
    _, _, cleared = call(f"{servers.cleared}/decode", body=body, headers=bearer("tnguyen"))
    assert json.loads(base64.b64decode(cleared["payloads"][0]["data"])) == nsl
    # What the cleared UI sends goes under the natsec key.
    _, _, sent = call(f"{servers.cleared}/encode", body={"payloads": [PAYLOAD]}, headers=bearer("tnguyen"))
    assert base64.b64decode(sent["payloads"][0]["metadata"]["encryption-key-id"]) == b"natsec-v1"


def test_the_general_endpoint_never_holds_a_natsec_key_even_when_handed_one(keyring):
    service = CodecService(keyring, TokenBook({}), lambda actor: None, cleared=False, ui_origins=[UI])
    assert keyring.holds(Compartment.NATIONAL_SECURITY)
    assert service.keyring.key_ids == ["general-v1"]


def test_tokens_are_issued_once_per_person_into_a_private_file(tmp_path):
    path = tmp_path / "codec-tokens.json"
    first = write_tokens(path, ["jdoe", "tnguyen"])
    again = write_tokens(path, ["jdoe", "tnguyen", "mlee"])
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert {a: again[a] for a in first} == first and set(again) == {"jdoe", "tnguyen", "mlee"}
    assert TokenBook.load(path).actor(again["mlee"]) == "mlee"


def _payload(value):
    from temporalio.api.common.v1 import Payload

    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


def _json(payload) -> dict:
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            "data": base64.b64encode(payload.data).decode()}
