"""A person's shell for tests that drive `starter.py` (or console/cli.main) outside tests/e2e_support.py's
Terminal: `starter.py login USER --password-stdin` at the session's real OIDC provider, with the
development password (console/oidc_provider.py), the session kept in the shell's LES_STATE_DIR."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, environ_without_les


def signed_in_env(person: str, state_dir: Path, oidc, database_url: str, codec=None) -> dict[str, str]:
    """The LES_* variables of `person`'s shell, signed in: the provider (`oidc.env`), the store holding
    the roster, the codec servers when given (starter.py reads and decides only through them)."""
    from console.oidc_provider import development_password

    env = {**oidc.env, "LES_DATABASE_URL": database_url, "LES_STATE_DIR": str(state_dir)}
    if codec is not None:
        env.update(LES_CODEC_URL=codec.general, LES_CLEARED_CODEC_URL=codec.cleared)
    login = subprocess.run([sys.executable, str(REPO / "starter.py"), "login", person, "--password-stdin"],
                           input=development_password(person) + "\n", capture_output=True, text=True, timeout=60,
                           env={**environ_without_les(), **env}, cwd=REPO)
    assert login.returncode == 0, f"{person} could not sign in: {login.stderr}"
    return env
