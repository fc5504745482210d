"""What an ingest reads: files and folders expanded into sources, links never followed.

Names on seized media are bytes. Python gives a name that is not valid UTF-8 (a Latin-1 name from
an old camera card) with surrogate escapes, which no database, JSON or terminal accepts; ``text``
turns such a path into valid text with the bad bytes shown as ``\\xNN``, and ``raw_bytes`` keeps
the exact bytes (the "acquired" custody event records them, so nothing is lost).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
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


@dataclass(frozen=True, slots=True)
class Source:
    # The path as the file system gives it (opens the file; may hold surrogate escapes), kept
    # as the walk's string: a Path per file was a visible part of walking a phone dump.
    where: str
    name: str  # relative path kept from the ingested folder, as valid text (``text``)

    @property
    def path(self) -> Path:
        return Path(self.where)


def walk(
    paths: list[Path], problems: list[tuple[str, str]], again: bool = False
) -> Iterator[tuple[Source, int]]:
    """Expand files and folders (recursively, links not followed, each folder's names sorted)
    into (source, size) one at a time, adding what cannot be read to ``problems``.

    A generator, so an ingest of a million files never holds a million sources: it walks once
    to count and size them (progress), then ``again`` to store them (``vault.ingest``): then a
    file gone since the first walk is still yielded (size 0), so reading it says it vanished,
    in its place."""
    for top in paths:
        if not top.exists() and not top.is_symlink():
            problems.append((text(top), "no such file or folder"))
        elif top.is_dir():
            yield from _walk(top, problems, again)
        elif top.is_file():
            try:
                size = top.stat().st_size
            except OSError:  # gone since: reading it will say so
                size = 0
            yield Source(str(top), text(top.name)), size
        else:
            problems.append((text(top), "not a regular file or folder"))


def collect(paths: list[Path]) -> tuple[list[Source], list[tuple[str, str]]]:
    """Every source of ``walk`` in a list, and the problems."""
    problems: list[tuple[str, str]] = []
    return [source for source, _ in walk(paths, problems)], problems


def _walk(top: Path, problems: list[tuple[str, str]], again: bool) -> Iterator[tuple[Source, int]]:
    """``os.walk`` top-down with each folder's names sorted, on ``os.scandir`` entries and
    plain strings: a phone dump is walked twice, and pathlib's parsing of every path was most
    of the walk's time."""
    root = str(top)
    # The paths are those pathlib would give (``Source.path``): "d/f", not "./d/f", under "."
    here = root == os.curdir
    # A name keeps the folder's own name: it starts where that name starts in the path (the
    # length of str(top.parent) cut "card/a.txt" to "rd/a.txt", its parent being ".")
    cut = 0 if here else len(root) - len(top.name)

    def relative(path: str) -> str:
        return text(path[cut:] if os.sep == "/" else path[cut:].replace(os.sep, "/"))

    def folder(where: str) -> Iterator[tuple[Source, int]]:
        try:
            with os.scandir(where) as listing:
                entries = list(listing)
        except OSError as exc:
            problems.append((text(str(exc.filename)), f"cannot read folder: {exc.strerror}"))
            return
        dirs: list[os.DirEntry[str]] = []
        files: list[os.DirEntry[str]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows a link, as os.walk does: named just below
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry)
        dirs.sort(key=lambda e: e.name)
        files.sort(key=lambda e: e.name)
        for d in dirs:
            if d.is_symlink():
                problems.append((text(d.path), "symbolic link to a folder, not followed"))
        inside = here and where == root  # entries of ".": their names are their paths
        for f in files:
            path = f.name if inside else f.path
            try:
                info = f.stat(follow_symlinks=False)
            except FileNotFoundError:  # listed, then deleted by someone else: the rest goes on
                if again:
                    yield Source(path, relative(path)), 0
                else:
                    problems.append((text(path), "the file vanished during the folder walk"))
                continue
            except OSError as exc:
                problems.append((text(path), f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISLNK(info.st_mode):
                problems.append((text(path), "symbolic link, not followed"))
            elif not stat.S_ISREG(info.st_mode):
                problems.append((text(path), "not a regular file (device, pipe or socket)"))
            else:
                yield Source(path, relative(path)), info.st_size
        for d in dirs:
            if not d.is_symlink():
                yield from folder(d.name if inside else d.path)

    yield from folder(root)
