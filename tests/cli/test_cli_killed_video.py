"""A ``custos faces detect`` SIGKILLed while it reads a video leaves no decrypted copy anywhere.

OpenCV reads a file: the video is decrypted into anonymous memory (``memfd_create``), which goes
with the process; nothing lands in ``/dev/shm``, the vault or the temp folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vaultkit import ROOT, cli_env, run_cli

CASE = "C-1"
SHM = Path("/dev/shm")


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def _holds(path: Path, sample: bytes) -> bool:
    try:
        return sample in path.read_bytes()
    except OSError:
        return False


def _reading_the_video(pid: int) -> bool:
    """The process has the decrypted video open (a file in /dev/shm, or a memfd)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(link.startswith(("/dev/shm/", "/memfd:")) for link in links)


def test_a_killed_video_detection_leaves_no_plaintext(vault_dir: Path, faces_dir: Path) -> None:
    clip = faces_dir / "more" / "short_hamilton_clip.mp4"
    data = clip.read_bytes()
    sample = data[len(data) // 2 : len(data) // 2 + 4096]
    assert run_cli("ingest", "--case", CASE, str(clip), vault=vault_dir).returncode == 0
    shm_before = _files(SHM)
    tmp_before = set(Path(tempfile.gettempdir()).glob("custos-*"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "faces", "detect", "--case", CASE],
        env=cli_env(vault_dir),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its fork server and workers die with it, as on a power cut
    )
    try:
        deadline = time.monotonic() + 120
        while not _reading_the_video(proc.pid):
            assert proc.poll() is None, "detection ended before the video was read"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.5)  # well into the tracking
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    left_in_shm = [p for p in _files(SHM) - shm_before if _holds(p, sample)]
    assert left_in_shm == []
    assert [p for p in _files(vault_dir) if _holds(p, sample)] == []
    new_tmp = set(Path(tempfile.gettempdir()).glob("custos-*")) - tmp_before
    assert [p for p in new_tmp if p.is_file() and _holds(p, sample)] == []
    # run again to its end: the video is analysed from memory, container metadata included
    done = run_cli("faces", "detect", "--case", CASE, vault=vault_dir)
    assert done.returncode == 0, done.stderr
    assert "analysed 1 item(s)" in done.stdout and " 0 face(s)" not in done.stdout
    listed = run_cli("faces", "list", "--case", CASE, "--json", vault=vault_dir)
    assert listed.returncode == 0 and '"track"' in listed.stdout
    assert [p for p in _files(SHM) - shm_before if _holds(p, sample)] == []
