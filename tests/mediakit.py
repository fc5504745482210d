"""Media helpers for tests, run with the FFmpeg program Custos itself runs (checked)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from matching.encoder import Program


def ffmpeg(ff: Program, *args: str) -> bytes:
    """Run the checked program; its standard output (raises with its last error line)."""
    done = subprocess.run(
        ff.command(["-loglevel", "error", *args]),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        **ff.options(*args),
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace").strip()[-300:]
    return done.stdout


def audio_md5(ff: Program, path: str | Path) -> str:
    """MD5 of the audio packets as stored (``-c copy``): equal only for a copied stream."""
    out = ffmpeg(ff, "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-")
    return out.decode().strip()
