"""Every TUI test gets its own DOJO_HOME: attempts and progress never leak between tests."""

import pytest


@pytest.fixture(autouse=True)
def dojo_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DOJO_HOME", str(tmp_path / "home"))
    return tmp_path / "home"
