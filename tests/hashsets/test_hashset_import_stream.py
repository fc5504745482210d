"""A text hash list (plain, hashdeep) or an NSRL RDS database is imported in bounded memory on
both back ends (issue 12): its digests are sorted in runs of ``SORT_ROWS`` onto a sealed spool as
the file is read, merged without repeats and inserted in pages. The set it stores (its entries,
row by row, its counts and entries digest, the audit entry) is the one the whole-file path
(``hashparse.read`` then ``store_parsed``, still used for VICS) stores from the same file,
whatever the run and read sizes; the spool's bytes on disk hold no digest of the list, raw or
hex."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hashkit import content, digests, hashdeep_file, nsrl_file

from matching import hashparse, hashsets
from matching.hashsets import ImportJob
from matching.models import HashSetCategory, HashSetEntry
from vault.jobs import CancelToken, ignore
from vault.session import Session
from vaultkit import audit_rows

NUMBERS = list(range(120))


def _plain(path: Path) -> Path:
    """MD5, SHA-1 and SHA-256 lines mixed, upper and lower case, with names, comments, blank
    lines, CRLF, and repeats (within a run and across runs)."""
    lines = ["# a known-file list", ""]
    for n in NUMBERS + NUMBERS[::3]:
        d = digests(content(n))
        algorithm = ("md5", "sha1", "sha256")[n % 3]
        value = d[algorithm].upper() if n % 2 else d[algorithm]
        lines.append(f"{value}  dir/file{n}.bin" if n % 5 else value)
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")
    return path


def _rows(s: Session, set_id: int) -> dict[str, list[Any]]:
    with s.db() as db:
        conn = db.connection()
        return {
            table: sorted(
                tuple(r[1:])
                for r in conn.exec_driver_sql(
                    f"SELECT * FROM {table} WHERE set_id = {int(set_id)}"
                ).fetchall()
            )
            for table in (HashSetEntry.__tablename__, HashSetCategory.__tablename__)
        }


def _whole_file(s: Session, path: Path, fmt: str) -> tuple[int, hashparse.Parsed]:
    """The set the whole-file path stores from ``path`` (as an import did before this change)."""
    parsed = hashparse.read(path, fmt, CancelToken(), lambda done: None)
    with s.transaction() as db:
        row = hashsets.store_parsed(
            s, db, "whole-" + path.name, "known-good", None, fmt, parsed, path.name,
            hashparse.file_sha256(path), "active", CancelToken(), ignore,
        )  # fmt: skip
        return row.id, parsed


@pytest.mark.parametrize(
    ("sort_rows", "read_rows", "chunk"),
    [(500_000, 50_000, 8 << 20), (7, 5, 8 << 20), (1, 1, 8 << 20), (7, 3, 300)],
)
@pytest.mark.parametrize("fmt", ["plain", "hashdeep", "nsrl"])
def test_a_streamed_import_stores_what_the_whole_file_import_stored(
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sort_rows: int,
    read_rows: int,
    chunk: int,
    fmt: str,
) -> None:
    monkeypatch.setattr(hashsets, "SORT_ROWS", sort_rows)
    monkeypatch.setattr(hashsets, "READ_ROWS", read_rows)
    monkeypatch.setattr(hashsets, "INSERT_ROWS", max(2, read_rows))
    monkeypatch.setattr(hashparse, "CHUNK", chunk)  # 300 bytes: runs spilled mid-file too
    monkeypatch.setattr(hashparse, "NSRL_ROWS", max(1, chunk // 100))  # 3 rows: mid-table too
    if fmt == "plain":
        path = _plain(tmp_path / "list.txt")
    elif fmt == "hashdeep":
        path = hashdeep_file(tmp_path / "list.hashdeep", NUMBERS + NUMBERS[:10])
    else:  # each row's three digests, every file in two packages (NSRL repeats them)
        path = nsrl_file(tmp_path / "rds.db", NUMBERS)
    info = ImportJob(session, path, "streamed", "known-good", fmt).run(ignore)
    whole_id, parsed = _whole_file(session, path, fmt)
    assert info.entries_digest == hashparse.entries_digest(parsed)
    assert info.counts == {d.algorithm: len(d) for d in parsed.sets}
    assert info.entries == parsed.total
    with session.db() as db:
        whole = db.get(hashsets.HashSet, whole_id)
        assert whole is not None and whole.entries_digest == info.entries_digest
        assert json.loads(whole.counts) == info.counts
    assert _rows(session, info.id) == _rows(session, whole_id)
    assert _rows(session, info.id)[HashSetEntry.__tablename__]
    (entry,) = audit_rows(session, "hashset.imported")
    details = json.loads(entry.details)
    assert details["entries_digest"] == info.entries_digest
    assert details["counts"] == info.counts and details["format"] == fmt
    if fmt == "nsrl":  # the release the database names, as the whole-file import records it
        assert info.source == parsed.source == "NSRL RDS 2026.03.1"
    assert list(hashsets.check_entries(session, CancelToken())) == []
    assert not any(n.startswith("spool-") for n in os.listdir(Path(session.folder) / "tmp"))


def test_the_import_spool_holds_no_digest_in_clear(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs of 7: the list's digests go to the spool in many runs, merged; what the spool's
    file holds on disk when the merge is done (every run and the merged runs) has none of them,
    raw or hex. Control: the same search finds them in the list itself."""
    monkeypatch.setattr(hashsets, "SORT_ROWS", 7)
    monkeypatch.setattr(hashsets, "READ_ROWS", 4)
    path = _plain(tmp_path / "list.txt")
    ondisk: list[bytes] = []
    writes: list[int] = []
    finish, write = hashsets._SpooledRuns.finish, hashsets.Spool.write

    def finished(self: Any, got: hashparse.Collected) -> None:
        finish(self, got)
        ondisk.append(os.pread(self.spool._fd, self.spool.size, 0))

    def wrote(self: Any, data: Any) -> tuple[int, int]:
        writes.append(len(data))
        return write(self, data)

    monkeypatch.setattr(hashsets._SpooledRuns, "finish", finished)
    monkeypatch.setattr(hashsets.Spool, "write", wrote)
    info = ImportJob(session, path, "streamed", "known-bad", "plain").run(ignore)
    assert info.entries == len(NUMBERS)
    # 40 entries of each algorithm (every MD5 listed twice): runs of 7, then a merged run each
    assert len(writes) > 3 * (40 // 7)
    (blob,) = ondisk
    assert len(blob) > len(NUMBERS) * 16
    listed = path.read_bytes()
    for n in NUMBERS:
        for algorithm in ("md5", "sha1", "sha256"):
            hexed = digests(content(n))[algorithm]
            assert bytes.fromhex(hexed) not in blob
            assert re.search(hexed.encode(), blob, re.IGNORECASE) is None
        assert digests(content(n))[("md5", "sha1", "sha256")[n % 3]].encode() in listed.lower()


def test_a_bad_line_is_refused_by_its_number_and_nothing_is_stored(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found after runs were spilled (runs of 3): one line naming it, no set, no spool left."""
    monkeypatch.setattr(hashsets, "SORT_ROWS", 3)
    monkeypatch.setattr(hashparse, "CHUNK", 200)
    path = _plain(tmp_path / "list.txt")
    lines = path.read_bytes().split(b"\r\n")
    lines.insert(100, b"0123456789abcdef0123456789abcdeg  bad.bin")
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(hashparse.HashSetRefused) as caught:
        ImportJob(session, path, "bad", "known-bad", "plain").run(ignore)
    assert str(caught.value) == (
        "list.txt: not imported (1 malformed line): line 101: "
        "'0123456789abcdef0123456789abcdeg' is not hexadecimal"
    )
    assert hashsets.list_sets(session) == []
    assert audit_rows(session, "hashset.imported") == []
    assert not any(n.startswith("spool-") for n in os.listdir(Path(session.folder) / "tmp"))
