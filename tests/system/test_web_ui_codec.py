"""What the Temporal Web UI shows of encrypted payloads, in a real headless Chromium, for a person who
signed in at the codec server (SPEC §6, locally: `<codec>/login`, then the UI's codec setting with
"Include cross-origin credentials" on): a subpoena's payloads decoded for jdoe, who approves it from
the UI's Signal dialog; an NSL's still encrypted for jdoe, who is not cleared; and nothing decoded for
a browser where nobody signed in.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package; CI installs both and
sets LES_REQUIRE_BROWSER=1, which turns a missing browser from a skip into a failure."""

from __future__ import annotations

import base64

import pytest

from domain.case import CaseState, Resolution
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, person_at_the_ui, require_browser, type_and_submit
from tests.workflow_support import dated, example, running_worker, status, submit, wait_for_state

pytestmark = [pytest.mark.browser, pytest.mark.devserver]


@pytest.fixture
async def browser():
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def send_signal(page, web_ui: str, request_id: str, name: str, payload: dict) -> None:
    """More Actions → Send a Signal → the handler → the JSON → Submit, on the case's page."""
    await page.goto(f"{web_ui}/namespaces/default/workflows/case-{request_id}")
    await page.get_by_role("button", name="More Actions").click()
    await page.get_by_role("menuitem", name="Send a Signal").first.click()
    await page.locator("[data-testid$=-select-button]:visible").click()
    options = page.locator("[role=option]:visible")
    await options.first.wait_for()
    handlers = [text.strip().partition("\n")[0].strip() for text in await options.all_inner_texts()]
    await options.nth(handlers.index(name)).click()
    await type_and_submit(page, payload)
    await page.locator("[data-testid=confirm-modal-button]:visible").wait_for(state="detached")


async def test_jdoe_signed_in_reads_and_approves_a_subpoena_in_the_web_ui_but_not_an_nsl(
    dev_server, browser, settings, prepared_store, codec_servers
):
    client = dev_server.client
    # The UI under the host name of the codec server's cookie (localhost): same site, so the cookie goes along.
    web_ui = dev_server.web_ui.replace("127.0.0.1", "localhost")
    async with running_worker(client, settings):
        now = await dev_server.get_current_time()
        subpoena = await submit(client, settings, dated(example("subpoena", "UI-SUB-0002"), now))
        nsl = await submit(client, settings, dated(example("national_security_letter", "UI-NSL-0002"), now))
        await wait_for_state(subpoena, CaseState.AWAITING_APPROVAL)
        await wait_for_state(nsl, CaseState.AWAITING_APPROVAL)
        started = (await nsl.fetch_history()).events[0].workflow_execution_started_event_attributes
        ciphertext = base64.b64encode(started.input.payloads[0].data).decode()
        subpoena_started = (await subpoena.fetch_history()).events[0].workflow_execution_started_event_attributes
        subpoena_ciphertext = base64.b64encode(subpoena_started.input.payloads[0].data).decode()

        # Nobody signed in: the codec server answers 401, the UI shows the payloads as stored.
        nobody = await person_at_the_ui(browser, web_ui, codec_servers.general_ui, None)
        await nobody.goto(f"{web_ui}/namespaces/default/workflows/case-UI-SUB-0002")
        await nobody.get_by_text(subpoena_ciphertext[:40]).first.wait_for(timeout=30_000)
        anonymous_page = await nobody.content()

        jdoe = await person_at_the_ui(browser, web_ui, codec_servers.general_ui, "jdoe")
        await jdoe.goto(f"{web_ui}/namespaces/default/workflows/case-UI-SUB-0002")
        await jdoe.get_by_text('"Denver Police Department"').first.wait_for(timeout=30_000)
        subpoena_page = await jdoe.content()
        await jdoe.goto(f"{web_ui}/namespaces/default/workflows/case-UI-NSL-0002")
        await jdoe.get_by_text(ciphertext[:40]).first.wait_for(timeout=30_000)  # shown as the codec left it
        nsl_page = await jdoe.content()

        # jdoe approves from the Signal dialog: the UI encodes through the codec server, which seals it as jdoe.
        await send_signal(jdoe, web_ui, "UI-SUB-0002", "approve",
                          {"case": "UI-SUB-0002", "role": "analyst", "note": "approved from the Web UI"})
        await wait_for_state(subpoena, CaseState.CLOSED, seconds=60)
        outcome = await subpoena.result()
        closed = await status(subpoena)

    for secret in ("GJ-2026-0457", "jane.roe@denvergov.org", "Denver Police Department"):
        assert secret not in anonymous_page, secret
    assert "GJ-2026-0457" in subpoena_page and "jane.roe@denvergov.org" in subpoena_page
    assert started.input.payloads[0].metadata["encryption-key-id"] == b"natsec-v1"
    for secret in ("+12025550177", "NSL-26-0042", "nsl-wfo@fbi.gov"):
        assert secret not in nsl_page, secret
    assert outcome.resolution is Resolution.DELIVERED
    [approval] = [e for e in closed.history if e.name == "approve"]
    assert (approval.actor, approval.role, approval.via, approval.accepted, approval.note) == (
        "jdoe", "analyst", "signal", True, "approved from the Web UI")
