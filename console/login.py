"""A person's sign-in on this machine: the OAuth 2.0 / OIDC client side of the command line.

- `sign_in_with_password`: for the stack's own provider, the command line is the user agent of
  an authorization code flow with PKCE (RFC 7636): it opens the authorization endpoint, submits
  the provider's own sign-in form, takes the code from the loopback redirect and redeems it.
- `sign_in_with_device`: any provider (the carrier's in production) through the device
  authorization grant (RFC 8628): the person opens a URL, types a code, and signs in there.
- `SessionStore`: the token set in <state>/session/token.json (folder 0700, file 0600, never
  written through a link or into a file planted there); `current_token()` hands out a fresh
  access token, refreshed with the refresh token when it has expired.

The tokens are bearer secrets: none is ever logged or printed except by `starter.py token`."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import httpx
from joserfc import errors as jose_errors
from joserfc import jwt

from les.oidc import SIGNING_ALGORITHMS, Identity, OidcSettings, Provider, ProviderUnreachable, TokenVerifier
from les.private_files import (
    check_private_file,
    private_dir,
    read_private_file,
    remove_private_file,
    replace_private_file,
)

CLI_REDIRECT_URI = "http://127.0.0.1/callback"
"""The loopback redirect registered for the command line (RFC 8252 §7.3)."""
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_MARGIN = 30
"""An access token this close (seconds) to its expiry is refreshed before it is handed out."""
HTTP_TIMEOUT = 15.0
MAX_REDIRECTS = 10


class LoginRefused(Exception):
    """The provider said no (wrong password, denied, expired code) or the token is not the person's."""


class NotSignedIn(Exception):
    """No usable session on this machine; the message says how to sign in."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenSet:
    """What a sign-in leaves on this machine (token.json)."""

    issuer: str
    audience: str
    client_id: str
    subject: str
    access_token: str
    expires_at: int
    """Epoch seconds: when the access token expires."""
    refresh_token: str | None = None
    scope: str = ""
    obtained_at: int = 0
    """Epoch seconds: when the provider issued this access token."""

    def due_for_renewal(self, now: float) -> bool:
        """Within REFRESH_MARGIN of expiry (or half its life, for short-lived tokens)."""
        margin = min(REFRESH_MARGIN, (self.expires_at - self.obtained_at) / 2)
        return self.expires_at - now <= margin

    @classmethod
    def from_response(cls, settings: OidcSettings, subject: str, answer: dict[str, Any],
                      previous: TokenSet | None = None, client_id: str | None = None) -> TokenSet:
        expires_in = answer.get("expires_in")
        now = int(time.time())
        return cls(issuer=settings.issuer, audience=settings.audience, client_id=client_id or settings.client_id,
                   subject=subject,
                   access_token=answer["access_token"],
                   expires_at=now + (int(expires_in) if isinstance(expires_in, int | float) else 300),
                   refresh_token=answer.get("refresh_token") or (previous.refresh_token if previous else None),
                   scope=str(answer.get("scope", "")), obtained_at=now)


class SessionStore:
    """<state>/session/token.json and the lock that keeps two refreshes from racing."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = Path(state_dir) / "session"
        self.file = self.folder / "token.json"

    def load(self) -> TokenSet | None:
        if not self.folder.exists() and not self.folder.is_symlink():
            return None
        private_dir(self.folder)
        data = read_private_file(self.file)
        if data is None:
            return None
        try:
            return TokenSet(**json.loads(data))
        except (ValueError, TypeError) as err:
            raise NotSignedIn(f"{self.file} is not a session this command wrote ({type(err).__name__}); run "
                              "`starter.py login USER` again") from None

    def check(self) -> None:
        """PrivateFileRefused unless the folder and file are as this class would have made them
        (or absent); their contents are not read."""
        if self.folder.exists() or self.folder.is_symlink():
            private_dir(self.folder)
            check_private_file(self.file)

    def save(self, tokens: TokenSet) -> Path:
        private_dir(self.folder)
        return replace_private_file(self.file, json.dumps(asdict(tokens), indent=2).encode())

    def delete(self) -> bool:
        if not self.folder.exists():
            return False
        private_dir(self.folder)
        return remove_private_file(self.file)

    @contextlib.contextmanager
    def locked(self):
        """Held while a refresh runs: refresh tokens rotate, and a second use of the old one would
        make the provider revoke the whole grant."""
        private_dir(self.folder)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization request on its way: what its answer must match. Secret (the PKCE verifier)."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


class _FormReader(HTMLParser):
    """The first form of a page that asks for a password: its action and its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": named.get("action", ""), "method": named.get("method", "get").lower(),
                               "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(named)


def _password_form(html: str) -> dict[str, Any] | None:
    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        if any(field.get("type", "").lower() == "password" for field in form["inputs"]):
            return form
    return None


def _fill(form: dict[str, Any], user: str, password: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    user_done = False
    for field in form["inputs"]:
        name, kind = field.get("name"), field.get("type", "text").lower()
        if not name:
            continue
        if kind == "password":
            fields[name] = password
        elif kind in ("text", "email") and not user_done:
            fields[name], user_done = user, True
        elif kind == "hidden":
            fields[name] = field.get("value", "")
    return fields


def _is_callback(url: str) -> bool:
    """The loopback redirect, whatever port (RFC 8252 §7.3)."""
    parts, wanted = urlsplit(url), urlsplit(CLI_REDIRECT_URI)
    return (parts.scheme, parts.hostname, parts.path) == (wanted.scheme, wanted.hostname, wanted.path)


class OidcClient:
    """A client at one provider: sign-in, refresh, revocation.

    By default the command line's public client (`settings.client_id`, no secret). The codec
    servers' browser sign-in uses the same class as a confidential client (`client_id`,
    `client_secret`; HTTP Basic at the token endpoint, RFC 6749 §2.3.1) with
    `begin_authorization` on `/login` and `finish_authorization` on `/callback`."""

    def __init__(self, settings: OidcSettings, provider: Provider | None = None, *, timeout: float = HTTP_TIMEOUT,
                 client_id: str | None = None, client_secret: str | None = None):
        self.settings = settings
        self.provider = provider or Provider(settings)
        self.verifier = TokenVerifier(settings, provider=self.provider)
        self.timeout = timeout
        self.client_id = client_id or settings.client_id
        self._auth = (quote(self.client_id, safe=""), quote(client_secret, safe="")) if client_secret else None

    def _unreachable(self, err: Exception) -> ProviderUnreachable:
        return ProviderUnreachable(f"the OIDC provider {self.settings.issuer} cannot be reached "
                                   f"({type(err).__name__}); is it running?")

    def _token_request(self, data: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            response = httpx.post(self.provider.endpoint("token_endpoint"), data=data, auth=self._auth,
                                  timeout=self.timeout)
        except httpx.HTTPError as err:
            raise self._unreachable(err) from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        return response.status_code, answer

    def _redeem(self, data: dict[str, str]) -> dict[str, Any]:
        status, answer = self._token_request(data)
        if status != 200 or not isinstance(answer.get("access_token"), str):
            raise LoginRefused(f"the provider refused the token request: {_oauth_error(answer, status)}")
        return answer

    def _identity(self, answer: dict[str, Any], expected_user: str | None) -> Identity:
        identity = self.verifier.verify(answer["access_token"])
        if expected_user is not None and identity.subject != expected_user:
            raise LoginRefused(f"the provider signed in {identity.subject!r}, not {expected_user!r}; nothing was kept")
        return identity

    def check_id_token(self, id_token: str | None, nonce: str) -> None:
        """OIDC Core §3.1.3.7: the ID token is signed by the provider, for this client, with our nonce."""
        if not id_token:
            raise LoginRefused("the provider returned no ID token")
        try:
            decoded = jwt.decode(id_token, self.provider.keys(), algorithms=list(SIGNING_ALGORITHMS))
            jwt.JWTClaimsRegistry(leeway=30, iss={"essential": True, "value": self.settings.issuer},
                                  aud={"essential": True, "value": self.client_id},
                                  nonce={"essential": True, "value": nonce},
                                  exp={"essential": True}).validate(decoded.claims)
        except (jose_errors.JoseError, ValueError) as err:
            raise LoginRefused(f"the provider's ID token does not check out ({type(err).__name__})") from None

    def begin_authorization(self, redirect_uri: str, *, prompt: str | None = None) -> tuple[str, PendingAuthorization]:
        """The URL that starts an authorization code flow with PKCE (S256) for `redirect_uri`, and
        what `finish_authorization` needs to check the answer (keep it server-side, keyed by state)."""
        pending = PendingAuthorization(state=secrets.token_urlsafe(16), nonce=secrets.token_urlsafe(16),
                                       code_verifier=secrets.token_urlsafe(64), redirect_uri=redirect_uri)
        params = {
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": self.settings.scope, "state": pending.state, "nonce": pending.nonce,
            "code_challenge": _b64url(hashlib.sha256(pending.code_verifier.encode()).digest()),
            "code_challenge_method": "S256", **({"prompt": prompt} if prompt else {}),
        }
        authorize = httpx.URL(self.provider.endpoint("authorization_endpoint"))
        return str(authorize.copy_merge_params(params)), pending

    def finish_authorization(self, pending: PendingAuthorization, callback: str,
                             expected_user: str | None = None) -> TokenSet:
        """Check the provider's answer at the redirect URI (state, RFC 9207 issuer, error), redeem
        the code, check the ID token, verify the access token; LoginRefused otherwise."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
        if query.get("state") != pending.state:
            raise LoginRefused("the provider's answer does not carry this sign-in's state; nothing was kept")
        if "iss" in query and query["iss"] != self.settings.issuer:  # RFC 9207: mix-up defence
            raise LoginRefused(f"the answer came from {query['iss']!r}, not {self.settings.issuer!r}")
        if "error" in query:
            raise LoginRefused(f"the provider refused: {_oauth_error(query)}")
        answer = self._redeem({"grant_type": "authorization_code", "code": query.get("code", ""),
                               "redirect_uri": pending.redirect_uri, "client_id": self.client_id,
                               "code_verifier": pending.code_verifier})
        self.check_id_token(answer.get("id_token"), pending.nonce)
        identity = self._identity(answer, expected_user)
        return TokenSet.from_response(self.settings, identity.subject, answer, client_id=self.client_id)

    def sign_in_with_password(self, user: str, password: str) -> TokenSet:
        """Authorization code + PKCE, the command line submitting the provider's own sign-in form."""
        url, pending = self.begin_authorization(CLI_REDIRECT_URI, prompt="login consent")
        origin = urlsplit(url)[:2]
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as browser:
                page, callback = self._follow(browser, browser.get(url), origin)
                if callback is None:
                    form = _password_form(page.text)
                    if form is None or form["method"] != "post":
                        raise LoginRefused(f"the provider showed no sign-in form (HTTP {page.status_code} at "
                                           f"{page.url.copy_with(query=None)})")
                    target = urljoin(str(page.url), form["action"])
                    if urlsplit(target)[:2] != origin:
                        raise LoginRefused(f"the provider's sign-in form posts to another site ({target}); not sent")
                    answer = browser.post(target, data=_fill(form, user, password))
                    if answer.status_code in (400, 401, 403) or (answer.status_code == 200
                                                                and _password_form(answer.text)):
                        raise LoginRefused(f"wrong user name or password for {user!r} at {self.settings.issuer}")
                    page, callback = self._follow(browser, answer, origin)
                if callback is None:
                    raise LoginRefused(f"the provider did not come back to the command line (HTTP {page.status_code})")
        except httpx.HTTPError as err:
            raise self._unreachable(err) from None
        return self.finish_authorization(pending, callback, expected_user=user)

    def _follow(self, browser: httpx.Client, response: httpx.Response,
                origin: tuple[str, str]) -> tuple[httpx.Response, str | None]:
        """Follow the provider's redirects: (the page it stops on, None) or (it, the callback URL)."""
        for _ in range(MAX_REDIRECTS):
            if not response.is_redirect:
                return response, None
            target = urljoin(str(response.url), response.headers["location"])
            if _is_callback(target):
                return response, target
            if urlsplit(target)[:2] != origin:
                raise LoginRefused(f"the provider redirected to another site ({urlsplit(target).netloc}); stopped")
            response = browser.get(target)
        raise LoginRefused(f"the provider redirected more than {MAX_REDIRECTS} times")

    def sign_in_with_device(self, user: str | None, say: Callable[[str], None],
                            sleep: Callable[[float], None] = time.sleep) -> TokenSet:
        """RFC 8628: show the person where to go and which code to type, then poll until they did."""
        try:
            response = httpx.post(self.provider.endpoint("device_authorization_endpoint"),
                                  data={"client_id": self.client_id, "scope": self.settings.scope},
                                  timeout=self.timeout)
        except httpx.HTTPError as err:
            raise self._unreachable(err) from None
        grant = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or "device_code" not in grant:
            raise LoginRefused(f"the provider refused the device sign-in: {_oauth_error(grant, response.status_code)}")
        lifetime = int(grant.get("expires_in", 600))
        where = grant.get("verification_uri_complete") or grant["verification_uri"]
        say(f"To sign in, open {where}\nand confirm the code {grant['user_code']} (valid {lifetime // 60} minutes).")
        interval = int(grant.get("interval", 5))
        deadline = time.monotonic() + lifetime
        while time.monotonic() < deadline:
            sleep(interval)
            status, answer = self._token_request({"grant_type": DEVICE_GRANT, "device_code": grant["device_code"],
                                                  "client_id": self.client_id})
            error = answer.get("error")
            if status == 200 and isinstance(answer.get("access_token"), str):
                identity = self._identity(answer, user)
                return TokenSet.from_response(self.settings, identity.subject, answer, client_id=self.client_id)
            if error == "authorization_pending":
                continue
            if error == "slow_down":  # RFC 8628 §3.5: add five seconds
                interval += 5
                continue
            if error == "access_denied":
                raise LoginRefused("the sign-in was denied at the provider")
            if error == "expired_token":
                break
            raise LoginRefused(f"the provider refused the device sign-in: {_oauth_error(answer, status)}")
        raise LoginRefused("the device code expired before anyone confirmed it; run the command again")

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise NotSignedIn(f"the sign-in of {tokens.subject} has expired; run `starter.py login {tokens.subject}`")
        status, answer = self._token_request({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
                                              "client_id": tokens.client_id})
        if status != 200 or not isinstance(answer.get("access_token"), str):
            raise NotSignedIn(f"the sign-in of {tokens.subject} has ended ({_oauth_error(answer, status)}); run "
                              f"`starter.py login {tokens.subject}`")
        identity = self._identity(answer, tokens.subject)
        return TokenSet.from_response(self.settings, identity.subject, answer, previous=tokens,
                                      client_id=tokens.client_id)

    def revoke(self, tokens: TokenSet) -> None:
        """RFC 7009: the refresh token (which ends the grant) and the access token."""
        endpoint = self.provider.endpoint("revocation_endpoint")
        pairs = [(tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")]
        for token, hint in pairs:
            if not token:
                continue
            try:
                httpx.post(endpoint, data={"token": token, "token_type_hint": hint, "client_id": tokens.client_id},
                           timeout=self.timeout)
            except httpx.HTTPError as err:
                raise self._unreachable(err) from None


def _oauth_error(answer: dict[str, Any], status: int | None = None) -> str:
    error = answer.get("error") or (f"HTTP {status}" if status else "no answer")
    description = answer.get("error_description")
    return f"{error} ({description})" if description else str(error)


def state_dir_from_env() -> Path:
    from les.config import Settings

    return Settings.from_env().state_dir


def current_session(state_dir: Path | None = None, settings: OidcSettings | None = None,
                    client: OidcClient | None = None) -> TokenSet:
    """The signed-in person's token set, refreshed if its access token has (nearly) expired."""
    settings = settings or OidcSettings.from_env()
    store = SessionStore(state_dir or state_dir_from_env())
    how = "run `starter.py login USER`"
    tokens = store.load()
    if tokens is None:
        raise NotSignedIn(f"no one is signed in on this machine; {how}")
    if (tokens.issuer, tokens.audience) != (settings.issuer, settings.audience):
        raise NotSignedIn(f"the session on this machine is for {tokens.issuer} ({tokens.audience}), not for "
                          f"{settings.issuer} ({settings.audience}); {how}")
    if not tokens.due_for_renewal(time.time()):
        return tokens
    with store.locked():
        tokens = store.load()  # another process may have refreshed meanwhile
        if tokens is None:
            raise NotSignedIn(f"no one is signed in on this machine; {how}")
        if not tokens.due_for_renewal(time.time()):
            return tokens
        tokens = (client or OidcClient(settings)).refresh(tokens)
        store.save(tokens)
        return tokens


def current_token(state_dir: Path | None = None, settings: OidcSettings | None = None) -> str:
    """The signed-in person's access token (refreshed when due), for the codec servers and other
    clients; NotSignedIn when there is none."""
    return current_session(state_dir, settings).access_token
