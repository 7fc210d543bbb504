"""`python3 stack.py up`: the whole local stack in one command, stopped with Ctrl-C.

Creates the local keyring and the codec servers' seal keys on first use (0600, under .les/, never
committed), prepares the records store, starts the OIDC provider (people sign in there), the two
codec servers (general on :8234, cleared on :8235), the Temporal dev server (SQLite state in .les/,
Web UI on :8233 pointed at the general codec server, the project's search attributes registered)
unless one already answers,
the mediation simulator and the worker (`--workers N`: N worker processes on one task queue),
submits the sample subpoena and says where to look. Every process it started is supervised
(console/supervisor.py): one that dies is restarted with backoff, and Ctrl-C stops them all."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from console.oidc_provider import PASSWORD_RULE, ProviderSetup, ensure_node_modules, wait_for_discovery
from console.oidc_provider import write_provider_config as write_oidc_config
from console.supervisor import Service, Supervisor
from les.config import PROJECT_ROOT, ConfigurationError, Settings, redacted_url
from les.keyring import KeyringError, ensure_local_keyring
from les.oidc import OidcConfigurationError, OidcSettings, ProviderUnreachable
from les.paths import make_delivery_dir, make_private_dir, make_private_file, state_file
from les.seals import SealError, ensure_seal_keys
from les.temporal import TemporalUnavailable, connect, dev_server_flags, workflow_id_for

BIN = Path(sys.executable).parent
SAMPLE = PROJECT_ROOT / "examples" / "subpoena.json"
SAMPLE_ID = "LES-2026-000101"
DEMO_YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
"""The span of the synthetic traffic: every example period falls inside it."""


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


CODEC_PORT = 8234
"""The general codec server; the cleared one listens on the next port."""


def ui_origins(ui_port: int) -> list[str]:
    return [f"http://localhost:{ui_port}", f"http://127.0.0.1:{ui_port}"]


def codec_service(settings: Settings, port: int, ui_port: int, *, cleared: bool) -> Service:
    command = [sys.executable, "-m", "console.codec_server", "--port", str(port), "--public-url",
               f"http://localhost:{port}"]
    command += ["--cleared"] if cleared else []
    for origin in ui_origins(ui_port):
        command += ["--ui-origin", origin]
    return Service("cleared codec server" if cleared else "general codec server", command,
                   log=state_file(settings.state_dir, "codec-server.log"), cwd=PROJECT_ROOT)


def oidc_service(settings: Settings, codec_port: int) -> tuple[Service, ProviderSetup] | None:
    """The local OIDC provider (oidc/provider.mjs, the demo roster as its users) on LES_OIDC_ISSUER's
    port (default 127.0.0.1:8236), unless that issuer is another machine's or already answers."""
    issuer = OidcSettings.from_env().issuer
    url = urlsplit(issuer)
    if not OidcSettings.from_env().is_local:
        print(f"OIDC provider {issuer}; no local provider started")
        return None
    if port_open(url.hostname or "127.0.0.1", url.port or 80):
        print(f"an OIDC provider already answers at {issuer}; using it")
        return None
    ensure_node_modules()
    setup = write_oidc_config(settings.state_dir, host=url.hostname or "127.0.0.1", port=url.port or 80,
                              issuer=issuer, codec_ports=(codec_port, codec_port + 1))
    return Service("OIDC provider", setup.command(), log=state_file(settings.state_dir, "oidc-provider.log"),
                   cwd=PROJECT_ROOT / "oidc"), setup


def temporal_service(settings: Settings, ui_port: int, codec_endpoint: str) -> Service | None:
    """The dev server, unless something already listens on the Temporal address or that address
    (LES_TEMPORAL_ADDRESS or the connection profile) is another machine's: that cluster is used."""
    host, _, port = settings.temporal_address.rpartition(":")
    if host not in ("", "localhost", "127.0.0.1"):
        print(f"Temporal is at {settings.temporal_address}, not on this machine; using it (no dev server)")
        return None
    if port_open(host or "localhost", int(port)):
        print(f"Temporal already answers at {settings.temporal_address}; using it")
        return None
    database = state_file(settings.state_dir, "temporal.db")
    if database.exists():  # an earlier run's; a new one the server creates under the umask below
        make_private_file(database)
    command = [
        str(BIN / "temporal"), "server", "start-dev",
        "--db-filename", str(database),
        "--ip", "127.0.0.1", "--port", port, "--ui-port", str(ui_port),
        "--namespace", settings.temporal_namespace, "--log-level", "warn",
        "--ui-codec-endpoint", codec_endpoint,
        *dev_server_flags(),
    ]
    # Its SQLite file (and WAL) must be 0600: created by the server itself (it sets up a new file's
    # schema only when the file is missing), so the process runs under umask 077.
    return Service("Temporal dev server", command, log=state_file(settings.state_dir, "temporal.log"),
                   umask=0o077)


def mediation_port(settings: Settings) -> tuple[str, int]:
    url = urlsplit(settings.mediation_url)
    return url.hostname or "127.0.0.1", url.port or (80 if url.scheme == "http" else 443)


def plain_http_x1(settings: Settings) -> bool:
    """LES_X1_PLAIN_HTTP=1 with an http:// LES_MEDIATION_URL: X1 unencrypted, for development only."""
    return settings.x1_plain_http and urlsplit(settings.mediation_url).scheme == "http"


def mediation_service(settings: Settings) -> Service | None:
    """The mediation simulator (tasks in <state>/mediation.db) over mutual TLS with the local
    certificates (made on first use under <state>/x1-tls/, les/x1_tls.py), unless LES_MEDIATION_URL
    names another host or something already answers there: a real mediation function is then used."""
    from les.x1_tls import CA_CERT, SERVER_CERT, SERVER_KEY, TLS_FOLDER, ensure_local_x1_tls

    host, port = mediation_port(settings)
    if host not in ("127.0.0.1", "localhost"):
        print(f"mediation function at {settings.mediation_url}; no simulator started")
        return None
    tls = settings.state_dir / TLS_FOLDER
    created = ensure_local_x1_tls(tls)
    if created:
        print(f"created the local X1 CA and certificates in {tls} ({', '.join(created)}; keys 0600, never committed)")
    if port_open(host, port):
        print(f"a mediation function already answers at {settings.mediation_url}; using it")
        return None
    command = [sys.executable, "-m", "mediation.simulator", "--host", "127.0.0.1", "--port", str(port),
               "--store", str(state_file(settings.state_dir, "mediation.db")), "--ne-id", settings.mediation_ne_id]
    if plain_http_x1(settings):
        print("WARNING: LES_X1_PLAIN_HTTP=1: the simulator serves X1 over PLAIN HTTP, unencrypted and "
              "unauthenticated (development only)", flush=True)
        command += ["--plain-http"]
    else:
        command += ["--tls-cert", str(tls / SERVER_CERT), "--tls-key", str(tls / SERVER_KEY),
                    "--client-ca", str(tls / CA_CERT)]
    return Service("mediation simulator", command, log=state_file(settings.state_dir, "mediation.log"),
                   cwd=PROJECT_ROOT)


async def wait_for_port(service: Service, host: str, port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not port_open(host, port):
        if (service.process is not None and service.process.poll() is not None) or time.monotonic() > deadline:
            raise SystemExit(f"the {service.name} did not start; see {service.log}")
        await asyncio.sleep(0.1)


DEFAULT_METRICS_ADDRESS = "127.0.0.1:9464"
"""Where the first worker serves its Prometheus metrics unless LES_METRICS_ADDRESS says otherwise;
worker n serves on the port n-1 above it."""


def metrics_addresses(settings: Settings, count: int) -> list[str]:
    host, _, port = (settings.metrics_address or DEFAULT_METRICS_ADDRESS).rpartition(":")
    return [f"{host}:{int(port) + n}" for n in range(count)]


def worker_services(settings: Settings, count: int) -> list[Service]:
    """`count` worker processes on the same task queue; the first logs to worker.log, the others
    to worker-2.log, worker-3.log …; each serves its metrics on its own port (metrics_addresses)."""
    return [
        Service("worker" if count == 1 else f"worker {n}", [sys.executable, str(PROJECT_ROOT / "worker.py")],
                log=state_file(settings.state_dir, "worker.log" if n == 1 else f"worker-{n}.log"), cwd=PROJECT_ROOT,
                env={"LES_METRICS_ADDRESS": address})
        for n, address in enumerate(metrics_addresses(settings, count), start=1)
    ]


async def wait_for_temporal(settings: Settings, server: Service | None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if server is not None and server.process is not None and server.process.poll() is not None:
            raise SystemExit(f"the Temporal dev server exited ({server.process.returncode}); see {server.log}")
        try:
            await connect(settings)
            return
        except TemporalUnavailable:
            if time.monotonic() > deadline:
                raise SystemExit(f"the Temporal server did not come up in {seconds:.0f}s") from None
            await asyncio.sleep(0.5)


def prepare_records_store(settings: Settings, subscribers: int) -> str:
    """Bring the schema to this release's (recordstore.migrations: create, upgrade, or refuse one it
    does not know), fill it on first use, place the examples and the demo roster."""
    from sqlalchemy import func, select

    from recordstore.db import make_engine, make_session_factory, upgrade
    from recordstore.generator import generate, place_examples, seed_roster
    from recordstore.models import CallRecord, Subscriber

    engine = make_engine(settings.database_url)
    found = upgrade(engine)
    if found.state in ("behind", "unversioned"):
        print(f"upgraded the records store from schema {found.current or found.detected} to {found.head}", flush=True)
    with make_session_factory(engine)() as session:
        empty = session.scalar(select(func.count()).select_from(Subscriber)) == 0
    if empty:
        print(f"filling the records store with {subscribers} synthetic subscribers …", flush=True)
        generate(engine, subscribers=subscribers, start=DEMO_YEAR[0], end=DEMO_YEAR[1])
    place_examples(engine)
    with make_session_factory(engine)() as session:
        seed_roster(session)
        session.commit()
        people = session.scalar(select(func.count()).select_from(Subscriber))
        calls = session.scalar(select(func.count()).select_from(CallRecord))
    engine.dispose()
    return f"{people} subscribers, {calls} call records"


async def submit_sample(settings: Settings) -> str:
    """Submit the sample subpoena (once ever) and say where it stands now."""
    from console.errors import CommandError
    from console.requests import run_submit
    from domain.case import CaseStatus

    client = await connect(settings)  # the stack's own keyring: the operator's sample, not a person's decision
    with contextlib.suppress(CommandError):  # already submitted on an earlier run: just report it
        await run_submit(settings, str(SAMPLE), client=client)
    handle = client.get_workflow_handle(workflow_id_for(SAMPLE_ID))
    for _ in range(40):  # the worker has just started; give it a moment to answer
        try:
            status = await handle.query("status", result_type=CaseStatus, rpc_timeout=timedelta(seconds=5))
        except Exception:  # any failure here only means "not answering yet"
            await asyncio.sleep(0.5)
            continue
        if status.state == "verifying":
            await asyncio.sleep(0.5)
            continue
        if status.state == "closed":
            return f"closed ({status.resolution}) on an earlier run"
        tasks = "; ".join(status.open_tasks) or "no open task"
        return f"{status.state} — {tasks}"
    return "submitted (the worker has not answered yet; see starter.py status)"


async def up(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    make_private_dir(settings.state_dir)
    make_delivery_dir(settings.delivery_root, settings.delivery_root)
    created = ensure_local_keyring(settings.keyring_dir)
    if created:
        print(f"created the local keyring {settings.keyring_dir} ({', '.join(created)}; mode 0600, never committed)")
    summary = prepare_records_store(settings, args.subscribers)
    if (seal_key := ensure_seal_keys(settings.seal_dir)) is not None:
        print(f"created the codec servers' seal key {settings.seal_dir}/{seal_key}.key (0600; the worker verifies "
              "with its .pub)")
    supervisor = Supervisor()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if (oidc := oidc_service(settings, args.codec_port)) is not None:
            provider = supervisor.start(oidc[0])
            await asyncio.to_thread(wait_for_discovery, oidc[1].issuer, provider.process, log=provider.log)
        supervisor.start(codec_service(settings, args.codec_port, args.ui_port, cleared=False))
        supervisor.start(codec_service(settings, args.codec_port + 1, args.ui_port, cleared=True))
        # The UI calls the codec server from the browser, with the person's session cookie: both under
        # `localhost`, one site, so the cookie goes along (README, "The Web UI").
        codec_endpoint = f"http://localhost:{args.codec_port}"
        server = temporal_service(settings, args.ui_port, codec_endpoint)
        if server is not None:
            supervisor.start(server)
        await wait_for_temporal(settings, server)
        mediation = mediation_service(settings)
        if mediation is not None:
            supervisor.start(mediation)
            await wait_for_port(mediation, *mediation_port(settings))
        workers = [supervisor.start(service) for service in worker_services(settings, args.workers)]
        sample = await submit_sample(settings)
        print_guide(settings, args.ui_port, summary, sample, args.codec_port, len(workers),
                    metrics_addresses(settings, len(workers)))
        if args.no_wait:
            return 0
        await supervisor.run(stop)
        print(f"\nstopping (state is kept in {settings.state_dir}) …", flush=True)
        return 0
    finally:
        supervisor.stop_all()


def print_guide(settings: Settings, ui_port: int, summary: str, sample: str, codec_port: int,
                workers: int = 1, metrics: list[str] | None = None) -> None:
    request_id = SAMPLE_ID
    wid = workflow_id_for(request_id)
    x1_transport = ("WARNING: PLAIN HTTP (LES_X1_PLAIN_HTTP=1), development only" if plain_http_x1(settings)
                    else f"mutual TLS, certificates in {settings.state_dir / 'x1-tls'} unless LES_X1_* name others")
    print(f"""
LES Orchestrator is up.
  Temporal Web UI   http://localhost:{ui_port}/namespaces/{settings.temporal_namespace}/workflows
  sign-in (OIDC)    {OidcSettings.from_env().issuer}; the local provider's users are the demo roster, each with
                    the DEVELOPMENT-ONLY password {PASSWORD_RULE} (e.g. `starter.py login jdoe`, password jdoe-dev)
  sample subpoena   {request_id} (workflow {wid}): {sample}
  codec servers     http://localhost:{codec_port} (general), http://localhost:{codec_port + 1} (cleared: NSL and FISA
                    too); sign in for the Web UI at http://localhost:{codec_port}/login (or :{codec_port + 1}/login,
                    then set the UI's codec endpoint to it), and turn on "Include cross-origin credentials"
                    keys in {settings.keyring_dir}, seal keys in {settings.seal_dir}
  records store     {redacted_url(settings.database_url)} ({summary})
  deliveries        {settings.delivery_root}
  mediation (X1)    {settings.mediation_url} (NE {settings.mediation_ne_id}; {x1_transport}; the simulator
                    keeps its tasks in {state_file(settings.state_dir, 'mediation.db')}; docs/x1.md)
  workers           {workers} on task queue {settings.task_queue}, bulk exports on {settings.bulk_task_queue}
                    (restarted if one dies)
  metrics           {', '.join(f'http://{address}/metrics' for address in metrics or [])} (Prometheus: the SDK's
                    temporal_* and the product's les_* series; docs/operations.md)
  logs              {state_file(settings.state_dir, 'temporal.log')}, {state_file(settings.state_dir, 'worker.log')},
                    {state_file(settings.state_dir, 'mediation.log')}

Try, in another terminal (development passwords: <user>-dev, e.g. jdoe-dev):
  .venv/bin/python starter.py login jdoe
  .venv/bin/python starter.py status {request_id}
  .venv/bin/python starter.py approve {request_id} --role analyst --note "in order"
  .venv/bin/temporal workflow signal --workflow-id {wid} --name approve \\
      --input '{{"case": "{request_id}", "role": "analyst"}}' \\
      --codec-endpoint http://127.0.0.1:{codec_port} --codec-auth "Bearer $(.venv/bin/python starter.py token)"
  .venv/bin/python starter.py check examples/title3_wiretap.json

Every process is restarted if it dies. Press Ctrl-C to stop.""", flush=True)


def worker_count(text: str) -> int:
    count = int(text)
    if not 1 <= count <= 32:
        raise argparse.ArgumentTypeError("between 1 and 32")
    return count


def main() -> int:
    from console.errors import Exit

    parser = argparse.ArgumentParser(
        prog="stack.py up", description=__doc__.split("\n\n")[1].replace("\n", " "),
        epilog="exit status: 0 stopped (Ctrl-C) or, with --no-wait, up; 2 bad option; 3 a server or the records "
               "store did not answer; 4 a setting, key or the store's schema cannot be used")
    parser.add_argument("--ui-port", type=int, default=8233, help="the Temporal Web UI's port (default %(default)s)")
    parser.add_argument("--codec-port", type=int, default=CODEC_PORT,
                        help="the general codec server's port; the cleared one listens on the next "
                             "(default %(default)s)")
    parser.add_argument("--subscribers", type=int, default=300,
                        help="synthetic subscribers put in an empty records store (default %(default)s)")
    parser.add_argument("--workers", type=worker_count, default=1,
                        help="worker processes on the task queue, 1 to 32 (default %(default)s)")
    parser.add_argument("--no-wait", action="store_true", help="bring everything up, then stop (smoke test)")
    args = parser.parse_args()
    from sqlalchemy.exc import SQLAlchemyError

    from les.logging import configure_logging
    from les.temporal import TemporalMisconfigured
    from recordstore.migrations import SchemaUnknown

    configure_logging("WARNING")
    try:
        return asyncio.run(up(args))
    except KeyboardInterrupt:
        return Exit.OK
    except (KeyringError, SealError, ConfigurationError, SchemaUnknown, OidcConfigurationError,
            TemporalMisconfigured) as err:
        print(f"stack.py up: {err}", file=sys.stderr)
        return Exit.CONFIGURATION
    except ProviderUnreachable as err:
        print(f"stack.py up: {err}", file=sys.stderr)
        return Exit.UNAVAILABLE
    except TemporalUnavailable as err:  # e.g. a server already on the port whose state is gone
        print(f"stack.py up: {err}; everything this run started is stopped", file=sys.stderr)
        return Exit.UNAVAILABLE
    except SQLAlchemyError as err:
        print(f"stack.py up: the records store at {redacted_url(Settings.from_env().database_url)} failed: "
              f"{str(err).splitlines()[0]}", file=sys.stderr)
        return Exit.UNAVAILABLE

if __name__ == "__main__":
    sys.exit(main())
