"""The codec servers over real HTTP (uvicorn), trusting the real OIDC provider: people signed in,
decisions sealed for the signed-in person on the case they name, compartments held by keys,
CORS for the UI's origin only, and bodies bounded before they are read."""

from __future__ import annotations

import base64
import json
import resource
import socket
import ssl
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from temporalio.api.common.v1 import Payload
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from console.codec_server import MAX_BODY, CodecService
from console.oidc_provider import development_password
from domain.contracts import OpenCaseInput
from domain.seals import open_envelope
from les.codec import BOUND_TO, EncryptionCodec, decrypt, key_id_of
from les.keyring import Compartment
from les.seals import load_public_keys, verify
from recordstore.db import make_session_factory
from tests.codec_support import sign_in_at_codec
from tests.workflow_support import example

UI = "http://localhost:8233"


def as_json(payload: Payload) -> dict:
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            "data": base64.b64encode(payload.data).decode()}


def plain(value) -> dict:
    return as_json(Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode()))


def from_json(item: dict) -> Payload:
    return Payload(metadata={k: base64.b64decode(v) for k, v in item.get("metadata", {}).items()},
                   data=base64.b64decode(item.get("data", "")))


def refusal(answer: httpx.Response) -> str:
    """Why an encode was refused: the codec server answers 200 with a refusal in each payload's place
    (the Temporal CLI retries a failed encode silently until it times out; a refusal reaches the case)."""
    assert answer.status_code == 200, answer.text
    values = [json.loads(from_json(p).data) for p in answer.json()["payloads"]]
    assert all(set(v) == {"les_refused"} for v in values), values
    return values[0]["les_refused"]


def post(url: str, body, token: str | None = None, **headers) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url, json=body, headers={"Origin": UI, **headers}, timeout=15)


@pytest.fixture(scope="module")
def cases(prepared_store):
    """A subpoena and an NSL opened in the case store (the codec servers seal under the case's compartment)."""
    case = CaseActivities(make_session_factory(prepared_store))
    for name, request_id in (("subpoena", "CODEC-SUB-1"), ("national_security_letter", "CODEC-NSL-1")):
        document = example(name, request_id)
        ActivityEnvironment().run(case.open_case, OpenCaseInput(
            request_id=request_id, request_type=document["type"], workflow_id=f"case-{request_id}", document=document))
    return {"subpoena": "CODEC-SUB-1", "nsl": "CODEC-NSL-1"}


@pytest.fixture(scope="module")
def servers(codec_servers):
    codec_servers.ui_origins.add(UI)
    return codec_servers


@pytest.fixture(scope="module")
def tokens(oidc_provider):
    return {user: oidc_provider.token_for(user) for user in ("jdoe", "tnguyen", "bwilson", "rcruz")}


def test_a_decision_is_sealed_for_the_signed_in_person_and_bound_to_its_case(servers, cases, tokens, keyring,
                                                                             seal_dir):
    decision = {"case": cases["subpoena"], "role": "analyst", "note": "in order"}
    answer = post(f"{servers.general}/encode", {"payloads": [plain(decision)]}, tokens["jdoe"])
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == UI
    [sent] = [from_json(p) for p in answer.json()["payloads"]]
    assert key_id_of(sent) == "general-v1" and sent.metadata[BOUND_TO] == b"case-CODEC-SUB-1"
    assert b"in order" not in sent.data
    envelope = json.loads(decrypt(sent, keyring, "case-CODEC-SUB-1").data)
    seal, inside = open_envelope(envelope)
    assert (seal.person, seal.case, seal.compartment) == ("jdoe", "CODEC-SUB-1", "general")
    assert inside == decision
    assert abs(datetime.now(UTC) - seal.at) < timedelta(seconds=30)
    verify(envelope, load_public_keys(seal_dir))  # the worker's public key verifies it
    # and it opens again through the same door, for the same person
    opened = post(f"{servers.general}/decode", {"payloads": [as_json(sent)]}, tokens["jdoe"])
    assert json.loads(from_json(opened.json()["payloads"][0]).data) == envelope


def test_a_decision_on_a_national_security_case_goes_only_through_the_cleared_server(servers, cases, tokens):
    decision = {"case": cases["nsl"], "role": "analyst"}
    refused = post(f"{servers.general}/encode", {"payloads": [plain(decision)]}, tokens["tnguyen"])
    assert refusal(refused) == ("a national security case: its decisions and documents go only through the cleared "
                                "codec server")
    not_cleared = post(f"{servers.cleared}/encode", {"payloads": [plain(decision)]}, tokens["jdoe"])
    assert refusal(not_cleared) == "jdoe is not cleared: this endpoint serves cleared people only"
    decoded = post(f"{servers.cleared}/decode", {"payloads": [plain(decision)]}, tokens["jdoe"])
    assert (decoded.status_code, decoded.json()) == (
        403, {"error": "jdoe is not cleared: this endpoint serves cleared people only"})
    sealed = post(f"{servers.cleared}/encode", {"payloads": [plain(decision)]}, tokens["tnguyen"])
    assert sealed.status_code == 200
    assert key_id_of(from_json(sealed.json()["payloads"][0])) == "natsec-v1"


def test_a_national_security_submission_is_refused_by_the_general_server(servers, tokens):
    submission = {"request_id": "CODEC-NSL-2", "request_type": "national_security_letter",
                  "document": example("national_security_letter", "CODEC-NSL-2")}
    refused = post(f"{servers.general}/encode", {"payloads": [plain(submission)]}, tokens["jdoe"])
    assert "cleared codec server" in refusal(refused)


def test_anything_but_a_decision_or_a_submission_is_not_encoded(servers, tokens):
    answer = post(f"{servers.general}/encode", {"payloads": [plain({"target": "+13035550123"})]}, tokens["jdoe"])
    assert refusal(answer).startswith("the codec servers encode decisions (a JSON object naming its \"case\")")
    unknown = post(f"{servers.general}/encode", {"payloads": [plain({"case": "NO-SUCH-CASE", "role": "analyst"})]},
                   tokens["jdoe"])
    assert refusal(unknown) == "there is no case 'NO-SUCH-CASE' in the case store"


async def test_a_national_security_payload_stays_encrypted_through_the_general_server(servers, tokens, keyring):
    codec = EncryptionCodec(keyring)
    nsl = {"request_id": "CODEC-NSL-1", "request_type": "national_security_letter"}
    [sealed] = await codec.encode([from_json(plain(nsl))])
    assert key_id_of(sealed) == "natsec-v1"
    body = {"payloads": [as_json(sealed)]}
    general = post(f"{servers.general}/decode", body, tokens["tnguyen"]).json()
    assert general == body  # shown as encrypted: the general server does not hold the key
    refused = post(f"{servers.cleared}/decode", body, tokens["jdoe"])
    assert refused.status_code == 403
    cleared = post(f"{servers.cleared}/decode", body, tokens["tnguyen"]).json()
    assert json.loads(from_json(cleared["payloads"][0]).data) == nsl


def forged_token(oidc_provider) -> str:
    """A token with every claim right, signed by a key the provider never published."""
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": oidc_provider.issuer, "aud": oidc_provider.audience, "sub": "tnguyen", "iat": now,
              "exp": now + 600}
    return jwt.encode({"alg": "RS256", "kid": "forged"}, claims, RSAKey.generate_key(2048))


@pytest.mark.parametrize(("who", "status", "message"), [
    ("nobody", 401, "sign in first: a bearer token from the OIDC provider (starter.py token) or this server's /login "
                    "session is required"),
    ("forged", 401, "the token is refused: "),
    ("another issuer", 401, "the token is refused: "),
    ("garbage", 401, "the token is refused: This is not a token"),
    ("bwilson", 403, "bwilson is not active on the roster"),
])
def test_a_person_not_proven_or_not_active_is_refused(servers, cases, tokens, oidc_provider, who, status, message):
    token = {"nobody": None, "forged": forged_token(oidc_provider), "garbage": "not-a-token",
             "bwilson": tokens["bwilson"]}.get(who)
    if who == "another issuer":
        token = oidc_provider.start_another("codec-other-issuer").token_for("jdoe")
    body = {"payloads": [plain({"case": cases["subpoena"], "role": "analyst"})]}
    answer = post(f"{servers.general}/decode", body, token)
    assert answer.status_code == status and answer.json()["error"].startswith(message), answer.text
    assert refusal(post(f"{servers.general}/encode", body, token)).startswith(message)


def test_an_expired_token_is_refused(servers, short_lived_oidc):
    import time

    token = short_lived_oidc.token_for("jdoe")
    time.sleep(2 + 31)  # the token's 2 s, and the verifier's 30 s of leeway for clock skew
    answer = post(f"{servers.general}/decode", {"payloads": []}, token)
    assert answer.status_code == 401
    assert "the token is refused" in answer.json()["error"]


def test_cors_preflight_answers_the_ui_origin_only(servers):
    answer = httpx.options(f"{servers.general}/decode", headers={
        "Origin": UI, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization"})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == UI
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["access-control-allow-headers"] == "Content-Type, Authorization, X-Namespace"
    evil = httpx.options(f"{servers.general}/decode", headers={"Origin": "http://evil.test"})
    assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers


def test_a_person_signs_in_at_the_codec_server_and_the_session_cookie_stands_for_them(servers, cases):
    browser = sign_in_at_codec(servers.general_ui, "jdoe", development_password("jdoe"))
    try:
        answer = browser.post(f"{servers.general_ui}/encode",
                              json={"payloads": [plain({"case": cases["subpoena"], "role": "analyst"})]})
        assert answer.status_code == 200
        browser.get(f"{servers.general_ui}/logout")
        after = browser.post(f"{servers.general_ui}/decode", json={"payloads": []})
        assert after.status_code == 401
    finally:
        browser.close()


def test_one_browser_keeps_a_session_at_each_server(servers):
    """A browser shares cookies across ports: the general and the cleared server's sessions must not
    overwrite each other."""
    browser = sign_in_at_codec(servers.general_ui, "tnguyen", development_password("tnguyen"))
    try:
        sign_in_at_codec(servers.cleared_ui, "tnguyen", development_password("tnguyen"), browser)
        for url in (servers.general_ui, servers.cleared_ui):
            assert browser.post(f"{url}/decode", json={"payloads": []}).status_code == 200, url
    finally:
        browser.close()


def test_a_wrong_password_gets_no_session(servers):
    with pytest.raises(AssertionError, match=r"sign-in at .* failed"):
        sign_in_at_codec(servers.general_ui, "jdoe", "not-jdoes-password")


def raw_request(url: str, head: str, body: bytes = b"") -> tuple[int, str]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        answer = received.decode(errors="replace")
    status = int(answer.split(" ", 2)[1])
    return status, answer.split("\r\n\r\n", 1)[-1]


@pytest.mark.parametrize(("length_header", "status", "message"), [
    ("Content-Length: -1\r\n", 400, None),  # refused by uvicorn's HTTP parser itself, before our code
    (f"Content-Length: {MAX_BODY + 1}\r\n", 413, f"the body is larger than {MAX_BODY} bytes"),
    ("", 411, "a Content-Length is required"),
])
def test_a_body_too_large_negative_or_unsized_is_refused_before_it_is_read(servers, length_header, status, message):
    head = f"POST /decode HTTP/1.1\r\nHost: x\r\n{length_header}Content-Type: application/json\r\n"
    got, body = raw_request(servers.general, head)
    assert got == status
    assert message is None or json.loads(body) == {"error": message}


def test_memory_stays_flat_under_a_stream_of_unauthenticated_junk(servers):
    """300 MiB of junk in 30 requests of 10 MiB each, chunked so no length announces them: every one
    is refused (401, the person first) and the server's memory (this process's) does not grow with it."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def junk():
        chunk = b"x" * (1024 * 1024)
        for _ in range(10):
            yield chunk

    statuses = set()
    with httpx.Client(timeout=30) as client:
        for _ in range(30):
            try:
                statuses.add(client.post(f"{servers.general}/decode", content=junk()).status_code)
            except httpx.HTTPError:  # the server may close while the junk still streams: refused too
                statuses.add("closed")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert statuses <= {401, "closed"} and statuses, statuses
    assert grown_mib < 40, f"peak memory grew {grown_mib:.0f} MiB under 300 MiB of junk"


def test_the_general_server_never_holds_a_natsec_key_even_when_handed_one(keyring, seal_dir):
    from les.seals import load_sealing_key

    service = CodecService(keyring, None, lambda person: None, lambda case: None, load_sealing_key(seal_dir),
                           cleared=False, ui_origins=[UI])
    assert keyring.holds(Compartment.NATIONAL_SECURITY)
    assert service.keyring.key_ids == ["general-v1"]


def test_health_and_readiness(servers):
    assert httpx.get(f"{servers.general}/healthz").json() == {"status": "alive", "endpoint": "general"}
    assert httpx.get(f"{servers.cleared}/readyz").json() == {"status": "ready", "endpoint": "cleared"}


def test_the_codec_server_serves_tls_and_a_client_trusting_its_ca_reads_through_it(tmp_path, keyring, seal_dir,
                                                                                    oidc_provider, tokens):
    """The codec server over HTTPS (uvicorn with --tls-cert/--tls-key): a client trusting the CA is
    answered; one that does not is refused by its own TLS check, before any payload is sent."""
    import ipaddress
    import threading
    import time

    import uvicorn
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from console.codec_server import make_app, server_config
    from les.oidc import TokenVerifier
    from tests.conftest import free_port

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "codec test CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    from les.seals import load_sealing_key

    service = CodecService(keyring, TokenVerifier(oidc_provider.settings), lambda person: (True, {"analyst"}),
                           lambda case: None, load_sealing_key(seal_dir), cleared=False, ui_origins=[UI])
    port = free_port()
    server = uvicorn.Server(server_config(make_app(service), "127.0.0.1", port, tls_cert=str(tmp_path / "cert.pem"),
                                          tls_key=str(tmp_path / "key.pem")))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        url = f"https://127.0.0.1:{port}"
        trusting = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        answer = httpx.post(f"{url}/decode", json={"payloads": []}, verify=trusting,
                            headers={"Authorization": f"Bearer {tokens['jdoe']}"})
        assert (answer.status_code, answer.json()) == (200, {})
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.post(f"{url}/decode", json={"payloads": []})
        with pytest.raises(httpx.HTTPError):
            httpx.post(f"http://127.0.0.1:{port}/decode", json={"payloads": []})  # no plain HTTP on a TLS port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
