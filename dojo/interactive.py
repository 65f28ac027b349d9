"""Whether the terminal UI can draw here: on a real terminal, or under Textual's web driver
(`dojo serve`, or any textual-serve), which talks to the browser over pipes and has no tty. A
script piping into `dojo` still gets text (or an error pointing at --headless), as before."""

from __future__ import annotations

import os
import sys

# What textual-serve (and so `dojo serve`) sets in each tab's process: Textual then draws over its
# pipes for the browser. Only an exact match counts, so a stray or partial value changes nothing.
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"


def under_web_driver() -> bool:
    return os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER


def can_draw() -> bool:
    return under_web_driver() or (sys.stdin.isatty() and sys.stdout.isatty())
