"""Entry points from the command line: `dojo` (the library) and `dojo play SCENARIO`."""

from __future__ import annotations

from typing import Any

from dojo.interactive import under_web_driver

from .prepare import PlaySettings


def run(play: Any = None, settings: PlaySettings = PlaySettings()) -> None:
    from .app import DojoApp

    app = DojoApp(play=play, settings=settings)
    app.run()
    # Under the web driver stdout is the browser's channel, closed by now: the tab is gone.
    if app.left_open is not None and not under_web_driver():
        scenario_id, attempt = app.left_open
        print(
            f"your attempt at {scenario_id} is unfinished; pick it up with: dojo play {scenario_id} --resume "
            f"{attempt}"
        )
