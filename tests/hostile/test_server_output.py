"""The headless server when its output fails: one line on stderr, exit 1, no traceback, the
attempt saved (resumable)."""

import resource
import subprocess
import sys

from tests.cli.headless import ROOT, dojo_env

STATUS = '{"cmd": "logs", "limit": 200}\n'


def _spawn(home, stdout, limit=None):
    def cap():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.Popen(
        [sys.executable, "-m", "dojo", "play", "checkout-retry-storm", "--headless", "--clock", "manual"],
        stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT, env=dojo_env(home),
        preexec_fn=cap,
    )  # fmt: skip


def _assert_one_clean_line(err: bytes, code: int):
    text = err.decode()
    assert code == 1, text
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    assert text.startswith("dojo: cannot write to standard output"), text


def test_file_size_limit_ends_the_server_cleanly(tmp_path):
    home = tmp_path / "home"
    # The store is written before the cap bites only in small steps; stdout grows fast.
    with (tmp_path / "out.jsonl").open("wb") as out:
        proc = _spawn(home, out, limit=400_000)
        _, err = proc.communicate((STATUS * 200).encode(), timeout=120)
    _assert_one_clean_line(err, proc.returncode)
    history = subprocess.run(
        [sys.executable, "-m", "dojo", "history", "--json"], capture_output=True, cwd=ROOT, env=dojo_env(home)
    )
    assert b'"status": "abandoned"' in history.stdout, history


def test_a_closed_pipe_ends_the_server_cleanly(tmp_path):
    proc = _spawn(tmp_path / "home", subprocess.PIPE)
    proc.stdout.close()  # the reader is gone
    _, err = proc.communicate((STATUS * 50).encode(), timeout=120)
    _assert_one_clean_line(err, proc.returncode)
