"""What an ingest reads: files and folders expanded into sources, links never followed."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    path: Path
    name: str  # relative path kept from the ingested folder


def collect(paths: list[Path]) -> tuple[list[Source], list[tuple[str, str]]]:
    """Expand files and folders (recursively, links not followed) into sources and problems."""
    sources: list[Source] = []
    problems: list[tuple[str, str]] = []
    for top in paths:
        if not top.exists() and not top.is_symlink():
            problems.append((str(top), "no such file or folder"))
        elif top.is_dir():
            _walk(top, sources, problems)
        elif top.is_file():
            sources.append(Source(top, top.name))
        else:
            problems.append((str(top), "not a regular file or folder"))
    return sources, problems


def _walk(top: Path, sources: list[Source], problems: list[tuple[str, str]]) -> None:
    def onerror(exc: OSError) -> None:
        problems.append((str(exc.filename), f"cannot read folder: {exc.strerror}"))

    base = top.parent
    for folder, dirs, files in os.walk(top, onerror=onerror):
        dirs.sort()
        here = Path(folder)
        for d in [d for d in dirs if (here / d).is_symlink()]:
            problems.append((str(here / d), "symbolic link to a folder, not followed"))
        for name in sorted(files):
            path = here / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                problems.append((str(path), "symbolic link, not followed"))
            elif not stat.S_ISREG(mode):
                problems.append((str(path), "not a regular file (device, pipe or socket)"))
            else:
                sources.append(Source(path, path.relative_to(base).as_posix()))
