"""Ctrl-C on the measuring commands: the job's token is set, it stops cleanly, one line, 130."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vault.history import list_audit
from vaultkit import ROOT, cli_env, one_clear_line, open_as


def _children(pid: int) -> list[str]:
    """Child processes of ``pid``, whichever of its threads started them (each thread has its
    own ``children`` file: the face engine may be started from a worker thread)."""
    found: list[str] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            found += (task / "children").read_text().split()
    return found


def _interrupt_while_measuring(
    vault: Path, *args: str, terminal: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``custos ARGS``; once its face engine's processes exist (the job is running), send
    Ctrl-C: to the command only (``kill -INT``), or with ``terminal`` to its whole process group
    as a terminal does, once the detection workers have started."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(vault),
        cwd=ROOT,
        start_new_session=terminal,
    )
    deadline = time.monotonic() + 120

    def started() -> bool:
        kids = _children(process.pid)
        return bool(kids) and (not terminal or any(_children(int(k)) for k in kids))

    while not started() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the command ended before its face engine was seen running"
    if terminal:
        time.sleep(1)  # past the workers' start-up, into the measurement
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=180)
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def test_ctrl_c_stops_eval_with_one_line(tmp_path: Path, faces_dir: Path) -> None:
    result = _interrupt_while_measuring(
        tmp_path / "no-vault", "eval", str(faces_dir), terminal=True
    )
    assert result.returncode == 130, result.stderr
    assert one_clear_line(result).splitlines()[-1] == "error: evaluation cancelled"
    assert result.stdout == ""


def test_ctrl_c_stops_calibration_and_records_nothing(vault_dir: Path, faces_dir: Path) -> None:
    from matching.watchlists import create_watchlist

    with open_as(vault_dir) as session:
        create_watchlist(session, "wanted")
    result = _interrupt_while_measuring(
        vault_dir, "watchlist", "calibrate", "wanted", "--on", str(faces_dir)
    )
    assert result.returncode == 130, result.stderr
    last = one_clear_line(result).splitlines()[-1]
    assert last == "error: calibration cancelled; nothing recorded"
    with open_as(vault_dir) as session:
        assert list_audit(session, "watchlist.calibrated") == []
