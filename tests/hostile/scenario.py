"""A scenario whose text tries to drive the terminal: every sequence from issue 17, written as
YAML double-quoted escapes (which the format accepts), in each place an author writes text."""

from __future__ import annotations

from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "checkout-retry-storm.yaml"

CLEAR = r"\e[2J"
TITLE = r"\e]0;PWNED\a"
BLINK = r"\e[5;41m"
SEQUENCES = [CLEAR, TITLE, BLINK, r"\r", r"\b", r"\u202E"]
# How each shows once made harmless: the same spelling, read literally.
SHOWN = [r"\e[2J", r"\e]0;PWNED\a", r"\e[5;41m", r"\r", r"\b", r"\u202e"]
MARKUP = "[/b][link=https://evil.example]click[/link][red]"


def hostile_yaml() -> str:
    text = FIXTURE.read_text()
    evil = "".join(SEQUENCES)
    swaps = {
        "title: Checkout latency after a payment-provider blip": f'title: "Checkout {evil} {MARKUP} latency"',
        '"deprecated header X-Legacy-Session ignored"': f'"deprecated header {evil} {MARKUP} ignored"',
        "version: v2.3.1,": f'version: "v2.3.1{evil}",',
        'note: "bump logging library"': f'note: "bump {evil} {MARKUP}"',
        "{text: Compare the request rate checkout sends with the rate payments receives., cost: 60s}": (
            f'{{text: "Compare {evil} {MARKUP} rates", cost: 60s}}'
        ),
    }
    # A runbook link is one word (no spaces), but escapes and brackets are not spaces.
    runbook = f'runbook: "https://wiki.example/{CLEAR}{TITLE}{BLINK}[/b][red]"'
    swaps["above: 1500, for: 1m}"] = f"above: 1500, for: 1m, {runbook}}}"
    for old, new in swaps.items():
        assert old in text, old
        text = text.replace(old, new)
    # Raw ESC is refused by YAML itself, so the multi-line texts are rewritten double-quoted.
    start, end = text.index("briefing: |\n"), text.index("services:\n")
    text = text[:start] + f'briefing: "**PAGE: CheckoutP99High**\\n\\nYou are on call {evil} {MARKUP}."\n' + text[end:]
    start = text.index("debrief: |\n")
    text = text[:start] + f'debrief: "## What happened {evil} {MARKUP}\\n\\nCheckout retried."\n'
    return text


def write_hostile(folder: Path) -> Path:
    path = folder / "hostile.yaml"
    path.write_text(hostile_yaml(), encoding="utf-8")
    return path
