"""End to end on the dev server: a real pen register order whose 60 days end a minute after it is
submitted, switched on after the analyst's approval and off by itself at its end, driven only
through `starter.py`, with the real worker and a real mediation simulator process."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.e2e_support import Terminal, require_postgres
from tests.workflow_support import example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_pen_register_ending_half_a_minute_from_now_goes_off_by_itself(
    dev_server, database_url, is_postgres, prepared_store, tmp_path, keyring_dir, mediation_simulator,
    oidc_provider, codec_servers
):
    require_postgres(is_postgres)
    address = dev_server.client.service_client.config.target_host
    terminal = Terminal.for_server(address, database_url, tmp_path, "les-e2e-pen", keyring_dir,
                                  oidc=oidc_provider, codec=codec_servers)  # jdoe signs in (SPEC §6)
    tls = mediation_simulator.tls  # the worker's X1 client certificate, as `stack.py up` makes it
    terminal.env.update(LES_MEDIATION_URL=mediation_simulator.url, LES_X1_CLIENT_CERT=str(tls.client_cert),
                        LES_X1_CLIENT_KEY=str(tls.client_key), LES_X1_CA=str(tls.ca))
    now = await dev_server.get_current_time()
    order = example("pen_register", "E2E-PEN-0001")
    # Its 60 days (3123(c)(1)) end in 30 s: time for submit, approve and switch-on (about 6 s on an idle
    # machine, 15 s on a loaded one), then the test waits for the order to go off by itself.
    entered = now - timedelta(days=60) + timedelta(seconds=30)
    order["received_at"] = now.isoformat()
    order["legal_process"].update(issued_at=entered.isoformat(), signed_at=entered.isoformat(),
                                  nondisclosure_until=(now + timedelta(days=365)).isoformat())
    with terminal.worker():
        submitted = terminal.submit(order)
        assert submitted.returncode == 0, submitted.stderr
        terminal.wait_for("E2E-PEN-0001", "awaiting_approval")
        approved = terminal.decide("approve", "E2E-PEN-0001", "jdoe", "analyst", note="order in hand")
        assert approved.returncode == 0, approved.stderr
        on = terminal.wait_for("E2E-PEN-0001", "collecting")
        closed = terminal.wait_for("E2E-PEN-0001", "closed", seconds=120)
        shown = terminal.starter("status", "E2E-PEN-0001")

    end = instant(on["deadlines"]["expires_at"])
    assert end == entered + timedelta(days=60)
    assert on["collection"]["state"] == "active" and on["collection"]["certification_id"] == "CERT-E2E-PEN-0001"
    assert closed["resolution"] == "expired"
    assert closed["collection"]["state"] == "off"
    off = instant(mediation_simulator.admin.task_for("E2E-PEN-0001")["deactivated_at"])
    assert end - timedelta(seconds=2) <= off <= end  # by itself, at the legal instant, never after
    assert [p["production_id"] for p in closed["productions"]] == ["E2E-PEN-0001-P01"]  # the final one
    assert shown.returncode == 0 and "closed (expired)" in shown.stdout
