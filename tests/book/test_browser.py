"""The built book in a real browser (headless Chromium via Selenium): every page loads, every image loads,
no executed cell shows an error or a traceback, the scorecard page has all its rows, and the interactive views
work offline without a request leaving the machine.

Runs when Chromium and ChromeDriver are installed (``.ci/run`` installs Debian's packages); skipped otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import CHROMEDRIVER, CHROMIUM, artefact, chromium, console_errors, requested_urls

from dprob_utils.book.scorecard import load_claims

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="headless chromium / chromedriver not installed"),
]


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts and p.name not in ("search.html", "genindex.html"))


def test_every_page_and_image_loads_without_errors(built_book, browser):
    html = built_book / "_build" / "html"
    pages = _pages(html)
    assert len(pages) >= 3
    from selenium.webdriver.support.ui import WebDriverWait

    for page in pages:
        browser.get(page.as_uri())
        # a loaded machine may return from get() before the page finishes (deferred scripts): wait for it
        WebDriverWait(browser, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
        state = browser.execute_script("""
            const imgs = Array.from(document.images);
            return {
              ready: document.readyState,
              title: document.title,
              broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
              nimg: imgs.length,
              errors: document.querySelectorAll('.output.error, .output.traceback, .cell_output .error').length,
              text: document.body.innerText,
            };""")
        assert state["ready"] == "complete", page
        assert not state["broken"], f"{page.name}: broken images {state['broken'][:3]}"
        assert state["errors"] == 0, f"{page.name}: an executed cell shows an error"
        assert "Traceback (most recent call last)" not in state["text"], f"{page.name}: traceback shown"
        assert "Error" not in state["title"]


def test_chapters_have_figures(built_book, browser):
    html = built_book / "_build" / "html" / "book" / "chapters"
    browser.get((html / "01_training.html").as_uri())
    assert browser.execute_script("return document.images.length") >= 2


def test_scorecard_page_has_every_claim(built_book, browser):
    page = built_book / "_build" / "html" / "book" / "chapters" / "99_scorecard.html"
    browser.get(page.as_uri())
    text = browser.execute_script("return document.body.innerText")
    missing = [c["id"] for c in load_claims() if c["id"] not in text]
    assert not missing, f"claims missing from the scorecard page: {missing[:5]}"


# jupyter-book's own pages: its thebe script is declared twice and its theme switcher logs a reset
BOOK_CONSOLE_NOISE = ("THEBE_JS_URL", "Got invalid theme mode")


def test_interactive_view_redraws_offline_and_loads_nothing(built_book):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    page = built_book / "_build" / "html" / "book" / "chapters" / "90_explorer.html"
    driver = chromium(offline=True)
    try:
        driver.get(page.as_uri())
        WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
        read = ("const r = document.getElementById('explorer-view'); const p = r.querySelector('.dprob-plot');"
                "return {shown: r.dataset.shown, summary: r.querySelector('.dprob-summary').textContent,"
                "        y: (p.data || []).map(t => t.y)};")
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(read)["y"])
        before = driver.execute_script(read)
        sigma = driver.find_element("css selector", "#explorer-view select.dprob-sigma")
        driver.execute_script("arguments[0].scrollIntoView()", sigma)
        choice = Select(sigma)
        other = next(o.text for o in choice.options if o.get_attribute("selected") is None)
        choice.select_by_visible_text(other)
        WebDriverWait(driver, 10).until(lambda d: d.execute_script(read)["shown"] != before["shown"])
        after = driver.execute_script(read)
        driver.save_screenshot(str(artefact("book_offline_view.png")))
        assert f"σ={other}" in after["shown"] and after["summary"] != before["summary"]
        assert after["y"][0] == before["y"][0], "the SGD baseline stays"
        assert after["y"][1] != before["y"][1], "the chosen model's curve is redrawn"
        left = [u for u in requested_urls(driver) if not u.startswith(("file:", "data:", "about:", "blob:"))]
        assert not left, f"requests left the machine: {left[:3]}"
        assert not console_errors(driver, BOOK_CONSOLE_NOISE)
    finally:
        driver.quit()
