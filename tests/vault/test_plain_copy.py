"""The one plain-copy helper: decrypted bytes a file-only library can open, never in a folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.fsutil import plain_copy


def _custos_files() -> set[Path]:
    found: set[Path] = set()
    for folder in ("/dev/shm", tempfile.gettempdir()):
        if os.path.isdir(folder):
            found |= set(Path(folder).glob("custos-*"))
    return found


def test_plain_copy_is_in_no_folder_and_gone_after_even_on_error() -> None:
    before = _custos_files()
    with plain_copy([b"ab", b"cd"], ".mp4") as path:
        assert path.read_bytes() == b"abcd"
        assert str(path).startswith("/proc/self/fd/")  # anonymous memory (memfd)
        fd = int(path.name)
        assert os.readlink(path).startswith("/memfd:custos-plain")
        assert _custos_files() == before
    with pytest.raises(OSError):
        os.fstat(fd)  # closed: the memory is released

    def damaged() -> Iterator[bytes]:
        yield b"first chunk"
        raise OSError("blob damaged")

    with pytest.raises(OSError, match="blob damaged"), plain_copy(damaged(), ".jpg"):
        pass
    assert _custos_files() == before
