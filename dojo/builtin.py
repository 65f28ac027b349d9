"""Where the built-in scenarios are: the one lookup every command and screen uses.

They ship inside the package (`dojo/builtin_scenarios`, a link to the top-level `scenarios/`
folder where they are written), so an editable install, `pip install .` and a wheel all find them
through importlib.resources, wherever the package lives and whatever the current folder is.
This module imports nothing heavy: the library screen calls it before its first paint.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

ENV = "DOJO_SCENARIOS"  # a folder that replaces the built-in library (tests, instructors)
SUFFIXES = (".yaml", ".yml")


def scenarios_dir() -> Path:
    """The folder of built-in scenarios, or the one $DOJO_SCENARIOS names."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    found = files("dojo") / "builtin_scenarios"
    # Installed as files (every pip install is), a resource is a real path; a zipped package
    # would give a zipfile.Path, which the loaders cannot open by name.
    return found if isinstance(found, Path) else Path(str(found))


def find_scenarios(paths: Iterable[Path]) -> list[Path]:
    """The scenario files named by `paths`: files as given, folders by their *.yaml and *.yml."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(c for c in p.iterdir() if c.suffix in SUFFIXES and c.is_file()))
        else:
            out.append(p)
    return out
