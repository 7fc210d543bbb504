"""The real codec servers under test: console/codec_server.py's application on uvicorn, in threads of
the test process, trusting the session's real OIDC provider (tests/oidc_support.py)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from console.codec_server import CodecService, LoginFlow, make_app, server_config
from console.oidc_provider import codec_client_secret
from console.roster import case_type_lookup, roster_lookup
from les.oidc import TokenVerifier
from les.seals import load_sealing_key


@dataclass
class CodecServersUnderTest:
    general: str
    cleared: str
    ui_origins: set[str]
    services: list[CodecService]
    servers: list[Any] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def general_ui(self) -> str:
        """The general endpoint under the host name the Web UI uses (same site: its cookie goes along)."""
        return self.general.replace("127.0.0.1", "localhost")

    @property
    def cleared_ui(self) -> str:
        return self.cleared.replace("127.0.0.1", "localhost")

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        for thread in self.threads:
            thread.join(timeout=10)


def start_codec_servers(keyring, database_url: str, oidc, seal_dir: Path, ports=(0, 0)) -> CodecServersUnderTest:
    import uvicorn

    from tests.conftest import free_port

    verifier = TokenVerifier(oidc.settings)
    roster, case_types = roster_lookup(database_url), case_type_lookup(database_url)
    key = load_sealing_key(seal_dir)
    origins: set[str] = set()
    under_test = CodecServersUnderTest("", "", origins, [])
    for name, cleared, port in (("general", False, ports[0]), ("cleared", True, ports[1])):
        port = port or free_port()
        service = CodecService(keyring, verifier, roster, case_types, key, cleared=cleared, ui_origins=())
        service.ui_origins = origins  # shared, filled in by the fixture that knows the UI's port
        login = LoginFlow(issuer=oidc.issuer, client_id="les-codec", client_secret=codec_client_secret(oidc.state_dir),
                          public_url=f"http://localhost:{port}")
        server = uvicorn.Server(server_config(make_app(service, login), "127.0.0.1", port))
        thread = threading.Thread(target=server.run, name=f"codec-{name}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the {name} codec server did not start on port {port}")
            time.sleep(0.02)
        under_test.services.append(service)
        under_test.servers.append(server)
        under_test.threads.append(thread)
        setattr(under_test, name, f"http://127.0.0.1:{port}")
    return under_test


def sign_in_at_codec(codec_url: str, user: str, password: str, browser: httpx.Client | None = None) -> httpx.Client:
    """A browser's sign-in at a codec server's /login, through the provider's own form: the returned
    client holds the session cookie. Written from the pages' HTML, not with the product's code."""
    from tests.oidc_support import submit_provider_forms

    browser = browser or httpx.Client(follow_redirects=True, timeout=15)
    page = submit_provider_forms(browser, browser.get(f"{codec_url}/login"), user, password)
    if page.status_code != 200 or "signed_in" not in page.text:
        raise AssertionError(f"sign-in at {codec_url} failed: {page.status_code} {page.text[:300]}")
    return browser
