"""Who a token says a person is, believed only when the OpenID Connect provider signed it.

`TokenVerifier.verify(token)` checks, with joserfc (a maintained JOSE library; nothing here
parses or verifies JOSE by hand), the signature against the provider's published keys (JWKS,
found through OIDC discovery), the issuer, the audience and the expiry, and returns an
`Identity`, or raises `TokenRefused` whose reason is one plain sentence. Roles and clearance are
not in the token: they come from the roster, looked up by `Identity.subject` (console/roster.py).

The configuration is the environment: LES_OIDC_ISSUER (default the local provider,
http://127.0.0.1:8236), LES_OIDC_AUDIENCE (default les-orchestrator), LES_OIDC_CLIENT_ID (the
command line's public client, default les-cli), LES_OIDC_SCOPE (what the command line asks for).
No token is ever logged or put in an error message."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import KeySet

DEFAULT_ISSUER = "http://127.0.0.1:8236"
DEFAULT_AUDIENCE = "les-orchestrator"
DEFAULT_CLIENT_ID = "les-cli"
DEFAULT_SCOPE = "openid profile offline_access les"
"""`les` is the local provider's scope for the orchestrator's API; a production provider names
its own (LES_OIDC_SCOPE)."""
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
"""Public-key algorithms only: `none` and the shared-secret HS* are never accepted."""
LEEWAY_SECONDS = 30
"""Clock skew tolerated between the provider and this machine."""
KEYS_REFRESH_INTERVAL = 10.0
"""At most one JWKS refetch for unknown key ids per this many seconds, so forged tokens with
made-up key ids cannot make us hammer the provider."""
DISCOVERY_MAX_AGE = 3600.0
HTTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    """The provider's issuer URL, exactly as its tokens' `iss` says it."""
    audience: str
    """The `aud` every access token for the orchestrator carries."""
    client_id: str
    """The command line's public client at the provider."""
    scope: str = DEFAULT_SCOPE
    """What the command line asks for when a person signs in."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> OidcSettings:
        env = os.environ if environ is None else environ
        issuer = env.get("LES_OIDC_ISSUER") or DEFAULT_ISSUER
        parts = urlsplit(issuer)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise OidcConfigurationError(f"LES_OIDC_ISSUER {issuer!r} is not an http(s) URL")
        if parts.scheme == "http" and not is_local_issuer(issuer):
            raise OidcConfigurationError(f"LES_OIDC_ISSUER {issuer!r} must use https (plain http only on this machine)")
        return cls(issuer=issuer.rstrip("/"), audience=env.get("LES_OIDC_AUDIENCE") or DEFAULT_AUDIENCE,
                   client_id=env.get("LES_OIDC_CLIENT_ID") or DEFAULT_CLIENT_ID,
                   scope=env.get("LES_OIDC_SCOPE") or DEFAULT_SCOPE)

    @property
    def is_local(self) -> bool:
        return is_local_issuer(self.issuer)


def is_local_issuer(issuer: str) -> bool:
    """A provider on this machine (the stack's own): the command line may submit its login form."""
    return urlsplit(issuer).hostname in ("127.0.0.1", "localhost", "::1")


class OidcConfigurationError(ValueError):
    """The OIDC settings in the environment are not usable."""


class ProviderUnreachable(Exception):
    """The provider's discovery document or keys could not be fetched; nothing was decided."""


class TokenRefused(Exception):
    """A token that proves nothing: `reason` says why, in one sentence (never the token itself)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """A person as a verified token names them."""

    subject: str
    """The token's `sub`: the person's id on the roster."""
    issuer: str
    issued_at: datetime | None
    expires_at: datetime


def _when(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if isinstance(seconds, int | float) else None


def _text(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "an unknown time"


class Provider:
    """The provider's discovery document and keys, fetched on first use and cached (thread-safe)."""

    def __init__(self, settings: OidcSettings, *, timeout: float = HTTP_TIMEOUT,
                 keys_refresh_interval: float = KEYS_REFRESH_INTERVAL) -> None:
        self.settings = settings
        self._timeout = timeout
        self._keys_refresh_interval = keys_refresh_interval
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._discovered_at = 0.0
        self._keys: KeySet | None = None
        self._keys_fetched_at = 0.0

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self._timeout, follow_redirects=False)
        except httpx.HTTPError as err:
            raise ProviderUnreachable(f"the OIDC provider {self.settings.issuer} cannot be reached for its {what} "
                                      f"({type(err).__name__}); is it running?") from None
        if response.status_code != 200:
            raise ProviderUnreachable(f"the OIDC provider {self.settings.issuer} answered {response.status_code} "
                                      f"for its {what} at {url}")
        try:
            document = response.json()
        except ValueError:
            raise ProviderUnreachable(f"the OIDC provider's {what} at {url} is not JSON") from None
        if not isinstance(document, dict):
            raise ProviderUnreachable(f"the OIDC provider's {what} at {url} is not a JSON object")
        return document

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None or time.monotonic() - self._discovered_at > DISCOVERY_MAX_AGE:
                url = f"{self.settings.issuer}/.well-known/openid-configuration"
                document = self._get_json(url, "discovery document")
                if document.get("issuer") != self.settings.issuer:  # OIDC Discovery 1.0 §4.3
                    raise ProviderUnreachable(f"the discovery document at {url} names the issuer "
                                              f"{document.get('issuer')!r}, not {self.settings.issuer!r}")
                self._discovery, self._discovered_at = document, time.monotonic()
            return self._discovery

    def endpoint(self, name: str) -> str:
        url = self.discovery().get(name)
        if not isinstance(url, str) or not url:
            raise ProviderUnreachable(f"the OIDC provider {self.settings.issuer} offers no {name}")
        return url

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's public keys; `refresh` refetches them, at most once per few seconds."""
        jwks_uri = self.endpoint("jwks_uri")
        with self._lock:
            stale = refresh and time.monotonic() - self._keys_fetched_at > self._keys_refresh_interval
            if self._keys is None or stale:
                document = self._get_json(jwks_uri, "signing keys")
                try:
                    self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
                except (jose_errors.JoseError, ValueError, TypeError, KeyError) as err:
                    raise ProviderUnreachable(f"the OIDC provider's keys at {jwks_uri} are unusable: {err}") from None
                self._keys_fetched_at = time.monotonic()
            return self._keys


class TokenVerifier:
    """Verifies access tokens of the configured provider for the configured audience."""

    def __init__(self, settings: OidcSettings | None = None, *, provider: Provider | None = None,
                 leeway: int = LEEWAY_SECONDS) -> None:
        self.settings = settings or OidcSettings.from_env()
        self.provider = provider or Provider(self.settings)
        self.leeway = leeway

    def verify(self, token: str) -> Identity:
        """The identity the token proves; TokenRefused (a sentence) otherwise, ProviderUnreachable
        when the provider's keys cannot be fetched."""
        if not isinstance(token, str) or token.count(".") != 2 or len(token) > 16384:
            raise TokenRefused("This is not a token: an access token is a signed JWT (three dot-separated parts).")
        decoded = self._decode(token)
        return self._check_claims(decoded.claims)

    def _decode(self, token: str) -> jwt.Token:
        try:
            return self._decode_with(token, self.provider.keys())
        except jose_errors.InvalidKeyIdError:
            pass  # the provider may have rotated its keys: fetch them again, once
        try:
            return self._decode_with(token, self.provider.keys(refresh=True))
        except jose_errors.InvalidKeyIdError:
            raise TokenRefused("The token is signed with a key the provider does not publish: it is forged, or "
                               "from another provider.") from None

    def _decode_with(self, token: str, keys: KeySet) -> jwt.Token:
        try:
            return jwt.decode(token, keys, algorithms=list(SIGNING_ALGORITHMS))
        except jose_errors.InvalidKeyIdError:
            raise
        except jose_errors.BadSignatureError:
            raise TokenRefused("The token's signature does not verify against the provider's keys: it is forged "
                               "or was altered.") from None
        except (jose_errors.UnsupportedAlgorithmError, jose_errors.MissingAlgorithmError):
            raise TokenRefused("The token is not signed with a public-key algorithm "
                               f"({', '.join(SIGNING_ALGORITHMS)}); unsigned (alg none) and shared-secret tokens "
                               "are refused.") from None
        except (jose_errors.JoseError, ValueError, TypeError, KeyError):
            raise TokenRefused("This is not a token: it does not decode as a signed JWT.") from None

    def _check_claims(self, claims: dict[str, Any]) -> Identity:
        wanted = self.settings
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": wanted.issuer},
            aud={"essential": True, "value": wanted.audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except jose_errors.ExpiredTokenError:
            raise TokenRefused(f"The token expired at {_text(_when(claims.get('exp')))}; sign in again "
                               "(`starter.py login USER`).") from None
        except jose_errors.ClaimError as err:
            raise TokenRefused(self._claim_reason(err.claim, claims)) from None
        issued = _when(claims.get("iat"))
        return Identity(subject=claims["sub"], issuer=claims["iss"], issued_at=issued,
                        expires_at=_when(claims["exp"]))  # type: ignore[arg-type]

    def _claim_reason(self, claim: str, claims: dict[str, Any]) -> str:
        wanted = self.settings
        if claim == "iss":
            return f"The token was issued by {claims.get('iss')!r}, not by the configured provider {wanted.issuer!r}."
        if claim == "aud":
            return f"The token is meant for {claims.get('aud')!r}, not for {wanted.audience!r}."
        if claim == "sub":
            return "The token names no person (no `sub`)."
        if claim == "exp":
            return "The token has no valid expiry (`exp`)."
        if claim in ("nbf", "iat"):
            return f"The token is not valid yet (`{claim}` is in the future): check this machine's clock."
        return f"The token's `{claim}` claim is not valid."
