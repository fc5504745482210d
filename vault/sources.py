"""What an ingest reads: files and folders expanded into sources, links never followed.

Names on seized media are bytes. Python gives a name that is not valid UTF-8 (a Latin-1 name from
an old camera card) with surrogate escapes, which no database, JSON or terminal accepts; ``text``
turns such a path into valid text with the bad bytes shown as ``\\xNN``, and ``raw_bytes`` keeps
the exact bytes (the "acquired" custody event records them, so nothing is lost).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


def text(path: str | Path) -> str:
    """``path`` as valid text: bytes that are not UTF-8 shown as ``\\xNN`` (others unchanged)."""
    value = str(path)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(value).decode("utf-8", "backslashreplace")
    return value


def raw_bytes(path: str | Path) -> bytes | None:
    """The exact bytes of a path whose name is not valid UTF-8; None for a valid one."""
    value = str(path)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(value)
    return None


@dataclass(frozen=True)
class Source:
    path: Path  # as the file system gives it (opens the file; may hold surrogate escapes)
    name: str  # relative path kept from the ingested folder, as valid text (``text``)


def collect(paths: list[Path]) -> tuple[list[Source], list[tuple[str, str]]]:
    """Expand files and folders (recursively, links not followed) into sources and problems."""
    sources: list[Source] = []
    problems: list[tuple[str, str]] = []
    for top in paths:
        if not top.exists() and not top.is_symlink():
            problems.append((text(top), "no such file or folder"))
        elif top.is_dir():
            _walk(top, sources, problems)
        elif top.is_file():
            sources.append(Source(top, text(top.name)))
        else:
            problems.append((text(top), "not a regular file or folder"))
    return sources, problems


def _walk(top: Path, sources: list[Source], problems: list[tuple[str, str]]) -> None:
    def onerror(exc: OSError) -> None:
        problems.append((text(str(exc.filename)), f"cannot read folder: {exc.strerror}"))

    base = top.parent
    for folder, dirs, files in os.walk(top, onerror=onerror):
        dirs.sort()
        here = Path(folder)
        for d in [d for d in dirs if (here / d).is_symlink()]:
            problems.append((text(here / d), "symbolic link to a folder, not followed"))
        for name in sorted(files):
            path = here / name
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:  # listed, then deleted by someone else: the rest goes on
                problems.append((text(path), "the file vanished during the folder walk"))
                continue
            except OSError as exc:
                problems.append((text(path), f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISLNK(mode):
                problems.append((text(path), "symbolic link, not followed"))
            elif not stat.S_ISREG(mode):
                problems.append((text(path), "not a regular file (device, pipe or socket)"))
            else:
                sources.append(Source(path, text(path.relative_to(base).as_posix())))
