"""`dprob explore` in a real browser: the app starts on a free localhost port, a changed σ and "Train / load"
redraw the figure, a bad σ shows a message, the console stays clean, and the server stops."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from browser import CHROMEDRIVER, CHROMIUM, artefact, chromium, console_errors

from dprob_utils.cli.main import explore_command, free_port, main

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="headless chromium not installed")]


def test_explore_refuses_a_bad_port_in_one_line(capsys):
    assert main(["explore", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dprob: error: --port must be") and err.count("\n") == 1


def test_the_command_serves_only_localhost():
    cmd = explore_command("smoke", 8866)
    assert "--Voila.ip=127.0.0.1" in cmd and "--port=8866" in cmd and "--no-browser" in cmd


@pytest.fixture()
def server():
    port = free_port(8900)
    proc = subprocess.Popen([sys.executable, "-m", "dprob_utils", "explore", "--profile", "smoke", "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ))
    url = f"http://127.0.0.1:{port}/"
    first = proc.stdout.readline()
    assert url in first, first
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read(100)
            break
        except OSError:
            assert proc.poll() is None and time.time() < deadline, "the explorer did not start"
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    deadline = time.time() + 30
    while True:  # Voilà, the command's child, stops with it
        try:
            urllib.request.urlopen(url, timeout=2).read(100)
        except OSError:
            break
        assert time.time() < deadline, "the Voilà server outlived the dprob explore command"
        time.sleep(0.5)


def _result(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, ".dprob-result").text


def _figure(driver) -> str:
    from selenium.webdriver.common.by import By

    imgs = driver.find_elements(By.CSS_SELECTOR, ".widget-output img")
    return imgs[0].get_attribute("src") if imgs else ""


def _set(field, value: str) -> None:
    from selenium.webdriver.common.keys import Keys

    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(value)
    field.send_keys(Keys.TAB)


def test_moving_sigma_and_train_load_redraw_the_figure(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()
    try:
        start = time.time()
        driver.get(server)
        button = WebDriverWait(driver, 120).until(lambda d: next(
            (b for b in d.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == "Train / load"), None))
        rendered = time.time() - start
        sigma = driver.find_elements(By.CSS_SELECTOR, ".widget-text input")[0]
        _set(sigma, "0.9")
        button.click()
        WebDriverWait(driver, 180).until(lambda d: "σ = 0.9" in _result(d) and _figure(d))
        first = _figure(driver)
        _set(sigma, "2.5")
        start = time.time()
        button.click()
        WebDriverWait(driver, 180).until(lambda d: "σ = 2.5" in _result(d) and _figure(d) not in ("", first))
        trained = time.time() - start
        driver.save_screenshot(str(artefact("explore_app.png")))
        _set(sigma, "-1")
        button.click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".dprob-error"))
        assert "must be >= 0" in driver.find_element(By.CSS_SELECTOR, ".dprob-error").text
        assert "Traceback" not in driver.find_element(By.TAG_NAME, "body").text
        assert not console_errors(driver)
        print(f"explorer rendered in {rendered:.1f} s; one train/load (smoke) took {trained:.1f} s")
    finally:
        driver.quit()
