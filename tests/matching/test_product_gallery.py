"""The watchlist gallery a search really uses: loaded with column selects, cached per session
(with the index above ``INDEX_MIN_REFERENCES``), invalidated by any change to the watchlist."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session as DbSession

from matching import index as ann
from matching import searching
from matching.detect import MODEL_VERSION
from matching.faces import MODEL_NAME
from matching.models import FaceRecord, Reference, Subject
from matching.searching import search
from matching.watchlists import (
    Listing,
    _expired,
    create_watchlist,
    enrol,
    find_watchlist,
    gallery,
)
from service.opener import init_vault
from vault import cases, sealing
from vault.ingest import ingest
from vault.models import AuditEntry, Blob, Item
from vault.session import Session, now
from vaultkit import FAST_KDF, PASSWORD

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")
BLOB = hashlib.sha256(b"test-reference").hexdigest()
QUALITY = json.dumps({"brightness": 0.5, "inter_eye_px": 60.0, "sharpness": 100.0, "yaw_deg": 0})


def _insert(db: DbSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Rows inserted as they are, their sensitive values sealed on a server (``vault.sealing``,
    as the core's bulk inserts do)."""
    db.execute(insert(model.__table__), sealing.insert_params(db, model, rows) or rows)


def _stand_in_blob(db: DbSession) -> None:
    if db.get(Blob, BLOB) is None:
        _insert(db, Blob, [{"name": BLOB, "sha256": BLOB, "size": 1}])


def _subject(session: Session, watchlist: str, ref: str, expires_on: str | None = None) -> int:
    with session.transaction() as db:
        wl = find_watchlist(db, watchlist)
        s = Subject(
            watchlist_id=wl.id,
            ref=ref,
            reason="r",
            agency="a",
            label="TLP:AMBER",
            review_on="2030-01-01",
            expires_on=expires_on,
            created_by="alice",
            created_at=now(),
        )
        db.add(s)
        session.audit(db, "watchlist.subject_added", s, watchlist=watchlist, ref=ref)
        db.flush()
        return s.id


def _references(
    session: Session, subject_id: int, emb: np.ndarray, version: str = MODEL_VERSION
) -> None:
    with session.transaction() as db:
        _stand_in_blob(db)
        _insert(
            db,
            Reference,
            [
                {
                    "subject_id": subject_id,
                    "photo_blob": BLOB,
                    "crop_blob": BLOB,
                    "source": "synthetic",
                    "embedding": e.astype(np.float32).tobytes(),
                    "model": MODEL_NAME,
                    "model_version": version,
                    "quality": QUALITY,
                    "created_at": now(),
                }
                for e in emb
            ],
        )


def _probes(session: Session, case: str, emb: np.ndarray, tmp: Path) -> None:
    """A case whose faces are ``emb`` (one stand-in item; the search reads embeddings only)."""
    cases.create_case(session, case, "probes", ["fraud"])
    stand_in = tmp / f"{case}.txt"
    stand_in.write_text(case)
    [saved] = ingest(session, case, [stand_in]).saved
    with session.transaction() as db:
        item = db.get(Item, saved)
        assert item is not None
        _stand_in_blob(db)
        _insert(
            db,
            FaceRecord,
            [
                {
                    "item_id": item.id,
                    "case_id": item.case_id,
                    "kind": "photo",
                    "box": "[0, 1, 1, 0]",
                    "landmarks": "[]",
                    "quality": QUALITY,
                    "embedding": e.astype(np.float32).tobytes(),
                    "model": MODEL_NAME,
                    "model_version": MODEL_VERSION,
                    "crop_blob": BLOB,
                    "created_at": now(),
                }
                for e in emb
            ],
        )


def _orm_gallery(session: Session, watchlist: str) -> tuple[np.ndarray, list[str], list[int]]:
    """The loader as it was (one ORM object per row): the reference the new one must equal."""
    with session.db() as db:
        wl = find_watchlist(db, watchlist)
        rows = db.execute(
            select(Reference, Subject)
            .join(Subject, Subject.id == Reference.subject_id)
            .where(
                Subject.watchlist_id == wl.id,
                Reference.model == MODEL_NAME,
                Reference.model_version == MODEL_VERSION,
            )
            .order_by(Reference.id)
        ).all()
    live = [(r, s) for r, s in rows if not _expired(s)]
    emb = np.frombuffer(b"".join(r.embedding for r, _ in live), np.float32).reshape(-1, 128)
    return emb, [str(s.id) for _, s in live], [r.id for r, _ in live]


@pytest.fixture
def vault(place: Any) -> Iterator[Session]:
    session, _ = init_vault(place, "alice", PASSWORD, kdf=FAST_KDF)
    yield session
    session.close()


def _synthetic(rng: np.random.Generator, subjects: int, per: int) -> np.ndarray:
    centres = rng.normal(0.0, 0.08, (subjects, 128)).astype(np.float32)
    refs = np.repeat(centres, per, axis=0)
    return refs + rng.normal(0.0, 0.02, refs.shape).astype(np.float32)


def test_loader_gives_the_same_gallery_as_the_orm_loader(vault: Session) -> None:
    rng = np.random.default_rng(1)
    create_watchlist(vault, "W")
    create_watchlist(vault, "other")
    past = (date.today() - timedelta(days=1)).isoformat()
    future = (date.today() + timedelta(days=30)).isoformat()
    expected_out: set[int] = set()
    for i, expires in enumerate([None, past, future, "", None, past]):
        sid = _subject(vault, "W", f"S{i}", expires)
        _references(vault, sid, _synthetic(rng, 1, 3))
        if expires == past:
            expected_out.add(sid)
    _references(vault, sid, _synthetic(rng, 1, 2), version="some other version")
    _references(vault, _subject(vault, "other", "X"), _synthetic(rng, 1, 4))

    g, wl, rows = gallery(vault, "W")
    emb, subjects, ref_ids = _orm_gallery(vault, "W")
    assert wl.name == "W"
    assert len(g) == 12  # 6 subjects x 3, two expired; other version and watchlist left out
    assert np.array_equal(g.embeddings, emb)
    assert g.subjects.tolist() == subjects
    assert rows.reference_ids.tolist() == ref_ids
    assert rows.subject_ids.astype(str).tolist() == subjects
    assert not expected_out & set(rows.subject_ids.tolist())
    with vault.db() as db:
        for r, ref_id in enumerate(rows.reference_ids.tolist()):
            ref = db.get(Reference, ref_id)
            assert ref is not None and ref.subject_id == rows.subject_ids[r]
            assert np.array_equal(np.frombuffer(ref.embedding, np.float32), g.embedding(r))
    # a small watchlist among larger ones is read through the subject index: same contract
    g_other, _, rows_other = gallery(vault, "other")
    emb_other, subjects_other, ref_ids_other = _orm_gallery(vault, "other")
    assert np.array_equal(g_other.embeddings, emb_other) and len(g_other) == 4
    assert g_other.subjects.tolist() == subjects_other
    assert rows_other.reference_ids.tolist() == ref_ids_other
    g_empty, _, rows_empty = gallery(vault, "W", today=date(2100, 1, 1))
    assert len(g_empty) == 12 - 3 * 1  # the future expiry has passed by then too
    assert len(rows_empty.reference_ids) == len(g_empty)


def _search_runs(session: Session) -> list[dict[str, object]]:
    with session.db() as db:
        return [
            json.loads(d)
            for d in db.scalars(
                select(AuditEntry.details)
                .where(AuditEntry.action == "search.run")
                .order_by(AuditEntry.seq)
            )
        ]


def _cached(session: Session, watchlist_id: int) -> object | None:
    state = session._cached.get(searching._CACHE_KEY)
    return None if state is None else state.by_watchlist.get(watchlist_id)


def test_index_search_equals_exact_and_is_recorded(
    vault: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(2)
    create_watchlist(vault, "W")
    refs = _synthetic(rng, 100, 4)  # 400 references: the 500 shortlist covers all of them
    for s in range(100):
        _references(vault, _subject(vault, "W", f"S{s:03d}"), refs[4 * s : 4 * s + 4])
    _probes(vault, "C-1", refs[::17] + rng.normal(0, 0.02, refs[::17].shape), tmp_path)

    monkeypatch.setattr(ann, "INDEX_MIN_REFERENCES", 10**9)
    exact = search(vault, ["W"], case_reference="C-1", top=5)
    monkeypatch.setattr(ann, "INDEX_MIN_REFERENCES", 100)
    indexed = search(vault, ["W"], case_reference="C-1", top=5)
    again = search(vault, ["W"], case_reference="C-1", top=5)
    alert = search(vault, ["W"], case_reference="C-1", mode="alert")

    def key(out: searching.SearchOutcome) -> list[tuple[object, ...]]:
        return [(c.face, c.subject, c.subject_id, c.reference, c.rank) for c in out.candidates]

    assert len(exact.candidates) == 5 * exact.probes
    assert alert.candidates and all(c.distance <= c.threshold for c in alert.candidates)
    assert key(indexed) == key(exact) == key(again)
    for a, b in zip(exact.candidates, indexed.candidates, strict=True):
        assert a.distance == pytest.approx(b.distance, abs=2e-4)
    runs = _search_runs(vault)
    assert runs[0]["search"] == "exact" and "index" not in runs[0]
    for run in runs[1:3]:
        assert run["search"] == "index"
        index = run["index"]
        assert isinstance(index, dict)
        # every list scanned, the shortlist is the whole gallery: the same results as exact
        assert index["nprobe"] >= index["nlist"] and index["shortlist"] == 400
        assert index["references"] == 400
    assert runs[3]["search"] == "exact" and runs[3]["mode"] == "alert"
    # the recorded candidates name the right reference rows
    with vault.db() as db:
        for c in indexed.candidates:
            ref = db.get(Reference, c.reference)
            assert ref is not None and ref.subject_id == c.subject_id


def test_cache_is_reused_then_invalidated_by_enrol_and_expiry(
    vault: Session, tmp_path: Path, faces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ann, "INDEX_MIN_REFERENCES", 100)
    rng = np.random.default_rng(3)
    create_watchlist(vault, "W")
    refs = _synthetic(rng, 50, 4)
    subject_ids = []
    for s in range(50):
        subject_ids.append(_subject(vault, "W", f"S{s:03d}"))
        _references(vault, subject_ids[-1], refs[4 * s : 4 * s + 4])
    _probes(vault, "C-1", refs[:8], tmp_path)
    with vault.db() as db:
        wl_id = find_watchlist(db, "W").id

    search(vault, ["W"], case_reference="C-1", top=3)
    first = _cached(vault, wl_id)
    assert first is not None
    search(vault, ["W"], case_reference="C-1", top=3, mode="alert")
    search(vault, ["W"], case_reference="C-1", top=3)
    assert _cached(vault, wl_id) is first  # unchanged watchlist: loaded and indexed once

    # enrolment (a real photo, through the product function) invalidates
    photo = sorted((faces_dir / "knn/train/obama").iterdir())[0]
    enrol(vault, "W", "obama", LISTING, [photo])
    out = search(vault, ["W"], photo=photo, top=1)
    second = _cached(vault, wl_id)
    assert second is not None and second is not first
    assert len(second.gallery) == 201  # type: ignore[attr-defined]
    assert out.candidates[0].subject == "obama"

    # an expiry change (as enrol records it: the subject row updated, audited) invalidates
    with vault.transaction() as db:
        subject = db.get(Subject, subject_ids[0])
        assert subject is not None
        subject.expires_on = (date.today() - timedelta(days=1)).isoformat()
        vault.audit(db, "watchlist.subject_updated", subject, watchlist="W", ref=subject.ref)
    out = search(vault, ["W"], case_reference="C-1", top=3)
    third = _cached(vault, wl_id)
    assert third is not None and third is not second
    assert len(third.gallery) == 197  # type: ignore[attr-defined]
    assert all(c.subject_id != subject_ids[0] for c in out.candidates)

    # so does the day passing an expiry date (expiry is by date)
    tomorrow = date.today() + timedelta(days=1)
    with vault.transaction() as db:
        subject = db.get(Subject, subject_ids[1])
        assert subject is not None
        subject.expires_on = date.today().isoformat()
        vault.audit(db, "watchlist.subject_updated", subject, watchlist="W", ref=subject.ref)
    search(vault, ["W"], case_reference="C-1", top=3)
    fourth = _cached(vault, wl_id)
    assert fourth is not None and len(fourth.gallery) == 197  # type: ignore[attr-defined]

    class Tomorrow(date):
        @classmethod
        def today(cls) -> Tomorrow:
            return cls(tomorrow.year, tomorrow.month, tomorrow.day)

    monkeypatch.setattr(searching, "date", Tomorrow)
    out = search(vault, ["W"], case_reference="C-1", top=3)
    fifth = _cached(vault, wl_id)
    assert fifth is not None and fifth is not fourth
    assert len(fifth.gallery) == 193  # type: ignore[attr-defined]

    # other work (a search, a case) does not invalidate
    cases.create_case(vault, "C-2", "unrelated", ["fraud"])
    search(vault, ["W"], case_reference="C-1", top=3)
    assert _cached(vault, wl_id) is fifth

    vault.close()
    assert not vault._cached  # the galleries went with the session
