"""The OIDC provider as `stack.py up` runs it: its configuration (owner-only, the demo roster with
development passwords, the two first-party clients), supervised, restarted with the same keys."""

from __future__ import annotations

import json
import os
import signal
import stat
import time

import httpx
import pytest

from console.login import OidcClient
from console.oidc_provider import wait_for_discovery
from console.stack import oidc_service
from console.supervisor import Supervisor
from les.config import Settings
from les.oidc import OidcSettings, TokenVerifier
from tests.oidc_support import free_port, require_node


def test_the_configuration_is_owner_only_and_lists_the_demo_roster(tmp_path, monkeypatch):
    require_node()
    port = free_port()
    monkeypatch.setenv("LES_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LES_OIDC_ISSUER", f"http://127.0.0.1:{port}")
    service, setup = oidc_service(Settings.from_env(), 9234)
    assert setup.config_file == tmp_path / "oidc" / "provider.json"
    assert stat.S_IMODE(os.stat(tmp_path / "oidc").st_mode) == 0o700
    assert stat.S_IMODE(setup.config_file.stat().st_mode) == 0o600
    config = json.loads(setup.config_file.read_text())
    assert config["issuer"] == f"http://127.0.0.1:{port}" and config["port"] == port
    assert config["audience"] == "les-orchestrator"
    assert [(user["sub"], user["password"]) for user in config["users"]] == [
        ("jdoe", "jdoe-dev"), ("asmith", "asmith-dev"), ("mlee", "mlee-dev"), ("kpatel", "kpatel-dev"),
        ("rcruz", "rcruz-dev"), ("tnguyen", "tnguyen-dev"), ("bwilson", "bwilson-dev"), ("dokafor", "dokafor-dev")]
    cli, codec = config["clients"]
    assert cli["client_id"] == "les-cli" and cli["token_endpoint_auth_method"] == "none"
    assert cli["redirect_uris"] == ["http://127.0.0.1/callback"]
    assert "urn:ietf:params:oauth:grant-type:device_code" in cli["grant_types"]
    assert codec["client_id"] == "les-codec" and codec["grant_types"] == ["authorization_code"]
    assert codec["redirect_uris"] == ["http://127.0.0.1:9234/callback", "http://localhost:9234/callback",
                                      "http://127.0.0.1:9235/callback", "http://localhost:9235/callback"]
    assert len(codec["client_secret"]) >= 32
    assert codec["client_secret"] == (tmp_path / "oidc" / "les-codec.secret").read_text()
    assert service.name == "OIDC provider" and service.log == tmp_path / "oidc-provider.log"


def test_another_machines_provider_is_used_not_started(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LES_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LES_OIDC_ISSUER", "https://sso.carrier.example/realms/les")
    assert oidc_service(Settings.from_env(), 8234) is None
    said = capsys.readouterr().out
    assert said == "OIDC provider https://sso.carrier.example/realms/les; no local provider started\n"


def test_the_supervised_provider_comes_back_with_the_same_keys(tmp_path, monkeypatch):
    require_node()
    issuer = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("LES_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LES_OIDC_ISSUER", issuer)
    service, setup = oidc_service(Settings.from_env(), 9234)
    said: list[str] = []
    supervisor = Supervisor(first_delay=0.1, say=said.append)
    supervisor.start(service)
    try:
        wait_for_discovery(issuer, service.process, log=service.log)
        settings = OidcSettings(issuer=issuer, audience="les-orchestrator", client_id="les-cli")
        token = OidcClient(settings).sign_in_with_password("kpatel", "kpatel-dev").access_token
        kids = [key["kid"] for key in httpx.get(f"{issuer}/jwks").json()["keys"]]
        os.kill(service.pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while service.restarts < 1 and time.monotonic() < deadline:
            supervisor.check()
            time.sleep(0.05)
        wait_for_discovery(issuer, service.process, log=service.log)
        assert [key["kid"] for key in httpx.get(f"{issuer}/jwks").json()["keys"]] == kids
        assert TokenVerifier(settings).verify(token).subject == "kpatel"
    finally:
        supervisor.stop_all()
    assert said[0].startswith("the OIDC provider exited (killed by SIGKILL); restarting it in 0.1s")
    assert stat.S_IMODE(setup.keys_file.stat().st_mode) == 0o600


def test_a_planted_keys_file_readable_by_others_stops_the_provider_in_words(tmp_path):
    require_node()
    from console.oidc_provider import LocalProvider, ProviderUnreachable, write_provider_config

    setup = write_provider_config(tmp_path, port=free_port())
    setup.keys_file.write_text('{"jwks": {"keys": []}, "cookie_keys": ["x"]}')
    setup.keys_file.chmod(0o644)
    with pytest.raises(ProviderUnreachable, match="exited with status 2 on start"):
        LocalProvider(setup, tmp_path / "provider.log").start()
    assert "the key file" in (tmp_path / "provider.log").read_text()
    assert "is readable by others (mode 644); refusing to use it" in (tmp_path / "provider.log").read_text()


def test_a_restart_of_the_provider_signs_no_one_out_and_forgets_no_revocation(oidc_provider):
    from console.login import NotSignedIn

    other = oidc_provider.start_another("restart-keeps-sessions")
    client = OidcClient(other.settings)
    kept = client.sign_in_with_password("mlee", "mlee-dev")
    revoked = client.sign_in_with_password("asmith", "asmith-dev")
    client.revoke(revoked)
    other.provider.stop()
    other.provider.start()
    state_file = other.provider.setup.config_file.with_name("restart-keeps-sessions-state.json")
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_file.parent.stat().st_mode) == 0o700  # it holds live refresh tokens
    renewed = OidcClient(other.settings).refresh(kept)
    assert renewed.subject == "mlee" and renewed.access_token != kept.access_token
    with pytest.raises(NotSignedIn, match="the sign-in of asmith has ended"):
        OidcClient(other.settings).refresh(revoked)
