"""Concurrent writers and a kill mid-write: one run per folder, and never a half-written output."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from click.testing import CliRunner

from dojo.cli import cli
from dojo.folderlock import folder_lock

from . import samples


def test_a_second_run_into_a_busy_folder_is_refused_and_writes_nothing(tmp_path, catalog):
    log = samples.write_plain(tmp_path / "app.log", catalog)
    out = tmp_path / "out"
    out.mkdir()
    (out / "app.log").write_text("an earlier run's output\n")
    with folder_lock(out):  # another run holds it
        res = CliRunner().invoke(cli, ["sanitize", str(log), "--out", str(out), "--secret", "k"])
    assert res.exit_code == 2
    assert "another dojo sanitize is writing into this folder" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["app.log"]
    assert (out / "app.log").read_text() == "an earlier run's output\n"
    # Once it is free, the run goes through.
    assert CliRunner().invoke(cli, ["sanitize", str(log), "--out", str(out), "--secret", "k"]).exit_code == 0


def test_a_kill_mid_write_leaves_no_partial_file(tmp_path, catalog):
    log = samples.write_plain(tmp_path / "app.log", catalog)
    out = tmp_path / "out"
    # The run is killed (SIGTERM) after its first chunk is written, as `kill` would do mid-file.
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        import dojo.sanitize.run as run
        real = run._write_chunks
        def write_then_die(results, out, fr):
            for res in results:
                out.write(res.data)
                out.flush()
                os.kill(os.getpid(), signal.SIGTERM)
        run._write_chunks = write_then_die
        from dojo.cli import main
        sys.argv = ["dojo", "sanitize", {str(log)!r}, "--out", {str(out)!r}, "--secret", "k"]
        main()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 143, proc.stderr
    assert "Traceback" not in proc.stderr and "terminated" in proc.stderr
    assert list(out.iterdir()) == []  # neither the output nor its .part


def test_folder_lock_is_released_when_the_run_ends(tmp_path):
    with folder_lock(tmp_path):
        pass
    with folder_lock(tmp_path):  # would raise FolderBusy if the first were still held
        pass
    assert list(tmp_path.iterdir()) == []  # the lock leaves nothing behind


def test_importing_the_cli_leaves_sigterm_alone():
    # Only the commands that write files take over SIGTERM; importing the CLI does not.
    script = "import signal, dojo.cli; print(signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True"
