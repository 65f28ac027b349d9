"""Where the learner's data lives: $DOJO_HOME, else the platform's per-user data folder."""

from __future__ import annotations

import os
from pathlib import Path

FILE_NAME = "dojo.sqlite3"


def data_dir() -> Path:
    env = os.environ.get("DOJO_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("debugging-dojo", appauthor=False))


def store_path() -> Path:
    return data_dir() / FILE_NAME
