"""The browser screenshot of the README and docs/facilitating.md: `dojo serve` in headless
Chromium, on the built-in checkout-retry-storm's workspace, as a PNG taken by the browser.

    python scripts/screenshot_browser.py [docs/images/browser.png]

Needs Chromium on PATH and Playwright (pip install -e '.[test]'). It starts its own server on a
free port with a scratch store, so the learner's history is left alone.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serve.browser import ServeProcess, chromium_path, open_dojo, press, wait_for, wait_for_text  # noqa: E402

DEFAULT_OUT = ROOT / "docs" / "images" / "browser.png"
SCENARIO = "checkout-retry-storm"


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    if chromium_path() is None:
        sys.exit("screenshot_browser: needs chromium on PATH (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    server = ServeProcess(Path(tempfile.mkdtemp(prefix="dojo-shot-")))
    server.wait_listening()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            page = open_dojo(browser, server.url)
            wait_for_text(page, "scenario library", timeout=60)
            press(page, "/")
            time.sleep(0.5)
            page.keyboard.type(SCENARIO, delay=20)
            press(page, "Enter")
            time.sleep(0.5)
            press(page, "Enter")
            wait_for_text(page, "Ready. Enter starts the clock", timeout=120)
            press(page, "Enter")
            wait_for(page, lambda t: "▶ ×1" in t and "Logs ·" in t, timeout=120)
            time.sleep(3.0)
            press(page, "/")
            time.sleep(0.5)
            page.keyboard.type("retry", delay=30)
            press(page, "Enter")
            time.sleep(3.0)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()
    finally:
        server.interrupt()
    print(out)


if __name__ == "__main__":
    main()
