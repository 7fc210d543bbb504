"""The local OpenID Connect provider (oidc/provider.mjs, node-oidc-provider): its configuration,
its node modules, and its process, for `stack.py up` and the tests.

Its users are the demo roster (recordstore/generator/roster.py), each with the DEVELOPMENT-ONLY
password `<user>-dev`; its clients are the command line (`les-cli`, public, PKCE, device flow,
refresh tokens) and the codec servers (`les-codec`, confidential). Production never runs this: it
names the carrier's provider (docs/identity.md)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from console.login import CLI_REDIRECT_URI
from les.oidc import DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, ProviderUnreachable
from les.paths import PROJECT_ROOT
from les.private_files import private_dir, read_private_file, replace_private_file

OIDC_DIR = PROJECT_ROOT / "oidc"
"""node's package.json, package-lock.json and provider.mjs; node_modules/ is installed here."""
PROVIDER_HOST = "127.0.0.1"
PROVIDER_PORT = 8236
CODEC_CLIENT_ID = "les-codec"
PASSWORD_RULE = "<user>-dev"
"""The development passwords of the local provider (never used anywhere else)."""
ACCESS_TOKEN_TTL = 3600
REFRESH_TOKEN_TTL = 12 * 3600


def development_password(user: str) -> str:
    """The local provider's password for `user` (development only, see PASSWORD_RULE)."""
    return f"{user}-dev"


def demo_users() -> list[dict[str, str]]:
    """The demo roster as the provider's users: sub = the roster's actor id."""
    from recordstore.generator.roster import DEMO_ROSTER

    return [{"sub": actor, "password": development_password(actor), "name": name}
            for actor, name, _active, _roles in DEMO_ROSTER]


def cli_client(client_id: str = DEFAULT_CLIENT_ID) -> dict:
    return {
        "client_id": client_id,
        "client_name": "LES Orchestrator command line",
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        "response_types": ["code"],
        "redirect_uris": [CLI_REDIRECT_URI],
    }


def codec_client(secret: str, redirect_uris: Iterable[str]) -> dict:
    return {
        "client_id": CODEC_CLIENT_ID,
        "client_name": "LES Orchestrator codec servers",
        "client_secret": secret,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "redirect_uris": list(redirect_uris),
    }


def codec_redirect_uris(codec_ports: Iterable[int]) -> list[str]:
    """Where the codec servers' `/login` comes back to, on both local host names."""
    return [f"http://{host}:{port}/callback" for port in codec_ports for host in ("127.0.0.1", "localhost")]


def provider_folder(state_dir: Path) -> Path:
    """<state>/oidc: the provider's configuration, keys and the codec client's secret (0700)."""
    return private_dir(Path(state_dir) / "oidc")


def codec_client_secret(state_dir: Path) -> str:
    """The `les-codec` client's secret, made once and kept in <state>/oidc/les-codec.secret (0600)."""
    path = provider_folder(state_dir) / f"{CODEC_CLIENT_ID}.secret"
    existing = read_private_file(path)
    if existing:
        return existing.decode().strip()
    secret = secrets.token_urlsafe(32)
    replace_private_file(path, secret.encode())
    return secret


@dataclass(frozen=True)
class ProviderSetup:
    """A written configuration: how to start the provider and where it will answer."""

    config_file: Path
    issuer: str
    audience: str
    host: str
    port: int
    keys_file: Path

    def command(self) -> list[str]:
        return [node_binary(), str(OIDC_DIR / "provider.mjs"), str(self.config_file)]


def write_provider_config(state_dir: Path, *, port: int = PROVIDER_PORT, host: str = PROVIDER_HOST,
                          issuer: str | None = None, audience: str = DEFAULT_AUDIENCE,
                          access_token_ttl: int = ACCESS_TOKEN_TTL, refresh_token_ttl: int = REFRESH_TOKEN_TTL,
                          codec_ports: Iterable[int] = (8234, 8235), name: str = "provider",
                          keys_file: Path | None = None) -> ProviderSetup:
    """Write <state>/oidc/<name>.json (0600) for a provider on host:port with the demo roster;
    its signing keys go to `keys_file` (default <state>/oidc/<name>-keys.json), made by the
    provider on first start and reused after; its sessions, grants and refresh tokens to
    <state>/oidc/<name>-state.json (0600), so a restart signs no one out."""
    folder = provider_folder(state_dir)
    issuer = (issuer or f"http://{host}:{port}").rstrip("/")
    config = {
        "issuer": issuer,
        "host": host,
        "port": port,
        "audience": audience,
        "access_token_ttl_seconds": access_token_ttl,
        "refresh_token_ttl_seconds": refresh_token_ttl,
        "users": demo_users(),
        "clients": [cli_client(), codec_client(codec_client_secret(state_dir), codec_redirect_uris(codec_ports))],
        "keys_file": str(keys_file or folder / f"{name}-keys.json"),
        "store_file": str(folder / f"{name}-state.json"),
    }
    path = replace_private_file(folder / f"{name}.json", json.dumps(config, indent=2).encode())
    return ProviderSetup(config_file=path, issuer=issuer, audience=audience, host=host, port=port,
                         keys_file=Path(config["keys_file"]))


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise ProviderUnreachable("node is not installed, so the local OIDC provider cannot run; install Node.js "
                                  "20 or later (e.g. `apt-get install nodejs npm`)")
    return node


def _installed() -> bool:
    """node_modules holds the locked oidc-provider version."""
    try:
        lock = json.loads((OIDC_DIR / "package-lock.json").read_text())
        wanted = lock["packages"]["node_modules/oidc-provider"]["version"]
        found = json.loads((OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return False
    return found == wanted


def ensure_node_modules(say=print) -> None:
    """`npm ci --omit=dev` in oidc/ unless its node_modules already match the lock file (one
    process at a time: the others wait, then find it done)."""
    if _installed():
        return
    node_binary()
    npm = shutil.which("npm")
    if npm is None:
        raise ProviderUnreachable("npm is not installed, so the local OIDC provider's packages cannot be "
                                  "installed; install it (e.g. `apt-get install npm`)")
    with open(OIDC_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return
        say("installing the local OIDC provider's node packages (npm ci, once) …")
        done = subprocess.run([npm, "ci", "--omit=dev", "--no-audit", "--no-fund"], cwd=OIDC_DIR,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise ProviderUnreachable(f"npm ci in {OIDC_DIR} failed: {tail}")


def wait_for_discovery(issuer: str, process: subprocess.Popen | None = None, *, seconds: float = 30,
                       log: Path | None = None) -> dict:
    """Poll <issuer>/.well-known/openid-configuration until it answers with this issuer."""
    url = f"{issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + seconds
    while True:
        if process is not None and process.poll() is not None:
            where = f"; see {log}" if log else ""
            raise ProviderUnreachable(f"the OIDC provider exited with status {process.returncode} on start{where}")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            response = httpx.get(url, timeout=2)
            if response.status_code == 200 and response.json().get("issuer") == issuer:
                return response.json()
        if time.monotonic() > deadline:
            raise ProviderUnreachable(f"the OIDC provider did not answer at {url} within {seconds:.0f} s")
        time.sleep(0.1)


class LocalProvider:
    """A provider process of the caller's own (tests); `stop()` ends it."""

    def __init__(self, setup: ProviderSetup, log: Path) -> None:
        self.setup = setup
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return self.setup.issuer

    @property
    def audience(self) -> str:
        return self.setup.audience

    def start(self, seconds: float = 30) -> LocalProvider:
        ensure_node_modules()
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.setup.command(), stdout=out, stderr=subprocess.STDOUT,
                                            cwd=OIDC_DIR, start_new_session=True)
        try:
            wait_for_discovery(self.issuer, self.process, seconds=seconds, log=self.log)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def start_local_provider(state_dir: Path, *, port: int, name: str = "provider", **options) -> LocalProvider:
    """Write the configuration, install the node packages if needed, start the provider and wait
    until its discovery document answers."""
    setup = write_provider_config(state_dir, port=port, name=name, **options)
    return LocalProvider(setup, Path(state_dir) / f"oidc-{name}.log").start()

