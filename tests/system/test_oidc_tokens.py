"""The local OIDC provider (node-oidc-provider) and `TokenVerifier`: a real provider process, real
tokens through the real sign-in flow; forgeries written by hand from RFC 7515/7519/9068.

Expected values come from the standards (OIDC Discovery 1.0, RFC 8414, RFC 8628, RFC 9068) and
from the provider's configuration as written here (audience les-orchestrator, 1-hour tokens)."""

from __future__ import annotations

import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from console.login import LoginRefused
from les.oidc import OidcSettings, ProviderUnreachable, TokenRefused, TokenVerifier
from tests.oidc_support import browser_sign_in, free_port


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts_of(token: str) -> tuple[dict, dict]:
    """Header and claims, read by hand (no library, no product code)."""
    header, claims, _signature = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(claims))


def test_discovery_document_offers_what_the_cli_and_codec_servers_use(oidc_provider):
    document = httpx.get(f"{oidc_provider.issuer}/.well-known/openid-configuration").json()
    assert document["issuer"] == oidc_provider.issuer  # OIDC Discovery 1.0 §4.3
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint",
                     "device_authorization_endpoint", "userinfo_endpoint"):
        assert document[endpoint].startswith(oidc_provider.issuer + "/"), endpoint
    assert document["code_challenge_methods_supported"] == ["S256"]  # RFC 7636: no "plain"
    assert set(document["grant_types_supported"]) >= {
        "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"}
    assert document["response_types_supported"] == ["code"]
    assert document["authorization_response_iss_parameter_supported"] is True  # RFC 9207


def test_access_token_is_an_rfc9068_jwt_for_the_orchestrator(oidc_provider):
    before = int(time.time())
    token = oidc_provider.token_for("jdoe")
    header, claims = parts_of(token)
    assert header["typ"] == "at+jwt"  # RFC 9068 §2.1
    assert header["alg"] == "RS256"
    keys = httpx.get(f"{oidc_provider.issuer}/jwks").json()["keys"]
    assert header["kid"] in [key["kid"] for key in keys]
    assert all("d" not in key for key in keys)  # only public keys are published
    assert claims["iss"] == oidc_provider.issuer
    assert claims["aud"] == "les-orchestrator"
    assert claims["sub"] == "jdoe"
    assert claims["client_id"] == "les-cli"
    assert claims["exp"] - claims["iat"] == 3600
    assert before - 5 <= claims["iat"] <= time.time() + 5
    assert isinstance(claims["jti"], str) and claims["jti"]


def test_the_verifier_accepts_the_providers_token(oidc_provider):
    identity = TokenVerifier(oidc_provider.settings).verify(oidc_provider.token_for("tnguyen"))
    assert identity.subject == "tnguyen"
    assert identity.issuer == oidc_provider.issuer
    assert (identity.expires_at - identity.issued_at).total_seconds() == 3600
    assert identity.expires_at.timestamp() > time.time() + 3500


def test_keys_file_is_owner_only_and_reused_across_restarts(oidc_provider):
    keys_file = oidc_provider.provider.setup.keys_file
    assert keys_file.stat().st_mode & 0o777 == 0o600
    other = oidc_provider.start_another("restarted")
    kids = [key["kid"] for key in httpx.get(f"{other.issuer}/jwks").json()["keys"]]
    token = other.token_for("jdoe")
    other.provider.stop()
    other.provider.start()
    assert [key["kid"] for key in httpx.get(f"{other.issuer}/jwks").json()["keys"]] == kids
    assert TokenVerifier(other.settings).verify(token).subject == "jdoe"


def forge(claims: dict, key, *, alg: str = "RS256", kid: str | None = None) -> str:
    header = {"alg": alg, "typ": "at+jwt", **({"kid": kid} if kid else {})}
    return jwt.encode(header, claims, key)


def genuine_claims(oidc_provider, subject: str = "tnguyen") -> dict:
    now = int(time.time())
    return {"iss": oidc_provider.issuer, "aud": "les-orchestrator", "sub": subject, "client_id": "les-cli",
            "iat": now, "exp": now + 600, "jti": "forged-1"}


def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(oidc_provider):
    stranger = RSAKey.generate_key(2048)
    token = forge(genuine_claims(oidc_provider), stranger, kid="not-a-published-key")
    with pytest.raises(TokenRefused, match="signed with a key the provider does not publish"):
        TokenVerifier(oidc_provider.settings).verify(token)


def test_a_token_signed_with_another_key_under_the_providers_key_id_is_refused(oidc_provider):
    kid = parts_of(oidc_provider.token_for("jdoe"))[0]["kid"]
    token = forge(genuine_claims(oidc_provider), RSAKey.generate_key(2048), kid=kid)
    with pytest.raises(TokenRefused, match="signature does not verify"):
        TokenVerifier(oidc_provider.settings).verify(token)


def test_a_genuine_token_whose_subject_was_changed_is_refused(oidc_provider):
    header, claims, signature = oidc_provider.token_for("jdoe").split(".")
    altered = json.loads(unb64url(claims)) | {"sub": "tnguyen"}
    token = ".".join([header, b64url(json.dumps(altered).encode()), signature])
    with pytest.raises(TokenRefused, match="signature does not verify"):
        TokenVerifier(oidc_provider.settings).verify(token)


def test_an_unsigned_alg_none_token_is_refused(oidc_provider):
    kid = parts_of(oidc_provider.token_for("jdoe"))[0]["kid"]
    header = b64url(json.dumps({"alg": "none", "typ": "at+jwt", "kid": kid}).encode())
    token = f"{header}.{b64url(json.dumps(genuine_claims(oidc_provider)).encode())}."  # RFC 7519 §6.1
    with pytest.raises(TokenRefused, match=r"unsigned \(alg none\)"):
        TokenVerifier(oidc_provider.settings).verify(token)


def test_a_token_signed_hs256_with_the_public_key_as_secret_is_refused(oidc_provider):
    """The classic key-confusion forgery: the published RSA key used as an HMAC secret."""
    public = httpx.get(f"{oidc_provider.issuer}/jwks").json()["keys"][0]
    secret = OctKey.import_key(json.dumps(public).encode())
    token = forge(genuine_claims(oidc_provider), secret, alg="HS256", kid=public["kid"])
    with pytest.raises(TokenRefused, match="not signed with a public-key algorithm"):
        TokenVerifier(oidc_provider.settings).verify(token)


def test_an_expired_token_is_refused_with_its_expiry(short_lived_oidc):
    token = short_lived_oidc.token_for("jdoe")
    expiry = parts_of(token)[1]["exp"]
    assert expiry - parts_of(token)[1]["iat"] == 2
    verifier = TokenVerifier(short_lived_oidc.settings, leeway=1)
    assert verifier.verify(token).subject == "jdoe"
    time.sleep(max(0.0, expiry + 2.5 - time.time()))
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))
    with pytest.raises(TokenRefused, match=f"expired at {when}; sign in again"):
        verifier.verify(token)


def test_a_token_of_another_issuer_is_refused(oidc_provider):
    """Another provider signing with the very same key: only the issuer check stops it."""
    impostor = oidc_provider.start_another("same-keys-other-issuer", keys_of=oidc_provider)
    token = impostor.token_for("tnguyen")
    with pytest.raises(TokenRefused, match=f"issued by '{impostor.issuer}', not by the configured provider "
                                           f"'{oidc_provider.issuer}'"):
        TokenVerifier(oidc_provider.settings).verify(token)


def test_a_token_of_another_provider_with_its_own_keys_is_refused(oidc_provider):
    other = oidc_provider.start_another("other-provider")
    with pytest.raises(TokenRefused, match="signed with a key the provider does not publish"):
        TokenVerifier(oidc_provider.settings).verify(other.token_for("tnguyen"))


def test_a_token_meant_for_another_audience_is_refused(oidc_provider):
    elsewhere = oidc_provider.start_another("billing-audience", keys_of=oidc_provider, audience="billing-portal")
    token = elsewhere.token_for("jdoe")
    assert parts_of(token)[1]["aud"] == "billing-portal"
    settings = OidcSettings(issuer=elsewhere.issuer, audience="les-orchestrator", client_id="les-cli")
    with pytest.raises(TokenRefused, match="meant for 'billing-portal', not for 'les-orchestrator'"):
        TokenVerifier(settings).verify(token)


@pytest.mark.parametrize("value", ["", "hello", "a.b.c", "Bearer x.y.z", "é.é.é", "x" * 20000])
def test_what_is_not_a_token_is_refused_in_words(oidc_provider, value):
    with pytest.raises(TokenRefused, match="not a token"):
        TokenVerifier(oidc_provider.settings).verify(value)


def test_an_unreachable_provider_is_said_plainly():
    settings = OidcSettings(issuer=f"http://127.0.0.1:{free_port()}", audience="les-orchestrator",
                            client_id="les-cli")
    with pytest.raises(ProviderUnreachable, match="cannot be reached for its discovery document"):
        TokenVerifier(settings).verify("a.b.c".replace("a", "eyJhbGciOiJSUzI1NiJ9"))


def test_the_verifier_is_safe_to_share_between_threads(oidc_provider):
    tokens = {user: oidc_provider.token_for(user) for user in ("jdoe", "tnguyen", "rcruz", "dokafor")}
    verifier = TokenVerifier(oidc_provider.settings)
    start = threading.Barrier(8)

    def check(user: str) -> str:
        start.wait()
        return verifier.verify(tokens[user]).subject

    users = ["jdoe", "tnguyen", "rcruz", "dokafor"] * 2
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(check, users)) == users


def test_settings_come_from_the_environment():
    settings = OidcSettings.from_env({"LES_OIDC_ISSUER": "https://sso.carrier.example/realms/les/",
                                      "LES_OIDC_AUDIENCE": "les-api", "LES_OIDC_CLIENT_ID": "les-cli-prod"})
    assert (settings.issuer, settings.audience, settings.client_id) == (
        "https://sso.carrier.example/realms/les", "les-api", "les-cli-prod")
    assert not settings.is_local
    defaults = OidcSettings.from_env({})
    assert (defaults.issuer, defaults.audience, defaults.client_id) == (
        "http://127.0.0.1:8236", "les-orchestrator", "les-cli")
    assert defaults.is_local


def test_a_plain_http_issuer_elsewhere_is_refused():
    from les.oidc import OidcConfigurationError

    with pytest.raises(OidcConfigurationError, match="must use https"):
        OidcSettings.from_env({"LES_OIDC_ISSUER": "http://sso.carrier.example"})


def codec_callback(oidc_provider) -> str:
    """The session's general codec server's /callback, as its provider registers it (tests/oidc_support.py)."""
    return f"http://127.0.0.1:{oidc_provider.codec_ports[0]}/callback"


def codec_client(oidc_provider, secret: str | None = None):
    from console.login import OidcClient
    from console.oidc_provider import codec_client_secret

    settings = OidcSettings(issuer=oidc_provider.issuer, audience="les-orchestrator", client_id="les-codec",
                            scope="openid profile les")
    return OidcClient(settings, client_id="les-codec",
                      client_secret=secret or codec_client_secret(oidc_provider.state_dir))


def test_the_codec_servers_client_signs_a_person_in_through_the_browser(oidc_provider):
    """What a codec server's /login and /callback do: the confidential les-codec client, PKCE, the
    person at the provider's own form; the access token is for the orchestrator like the CLI's."""
    client = codec_client(oidc_provider)
    url, pending = client.begin_authorization(codec_callback(oidc_provider))
    assert url.startswith(f"{oidc_provider.issuer}/auth?")
    assert "code_challenge_method=S256" in url and "client_id=les-codec" in url
    callback = browser_sign_in(url, "rcruz", codec_callback(oidc_provider))
    tokens = client.finish_authorization(pending, callback)
    assert tokens.subject == "rcruz" and tokens.client_id == "les-codec"
    claims = parts_of(tokens.access_token)[1]
    assert (claims["aud"], claims["client_id"], claims["sub"]) == ("les-orchestrator", "les-codec", "rcruz")
    assert tokens.refresh_token is None  # the codec servers keep no refresh token
    assert TokenVerifier(oidc_provider.settings).verify(tokens.access_token).subject == "rcruz"
    with pytest.raises(LoginRefused, match="invalid_grant"):  # a code redeems once (RFC 6749 §4.1.2)
        client.finish_authorization(pending, callback)


def test_the_codec_client_with_a_wrong_secret_is_refused(oidc_provider):
    client = codec_client(oidc_provider, secret="not-the-secret")
    url, pending = client.begin_authorization(codec_callback(oidc_provider))
    callback = browser_sign_in(url, "jdoe", codec_callback(oidc_provider))
    with pytest.raises(LoginRefused, match="invalid_client"):
        client.finish_authorization(pending, callback)


def test_an_answer_for_another_sign_in_is_refused(oidc_provider):
    client = codec_client(oidc_provider)
    url, _mine = client.begin_authorization(codec_callback(oidc_provider))
    _url, other = client.begin_authorization(codec_callback(oidc_provider))
    callback = browser_sign_in(url, "jdoe", codec_callback(oidc_provider))
    with pytest.raises(LoginRefused, match="does not carry this sign-in's state"):
        client.finish_authorization(other, callback)


def test_an_unregistered_redirect_uri_is_refused_by_the_provider(oidc_provider):
    client = codec_client(oidc_provider)
    url, _pending = client.begin_authorization("http://attacker.example/callback")
    page = httpx.get(url)
    assert page.status_code == 400
    assert "invalid_redirect_uri: redirect_uri did not match any of the client&#39;s registered" in page.text


def test_a_real_id_token_is_not_accepted_as_an_access_token(oidc_provider):
    """Same signing key, same issuer; its audience is the client, not the orchestrator."""
    from console.login import CLI_REDIRECT_URI, OidcClient

    client = OidcClient(oidc_provider.settings)
    url, pending = client.begin_authorization(CLI_REDIRECT_URI)
    callback = browser_sign_in(url, "jdoe", CLI_REDIRECT_URI)
    code = dict(part.split("=", 1) for part in callback.split("?", 1)[1].split("&"))["code"]
    answer = httpx.post(client.provider.endpoint("token_endpoint"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CLI_REDIRECT_URI, "client_id": "les-cli",
        "code_verifier": pending.code_verifier}).json()
    assert parts_of(answer["id_token"])[1]["aud"] == "les-cli"
    with pytest.raises(TokenRefused, match="meant for 'les-cli', not for 'les-orchestrator'"):
        TokenVerifier(oidc_provider.settings).verify(answer["id_token"])


def test_a_rotated_signing_key_is_fetched_once_when_a_token_names_it(oidc_provider):
    """The provider starts signing with a new key: a verifier that cached the old key set fetches
    the keys again for the unknown key id, and both old and new tokens verify."""
    from les.oidc import Provider

    rotating = oidc_provider.start_another("rotating")
    old_token = rotating.token_for("jdoe")
    fetches: list[str] = []
    provider = Provider(rotating.settings, keys_refresh_interval=0)
    fetch = provider._get_json
    provider._get_json = lambda url, what: fetches.append(what) or fetch(url, what)
    verifier = TokenVerifier(rotating.settings, provider=provider)
    assert verifier.verify(old_token).subject == "jdoe"
    assert fetches == ["discovery document", "signing keys"]

    keys_file = rotating.provider.setup.keys_file
    keys = json.loads(keys_file.read_text())
    new_key = RSAKey.generate_key(2048, parameters={"kid": "rotated-2026", "alg": "RS256", "use": "sig"},
                                  private=True)
    keys["jwks"]["keys"].insert(0, new_key.as_dict(private=True))
    keys_file.write_text(json.dumps(keys))
    rotating.provider.stop()
    rotating.provider.start()
    new_token = rotating.token_for("tnguyen")
    assert parts_of(new_token)[0]["kid"] == "rotated-2026"

    assert verifier.verify(new_token).subject == "tnguyen"
    assert fetches == ["discovery document", "signing keys", "signing keys"]
    assert verifier.verify(old_token).subject == "jdoe"  # the old key is still published
    assert fetches == ["discovery document", "signing keys", "signing keys"]


def test_the_sign_in_page_shows_what_was_typed_escaped(oidc_provider):
    from console.login import CLI_REDIRECT_URI, OidcClient

    url, _pending = OidcClient(oidc_provider.settings).begin_authorization(CLI_REDIRECT_URI)
    with httpx.Client(follow_redirects=True) as browser:
        page = browser.get(url)
        assert page.status_code == 200 and 'type="password"' in page.text
        action = page.text.split('action="')[1].split('"')[0]
        again = browser.post(f"{oidc_provider.issuer}{action}",
                             data={"username": '"><script>alert(1)</script>', "password": "x"})
    assert again.status_code == 401
    assert "Wrong user name or password." in again.text
    assert "<script>alert(1)</script>" not in again.text
    assert "&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;" in again.text
