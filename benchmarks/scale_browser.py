"""Explorer page loads in headless Chromium (Debian's chromium and chromedriver, `make browser`):
the browser's own clock from the navigation's start to its load event (request, server render,
transfer, parsing, style and script), the median of several loads after one warm-up."""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from offchain.errors import OffchainError

CHROMIUM, DRIVER = "chromium", "chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000")
# The navigation entry of the page now shown: start to load event, and the server's part.
NAVIGATION = (
    "const e = performance.getEntriesByType('navigation')[0];"
    "return [e.loadEventEnd - e.startTime, e.responseStart - e.requestStart];"
)


@contextmanager
def chromium() -> Iterator[WebDriver]:
    binary, driver = shutil.which(CHROMIUM), shutil.which(DRIVER)
    if binary is None or driver is None:
        raise OffchainError("chromium and chromedriver are not installed: run `make browser` (Debian packages)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def load_ms(browser: WebDriver, url: str, loads: int) -> list[float]:
    """Each of `loads` loads of `url` (after a warm-up), navigation start to load event, in ms."""
    browser.get(url)
    times = []
    for _ in range(loads):
        browser.get(url)
        entry: Any = browser.execute_script(NAVIGATION)
        if not entry or float(entry[0]) <= 0:
            raise OffchainError(f"{url}: the browser has no finished navigation to time")
        times.append(float(entry[0]))
    return times


def median_load_ms(browser: WebDriver, url: str, loads: int) -> float:
    return statistics.median(load_ms(browser, url, loads))
