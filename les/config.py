"""Settings, read once from the environment; every default works on a developer's first run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from les.paths import DEFAULT_STATE_DIR, PROJECT_ROOT, state_file
from les.temporal_profile import TemporalProfile, load_temporal_profile

__all__ = ["DEFAULT_BULK_TASK_QUEUE", "DEFAULT_MEDIATION_URL", "PROJECT_ROOT", "ConfigurationError", "Settings",
           "redacted_url"]

DEFAULT_BULK_TASK_QUEUE = "les-bulk"
"""The bulk activities' task queue unless LES_BULK_TASK_QUEUE names another."""

DEFAULT_MEDIATION_URL = "https://127.0.0.1:8733/X1"
"""Where the local stack's mediation simulator serves X1 over mutual TLS (python -m mediation.simulator)."""
DEFAULT_MEDIATION_NE_ID = "les-mediation-simulator"
"""The local simulator's NE identifier: a real mediation function's is configured (LES_MEDIATION_NE_ID)."""


SANDBOX_MODES = ("off", "shared", "strict")
"""How the worker's sandbox treats the project's modules (les/sandbox.py; LES_WORKFLOW_SANDBOX)."""
DEFAULT_SANDBOX = "off"


class ConfigurationError(ValueError):
    """A setting that cannot be used (one line, for the user), e.g. an unreadable secret file."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    """SQLAlchemy URL of the records and case store (SQLite by default, PostgreSQL in production)."""
    temporal_address: str
    """Resolved: LES_TEMPORAL_ADDRESS, else the Temporal connection profile (les/temporal_profile.py),
    else localhost:7233."""
    temporal_namespace: str
    """Resolved the same way: LES_TEMPORAL_NAMESPACE, else the profile, else `default`."""
    task_queue: str
    state_dir: Path
    """The local run's own folder: SQLite databases and logs (les/paths.py state_file)."""
    delivery_root: Path
    """Folder under which each certified production is delivered."""
    documents_root: Path
    """Folder holding each request's scanned legal papers as `<request_id>/<name>`."""
    custodian_name: str
    custodian_title: str
    carrier_name: str
    keyring_dir: Path
    """Folder of payload-encryption keys, one file per key id (les/keyring.py)."""
    mediation_url: str = DEFAULT_MEDIATION_URL
    """The intercept mediation function's X1 endpoint (https://host:port/X1): the simulator locally."""
    mediation_ne_id: str = DEFAULT_MEDIATION_NE_ID
    """The mediation function's NE identifier, sent in every X1 request's neIdentifier."""
    x1_client_cert: Path | None = None
    """X1 mutual TLS (docs/x1.md): the client certificate, its key and the far end's CA bundle;
    None: the local run's, made by `stack.py up` under <state>/x1-tls/ (les/x1_tls.py)."""
    x1_client_key: Path | None = None
    x1_ca: Path | None = None
    x1_plain_http: bool = False
    """LES_X1_PLAIN_HTTP=1: a development setting allowing X1 over plain http (warned about loudly)."""
    temporal_profile: TemporalProfile | None = None
    """The Temporal connection profile read from the environment (TLS, API key; les/temporal.connect)."""
    bulk_task_queue: str = DEFAULT_BULK_TASK_QUEUE
    """The task queue of the bulk activities (retrieval, packaging, collection): a worker of its
    own with its own threads, so exports never starve decisions (worker.py build_bulk_worker)."""
    workflow_sandbox: str = DEFAULT_SANDBOX
    """`off` (no sandbox, the default), `shared` (inside it, the project's modules imported once
    per process) or `strict` (inside it, afresh per workflow instance, every call the sandbox
    forbids refused): les/sandbox.py."""
    seal_dir: Path | None = None
    """The seal keys (les/seals.py): `LES_SEAL_KEY_FILE` names the codec servers' private key (default:
    the newest `seal-vN.key` in `<state>/seal`), `LES_SEAL_PUBLIC_KEYS_DIR` the folder of public keys
    the worker verifies with (default `<state>/seal`)."""
    seal_key_file: Path | None = None
    seal_public_dir: Path | None = None
    codec_url: str = "http://127.0.0.1:8234"
    """The general codec server people's tools read and send through (LES_CODEC_URL)."""
    cleared_codec_url: str = "http://127.0.0.1:8235"
    """The cleared codec server (LES_CLEARED_CODEC_URL): national security cases."""
    codec_ca_file: Path | None = None
    """CA bundle to trust for https codec servers (LES_CODEC_CA_FILE; default: the system's)."""
    workflow_cache: int = 1000
    """Workflow instances the worker keeps in memory (the SDK's `max_cached_workflows`); one that
    was evicted is taken up again by replaying its history. About 0.3 MiB each (bench/scale.py)."""
    metrics_address: str | None = None
    """host:port where the worker serves Prometheus metrics at /metrics (LES_METRICS_ADDRESS); None:
    none served. `stack.py up` sets 127.0.0.1:9464 (docs/operations.md)."""
    metrics_interval: float = 30.0
    """Seconds between two readings of the les_ gauges (LES_METRICS_INTERVAL; console/metrics_collector.py)."""
    log_level: str = "INFO"
    """LES_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR; Temporal Core's own logs follow it."""
    log_format: str = "auto"
    """LES_LOG_FORMAT: `json` (JSON lines, even on a terminal), `console`, or `auto` (JSON unless
    stderr is a terminal)."""

    def __repr__(self) -> str:
        """Every field, the database password as *** and the Temporal profile (API key, TLS key)
        by its name only: a Settings printed or logged carries no secret."""
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["database_url"] = redacted_url(self.database_url)
        if self.temporal_profile is not None:
            shown["temporal_profile"] = self.temporal_profile.describe()
        return f"Settings({', '.join(f'{name}={value!r}' for name, value in shown.items())})"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """From the process's environment, or `environ` (the CLI's --address/--namespace/--profile over it)."""
        environ = os.environ if environ is None else environ
        env = environ.get
        state = Path(env("LES_STATE_DIR", str(DEFAULT_STATE_DIR)))
        profile = load_temporal_profile(environ)
        return cls(
            database_url=_database_url(env("LES_DATABASE_URL", f"sqlite:///{state_file(state, 'records.db')}"),
                                       env("LES_DATABASE_PASSWORD_FILE")),
            temporal_address=env("LES_TEMPORAL_ADDRESS") or profile.address or "localhost:7233",
            temporal_namespace=env("LES_TEMPORAL_NAMESPACE") or profile.namespace or "default",
            task_queue=env("LES_TASK_QUEUE", "les-requests"),
            state_dir=state,
            delivery_root=Path(env("LES_DELIVERY_ROOT", str(state / "deliveries"))),
            documents_root=Path(env("LES_DOCUMENTS_ROOT", str(state / "documents"))),
            custodian_name=env("LES_CUSTODIAN_NAME", "Dana Whitfield"),
            custodian_title=env("LES_CUSTODIAN_TITLE", "Custodian of Records, Law Enforcement Support"),
            carrier_name=env("LES_CARRIER_NAME", "Example Carrier Communications, Inc."),
            keyring_dir=Path(env("LES_KEYRING_DIR", str(state / "keyring"))),
            mediation_url=env("LES_MEDIATION_URL", DEFAULT_MEDIATION_URL),
            mediation_ne_id=env("LES_MEDIATION_NE_ID", DEFAULT_MEDIATION_NE_ID),
            x1_client_cert=_optional_path(env("LES_X1_CLIENT_CERT")),
            x1_client_key=_optional_path(env("LES_X1_CLIENT_KEY")),
            x1_ca=_optional_path(env("LES_X1_CA")),
            x1_plain_http=env("LES_X1_PLAIN_HTTP", "") == "1",
            temporal_profile=profile,
            bulk_task_queue=env("LES_BULK_TASK_QUEUE", DEFAULT_BULK_TASK_QUEUE),
            workflow_sandbox=_sandbox_mode(env("LES_WORKFLOW_SANDBOX", DEFAULT_SANDBOX)),
            workflow_cache=_workflow_cache(env("LES_WORKFLOW_CACHE", "1000")),
            seal_dir=state / "seal",
            seal_key_file=Path(env("LES_SEAL_KEY_FILE")) if env("LES_SEAL_KEY_FILE") else None,
            seal_public_dir=Path(env("LES_SEAL_PUBLIC_KEYS_DIR", str(state / "seal"))),
            codec_url=env("LES_CODEC_URL", "http://127.0.0.1:8234").rstrip("/"),
            cleared_codec_url=env("LES_CLEARED_CODEC_URL", "http://127.0.0.1:8235").rstrip("/"),
            codec_ca_file=Path(env("LES_CODEC_CA_FILE")) if env("LES_CODEC_CA_FILE") else None,
            metrics_address=_metrics_address(env("LES_METRICS_ADDRESS", "")),
            metrics_interval=_metrics_interval(env("LES_METRICS_INTERVAL", "30")),
            log_level=_log_level(env("LES_LOG_LEVEL", "INFO")),
            log_format=_log_format(env("LES_LOG_FORMAT", "auto")),
        )


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _sandbox_mode(value: str) -> str:
    if value not in SANDBOX_MODES:
        raise ConfigurationError(f"LES_WORKFLOW_SANDBOX={value!r} is not one of {', '.join(SANDBOX_MODES)}")
    return value


def _workflow_cache(value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigurationError(f"LES_WORKFLOW_CACHE={value!r} is not a whole number of workflows (at least 1)")
    return int(value)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("auto", "json", "console")


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigurationError(f"LES_LOG_LEVEL={value!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def _log_format(value: str) -> str:
    form = value.strip().lower()
    if form not in LOG_FORMATS:
        raise ConfigurationError(f"LES_LOG_FORMAT={value!r} is not one of {', '.join(LOG_FORMATS)}")
    return form


def _metrics_address(value: str) -> str | None:
    """host:port (a name, an IPv4 address or a bracketed IPv6 one) and a port from 1 to 65535."""
    value = value.strip()
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535 or any(c in host for c in "/@ "):
        raise ConfigurationError(f"LES_METRICS_ADDRESS={value!r} is not host:port (e.g. 127.0.0.1:9464)")
    return value


def _metrics_interval(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 1 <= seconds <= 3600:
        raise ConfigurationError(f"LES_METRICS_INTERVAL={value!r} is not a number of seconds from 1 to 3600")
    return seconds


def _database_url(url: str, password_file: str | None) -> str:
    """LES_DATABASE_URL, with the password read from LES_DATABASE_PASSWORD_FILE when that is set
    (a Docker/Kubernetes secret mounted as a file: the password is then in no environment)."""
    if not password_file:
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError("LES_DATABASE_URL is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        raise ConfigurationError("LES_DATABASE_PASSWORD_FILE is set but LES_DATABASE_URL is SQLite, which has none")
    try:
        password = Path(password_file).read_text().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigurationError(
            f"LES_DATABASE_PASSWORD_FILE {password_file}: cannot read it ({getattr(err, 'strerror', None) or err})"
        ) from None
    if not password:
        raise ConfigurationError(f"LES_DATABASE_PASSWORD_FILE {password_file} is empty")
    return parsed.set(password=password).render_as_string(hide_password=False)


def redacted_url(url: str) -> str:
    """A database URL fit for a log line or a message: the password replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unparsable database URL)"
