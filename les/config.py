"""Settings, read once from the environment; every default works on a developer's first run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from les.paths import DEFAULT_STATE_DIR, PROJECT_ROOT, state_file

__all__ = ["DEFAULT_BULK_TASK_QUEUE", "DEFAULT_MEDIATION_URL", "PROJECT_ROOT", "Settings"]

DEFAULT_BULK_TASK_QUEUE = "les-bulk"
"""The bulk activities' task queue unless LES_BULK_TASK_QUEUE names another."""

DEFAULT_MEDIATION_URL = "http://127.0.0.1:8733"
"""Where the local stack's mediation simulator listens (python -m mediation.simulator)."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    """SQLAlchemy URL of the records and case store (SQLite by default, PostgreSQL in production)."""
    temporal_address: str
    temporal_namespace: str
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
    """The intercept mediation function's X1 endpoint (base URL): the simulator locally."""
    bulk_task_queue: str = DEFAULT_BULK_TASK_QUEUE
    """The task queue of the bulk activities (retrieval, packaging, collection): a worker of its
    own with its own threads, so exports never starve decisions (worker.py build_bulk_worker)."""

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        state = Path(env("LES_STATE_DIR", str(DEFAULT_STATE_DIR)))
        return cls(
            database_url=env("LES_DATABASE_URL", f"sqlite:///{state_file(state, 'records.db')}"),
            temporal_address=env("LES_TEMPORAL_ADDRESS", "localhost:7233"),
            temporal_namespace=env("LES_TEMPORAL_NAMESPACE", "default"),
            task_queue=env("LES_TASK_QUEUE", "les-requests"),
            state_dir=state,
            delivery_root=Path(env("LES_DELIVERY_ROOT", str(state / "deliveries"))),
            documents_root=Path(env("LES_DOCUMENTS_ROOT", str(state / "documents"))),
            custodian_name=env("LES_CUSTODIAN_NAME", "Dana Whitfield"),
            custodian_title=env("LES_CUSTODIAN_TITLE", "Custodian of Records, Law Enforcement Support"),
            carrier_name=env("LES_CARRIER_NAME", "Example Carrier Communications, Inc."),
            keyring_dir=Path(env("LES_KEYRING_DIR", str(state / "keyring"))),
            mediation_url=env("LES_MEDIATION_URL", DEFAULT_MEDIATION_URL),
            bulk_task_queue=env("LES_BULK_TASK_QUEUE", DEFAULT_BULK_TASK_QUEUE),
        )
