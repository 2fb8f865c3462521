"""PNG screenshots of explorer pages with headless Chromium's own `--screenshot` (no driver,
no Python dependency): the demo keeps pictures of the job page and the lineage page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from offchain.errors import OffchainError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_S = 60.0
WINDOW = (1280, 1100)


class ScreenshotError(OffchainError):
    """No browser, or the browser failed to write the picture."""


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise ScreenshotError(f"no headless browser found ({', '.join(BROWSERS)}): run `make browser`")


def screenshot(url: str, out: Path, browser: str | None = None, window: tuple[int, int] = WINDOW) -> Path:
    """Load `url` (letting its script run for a moment) and write a PNG to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [
        browser or find_browser(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={window[0]},{window[1]}",
        "--virtual-time-budget=3000",
        f"--screenshot={out}",
        url,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ScreenshotError(f"the browser took over {TIMEOUT_S:.0f} s on {url}") from None
    if result.returncode != 0 or not out.is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ScreenshotError(f"the browser could not screenshot {url}: {last}")
    return out
