"""A hash set is read back in pages on both back ends (export, verify, the PDQ-set scan), never
whole (issue 12: a national set has tens of millions of entries): the exported VICS JSON is
byte for byte what the whole-set export (before streaming) wrote, whatever the page and sort
sizes; the number of database visits is the pages of the set; on a server, a set larger than
``SORT_ROWS`` is sorted in runs merged from a sealed spool that no digest can be read from.

The pinned SHA-256 figures are those of the export written by the code before this change
(``vics_json`` building the whole document, a server's algorithm sorted whole in memory), on the
same two sets; the same bytes come out of the local vault and of the server."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from hashkit import content, digests, plain_list, vics_file

from matching import hashsets
from matching.hashparse import entries_digest, read_vics_bytes
from matching.hashsets import ImportJob
from vault import tmpspool
from vault.errors import Cancelled
from vault.jobs import CancelToken, ignore
from vault.session import Session
from vaultkit import audit_rows

NUMBERS = list(range(300))
# SHA-256 of the VICS JSON the whole-set export wrote for these two sets (main at 50c92ca)
BEFORE = {
    "set.json": (48913, "14b4676f012f527531871d82e7f517bc52a90884b6ce08dc239a7a2dd03dfea1"),
    "set.txt": (24263, "c9600c2e529b9b26f536aa032ffd1c93203d699e49ffcb7ddeb08413b95c1493"),
}


def _import(s: Session, tmp_path: Path) -> dict[str, int]:
    """A VICS set (MD5 and SHA-1 of 300 files, categories on most) and a plain SHA-256 list."""
    vics_file(tmp_path / "set.json", NUMBERS, categories={n: n % 4 for n in NUMBERS if n % 3})
    plain_list(tmp_path / "set.txt", list(range(1000, 1250)))
    ids = {}
    for name, fmt in (("set.json", None), ("set.txt", "plain")):
        ids[name] = ImportJob(s, tmp_path / name, name, "known-bad", fmt).run(ignore).id
    return ids


def _streamed(s: Session, set_id: int) -> bytes:
    out = bytearray()
    hashsets.write_vics(s, set_id, CancelToken(), out.extend)
    return bytes(out)


@pytest.mark.parametrize(("read_rows", "sort_rows"), [(50_000, 500_000), (7, 40), (1, 1)])
def test_the_streamed_export_is_byte_identical_to_the_whole_set_export(
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    read_rows: int,
    sort_rows: int,
) -> None:
    monkeypatch.setattr(hashsets, "READ_ROWS", read_rows)
    monkeypatch.setattr(hashsets, "SORT_ROWS", sort_rows)
    for name, set_id in _import(session, tmp_path).items():
        data = _streamed(session, set_id)
        assert (len(data), hashlib.sha256(data).hexdigest()) == BEFORE[name]
        assert hashsets.vics_json(session, set_id, CancelToken()) == data
    assert list(hashsets.check_entries(session, CancelToken())) == []


def test_a_set_is_read_in_pages_of_the_set_size(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """8 rows a visit: 300 MD5 + 300 SHA-1 entries are ceil(300/8) = 38 visits each (the last
    short), 250 SHA-256 entries 32 visits; verify's pass and the export read exactly those."""
    ids = _import(session, tmp_path)
    monkeypatch.setattr(hashsets, "READ_ROWS", 8)
    visits: list[tuple[int, bytes, int]] = []
    page = hashsets._page

    def counted(s: Session, set_id: int, after: bytes, below: bytes, limit: int, cats: bool) -> Any:
        rows = page(s, set_id, after, below, limit, cats)
        visits.append((set_id, below, len(rows)))
        assert len(rows) <= 8
        return rows

    monkeypatch.setattr(hashsets, "_page", counted)
    _streamed(session, ids["set.json"])
    md5, sha1 = bytes((2,)), bytes((3,))  # the visits end below the next algorithm's code
    assert [v for v in visits if v[1] == md5] == [(ids["set.json"], md5, 8)] * 37 + [
        (ids["set.json"], md5, 4)
    ]
    assert len([v for v in visits if v[1] == sha1]) == 38
    visits.clear()
    assert list(hashsets.check_entries(session, CancelToken())) == []
    assert sorted({(v[0], v[1]): 0 for v in visits}) == sorted(
        [(ids["set.json"], md5), (ids["set.json"], sha1), (ids["set.txt"], bytes((4,)))]
    )
    assert len(visits) == 38 + 38 + 32


def test_a_server_set_larger_than_a_sort_run_is_merged_from_a_sealed_spool(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs of 64 entries: on a server the 300 MD5 entries are 5 sorted runs written to a spool
    in the vault's tmp/ (no name in the folder while in use, nothing left after), in which no
    digest of the set is found, hex or raw; a local vault reads in key order and spools nothing."""
    ids = _import(session, tmp_path)
    monkeypatch.setattr(hashsets, "SORT_ROWS", 64)
    monkeypatch.setattr(hashsets, "READ_ROWS", 16)
    spools: list[tmpspool.Spool] = []
    written: list[int] = []
    made, write = tmpspool.Spool.__init__, tmpspool.Spool.write

    def init(self: tmpspool.Spool, folder: Path) -> None:
        made(self, folder)
        assert folder == Path(session.folder) / "tmp"
        assert os.listdir(folder) == [] or not any(
            n.startswith("spool-") for n in os.listdir(folder)
        )
        spools.append(self)

    def wrote(self: tmpspool.Spool, data: Any) -> tuple[int, int]:
        written.append(len(data))
        return write(self, data)

    monkeypatch.setattr(tmpspool.Spool, "__init__", init)
    monkeypatch.setattr(tmpspool.Spool, "write", wrote)
    ondisk: list[bytes] = []
    merged = hashsets._records

    def records(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
        spool = spools[-1]
        ondisk.append(os.pread(spool._fd, spool.size, 0))  # what the disk holds, mid-merge
        yield from merged(chunks, size)

    monkeypatch.setattr(hashsets, "_records", records)
    data = _streamed(session, ids["set.json"])
    assert (len(data), hashlib.sha256(data).hexdigest()) == BEFORE["set.json"]
    if session.backend.local:
        assert spools == [] and written == []
        return
    # MD5 and SHA-1: 300 entries each, runs of at least 64 (a page of 16 at a time)
    assert len(spools) == 2
    assert written == [64 * (16 + 4)] * 4 + [44 * (16 + 4)] + [64 * (20 + 4)] * 4 + [44 * 24]
    blob = b"".join(ondisk)
    assert blob
    for n in NUMBERS:
        for algorithm in ("md5", "sha1"):
            hexed = digests(content(n))[algorithm]
            assert bytes.fromhex(hexed) not in blob
            assert re.search(hexed.encode(), blob, re.IGNORECASE) is None
    assert not any(n.startswith("spool-") for n in os.listdir(Path(session.folder) / "tmp"))
    read_back = read_vics_bytes("x.json", data)
    with session.db() as db:
        assert entries_digest(read_back) == hashsets.find_set(db, "set.json").entries_digest


def test_a_damaged_spool_frame_is_refused(tmp_path: Path) -> None:
    with tmpspool.Spool(tmp_path) as spool:
        first = spool.write(b"a" * 100)
        second = spool.write(b"b" * (tmpspool.FRAME + 5))
        assert b"".join(spool.read(*first)) == b"a" * 100
        assert b"".join(spool.read(*second)) == b"b" * (tmpspool.FRAME + 5)
        os.pwrite(spool._fd, b"\x00", first[0] + 30)
        with pytest.raises(InvalidTag):
            b"".join(spool.read(*first))
    assert os.listdir(tmp_path) == []


def test_a_spool_goes_past_4_gib(tmp_path: Path) -> None:
    """The offset bound into each frame is 64-bit: a spool past 2**32 bytes still writes and reads
    (the file is sparse: only the two frames take room on disk)."""
    with tmpspool.Spool(tmp_path) as spool:
        spool.size = 2**32 - 10
        first = spool.write(b"a" * 100)
        second = spool.write(b"b" * 200)
        assert second[0] > 2**32
        assert b"".join(spool.read(*first)) == b"a" * 100
        assert b"".join(spool.read(*second)) == b"b" * 200


def test_a_set_is_deleted_a_page_at_a_time(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 7 rows: every entry and category of the set goes (600 entries, 400 categories),
    the count audited, the other set untouched; verify is clean."""
    ids = _import(session, tmp_path)
    monkeypatch.setattr(hashsets, "READ_ROWS", 7)
    hashsets.delete_set(session, "set.json")
    with session.db() as db:
        conn = db.connection()
        left = {
            table: dict(
                conn.exec_driver_sql(f"SELECT set_id, count(*) FROM {table} GROUP BY set_id").all()
            )
            for table in ("hashset_entries", "hashset_categories")
        }
    assert left == {"hashset_entries": {ids["set.txt"]: 250}, "hashset_categories": {}}
    [entry] = audit_rows(session, "hashset.deleted")
    assert json.loads(entry.details)["entries_removed"] == 600
    assert list(hashsets.check_entries(session, CancelToken())) == []


def test_an_export_waits_in_the_spool_sealed(session: Session, tmp_path: Path) -> None:
    """The bundle's VICS JSON is spooled (size and digests known before the bag is written):
    read back it is the streamed export's bytes; on disk no digest of the set, hex or raw."""
    from exchange.hsexport import _spooled_vics

    ids = _import(session, tmp_path)
    with tmpspool.Spool(Path(session.folder) / "tmp") as spool:
        spooled = _spooled_vics(session, ids["set.json"], CancelToken(), spool)
        data = b"".join(spooled.chunks())
        ondisk = os.pread(spool._fd, spool.size, 0)
    assert (spooled.size, spooled.sha256) == BEFORE["set.json"]
    assert data == _streamed(session, ids["set.json"])
    assert (spooled.sha1, spooled.md5) == (
        hashlib.sha1(data).hexdigest(),
        hashlib.md5(data).hexdigest(),
    )
    for n in NUMBERS:
        for hexed in (digests(content(n))["md5"], digests(content(n))["sha1"]):
            assert re.search(hexed.encode(), data, re.IGNORECASE)  # the control: in clear
            assert bytes.fromhex(hexed) not in ondisk
            assert re.search(hexed.encode(), ondisk, re.IGNORECASE) is None


def test_a_read_back_stops_at_the_batch_after_cancel(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled after the first batch: nothing more is read (on a server, mid-merge too)."""
    ids = _import(session, tmp_path)
    monkeypatch.setattr(hashsets, "SORT_ROWS", 64)
    monkeypatch.setattr(hashsets, "READ_ROWS", 16)
    token = CancelToken()
    batches = hashsets.entry_batches(session, ids["set.json"], token)
    first = next(batches)
    assert first is not None and len(first.digests) == 16
    token.cancel()
    with pytest.raises(Cancelled):
        next(batches)
