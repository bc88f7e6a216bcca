"""The built book in a real browser (headless Chromium via Selenium): every page loads, every image loads,
no executed cell shows an error or a traceback, and the scorecard page has all its rows.

Runs when Chromium and ChromeDriver are installed (``.ci/run`` installs Debian's packages); skipped otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dprob_utils.book.scorecard import load_claims

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="headless chromium / chromedriver not installed"),
]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
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
