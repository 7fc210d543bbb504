"""A person at the Temporal Web UI in a real Chromium (Playwright), as SPEC §6 has it locally: they sign
in at the codec server (`<codec>/login`, the OIDC provider's own form), then turn the UI's codec
setting to their browser's, pointed at that codec server, with "Include cross-origin credentials" on,
so the UI's calls carry their session cookie. Done by clicking what the UI 2.x shows (the Codec Server
dialog in the page header, which keeps its choice in the browser's localStorage), as a person would."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def require_browser() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("LES_REQUIRE_BROWSER"):
            pytest.fail(f"LES_REQUIRE_BROWSER is set but there is no Chromium at {CHROMIUM}")
        pytest.skip("needs Debian's chromium (apt-get install chromium); CI installs it")


async def sign_in_at_codec(context, codec_url: str, person: str, *, refused: bool = False) -> str:
    """Open `<codec_url>/login` in `context` and sign in on the provider's pages (development password);
    the codec server's session cookie is then in the context. With `refused`, the codec server's
    refusal is expected instead: its page's text is returned."""
    from console.oidc_provider import development_password

    page = await context.new_page()
    await page.goto(f"{codec_url}/login")
    for _ in range(4):
        if "signed_in" in await page.content() or '"error"' in await page.content():
            break
        password = page.locator("input[type=password]")
        if await password.count():
            await page.locator("input[name=username], input[name=login]").first.fill(person)
            await password.first.fill(development_password(person))
        await page.locator("button[type=submit], input[type=submit]").first.click()
        await page.wait_for_load_state()
    body = await page.locator("body").inner_text()
    await page.close()
    if refused:
        assert "signed_in" not in body, body[:500]
        return body
    assert f'"signed_in":"{person}"' in body.replace(" ", ""), body[:500]
    return body


async def use_codec_with_credentials(page, web_ui: str, codec_url: str) -> None:
    """In the UI's header, open the Codec Server dialog, choose this browser's setting, enter the codec
    server's URL, tick "Include cross-origin credentials", Apply."""
    await page.goto(f"{web_ui}/namespaces/default/workflows")
    await page.locator("[data-testid^=data-encoder-status]").first.click()
    dialog = page.locator("dialog[open], [role=dialog]:visible").first
    await dialog.get_by_text("Use my browser setting and ignore Cluster-level setting.").click()
    endpoint = dialog.locator("#data-encoder-endpoint-input")
    await endpoint.fill(codec_url)
    await dialog.get_by_text("Include cross-origin credentials").click()
    assert await dialog.locator("#pass-access-credentials").is_checked()
    await dialog.locator("[data-testid=confirm-modal-button]").click()
    await dialog.wait_for(state="hidden")


async def person_at_the_ui(browser, web_ui: str, codec_url: str, person: str | None):
    """A browser context of its own (cookies, localStorage) for `person` (None: nobody signed in), the UI's
    codec set to `codec_url` with credentials; its page."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    if person is not None:
        await sign_in_at_codec(context, codec_url, person)
    page = await context.new_page()
    await use_codec_with_credentials(page, web_ui, codec_url)
    return page


async def type_and_submit(page, payload: dict) -> None:
    """Type the decision's JSON into the open Signal/Update dialog's editor and submit it."""
    import json

    await page.locator("[role=textbox]:visible").first.click()
    await page.keyboard.type(json.dumps(payload))
    await page.keyboard.press("Tab")  # the editor reformats the JSON on blur, which moves the button
    await page.wait_for_timeout(300)
    await page.locator("[data-testid=confirm-modal-button]:visible").click()
