"""The FFmpeg program that encodes redacted videos: H.264 in MP4, the original audio kept.

It is the static ``ffmpeg`` that the ``imageio-ffmpeg`` wheel ships in its ``binaries`` folder
(FFmpeg 9 built with ``--enable-gpl --enable-version3``: the program is GPLv3, and has libx264
and OpenH264 in it). Custos runs it as a separate program and talks to it through a pipe (raw
frames in) and command-line arguments only, so it is not linked into Custos; see README
"Licences" for what shipping it means.

The program is found in the installed package, never on ``$PATH`` or through
``IMAGEIO_FFMPEG_EXE`` (``imageio_ffmpeg.get_ffmpeg_exe`` honours both). Like a face model file
(``matching.modelfiles``) it is opened once, hashed from that descriptor (~0.5 s for its 170 MB)
and compared with the digest fixed here for that file name; then it is executed as
``/proc/self/fd/N`` (the same file, passed to the child), so the bytes that were checked are the
bytes that run. A program that differs stops with one ``IntegrityFault`` line.

After upgrading imageio-ffmpeg, recompute the digest (``tests/matching/test_encoder.py::
test_the_shipped_digest_is_that_of_the_installed_program`` fails until then)::

    sha256sum .venv/lib/python3.11/site-packages/imageio_ffmpeg/binaries/ffmpeg-*
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching.errors import MatchingError
from matching.modelfiles import checked_file
from vault.errors import IntegrityFault

PACKAGE = "imageio-ffmpeg"
FFMPEG_SHA256 = {
    # imageio-ffmpeg 0.8.1, Linux x86-64 (172,692,552 bytes)
    "ffmpeg-linux-x86_64-v9.0.2": (
        "0d709a0bed1a43f24cd2c420878c63afea4580671b6949ad19ed124572f3bc3d"
    ),
}
REMEDY = f"; reinstall {PACKAGE}"


def ffmpeg_path() -> Path:
    """The ``ffmpeg`` program inside the installed imageio-ffmpeg package (not ``$PATH``)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise MatchingError(
            f"the {PACKAGE} package is not installed: no H.264 encoder for redacted videos"
        ) from None
    folder = Path(imageio_ffmpeg.__file__).parent / "binaries"
    found = sorted(p for p in folder.glob("ffmpeg-*") if p.is_file()) if folder.is_dir() else []
    if not found:
        raise MatchingError(f"{folder}: no ffmpeg program in the {PACKAGE} package{REMEDY}")
    return found[0]


@dataclass
class Program:
    """A checked FFmpeg program: ``exe`` to run, ``fds`` to pass to each child."""

    exe: str
    fds: list[int] = field(default_factory=list)

    def command(self, args: Sequence[str]) -> list[str]:
        """Arguments for ``subprocess`` with :meth:`options` (named ``ffmpeg`` in ``ps``)."""
        return ["ffmpeg", "-hide_banner", "-nostdin", *args]

    def options(self, *paths: str) -> dict[str, Any]:
        """``executable`` and ``pass_fds`` for ``subprocess``: this program, its descriptor
        and those of any ``/proc/self/fd/N`` among ``paths`` (inputs in anonymous memory)."""
        return {
            "executable": self.exe,
            "pass_fds": [*self.fds, *(fd for p in paths for fd in fd_of(p))],
        }

    def probe(self, path: str) -> Probe:
        """Streams of a media file, read from FFmpeg's listing of its input."""
        done = subprocess.run(
            self.command(["-i", path]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
            **self.options(path),
        )
        return Probe.parse(done.stderr.decode("utf-8", "replace"))


@contextlib.contextmanager
def checked_ffmpeg(path: Path | None = None) -> Iterator[Program]:
    """The package's ``ffmpeg`` opened, hashed and compared with the digest shipped here, to be
    run as ``/proc/self/fd/N`` while the block lasts."""
    path = path or ffmpeg_path()
    want = FFMPEG_SHA256.get(path.name)
    if want is None:
        raise IntegrityFault(
            f"{path}: an FFmpeg program Custos has no digest for (another {PACKAGE} version?)"
            f"{REMEDY} at the version uv.lock names"
        )
    with checked_file(path, want, "the FFmpeg program", REMEDY, "it ran") as (exe, fd):
        yield Program(exe, [] if fd is None else [fd])


def fd_of(path: str) -> list[int]:
    """The descriptor a ``/proc/self/fd/N`` path names (to pass it on to a child), else none."""
    m = re.fullmatch(r"/proc/self/fd/(\d+)", path)
    return [int(m.group(1))] if m else []


_STREAM = re.compile(r"^\s*Stream #0:\d+\S*: (Video|Audio): ([A-Za-z0-9_]+)(.*)$")
_START = re.compile(r"\bstart:? (-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Stream:
    kind: str  # "video" | "audio"
    codec: str
    start: float | None


@dataclass(frozen=True)
class Probe:
    start: float | None  # the container's
    streams: tuple[Stream, ...]

    @property
    def video(self) -> list[Stream]:
        return [s for s in self.streams if s.kind == "video"]

    @property
    def audio(self) -> list[Stream]:
        return [s for s in self.streams if s.kind == "audio"]

    @classmethod
    def parse(cls, text: str) -> Probe:
        start: float | None = None
        streams: list[Stream] = []
        for line in text.splitlines():
            if line.lstrip().startswith("Duration:") and (m := _START.search(line)):
                start = float(m.group(1))
            elif m := _STREAM.match(line):
                if "(attached pic)" in m.group(3):  # a cover picture, not the video
                    continue
                s = _START.search(m.group(3))
                streams.append(
                    Stream(m.group(1).lower(), m.group(2), float(s.group(1)) if s else None)
                )
        return cls(start, tuple(streams))
