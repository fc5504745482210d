"""Hash sets in a real vault: each format imported, looked up at ingest and on demand, hits
recorded and audited, alerts acknowledged, sets disabled and deleted, verify clean throughout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hashkit import (
    CASE,
    content,
    digests,
    hashdeep_file,
    new_case,
    nsrl_file,
    plain_list,
    vics_file,
    write_files,
)
from sqlalchemy import func, select

from matching import hashhits, hashsets
from matching.hashsets import ImportJob
from matching.models import HashSetEntry
from vault import items
from vault.errors import Cancelled, UserError
from vault.ingest import ingest
from vault.jobs import CancelToken, Event, ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows, sql


def _import(s: Session, path: Path, name: str, kind: str, **kw: str) -> hashsets.HashSetInfo:
    return ImportJob(s, path, name, kind, **kw).run(ignore)


def _hits(s: Session) -> dict[int, list[tuple[str, str, int | None, str]]]:
    return {
        item: [(h.set, h.algorithm, h.category, h.digest) for h in found]
        for item, found in hashhits.case_hits(s, CASE).items()
    }


def _item_ids(s: Session) -> dict[str, int]:
    return {i.name: i.id for i in items.list_items(s, CASE)}


def _clean(s: Session) -> None:
    report = verify(s)
    assert report.problems == [], report.problems


def test_every_format_imports_and_matches_at_ingest(session: Session, tmp_path: Path) -> None:
    s = session
    bad = _import(s, plain_list(tmp_path / "bad.txt", [1, 2], "sha256"), "Agency list", "known-bad")
    vics = _import(
        s, vics_file(tmp_path / "v.json", [3, 4], categories={3: 1, 4: 2}), "VIC", "known-bad"
    )
    nsrl = _import(s, nsrl_file(tmp_path / "rds.db", [5, 6]), "NSRL", "known-good")
    deep = _import(s, hashdeep_file(tmp_path / "deep.txt", [7]), "Deep", "info")
    assert bad.counts == {"sha256": 2} and bad.format == "plain"
    assert vics.counts == {"md5": 2, "sha1": 2} and vics.format == "vics"
    # NSRL repeats each file per package: stored once; the release is the set's source
    assert nsrl.counts == {"md5": 2, "sha1": 2, "sha256": 2}
    assert nsrl.source == "NSRL RDS 2026.03.1" and nsrl.format == "nsrl"
    assert deep.counts == {"md5": 1, "sha256": 1} and deep.format == "hashdeep"

    ingest(s, CASE, write_files(tmp_path / "card", range(9)))
    ids = _item_ids(s)
    hits = _hits(s)
    d = {n: digests(content(n)) for n in range(9)}
    assert hits[ids["file00001.bin"]] == [("Agency list", "sha256", None, d[1]["sha256"])]
    assert hits[ids["file00003.bin"]] == [
        ("VIC", "md5", 1, d[3]["md5"]),
        ("VIC", "sha1", 1, d[3]["sha1"]),
    ]
    assert hits[ids["file00004.bin"]][0][2] == 2  # the per-hash category
    assert [h[0] for h in hits[ids["file00005.bin"]]] == ["NSRL"] * 3
    assert [h[1] for h in hits[ids["file00007.bin"]]] == ["md5", "sha256"]
    assert ids["file00000.bin"] not in hits and ids["file00008.bin"] not in hits
    # each hit audited, known-bad ones as alerts
    assert len(audit_rows(s, "hashset.alert")) == 2 + 4
    assert len(audit_rows(s, "hashset.hit")) == 3 * 2 + 2
    assert len(audit_rows(s, "hashset.imported")) == 4
    _clean(s)


def test_match_job_finds_what_ingest_could_not(session: Session, tmp_path: Path) -> None:
    s = session
    ingest(s, CASE, write_files(tmp_path / "card", range(6)))
    _import(s, plain_list(tmp_path / "sha1.txt", [2, 3], "sha1"), "late", "known-bad")
    assert _hits(s) == {}
    events: list[Event] = []
    result = hashhits.MatchJob(s, CASE).run(events.append)
    assert (result.items, result.hits, result.alerts, result.known) == (6, 2, 2, 0)
    assert result.sets == ["late"] and not result.sha256_only
    assert events[-1].done == events[-1].total == 6  # type: ignore[union-attr]
    again = hashhits.MatchJob(s, CASE).run(ignore)  # nothing recorded twice
    assert (again.hits, again.known) == (0, 2)
    assert len(audit_rows(s, "hashset.matched")) == 2
    _clean(s)


def test_match_job_cancelled_records_nothing_more(session: Session, tmp_path: Path) -> None:
    s = session
    ingest(s, CASE, write_files(tmp_path / "card", range(3)))
    _import(s, plain_list(tmp_path / "l.txt", [1]), "l", "info")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        hashhits.MatchJob(s, CASE, token).run(ignore)
    assert audit_rows(s, "hashset.matched") == []


def test_a_case_without_hash_sets_is_looked_up_by_sha256_only(
    session: Session, tmp_path: Path
) -> None:
    s = session
    new_case(s, "PLAIN-1", hash_sets=False)
    _import(s, plain_list(tmp_path / "md5.txt", [1], "md5"), "md5 list", "known-bad")
    _import(s, plain_list(tmp_path / "sha.txt", [2], "sha256"), "sha list", "known-bad")
    ingest(s, "PLAIN-1", write_files(tmp_path / "card", range(3)))
    found = hashhits.case_hits(s, "PLAIN-1")
    assert [h.algorithm for hits in found.values() for h in hits] == ["sha256"]
    result = hashhits.MatchJob(s, "PLAIN-1").run(ignore)
    assert result.sha256_only and result.hits == 0 and result.known == 1


def test_alerts_are_acknowledged_with_a_reason(session: Session, tmp_path: Path) -> None:
    s = session
    _import(s, plain_list(tmp_path / "bad.txt", [1]), "bad", "known-bad")
    _import(s, plain_list(tmp_path / "good.txt", [2]), "good", "known-good")
    ingest(s, CASE, write_files(tmp_path / "card", range(3)))
    [alert] = hashhits.alerts(s)
    assert alert.set == "bad" and alert.alert
    with pytest.raises(UserError, match="needs a reason"):
        hashhits.acknowledge(s, alert.id, "  ")
    good = next(h for hits in hashhits.case_hits(s, CASE).values() for h in hits if h.set == "good")
    with pytest.raises(UserError, match="only known-bad hits are alerts"):
        hashhits.acknowledge(s, good.id, "fine")
    done = hashhits.acknowledge(s, alert.id, "category confirmed by analyst")
    assert done.acknowledged is not None and done.acknowledged["by"] == "alice"
    assert hashhits.alerts(s) == []
    assert len(hashhits.alerts(s, acknowledged=True)) == 1
    with pytest.raises(UserError, match="acknowledged already"):
        hashhits.acknowledge(s, alert.id, "again")
    _clean(s)


def test_disable_enable_delete(session: Session, tmp_path: Path) -> None:
    s = session
    _import(s, plain_list(tmp_path / "l.txt", [1, 2]), "list", "known-bad", source="Agency-B")
    ingest(s, CASE, write_files(tmp_path / "a", [1]))
    assert hashsets.disable_set(s, "list").state == "disabled"
    ingest(s, CASE, write_files(tmp_path / "b", [2]))
    assert len(hashhits.case_hits(s, CASE)) == 1  # the disabled set matched nothing new
    assert hashsets.enable_set(s, "list").state == "active"
    assert hashhits.MatchJob(s, CASE).run(ignore).hits == 1
    before = items.list_items(s, CASE)
    info = hashsets.delete_set(s, "list")
    assert info.state == "deleted"
    with s.db() as db:
        assert db.scalar(select(func.count()).select_from(HashSetEntry)) == 0
    assert items.list_items(s, CASE) == before  # evidence untouched
    assert len(hashhits.case_hits(s, CASE)) == 2  # the hits found stay, naming the set
    assert [x.name for x in hashsets.list_sets(s)] == []
    assert [x.state for x in hashsets.list_sets(s, include_deleted=True)] == ["deleted"]
    with pytest.raises(UserError, match="no hash set named 'list'"):
        hashsets.show_set(s, "list")
    again = _import(s, plain_list(tmp_path / "l2.txt", [3]), "list", "info")  # name free again
    assert again.state == "active"
    with pytest.raises(UserError, match="exists already"):
        _import(s, plain_list(tmp_path / "l3.txt", [4]), "list", "info")
    actions = [e.action for e in audit_rows(s) if e.action.startswith("hashset.")]
    assert actions.count("hashset.disabled") == actions.count("hashset.deleted") == 1
    _clean(s)


def test_verify_names_a_set_edited_outside_custos(session: Session, tmp_path: Path) -> None:
    s = session
    _import(s, plain_list(tmp_path / "l.txt", [1]), "wanted", "known-bad")
    sql(s, "UPDATE hashsets SET kind = 'known-good'")
    report = verify(s)
    assert [(p.where, p.what) for p in report.problems] == [
        ("hash set 'wanted'", "kind changed (edited outside Custos)")
    ]


def test_import_cancelled_or_refused_writes_nothing(session: Session, tmp_path: Path) -> None:
    s = session
    token = CancelToken()
    events: list[Event] = []

    def cancel_while_storing(e: Event) -> None:
        events.append(e)
        if getattr(e, "unit", "") == "entries":
            token.cancel()

    path = plain_list(tmp_path / "l.txt", list(range(200)))
    with pytest.raises(Cancelled):
        ImportJob(s, path, "x", "info", cancel=token).run(cancel_while_storing)
    assert hashsets.list_sets(s, include_deleted=True) == []
    with s.db() as db:
        assert db.scalar(select(func.count()).select_from(HashSetEntry)) == 0
    with pytest.raises(UserError, match="kind 'bad' is not one of"):
        _import(s, path, "y", "bad")
    with pytest.raises(UserError, match="name"):
        _import(s, path, "\x1b[2J", "info")
    assert audit_rows(s, "hashset.imported") == []
    _clean(s)


def test_the_set_row_records_what_was_imported(session: Session, tmp_path: Path) -> None:
    s = session
    path = vics_file(tmp_path / "v1.json", [1, 2, 2], v1=True)  # VICS 1.x cases, a repeat
    info = _import(s, path, "v1", "known-bad", source="Project VIC")
    assert info.counts == {"md5": 2, "sha1": 2} and info.source == "Project VIC"
    [entry] = audit_rows(s, "hashset.imported")
    details = json.loads(entry.details)
    assert details["entries_digest"] == info.entries_digest
    assert details["file_sha256"] == info.file_sha256
