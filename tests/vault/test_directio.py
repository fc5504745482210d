"""``vault.directio``: a large file written past the page cache holds exactly the bytes given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vault import directio


@pytest.mark.parametrize(
    "sizes",
    [
        [0],
        [1],
        [directio.BLOCK - 1, 2],
        [directio.BUFFER],
        [65552] * 200 + [17],  # age chunks across several buffers, a short tail
        [3, directio.BUFFER * 2 + directio.BLOCK, 5],
    ],
)
def test_the_file_holds_exactly_what_was_written(tmp_path: Path, sizes: list[int]) -> None:
    for folder in (tmp_path, Path("/dev/shm")):  # a disk, and tmpfs (O_DIRECT may be refused)
        if not folder.is_dir():
            continue
        path = folder / f"direct-{os.getpid()}-{len(sizes)}"
        parts = [os.urandom(n) for n in sizes]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            out = directio.DirectWriter(fd)
            for part in parts:
                assert out.write(part) == len(part)
            out.close()
            out.close()  # again: nothing more
            assert out.written == sum(sizes)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            assert path.read_bytes() == b"".join(parts)
        finally:
            path.unlink()


def test_a_write_that_fails_is_raised_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "f"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    out = directio.DirectWriter(fd)
    os.close(fd)  # the descriptor is gone: the writes fail (EBADF)
    with pytest.raises(OSError):
        for _ in range(3):
            out.write(bytes(directio.BUFFER))
        out.close()
    out.abandon()
