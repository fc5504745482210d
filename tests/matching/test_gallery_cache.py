"""The persistent gallery cache (``matching.gallerycache``): a new session loads a large
watchlist from its encrypted file; a stale, damaged or forged file is ignored and rebuilt."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from backendkit import BACKENDS, copy_place, vault_place
from sqlalchemy import select
from test_product_gallery import _probes, _references, _subject, _synthetic

from matching import gallerycache, searching
from matching import index as ann
from matching.detect import MODEL_VERSION
from matching.faces import MODEL_NAME
from matching.models import Reference, Subject
from matching.searching import drop_cached_galleries, search
from matching.watchlists import (
    WatchlistRows,
    create_watchlist,
    find_watchlist,
    load_watchlist_rows,
)
from service.opener import init_vault
from vault import sealing
from vault.session import Session
from vaultkit import FAST_KDF, open_as

Key = list[tuple[object, ...]]


@pytest.fixture(scope="module", params=BACKENDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A closed vault with watchlist W of 50 subjects x 4 references and a case of 8 probe
    faces (in a folder, or on a server), never searched: no gallery cache yet."""
    root = tmp_path_factory.mktemp("gallery")
    return _build(vault_place(request, root / "vault"), root)


@pytest.fixture
def folder(
    request: pytest.FixtureRequest, built: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The test's own copy of ``built`` (above the patched index threshold of 100; a copy on
    a server has a workstation folder of its own, so no cache file either)."""
    monkeypatch.setattr(ann, "INDEX_MIN_REFERENCES", 100)
    return copy_place(request, built, tmp_path / "vault")


def _build(place: Any, tmp_path: Path) -> Any:
    session, _ = init_vault(place, "alice", "correct horse battery", kdf=FAST_KDF)
    rng = np.random.default_rng(7)
    create_watchlist(session, "W")
    refs = _synthetic(rng, 50, 4)
    for s in range(50):
        _references(session, _subject(session, "W", f"S{s:03d}"), refs[4 * s : 4 * s + 4])
    _probes(session, "C-1", refs[::25] + rng.normal(0, 0.01, refs[::25].shape), tmp_path)
    session.close()
    return place


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the database loads of a watchlist (``searching.load_watchlist_rows``)."""
    calls: list[int] = []
    real = searching.load_watchlist_rows

    def counted(db: object, wl: object) -> WatchlistRows:
        calls.append(1)
        return real(db, wl)  # type: ignore[arg-type]

    monkeypatch.setattr(searching, "load_watchlist_rows", counted)
    return calls


@pytest.fixture
def session(folder: Any) -> Iterator[Session]:
    s = open_as(folder)
    yield s
    s.close()


def _key(session: Session, mode: str = "investigative") -> Key:
    out = search(session, ["W"], case_reference="C-1", top=3, mode=mode)
    return [(c.face, c.subject, c.subject_id, c.reference, c.rank) for c in out.candidates]


def _path(session: Session) -> Path:
    with session.db() as db:
        return gallerycache.cache_path(session, find_watchlist(db, "W").id)


def _fresh_search(session: Session, mode: str = "investigative") -> Key:
    """A search as a new session's first (the in-memory gallery dropped)."""
    drop_cached_galleries(session)
    return _key(session, mode)


def test_a_new_session_loads_the_gallery_from_the_cache(
    folder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_as(folder)
    expected, expected_alert = _key(first), _key(first, "alert")
    path = _path(first)
    assert path.is_file() and path.parent == first.folder / "cache"  # a server's: local
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "W" not in path.name and len(path.name) == 64  # keyed name: reveals nothing
    data = path.read_bytes()  # nothing readable: no header field, id or embedding bytes
    for plain in (b"watchlist", b"model", MODEL_NAME.encode(), b"S000"):
        assert plain not in data
    with first.db() as db:
        ref = db.scalar(select(Reference).order_by(Reference.id))
        assert ref is not None and ref.embedding[:64] not in data
    first.close()

    def no_database(*_: object) -> WatchlistRows:
        raise AssertionError("the gallery was loaded from the database")

    monkeypatch.setattr(searching, "load_watchlist_rows", no_database)
    second = open_as(folder)
    try:
        assert _key(second) == expected and expected
        assert _key(second, "alert") == expected_alert and expected_alert
    finally:
        second.close()


def test_enrolment_or_expiry_makes_it_stale_and_it_is_rebuilt(
    session: Session, loads: list[int]
) -> None:
    _key(session)
    assert len(loads) == 1
    assert len(_fresh_search(session)) and len(loads) == 1  # from the file
    before = _path(session).read_bytes()

    # an enrolment: a new subject and references (audited), seen by a new session
    rng = np.random.default_rng(8)
    new = _subject(session, "W", "NEW")
    _references(session, new, _synthetic(rng, 1, 4))
    _fresh_search(session)
    assert len(loads) == 2  # stale: loaded from the database and rewritten
    after = _path(session).read_bytes()
    assert after != before and len(after) > len(before)
    _fresh_search(session)
    assert len(loads) == 2

    # an expiry change (audited) makes the file stale too; the expired subject is not found
    with session.transaction() as db:
        subject = db.get(Subject, new)
        assert subject is not None
        subject.expires_on = (date.today() - timedelta(days=1)).isoformat()
        session.audit(db, "watchlist.subject_updated", subject, watchlist="W", ref="NEW")
    out = search(session, ["W"], case_reference="C-1", top=3, mode="alert")
    assert len(loads) == 3
    assert all(c.subject_id != new for c in out.candidates)
    _fresh_search(session)
    assert len(loads) == 3


def _other_key_file(session: Session, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The watchlist's cache content sealed under another vault's subkey."""
    path = _path(session)
    good = path.read_bytes()
    with monkeypatch.context() as m:
        other = os.urandom(32)
        m.setattr(gallerycache, "_subkey", lambda _s: other)
        with session.db() as db:
            wl = find_watchlist(db, "W")
            seq, max_ids = searching._version(db)
            rows = load_watchlist_rows(db, wl)
            head = searching._head(db, seq)
        h = gallerycache.CacheHeader(
            wl.id, seq, max_ids, MODEL_NAME, MODEL_VERSION, len(rows), head=head
        )
        forged = gallerycache.write(session, h, rows).read_bytes()
        m.undo()
    path.write_bytes(good)
    return forged


@pytest.mark.parametrize(
    "damage", ["header byte", "payload byte", "last byte", "truncated", "extended", "other key"]
)
def test_a_damaged_or_forged_file_is_ignored_and_rewritten(
    session: Session, loads: list[int], monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    expected = _key(session)
    path = _path(session)
    good = path.read_bytes()
    data = bytearray(good)
    if damage == "header byte":
        data[40] ^= 0x01
    elif damage == "payload byte":
        data[len(data) // 2] ^= 0x80
    elif damage == "last byte":
        data[-1] ^= 0x01
    elif damage == "truncated":
        del data[-100:]
    elif damage == "extended":
        data += b"\0" * 16
    else:
        data = bytearray(_other_key_file(session, monkeypatch))
        assert len(data) == len(good)
    path.write_bytes(bytes(data))

    assert _fresh_search(session) == expected
    assert len(loads) == 2  # ignored: loaded from the database ...
    rewritten = path.read_bytes()
    assert rewritten != bytes(data) and len(rewritten) == len(good)  # ... and rewritten
    assert _fresh_search(session) == expected
    assert len(loads) == 2  # the new file is used


def test_expired_rows_are_left_out_by_todays_date_from_the_cache(
    session: Session, loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with session.transaction() as db:
        subject = db.scalar(select(Subject).where(sealing.equals(db, Subject.ref, "S000")))
        assert subject is not None and subject.ref == "S000"
        subject.expires_on = date.today().isoformat()  # searchable through today
        session.audit(db, "watchlist.subject_updated", subject, watchlist="W", ref="S000")
        gone = subject.id
    out = search(session, ["W"], case_reference="C-1", top=3, mode="alert")
    assert any(c.subject_id == gone for c in out.candidates)
    assert len(loads) == 1
    assert len(searching._galleries_of(session).by_watchlist.popitem()[1].gallery) == 200

    tomorrow = date.today() + timedelta(days=1)

    class Tomorrow(date):
        @classmethod
        def today(cls) -> Tomorrow:
            return cls(tomorrow.year, tomorrow.month, tomorrow.day)

    monkeypatch.setattr(searching, "date", Tomorrow)
    drop_cached_galleries(session)
    out = search(session, ["W"], case_reference="C-1", top=3, mode="alert")
    assert len(loads) == 1  # the same file: no rebuild for a new day
    assert out.candidates and all(c.subject_id != gone for c in out.candidates)
    assert len(searching._galleries_of(session).by_watchlist.popitem()[1].gallery) == 196


def test_a_cache_that_cannot_be_written_is_skipped(
    session: Session, loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gallerycache, "write", disk_full)
    expected = _key(session)
    assert not _path(session).exists()
    assert _fresh_search(session) == expected and len(loads) == 2


def test_a_small_watchlist_has_no_cache_file(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann, "INDEX_MIN_REFERENCES", 201)
    _key(session)
    assert not _path(session).exists()


@pytest.mark.server
def test_a_server_restored_from_a_backup_never_gets_the_lost_historys_gallery(
    trial_server: Any,
    server_place: Any,
    loads: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a server the cache is this workstation's, not restored with the database (a vault
    folder is restored with its ``cache/``): after a restore, a new enrolment can give the same
    audit sequence number and largest ids as the lost history's cache file had. The file must
    not pass for the new state: it would give the lost subject's faces the new one's name."""
    monkeypatch.setattr(ann, "INDEX_MIN_REFERENCES", 100)
    folder = _build(server_place, tmp_path)
    backup = trial_server.copy_place(folder)
    try:
        rng = np.random.default_rng(9)
        lost_faces, new_faces = _synthetic(rng, 2, 4)[:4], _synthetic(rng, 2, 4)[4:]
        with open_as(folder) as lost_history:
            lost = _subject(lost_history, "W", "LOST")
            _references(lost_history, lost, lost_faces)
            _key(lost_history)  # the cache file written for the lost history
            assert len(loads) == 1
        trial_server.restore_place(folder, backup)
        with open_as(folder) as restored:
            new = _subject(restored, "W", "NEW")
            _references(restored, new, new_faces)
            assert new == lost  # the same ids, the same audit sequence number
            _probes(restored, "C-2", new_faces[:1], tmp_path)
            out = search(restored, ["W"], case_reference="C-2", top=1, mode="alert")
            assert len(loads) == 2  # not the lost history's file: loaded from the database
            assert [(c.subject, c.distance < 0.01) for c in out.candidates] == [("NEW", True)]
    finally:
        trial_server.drop_place(backup)
