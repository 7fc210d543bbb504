"""The real OIDC provider under test (oidc/provider.mjs on node): a session fixture with the demo
roster, tokens through the real sign-in flow, and further providers (another issuer, short-lived
tokens) for the refusals.

Skipped only when node is missing outside CI; .ci/run installs node and sets LES_REQUIRE_NODE=1,
which turns a missing node into a failure."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from console.login import OidcClient, TokenSet
from console.oidc_provider import LocalProvider, development_password, start_local_provider
from les.oidc import OidcSettings


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("LES_REQUIRE_NODE"):
            pytest.fail("LES_REQUIRE_NODE is set but node or npm is missing")
        pytest.skip("node and npm are needed for the OIDC provider (oidc/provider.mjs)")


@dataclass
class OidcUnderTest:
    """One running provider, and the ones started beside it (stopped with it)."""

    provider: LocalProvider
    state_dir: Path
    others: list[LocalProvider] = field(default_factory=list)
    codec_ports: tuple[int, int] = (0, 0)
    """Where the session's codec servers listen: the provider lets their `/login` return there."""

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    @property
    def audience(self) -> str:
        return self.provider.audience

    @property
    def settings(self) -> OidcSettings:
        return OidcSettings(issuer=self.issuer, audience=self.audience, client_id="les-cli")

    @property
    def env(self) -> dict[str, str]:
        """What points the product (starter.py, the codec servers) at this provider."""
        return {"LES_OIDC_ISSUER": self.issuer, "LES_OIDC_AUDIENCE": self.audience}

    def sign_in(self, user: str, password: str | None = None) -> TokenSet:
        """The real authorization code + PKCE flow through the provider's sign-in form."""
        return OidcClient(self.settings).sign_in_with_password(user, password or development_password(user))

    def token_for(self, user: str) -> str:
        """A fresh access token of `user` (development password)."""
        return self.sign_in(user).access_token

    def start_another(self, name: str, **options) -> OidcUnderTest:
        """Another provider of the demo roster on a free port (its own issuer; its own keys unless
        `keys_of` names a provider whose keys it signs with); stopped with this one."""
        keys_of = options.pop("keys_of", None)
        other = start_local_provider(self.state_dir, port=free_port(), name=name,
                                     keys_file=keys_of.provider.setup.keys_file if keys_of else None, **options)
        self.others.append(other)
        return OidcUnderTest(other, self.state_dir)

    def stop(self) -> None:
        for other in self.others:
            other.stop()
        self.provider.stop()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> OidcUnderTest:
    """The provider of this test session: demo roster, audience les-orchestrator, 1-hour tokens."""
    require_node()
    state = tmp_path_factory.mktemp("oidc-state")
    codec_ports = (free_port(), free_port())  # the session's codec servers (tests/codec_support.py)
    under_test = OidcUnderTest(start_local_provider(state, port=free_port(), codec_ports=codec_ports), state,
                               codec_ports=codec_ports)
    yield under_test
    under_test.stop()


@pytest.fixture(scope="session")
def short_lived_oidc(oidc_provider) -> OidcUnderTest:
    """A second provider whose access tokens live 2 seconds (expiry and refresh)."""
    return oidc_provider.start_another("short-lived", access_token_ttl=2)


def approve_device_code(page_url: str, user: str, password: str | None = None) -> httpx.Response:
    """Be the person at the browser for the device flow: open the verification URL, confirm the
    code, sign in on the provider's form. Written from the pages' HTML, not with the product's code."""
    with httpx.Client(follow_redirects=True, timeout=15) as browser:
        return submit_provider_forms(browser, browser.get(page_url), user, password)


def submit_provider_forms(browser: httpx.Client, page: httpx.Response, user: str,
                          password: str | None = None) -> httpx.Response:
    """Fill and submit the provider's forms (confirm, sign in) as a person would, until a page has none."""
    password = password or development_password(user)
    for _ in range(4):
        form = re.search(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page.text, re.S | re.I)
        if form is None:
            return page
        fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                                 form.group(2), re.I))
        fields = {name: unescape(value) for name, value in fields.items()}
        if 'type="password"' in form.group(2):
            fields.update(username=user, password=password)
        if re.search(r'name="confirm"', form.group(2)):
            fields.setdefault("confirm", "yes")
        page = browser.post(urljoin(str(page.url), unescape(form.group(1))), data=fields)
    return page


def browser_sign_in(url: str, user: str, redirect_uri: str, password: str | None = None) -> str:
    """Be the person's browser from an authorization URL to the client's redirect URI: follow the
    provider's redirects, fill in its sign-in form; the URL the provider sends the browser back to
    (never fetched: nothing listens there in a test)."""
    password = password or development_password(user)
    with httpx.Client(follow_redirects=False, timeout=15) as browser:
        response = browser.get(url)
        for _ in range(10):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(redirect_uri):
                    return target
                response = browser.get(target)
                continue
            form = re.search(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', response.text, re.S | re.I)
            if response.status_code != 200 or form is None or 'type="password"' not in form.group(2):
                raise AssertionError(f"the provider stopped at HTTP {response.status_code}: {response.text[:300]}")
            response = browser.post(urljoin(str(response.url), unescape(form.group(1))),
                                    data={"username": user, "password": password})
        raise AssertionError("the provider never sent the browser back to the client")
