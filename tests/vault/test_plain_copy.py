"""The one decrypted temp copy (for libraries that read files only): private, always removed."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.fsutil import plain_copy


def test_plain_copy_is_private_and_removed_even_on_error() -> None:
    with plain_copy([b"ab", b"cd"], ".mp4") as path:
        assert path.read_bytes() == b"abcd" and path.suffix == ".mp4"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.exists()

    def damaged() -> Iterator[bytes]:
        yield b"first chunk"
        raise OSError("blob damaged")

    folder = Path("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
    before = set(folder.glob("custos-*.jpg"))
    with pytest.raises(OSError, match="blob damaged"), plain_copy(damaged(), ".jpg"):
        pass
    assert set(folder.glob("custos-*.jpg")) == before
