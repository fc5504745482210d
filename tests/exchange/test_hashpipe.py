"""The hashing helpers behind verify, export and import: hash threads, writer thread."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from exchange.hashpipe import WriterThread, batched, hash_many, sha256_file
from vault.errors import Cancelled
from vault.hashing import MultiHasher
from vault.jobs import CancelToken


def test_threads_give_the_plain_results(tmp_path: Path) -> None:
    data = [os.urandom(70_000) for _ in range(40)]
    want = hashlib.sha256(b"".join(data)).hexdigest()
    for group in (0, 1 << 20):  # chunk by chunk, or handed over in ~1 MiB groups (verify)
        h = MultiHasher(3 << 20, hash_sets=False, group=group)
        for chunk in data if group else batched(data):
            h.update(chunk)
        assert h.hexdigest() == want
    assert [len(c) for c in batched([b"x" * 600_000] * 3)] == [1_200_000, 600_000]
    fd = os.open(tmp_path / "w", os.O_WRONLY | os.O_CREAT)
    w = WriterThread(fd)
    for chunk in data:
        w.write(chunk)
    w.close()
    os.close(fd)
    assert (tmp_path / "w").read_bytes() == b"".join(data)
    files = {f"f{n}": tmp_path / f"f{n}" for n in range(5)}
    for p in files.values():
        p.write_bytes(os.urandom(3 << 20))
    got = dict(hash_many(files.items(), sha256_file, CancelToken()))
    assert got == {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        dict(hash_many(files.items(), sha256_file, token))
