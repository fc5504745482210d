"""A text hash list (plain, hashdeep), an NSRL RDS database or a VICS JSON file (streamed by
ijson, with its categories) is imported in bounded memory on both back ends (issue 12): its
digests are sorted in runs of ``SORT_ROWS`` onto a sealed spool as the file is read, merged
without repeats and inserted in pages. The set it stores (its entries, row by row, its counts
and entries digest, the audit entry) is the one the whole-file path (``hashparse.read`` then
``store_parsed``) stores from the same file, whatever the run and read sizes; the spool's bytes
on disk hold no digest of the list, raw or hex."""

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


def _vics(path: Path, v1: bool = False) -> Path:
    """Media entries with MD5 and SHA-1 and a category (or none), others with a SHA-256 only and
    no category (an algorithm without categories), repeats near and far (same category), upper
    and lower case, fields not read (nested too); VICS 1.x: two cases."""
    media: list[dict[str, Any]] = []
    for n in NUMBERS + NUMBERS[::3]:
        d = digests(content(n))
        if n % 3 == 2:
            media.append({"SHA256": d["sha256"], "Comments": {"x": [1, {"y": None}]}})
            continue
        entry: dict[str, Any] = {"MediaID": n, "MD5": d["md5"].upper(), "sha1": d["sha1"]}
        if n % 4:
            entry["Category"] = n % 4 if n % 5 else str(n % 4)
        media.append(entry)
    if v1:
        half = len(media) // 2
        cases = [{"CaseID": 1, "Media": media[:half]}, {"Media": media[half:], "CaseID": 2}]
        path.write_text(json.dumps({"odata.metadata": "x#Cases", "value": cases}))
    else:
        path.write_text(json.dumps({"@odata.context": "x#Media", "value": media}, indent=1))
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
@pytest.mark.parametrize("fmt", ["plain", "hashdeep", "nsrl", "vics", "vics1"])
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
    monkeypatch.setattr(hashparse, "VICS_SPILL", max(1, chunk // 100))  # 3 entries
    monkeypatch.setattr(hashparse, "JSON_BUFFER", min(chunk, 64 << 10))
    if fmt.startswith("vics"):
        path = _vics(tmp_path / "vics.json", v1=fmt == "vics1")
        fmt = "vics"
    elif fmt == "plain":
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

    def finished(self: Any, got: hashparse.Collected, name: str) -> None:
        finish(self, got, name)
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


@pytest.mark.parametrize("sort_rows", [500_000, 7, 1])
def test_a_digest_given_two_categories_is_refused_within_and_across_runs(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort_rows: int
) -> None:
    """The same MD5 with category 1 at the start and 3 at the end of the file (with runs of 7,
    in different runs), and a repeat with the same category: refused as the whole-file read
    refuses it, nothing stored, no spool left."""
    monkeypatch.setattr(hashsets, "SORT_ROWS", sort_rows)
    monkeypatch.setattr(hashparse, "VICS_SPILL", 2)
    d = digests(content(0))
    media: list[dict[str, Any]] = [{"MD5": d["md5"], "Category": 1}]
    media += [{"MD5": digests(content(n))["md5"], "Category": 2} for n in range(1, 30)]
    media += [{"MD5": d["md5"], "Category": 1}, {"MD5": d["md5"].upper(), "Category": 3}]
    path = tmp_path / "clash.json"
    path.write_text(json.dumps({"value": media}))
    expected = (
        f"clash.json: not imported (1 malformed line): md5 {d['md5']}: given categories 1 and 3"
    )
    with pytest.raises(hashparse.HashSetRefused) as whole:
        hashparse.read(path, "vics", CancelToken(), lambda done: None)
    assert str(whole.value) == expected
    with pytest.raises(hashparse.HashSetRefused) as streamed:
        ImportJob(session, path, "clash", "known-bad", "vics").run(ignore)
    assert str(streamed.value) == expected
    assert hashsets.list_sets(session, include_deleted=True) == []
    assert audit_rows(session, "hashset.imported") == []
    assert not any(n.startswith("spool-") for n in os.listdir(Path(session.folder) / "tmp"))


def test_a_vics_file_is_read_as_a_stream_never_whole(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streaming path is the one taken: with the parser fed 512 bytes at a time, runs of 7
    and spills every 3 entries, a VICS file of 40 times the buffer imports; no read of the
    file asks for more than the buffer, and ``json`` never parses it."""
    monkeypatch.setattr(hashparse, "JSON_BUFFER", 512)
    monkeypatch.setattr(hashparse, "CHUNK", 512)  # the file's SHA-256 too
    monkeypatch.setattr(hashparse, "VICS_SPILL", 3)
    monkeypatch.setattr(hashsets, "SORT_ROWS", 7)
    path = _vics(tmp_path / "vics.json")
    assert path.stat().st_size > 40 * 512
    spills: list[int] = []
    spill = hashsets._SpooledRuns.spill

    def spilled(self: Any, got: hashparse.Collected, final: bool = False) -> None:
        spills.append(sum(len(v) for v in got.digests.values()))
        spill(self, got, final)

    loads = json.loads

    def no_json(text: Any, *args: Any, **kw: Any) -> Any:
        assert len(text) < 4096, "the VICS file was parsed whole"
        return loads(text, *args, **kw)

    monkeypatch.setattr(hashsets._SpooledRuns, "spill", spilled)
    monkeypatch.setattr(json, "loads", no_json)
    reads: list[int] = []
    opened = hashparse._opened

    class Counted:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def read(self, n: int = -1) -> bytes:
            reads.append(n)
            return self.fh.read(n)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

    import contextlib

    @contextlib.contextmanager
    def counted(p: Path) -> Any:
        with opened(p) as fh:
            yield Counted(fh)

    monkeypatch.setattr(hashparse, "_opened", counted)
    info = ImportJob(session, path, "streamed", "known-bad", "vics").run(ignore)
    monkeypatch.undo()
    assert info.entries == len(NUMBERS) + len([n for n in NUMBERS if n % 3 != 2])
    # digest bytes held at a spill: under a run of 7 plus 3 entries per algorithm (all: 4,160)
    assert len(spills) > 10 and max(spills) <= 3 * (7 + 3) * 32
    assert len(reads) > 40 and max(reads) <= 512 < path.stat().st_size


def test_the_reader_fast_path_takes_and_names_what_the_entry_check_does() -> None:
    """Branch hsfast reads a well-formed media entry in fewer steps (``_vics_taken``; the start,
    keys, values and end of an entry handled in ``_read_vics``'s loop): the same digests, with
    the same categories, and the same malformed entries named, as ``_vics_media`` gives for each
    entry, over entries that are well-formed and entries that are wrong in every way it checks
    (a category as text, negative, too large, a boolean, a fraction; a digest empty, null, too
    short, not hex, not text, not ASCII; lower-case keys; no digest; an entry of a case)."""
    d = [digests(content(n)) for n in range(40)]
    tricky: list[Any] = [
        {"MD5": d[0]["md5"], "Category": "3"},
        {"MD5": d[1]["md5"], "Category": " 2 "},
        {"MD5": d[2]["md5"], "Category": -1},
        {"MD5": d[3]["md5"], "Category": 1 << 15},
        {"MD5": d[4]["md5"], "Category": True},
        {"MD5": d[5]["md5"], "Category": 1.5},
        {"MD5": "", "SHA1": d[6]["sha1"]},
        {"MD5": None, "SHA1": d[7]["sha1"], "Category": None},
        {"MD5": d[8]["md5"][:-1]},
        {"MD5": "zz" + d[9]["md5"][2:]},
        {"MD5": 12345678901234567890123456789012},
        {"MD5": "é" * 32},
        {"md5": d[10]["md5"], "sha1": d[10]["sha1"].upper(), "Category": 0},
        {"MD5": d[11]["md5"], "md5": "not even hex"},
        {"MediaID": 7},
        {"SHA256": d[12]["sha256"], "PDQ": "ab" * 32, "Category": 3},
        {"MD5": {"nested": [1, 2]}},
        {"SHA1": [d[13]["sha1"]]},
        "a string",
        {"MD5": d[14]["md5"].lower(), "SHA1": d[14]["sha1"].upper(), "Category": 2},
    ]
    cases = [{"Media": [{"MD5": d[20 + n]["md5"], "Category": n % 4} for n in range(5)]}]
    cases[0]["Media"].append({"MD5": "short", "Category": 1})
    doc = json.dumps({"value": tricky + cases + [{"SHA1": d[30]["sha1"], "Category": 1}]})
    got = hashparse._read_vics("t.json", iter([doc.encode()]), CancelToken(), lambda _: None)
    want = hashparse.Collected()
    for i, m in enumerate(json.loads(doc)["value"]):
        if isinstance(m, dict) and "Media" in m:
            for j, media in enumerate(m["Media"]):
                hashparse._vics_media(media, f"value[{i}].Media[{j}]", want)
        elif isinstance(m, dict) and any(isinstance(v, dict | list) for v in m.values()):
            key = next(k for k, v in m.items() if isinstance(v, dict | list))
            hashparse._vics_media({key: "(an object or a list)"}, f"value[{i}]", want)
        else:
            hashparse._vics_media(m, f"value[{i}]", want)
    assert got.problems == want.problems and got.problem_count == want.problem_count == 13
    assert got.digests == want.digests and got.categories == want.categories
    assert {a: len(v) for a, v in got.categories.items()} == {
        "md5": 10, "sha1": 5, "sha256": 1, "pdq": 1,
    }  # fmt: skip
