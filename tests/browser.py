"""Headless Chromium for the browser tests (Debian's chromium and chromedriver, driven by Selenium)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def chromium(offline: bool = False):
    """A headless Chromium recording its console and network events; ``offline``: with the network cut off."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1300,1500"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    if offline:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                     "downloadThroughput": 0, "uploadThroughput": 0})
    return driver


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for since the last call (from the performance log)."""
    out = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            out.append(msg["params"]["request"]["url"])
    return out


def console_errors(driver, ignore: tuple[str, ...] = ()) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(i in e["message"] for i in ignore)]


def artefact(name: str) -> Path:
    """Where a test keeps a screenshot: ``_build/test-artifacts/`` of the project."""
    from dprob_utils.config.paths import project_root

    path = project_root() / "_build" / "test-artifacts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
