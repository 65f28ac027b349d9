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


def test_a_command_whose_output_hits_the_file_size_limit_says_so_in_one_line(tmp_path):
    """`dojo schema > file` under `ulimit -f`: one line and exit 1, never a traceback and never a
    short file with exit 0 (CPython drops the error of one large write that fails part-way)."""

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    for args in (["schema"], ["faults"]):
        with open(tmp_path / "out.txt", "wb") as out:
            done = subprocess.run(
                [sys.executable, "-m", "dojo", *args], stdout=out, stderr=subprocess.PIPE, cwd=ROOT,
                env=dojo_env(tmp_path / "home"), preexec_fn=cap, timeout=120,
            )  # fmt: skip
        err = done.stderr.decode()
        assert done.returncode == 1 and "Traceback" not in err and len(err.splitlines()) == 1, (args, err)
        assert err.startswith("dojo: cannot write the output (File too large)"), err
