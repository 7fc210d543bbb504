"""What the Temporal Web UI shows of encrypted payloads, in a real headless Chromium: a subpoena's
decoded through the codec server, an NSL's still sealed for a viewer who is not cleared.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package; CI installs both and
sets LES_REQUIRE_BROWSER=1, which turns a missing browser from a skip into a failure."""

from __future__ import annotations

import base64
import os
import shutil

import pytest

from domain.case import CaseState
from tests.workflow_support import dated, example, running_worker, submit, wait_for_state

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
async def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("LES_REQUIRE_BROWSER"):
            pytest.fail(f"LES_REQUIRE_BROWSER is set but there is no Chromium at {CHROMIUM}")
        pytest.skip("needs Debian's chromium (apt-get install chromium); CI installs it")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def test_the_web_ui_shows_payloads_decoded_by_the_codec_server_and_an_nsl_still_sealed(
    dev_server, browser, settings, prepared_store
):
    """The dev server's UI calls the general codec server with jdoe's token (as `stack.py up`
    sets it): the subpoena's input reads in the clear, the NSL's stays encrypted."""
    client = dev_server.client
    async with running_worker(client, settings):
        now = await dev_server.get_current_time()
        subpoena = await submit(client, settings, dated(example("subpoena", "UI-SUB-0002"), now))
        nsl = await submit(client, settings, dated(example("national_security_letter", "UI-NSL-0002"), now))
        await wait_for_state(subpoena, CaseState.AWAITING_APPROVAL)
        await wait_for_state(nsl, CaseState.AWAITING_APPROVAL)

        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        await page.goto(f"{dev_server.web_ui}/namespaces/default/workflows/case-UI-SUB-0002")
        await page.get_by_text('"Denver Police Department"').first.wait_for(timeout=30_000)
        subpoena_page = await page.content()
        await page.goto(f"{dev_server.web_ui}/namespaces/default/workflows/case-UI-NSL-0002")
        started = (await nsl.fetch_history()).events[0].workflow_execution_started_event_attributes
        ciphertext = base64.b64encode(started.input.payloads[0].data).decode()
        await page.get_by_text(ciphertext[:40]).first.wait_for(timeout=30_000)  # shown as the codec left it
        nsl_page = await page.content()

    assert "GJ-2026-0457" in subpoena_page and "jane.roe@denvergov.org" in subpoena_page
    assert started.input.payloads[0].metadata["encryption-key-id"] == b"natsec-v1"
    for secret in ("+12025550177", "NSL-26-0042", "nsl-wfo@fbi.gov"):
        assert secret not in nsl_page, secret
