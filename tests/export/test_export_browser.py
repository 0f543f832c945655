"""An exported page opened from file:// in headless Chromium: its style sheet applies and its
Content-Security-Policy stops any script, even one that got into the page.

Debian's Chromium is required, as for tests/web/test_status_browser.py (`./dev test` installs
it); without it this test fails rather than skips."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import async_playwright

from syncd.export import export_site, parse_as_of
from syncd.store.store import Store
from tests.export.sample import AS_OF, populate
from tests.web.test_status_browser import CHROMIUM, CHROMIUM_ARGS


async def test_exported_page_styles_and_blocks_scripts(store: Store, tmp_path: Path) -> None:
    assert CHROMIUM.exists(), "Debian's chromium is missing: ./dev test installs it (as root)"
    await populate(store)
    out = tmp_path / "copy"
    await export_site(store, "konray", as_of=parse_as_of(AS_OF), fmt="static", out=out)
    page_file = sorted((out / "articles").glob("*.html"))[0]
    # as if a script had slipped through sanitising: the policy must still stop it
    html = page_file.read_text(encoding="utf-8")
    page_file.write_text(
        html.replace("</main>", "<script>document.title = 'ran'</script></main>"),
        encoding="utf-8",
    )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            blocked: list[str] = []
            page.on("console", lambda message: blocked.append(message.text))
            await page.goto(page_file.as_uri())
            assert await page.title() != "ran"
            assert any("Content Security Policy" in text for text in blocked), blocked
            # style.css, beside the pages, is allowed by 'self' from file:// too
            background = "getComputedStyle(document.body).backgroundColor"
            assert await page.evaluate(background) == "rgb(246, 246, 244)"
        finally:
            await browser.close()
