"""A password given in the environment leaves it once read: no child process carries it, and
the command's own ``/proc/<pid>/environ`` no longer shows it.

``/proc/<pid>/environ`` of a process is readable by its user (and root) for as long as it runs;
the detection workers and their fork server run for a whole batch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from vaultkit import NEW_PASSWORD, PASSWORD, ROOT, cli_env, run_cli

CASE = "C-1"


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid``."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        here = todo.pop()
        for child, parent in parents.items():
            if parent == here and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _environ(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None


def test_no_detection_worker_has_the_password_in_its_environment(
    vault_dir: Path, faces_dir: Path
) -> None:
    photos = faces_dir / "knn"
    ingested = run_cli("ingest", "--case", CASE, str(photos), vault=vault_dir)
    assert ingested.returncode == 0, ingested.stderr
    env = cli_env(vault_dir, CUSTOS_NEW_PASSWORD=NEW_PASSWORD)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "faces", "detect", "--case", CASE],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen: dict[int, bytes] = {}
    try:
        while proc.poll() is None:
            for pid in {proc.pid} | _children(proc.pid):  # the last reading of each is kept
                environ = _environ(pid)
                if environ is not None:
                    seen[pid] = environ
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert len(seen) >= 3, "the command, the fork server and at least one worker were read"
    for pid, environ in seen.items():
        assert PASSWORD.encode() not in environ, pid
        assert NEW_PASSWORD.encode() not in environ, pid
        assert b"CUSTOS_PASSWORD" not in environ and b"CUSTOS_NEW_PASSWORD" not in environ
