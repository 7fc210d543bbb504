"""Identity figures: the local OIDC provider's start, a sign-in, a token verification, and the
`starter.py login` / `token` commands as a person feels them (docs/identity.md).

    .venv/bin/python -m bench.identity [--signins 10] [--verifications 2000]

Starts its own provider on a free port in a temporary folder and stops it at the end."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from console.login import OidcClient
from console.oidc_provider import start_local_provider
from les.oidc import OidcSettings, TokenVerifier

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.identity")
    parser.add_argument("--signins", type=int, default=10)
    parser.add_argument("--verifications", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="les-bench-identity-") as folder:
        state = Path(folder)
        started = time.perf_counter()
        provider = start_local_provider(state, port=free_port())
        start = time.perf_counter() - started
        try:
            settings = OidcSettings(issuer=provider.issuer, audience=provider.audience, client_id="les-cli")
            client = OidcClient(settings)
            signins = [timed(lambda: client.sign_in_with_password("jdoe", "jdoe-dev")) for _ in range(args.signins)]
            token = client.sign_in_with_password("jdoe", "jdoe-dev").access_token
            verifier = TokenVerifier(settings)
            verifier.verify(token)
            verify = timed(lambda: [verifier.verify(token) for _ in range(args.verifications)]) / args.verifications
            env = {**os.environ, "LES_STATE_DIR": str(state / "person"), "LES_OIDC_ISSUER": provider.issuer}

            def starter(*words: str, stdin: str = "") -> None:
                subprocess.run([sys.executable, str(REPO / "starter.py"), *words], input=stdin, text=True, env=env,
                               capture_output=True, check=True)

            logins = [timed(lambda: starter("login", "jdoe", "--password-stdin", stdin="jdoe-dev\n")) for _ in range(3)]
            tokens = [timed(lambda: starter("token")) for _ in range(3)]
        finally:
            provider.stop()
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"provider start to discovery answering: {start:.2f} s")
    print(f"sign-in in process (authorization code + PKCE through the form, code redeemed, ID and access "
          f"tokens checked): median {statistics.median(signins) * 1000:.0f} ms of {len(signins)}")
    print(f"TokenVerifier.verify, keys cached: {verify * 1e6:.0f} µs a token ({1 / verify:,.0f}/s, one thread)")
    print(f"starter.py login as a process: median {statistics.median(logins):.2f} s of 3; "
          f"starter.py token: median {statistics.median(tokens):.2f} s of 3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
