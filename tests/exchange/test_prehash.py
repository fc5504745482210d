"""Hashing a bag's payload ahead (``custos bundle verify``) and the export's block copier."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from exchange_kit import Kit, flip_stored_byte, new_vault, run_cli, trust

from exchange import hashpipe, prehash
from exchange.bundles import verify_bundle
from exchange.constants import MAX_BYTES, MAX_FILES
from exchange.export import ExportJob
from vault import agefmt
from vault.errors import IntegrityFault
from vault.jobs import CancelToken, ignore
from vault.models import Item


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wait(ahead: prehash.Prehash) -> None:
    deadline = time.monotonic() + 30
    while not ahead._done and time.monotonic() < deadline:
        time.sleep(0.01)


def test_digests_ahead_are_used_only_for_unchanged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prehash, "RACY_NS", 20_000_000)  # files older than 20 ms are taken
    bag = tmp_path / "bag"
    (bag / "data" / "sub").mkdir(parents=True)
    files = [bag / "data" / f"f{n}" for n in range(6)] + [bag / "data" / "sub" / "g"]
    for n, p in enumerate(files):
        p.write_bytes(os.urandom(n * 70_001))
    (bag / "data" / "link").symlink_to(files[1])
    outside = bag / "manifest-sha256.txt"
    outside.write_bytes(b"not payload")
    time.sleep(0.1)
    with prehash.Prehash(bag, MAX_FILES, MAX_BYTES, worth=0) as ahead:
        _wait(ahead)
        assert ahead._pid  # a child did the work
        assert set(ahead._results) == set(files)  # not the link, not outside data/
        time.sleep(0.05)  # the changes below get new file times
        changed = files[3]
        changed.write_bytes(os.urandom(changed.stat().st_size))  # same size, new content
        replaced = files[4]
        replaced.unlink()
        replaced.write_bytes(b"other")
        for p in [*files, outside]:
            assert ahead.digest(p, CancelToken()) == _sha(p)
    assert not ahead._pid  # collected


def test_take_only_for_the_same_path(tmp_path: Path) -> None:
    from cli.startup import StartUp

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x").write_bytes(b"x" * 1000)
    startup = StartUp(prehash=prehash.Prehash(tmp_path, MAX_FILES, MAX_BYTES))
    assert startup.take_prehash(tmp_path / "other") is None
    assert startup.take_prehash(tmp_path) is None  # taken (and closed) once
    startup.prehash = prehash.Prehash(tmp_path, MAX_FILES, MAX_BYTES)
    ahead = startup.take_prehash(tmp_path)
    assert ahead is not None and ahead.root == tmp_path
    ahead.close()
    ahead.close()


def test_verify_with_digests_ahead_still_finds_an_altered_file(kit: Kit) -> None:
    """The bag was just written, and is changed in the same clock tick as the child's read: its
    file times may not change, so the child leaves recent files to the verification."""
    bag = kit.export().path
    payload = next(p for p in (bag / "data" / "evidence").rglob("*.jpg"))
    with prehash.Prehash(bag, MAX_FILES, MAX_BYTES, worth=0) as ahead:
        _wait(ahead)
        assert verify_bundle(kit.b, bag, digest=ahead.digest).ok
    original = payload.read_bytes()
    with prehash.Prehash(bag, MAX_FILES, MAX_BYTES, worth=0) as ahead:
        _wait(ahead)
        payload.write_bytes(b"\x00" + original[1:])  # after the child read it, same size
        try:
            report = verify_bundle(kit.b, bag, digest=ahead.digest)
        finally:
            payload.write_bytes(original)
    assert any("altered" in p for p in report.problems), report.problems


def test_cli_verify_hashes_ahead(tmp_path: Path) -> None:
    """A payload over ``prehash.WORTH``: intact, then one byte changed, through the CLI."""
    from exchange import directory
    from vault.cases import create_case
    from vault.ingest import ingest

    a = new_vault(tmp_path / "nl", "anna", "Politie NL", "NL")
    b = new_vault(tmp_path / "de", "bernd", "BKA", "DE")
    try:
        trust(a, b)
        directory.add_agreement(a, "BKA", "joint-operation", "AMBER", "2099-12-31")
        directory.add_agreement(b, "Politie NL", "joint-operation", "AMBER", "2099-12-31")
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(prehash.WORTH + 12_345))
        create_case(a, "NL-BIG", "big", ["drug-trafficking"])
        ingest(a, "NL-BIG", [big])
        bag = ExportJob(a, "NL-BIG", "BKA", "joint-operation", tmp_path / "bag").run(ignore).path
    finally:
        a.close()
        b.close()
    ok = run_cli("bundle", "verify", str(bag), vault=tmp_path / "de", user="bernd")
    assert ok.returncode == 0, ok.stderr
    assert "is intact" in ok.stdout
    payload = bag / "data" / "evidence" / "big.bin"
    original = payload.read_bytes()
    payload.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    bad = run_cli("bundle", "verify", str(bag), vault=tmp_path / "de", user="bernd")
    assert bad.returncode == 5
    assert "big.bin: checksum does not match" in bad.stderr


@pytest.mark.parametrize("size", [0, 1, 65_535, 65_536, 65_537, 4 << 20, (4 << 20) + 3])
def test_decryptor_reads_what_decrypt_chunks_reads(size: int) -> None:
    identity = agefmt.Identity.generate()
    data = os.urandom(size)
    blob = agefmt.encrypt_bytes(data, [identity.recipient])
    for buffer in (65_536, 3 * 65_536, 4 << 20):
        reader = agefmt.Decryptor(io.BufferedReader(io.BytesIO(blob)), identity)  # type: ignore[arg-type]
        view, got = memoryview(bytearray(buffer)), b""
        while n := reader.readinto(view):
            got += bytes(view[:n])
        assert got == data
    last = (size % 65_536 or 65_536) + 16
    for cut in {len(blob) - 1, len(blob) - 16, len(blob) - last}:
        with pytest.raises(agefmt.AgeError):
            src = io.BufferedReader(io.BytesIO(blob[:cut]))  # type: ignore[arg-type]
            reader = agefmt.Decryptor(src, identity)  # type: ignore[arg-type]
            while reader.readinto(memoryview(bytearray(1 << 20))):
                pass


def test_block_copier_falls_back_to_buffered_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def no_direct(fd: int, data: memoryview) -> int:
        import fcntl

        if fcntl.fcntl(fd, fcntl.F_GETFL) & hashpipe.O_DIRECT:
            raise OSError(errno.EINVAL, "direct I/O refused")
        return real_write(fd, data)

    data = os.urandom((4 << 20) * 2 + 5000)
    copier = hashpipe.BlockCopier(blocks=2)
    try:
        for name, patched in (("direct", False), ("fallback", True)):
            if patched:
                monkeypatch.setattr(os, "write", no_direct)
            fd = os.open(tmp_path / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            hashpipe.try_direct(fd)
            src = io.BytesIO(data)
            done = copier.copy(fd, lambda view, src=src: src.readinto(view), lambda n: None)
            assert done.result() == (hashlib.sha256(data).hexdigest(), len(data))
            assert (tmp_path / name).read_bytes() == data
    finally:
        copier.close()


def test_export_refuses_a_damaged_blob_and_leaves_nothing(kit: Kit) -> None:
    from vault.cases import create_case
    from vault.ingest import ingest

    src = kit.root / "to-damage.bin"
    src.write_bytes(os.urandom(200_000))
    create_case(kit.a, "NL-DMG", "damaged", ["drug-trafficking"])
    [item] = ingest(kit.a, "NL-DMG", [src]).saved
    with kit.a.db() as db:
        row = db.get(Item, item)
        assert row is not None
        flip_stored_byte(kit.a, row.blob_name)
    target = kit.root / "damaged-bag"
    for encrypt in (False, True):  # each sink's own copy path (folder: blocks; tar: stream)
        with pytest.raises(IntegrityFault, match="stored copy is missing or damaged"):
            ExportJob(kit.a, "NL-DMG", "BKA", "joint-operation", target, encrypt=encrypt).run(
                ignore
            )
        left = [p.name for p in kit.root.iterdir() if p.name.startswith((".damaged", "damaged"))]
        assert not left
