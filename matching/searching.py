"""1:N search of a case's faces (or one probe photo) against watchlists; results are recorded.

Every run stores its policy (mode, top-k or threshold, model) and its candidates, audited, so an
analyst can later show what was searched and why a candidate came up. A candidate is never an
identification: see ``matching.review``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as DbSession

from matching import gallerycache
from matching import index as ann
from matching.curation import live
from matching.detect import MODEL_VERSION
from matching.errors import MatchingError
from matching.faces import MODEL_NAME
from matching.images import load_rgb
from matching.models import CandidateRecord, FaceRecord, Reference, SearchRun, Subject, Watchlist
from matching.review import open_pairs
from matching.search import Candidate, Gallery
from matching.watchlists import GalleryRows, WatchlistRows, find_watchlist, load_watchlist_rows
from vault import sealing
from vault.cases import find_case
from vault.errors import UserError
from vault.jobs import CancelToken, Emit, Progress, ignore
from vault.models import AuditEntry, audit_target, row_digest
from vault.session import Session, now, requires


@dataclass(frozen=True)
class CandidateInfo:
    id: int
    face: int | None
    watchlist: str
    subject: str
    subject_id: int
    reference: int
    rank: int
    distance: float
    score: float
    threshold: float
    label: str
    # found again while the same face x subject pair is still in the review queue: not queued
    # twice; ``id`` is the candidate already waiting there
    already_pending: bool = False


@dataclass
class SearchOutcome:
    run_ids: list[int] = field(default_factory=list)
    probes: int = 0
    candidates: list[CandidateInfo] = field(default_factory=list)  # every result, rank order

    @property
    def queued(self) -> list[CandidateInfo]:
        """The candidates this search added to the review queue."""
        return [c for c in self.candidates if not c.already_pending]

    @property
    def already_pending(self) -> int:
        """Results whose face x subject pair was already waiting for review (not queued)."""
        return sum(c.already_pending for c in self.candidates)


def _probes_of_case(session: Session, case_reference: str) -> tuple[int, list[int], np.ndarray]:
    with session.db() as db:
        case = find_case(db, case_reference)
        rows = db.execute(
            select(FaceRecord.id, FaceRecord.embedding, FaceRecord.model, FaceRecord.model_version)
            .where(FaceRecord.case_id == case.id, live())  # discarded faces are not searched
            .order_by(FaceRecord.id)
        ).all()
    # never compare embeddings of another model or model version
    rows = [r for r in rows if (r.model, r.model_version) == (MODEL_NAME, MODEL_VERSION)]
    if not rows:
        raise UserError(f"case {case_reference} has no faces yet: run 'custos faces detect' first")
    emb = np.frombuffer(b"".join(r.embedding for r in rows), np.float32).reshape(-1, 128)
    return case.id, [r.id for r in rows], emb


def _probe_photo(photo: Path) -> np.ndarray:
    from matching.engine import engine

    try:
        faces = engine().detect(load_rgb(photo.read_bytes(), name=photo.name))
    except OSError as exc:
        raise UserError(f"{photo}: cannot read: {exc.strerror}") from None
    except MatchingError as exc:
        raise UserError(str(exc)) from None
    if not faces:
        raise UserError(f"{photo}: no face found in the probe photo")
    return np.stack([f.embedding for f in faces]).astype(np.float32)


# --- galleries kept for the session ------------------------------------------------------------
#
# A watchlist of at least ``INDEX_MIN_REFERENCES`` references is loaded (and, for investigative
# searches, indexed) once per session and reused while it is provably unchanged. Every change
# Custos makes to a watchlist, a subject or a reference (enrolment, re-enrolment from a bundle, a
# listing's expiry, calibration) commits an audit entry targeting that row ("watchlists:",
# "subjects:", "references:") in the same transaction, and audit sequence numbers only grow. A
# cached gallery remembers the last sequence number it reflects; a later search checks the audit
# entries after it (a rowid range scan over the new entries only) and reloads if any targets one of
# those tables, or if the day changed (expiry is by date), or if the largest reference or subject
# id changed (rows added without an audit entry). The cache is kept on the Session
# (``Session.cached``) and goes when the session closes.

_CACHE_TARGETS = ("watchlists:", "subjects:", "references:")
_CACHE_KEY = "matching.galleries"  # Session.cached: dropped when the session closes
log = logging.getLogger(__name__)


@dataclass
class _Cached:
    today: date
    seq: int  # audit entries up to this sequence number are reflected
    max_ids: tuple[int | None, int | None]  # largest reference id, largest subject id
    gallery: Gallery
    rows: GalleryRows
    head: str  # the hash of the audit entry numbered ``seq`` (``_head``)


@dataclass
class _Vectors:
    """Whether every searchable reference of a watchlist is mapped and its vector on the server,
    checked against the whole mapping (``_all_present``: only while the two tables' counts
    disagree); ``_Cached``'s rules decide whether it is still current."""

    today: date
    seq: int
    head: str
    max_ids: tuple[int | None, int | None]
    complete: bool
    counts: tuple[int, int]  # rows of the vector table and of the mapping, when checked
    ids: frozenset[bytes]  # the searchable references' opaque ids, when complete


@dataclass
class _SessionGalleries:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_watchlist: dict[int, _Cached] = field(default_factory=dict)
    vectors: dict[int, _Vectors] = field(default_factory=dict)


SERVER_SEARCH_MIN = 20_000
"""On an agency server, an investigative search of a watchlist of at least this many searchable
references takes its shortlist from the server's pgvector table (``_server_candidates``); a
smaller one is searched exactly on the workstation (pgvector's approximation only pays at
scale). ``CUSTOS_SERVER_SEARCH_MIN`` overrides it (the tests lower it to search a few real
faces through the server)."""


def server_search_min() -> int:
    value = os.environ.get("CUSTOS_SERVER_SEARCH_MIN", "")
    try:
        return max(1, int(value)) if value else SERVER_SEARCH_MIN
    except ValueError:
        raise UserError(f"CUSTOS_SERVER_SEARCH_MIN must be a number, not {value!r}") from None


def _galleries_of(session: Session) -> _SessionGalleries:
    return session.cached(_CACHE_KEY, _SessionGalleries)


def drop_cached_galleries(session: Session) -> None:
    """Forget the galleries kept for ``session`` (also done when it closes)."""
    session.drop_cached(_CACHE_KEY)


def _version(db: DbSession) -> tuple[int, tuple[int | None, int | None]]:
    seq = int(db.scalar(select(func.max(AuditEntry.seq))) or 0)
    return seq, (db.scalar(select(func.max(Reference.id))), db.scalar(select(func.max(Subject.id))))


def _head(db: DbSession, seq: int) -> str:
    """The hash of the audit entry numbered ``seq`` ("" for none): which history a gallery
    reflects. A server database restored from a backup can reach the same sequence number and
    largest ids again with other rows (the chain tells them apart), while this workstation
    keeps its galleries of the lost history."""
    return db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq)) or ""


def _changed_since(db: DbSession, seq: int, upto: int) -> bool:
    """Whether an audit entry in ``(seq, upto]`` targets a watchlist, subject or reference."""
    if upto <= seq:
        return False
    if sealing.seals(db):  # targets are sealed on a server: read the range's, compare here
        span = select(AuditEntry.target).where(AuditEntry.seq > seq, AuditEntry.seq <= upto)
        return any(t.startswith(_CACHE_TARGETS) for t in db.scalars(span))
    hit = db.scalar(
        select(AuditEntry.seq)
        .where(
            AuditEntry.seq > seq,
            AuditEntry.seq <= upto,
            or_(*(AuditEntry.target.startswith(t, autoescape=True) for t in _CACHE_TARGETS)),
        )
        .limit(1)
    )
    return hit is not None


def _from_file(
    session: Session,
    db: DbSession,
    watchlist_id: int,
    seq: int,
    max_ids: tuple[int | None, int | None],
) -> WatchlistRows | None:
    """The watchlist's rows from its cache file when it provably reflects the database: same
    model and version, same largest ids, the same history (the entry at its sequence number)
    and no audit entry after it targets a watchlist, subject or reference. None otherwise (also
    when missing, damaged or forged)."""

    def valid(h: gallerycache.CacheHeader) -> bool:
        return (
            h.rows >= ann.INDEX_MIN_REFERENCES
            and (h.model, h.model_version) == (MODEL_NAME, MODEL_VERSION)
            and h.max_ids == max_ids
            and h.seq <= seq
            and h.head == _head(db, h.seq)
            and not _changed_since(db, h.seq, seq)
        )

    return gallerycache.read(session, watchlist_id, valid)


def _searchable(
    session: Session, name: str, mode: str
) -> tuple[Gallery, Watchlist, GalleryRows, dict[str, Any]]:
    """The watchlist's gallery (cached if large), the watchlist, its rows, and how investigative
    searches will run (recorded in the run's audit entry)."""
    state = _galleries_of(session)
    today = date.today()
    with state.lock:
        to_file: tuple[gallerycache.CacheHeader, WatchlistRows] | None = None
        with session.db() as db:
            wl = find_watchlist(db, name)
            seq, max_ids = _version(db)
            head = _head(db, seq)
            cached = state.by_watchlist.get(wl.id)
            if (
                cached is None
                or cached.today != today
                or cached.max_ids != max_ids
                or cached.head != (head if cached.seq == seq else _head(db, cached.seq))
                or _changed_since(db, cached.seq, seq)
            ):
                state.by_watchlist.pop(wl.id, None)
                cached = None
                full = _from_file(session, db, wl.id, seq, max_ids)
                if full is None:
                    full = load_watchlist_rows(db, wl)
                    if len(full) >= ann.INDEX_MIN_REFERENCES:
                        header = gallerycache.CacheHeader(
                            wl.id, seq, max_ids, MODEL_NAME, MODEL_VERSION, len(full), head=head
                        )
                        to_file = header, full
                g, rows = full.select(today)
                del full  # expired rows left out: the full matrix is kept for the file only
                if len(g) >= ann.INDEX_MIN_REFERENCES:
                    cached = _Cached(today, seq, max_ids, g, rows, head)
                    state.by_watchlist[wl.id] = cached
            else:
                cached.seq, cached.head = seq, head
        if to_file is not None:
            # the next session loads this watchlist from the file; without it (disk full, a
            # read-only folder) it only loads from the database again
            try:
                gallerycache.write(session, *to_file)
            except OSError as exc:
                log.warning("gallery cache of watchlist %r not written: %s", name, exc)
            to_file = None
        if cached is not None:
            g, rows = cached.gallery, cached.rows
        use_index = mode == "investigative" and len(g) >= ann.INDEX_MIN_REFERENCES
        if use_index and g.index is None:
            # without faiss (an installer built without it) the search stays exact
            with contextlib.suppress(ImportError):
                g.build_index(force=True)
    if use_index and g.index is not None:
        ix = g.index
        method: dict[str, Any] = {
            "search": "index",
            "index": {
                "kind": "faiss IVF-PQ fast scan, shortlist re-ranked exactly",
                "nlist": ix.nlist,
                "nprobe": min(ix.nprobe, ix.nlist),
                "shortlist": ix.shortlist,
                "references": len(g),
            },
        }
    else:
        method = {"search": "exact"}
    return g, wl, rows, method


@dataclass(frozen=True)
class _ServerPlan:
    """An investigative search of ``wl`` that goes through the server's vector table: what it
    needs of the whole watchlist, counted by the server (no gallery, no mapping loaded)."""

    wl: Watchlist
    today: date
    references: int  # searchable references (the exact search's gallery size)
    most_per_subject: int
    counts: tuple[int, int]  # rows of the vector table and of the mapping
    mapped: frozenset[bytes] = frozenset()  # the references' opaque ids (``orphans`` only)

    @property
    def orphans(self) -> bool:
        """Rows were added or removed on the server outside Custos (counts disagree): every
        mapped id was checked (``_all_present``) and ids that map to nothing are ignored, unless
        they are one of ``mapped`` (then a blind index was overwritten: ``_gather``)."""
        return self.counts[0] != self.counts[1]


def _server_plan(session: Session, name: str, mode: str) -> _ServerPlan | None:
    """How ``name`` is searched on an agency server: through pgvector when the search is
    investigative, the watchlist holds at least ``server_search_min()`` searchable references
    and every one of them has a vector there (one aggregate query; the whole mapping is read
    only while the vector table and the mapping disagree in number). None otherwise: the
    search then loads the gallery (``_searchable``), with a warning when references lack a
    vector or a blind index (``custos watchlist index`` writes both)."""
    from matching import servervectors

    if mode != "investigative":
        return None
    today = date.today()
    with session.db() as db:
        if not servervectors.on_server(db):
            return None
    with servervectors.snapshot(session) as db:  # the counts below agree with each other
        wl = find_watchlist(db, name)
        cover = servervectors.coverage(db, wl.id, today)
        if cover.references < server_search_min() or cover.odd_dates:
            return None  # (an expiry the server cannot compare as a date: the gallery decides)
        counts = servervectors.counts(db)
        unblinded = servervectors.unblinded(db)
    if cover.mapped < cover.references:
        log.warning(
            "references of this watchlist have no vector on the server (%d of %d mapped): "
            "searched exactly on this workstation (run 'custos watchlist index')",
            cover.mapped,
            cover.references,
        )
        return None
    if unblinded:
        # any watchlist's (or an expired or old-model reference's): the server shortlists them
        log.warning(
            "%d vector id(s) on the server have no blind index (written before r0013, or "
            "indexing cancelled): searched exactly on this workstation (run 'custos watchlist "
            "index')",
            unblinded,
        )
        return None
    plan = _ServerPlan(wl, today, cover.references, cover.most_per_subject, counts)
    if plan.orphans:
        mapped = _all_present(session, plan)
        if mapped is None:
            log.warning(
                "vectors of this watchlist's references are missing on the server: searched "
                "exactly on this workstation (run 'custos watchlist index')"
            )
            return None
        plan = replace(plan, mapped=mapped)
    return plan


def _all_present(session: Session, plan: _ServerPlan) -> frozenset[bytes] | None:
    """The opaque ids of the watchlist's searchable references when every one of them is mapped
    and every mapped id is in the vector table, else None: the whole mapping opened and checked
    against the server, done only while the two tables' counts disagree (rows added or removed
    outside Custos) and cached for the session like a gallery."""
    from matching import servervectors

    state = _galleries_of(session)
    wl_id = plan.wl.id
    # one snapshot for the three reads: another desk enrolling (or deleting) between the
    # mapping and the searchable ids would look like a vector missing
    with state.lock, servervectors.snapshot(session) as db:
        seq, max_ids = _version(db)
        head = _head(db, seq)
        known = state.vectors.get(wl_id)
        if (
            known is None
            or known.counts != plan.counts
            or known.today != plan.today
            or known.max_ids != max_ids
            or known.head != (head if known.seq == seq else _head(db, known.seq))
            or _changed_since(db, known.seq, seq)
        ):
            by_ref = servervectors.mapping(db, wl_id)
            wanted = servervectors.searchable_ids(db, wl_id, plan.today)
            mapped = [v for v, r in by_ref.items() if r in wanted]
            complete = len(mapped) == len(wanted) and servervectors.present(db, mapped) == len(
                mapped
            )
            ids = frozenset(mapped) if complete else frozenset()
            known = _Vectors(plan.today, seq, head, max_ids, complete, plan.counts, ids)
            state.vectors[wl_id] = known
        else:
            known.seq, known.head = seq, head
    return known.ids if known.complete else None


_WIDEN = 4  # a shortlist that held too few of the watchlist's references is asked again, wider


@dataclass
class _Shortlisted:
    """The references a server search re-ranks against, gathered as the shortlist grows: every
    searchable reference of each shortlisted subject of the watchlist (``SUBJECT_RULE``: a
    subject's score is its nearest reference, so all of them), read by id and opened."""

    mapped: dict[bytes, Any] = field(default_factory=dict)  # opaque id -> Mapped or None
    subjects: set[int] = field(default_factory=set)  # subjects read (the watchlist's or not)
    ref_ids: list[np.ndarray] = field(default_factory=list)
    subject_ids: list[np.ndarray] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)
    row_of: dict[int, int] = field(default_factory=dict)  # reference id -> row
    rows_of_subject: dict[int, list[int]] = field(default_factory=dict)

    def add(self, refs: np.ndarray, subjects: np.ndarray, emb: np.ndarray) -> None:
        base = len(self.row_of)
        for i, (r, sid) in enumerate(zip(refs.tolist(), subjects.tolist(), strict=True)):
            self.row_of[r] = base + i
            self.rows_of_subject.setdefault(sid, []).append(base + i)
        self.ref_ids.append(refs)
        self.subject_ids.append(subjects)
        self.embeddings.append(emb)


def _server_candidates(
    session: Session, plan: _ServerPlan, emb: np.ndarray, top: int
) -> tuple[list[list[Candidate]], dict[str, Any], GalleryRows]:
    """Investigative search through the server's pgvector table: the probes go to the server in
    one batch, each comes back with a shortlist of opaque ids (the table holds every watchlist,
    so the shortlist is widened by the share of the table this watchlist is, and again while a
    probe got fewer than ``k`` of its references). The shortlisted ids' references are found by
    the mapping's blind index (:func:`matching.servervectors.lookup`, each sealed id opened and
    checked), every vector the server returned for a mapped id must equal its reference's
    sealed embedding, and the shortlisted subjects of this watchlist are read with all their
    searchable references (opened, so authenticated); those are re-ranked exactly by
    :func:`matching.index.rerank`: the candidates equal the exact search's whenever the exact
    top ``k`` are in the shortlist. Returns the candidates, the method recorded and the rows
    the candidates index; :class:`matching.servervectors.Inconsistent` when the server's rows
    contradict each other (the caller then searches exactly on the workstation, says so in one
    warning line and records why in the run's audit entry)."""
    import psycopg

    from matching import pgvectors, servervectors

    k = min(plan.references, top * max(plan.most_per_subject, 1))
    got = _Shortlisted()
    # one snapshot for the shortlist and its look-ups: another desk's commit between them (a
    # reference deleted, one enrolled) is not seen, so it cannot pass for rows contradicting
    # each other; its first statement (the count) starts it, before the shortlist's savepoint
    with servervectors.snapshot(session) as db:
        total = servervectors.counts(db)[0]
        raw: Any = db.connection().connection.driver_connection
        store = pgvectors.VectorStore([raw], servervectors.TABLE)
        width = min(total, max(k, math.ceil(k * total / max(plan.references, 1) * 1.5)))
        while True:
            try:
                short, cand = store.shortlist(emb, width)
            except (psycopg.Error, ValueError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise UserError(
                    f"the server's vector table answered wrongly ({first}): search refused"
                ) from None
            ids = [bytes(i) for i in short.ids]
            _gather(db, plan, got, ids, short.embeddings)
            # each probe's shortlisted references of this watchlist, then their subjects' others
            refs = [
                None if (m := got.mapped[i]) is None else got.row_of.get(m.reference_id)
                for i in ids
            ]
            per_probe: list[list[int]] = []
            found = []
            for p in range(len(emb)):
                direct = [r for j in cand[p] if j >= 0 and (r := refs[j]) is not None]
                found.append(len(direct))
                per_probe.append(direct)
            if min(found) >= k or width >= total:
                break
            width = min(total, width * _WIDEN)
    if not got.row_of:
        return (
            [[] for _ in range(len(emb))],
            _server_method(plan, width),
            GalleryRows(np.zeros(0, np.int64), np.zeros(0, np.int64)),
        )
    ref_ids = np.concatenate(got.ref_ids)
    subject_ids = np.concatenate(got.subject_ids)
    g = Gallery(np.concatenate(got.embeddings), subject_ids, MODEL_NAME)
    subject_of_row = subject_ids.tolist()
    widest = 1
    expanded: list[list[int]] = []
    for direct in per_probe:
        rows = dict.fromkeys(direct)
        for r in direct:
            rows.update(dict.fromkeys(got.rows_of_subject[subject_of_row[r]]))
        expanded.append(list(rows))
        widest = max(widest, len(rows))
    cand_rows = np.full((len(emb), widest), -1, np.int64)
    for p, rows_p in enumerate(expanded):
        cand_rows[p, : len(rows_p)] = rows_p
    dist, best = ann.rerank(g, emb, cand_rows, min(k, widest))
    if plan.orphans:
        log.warning(
            "the server holds %d vectors for %d mapped references: rows added or removed "
            "outside Custos (run 'custos watchlist index')",
            *plan.counts,
        )
    return (
        g._candidates(dist, best, top, None),
        _server_method(plan, width),
        GalleryRows(ref_ids, subject_ids),
    )


def _server_method(plan: _ServerPlan, width: int) -> dict[str, Any]:
    return {
        "search": "server",
        "index": {
            "kind": "pgvector shortlist re-ranked exactly on the workstation",
            "shortlist": int(width),
            "vectors": plan.counts[0],
            "references": plan.references,
        },
    }


def _gather(
    db: DbSession, plan: _ServerPlan, got: _Shortlisted, ids: list[bytes], vectors: np.ndarray
) -> None:
    """Add the shortlisted ``ids`` (with the ``vectors`` the server returned for them) to
    ``got``: their references by the blind index, the vectors checked against the references'
    sealed embeddings, the new subjects of this watchlist read with all their references.
    :class:`matching.servervectors.Inconsistent` when the server's rows contradict each
    other."""
    from matching import servervectors

    new = [i for i in dict.fromkeys(ids) if i not in got.mapped]
    try:
        found = servervectors.lookup(db, new)
    except sealing.SealFault as exc:  # a sealed id moved to another reference on the server
        raise servervectors.Inconsistent(str(exc)) from None
    for i in new:
        got.mapped[i] = found.get(i)
    if not plan.orphans and any(got.mapped[i] is None for i in new):
        # every vector is mapped while the counts agree: an id that maps to nothing was
        # unmapped on the server (its blind index changed, or rows swapped in and out)
        raise servervectors.Inconsistent(
            "an id the server shortlisted maps to no reference although every vector is mapped"
        )
    if any(got.mapped[i] is None and i in plan.mapped for i in new):
        # (orphans) a reference's id, checked mapped, that its blind index no longer finds
        raise servervectors.Inconsistent(
            "a reference's vector id the server shortlisted is found by no blind index "
            "(overwritten on the server)"
        )
    mapped = [(j, m) for j, i in enumerate(ids) if (m := got.mapped[i]) is not None]
    if mapped:
        sealed = b"".join(m.embedding for _, m in mapped)
        sent = vectors[[j for j, _ in mapped]]
        if len(sealed) != sent.nbytes or not np.array_equal(
            np.frombuffer(sealed, np.float32).reshape(sent.shape), sent
        ):
            raise servervectors.Inconsistent(
                "a vector the server returned is not its reference's sealed embedding "
                "(rows altered or swapped on the server)"
            )
    subjects = {m.subject_id for _, m in mapped} - got.subjects
    if subjects:
        got.subjects |= subjects
        refs, sids, emb = servervectors.subject_references(
            db, plan.wl.id, sorted(subjects), plan.today
        )
        known = [r not in got.row_of for r in refs.tolist()]
        if not all(known):
            keep = np.array(known, bool)
            refs, sids, emb = refs[keep], sids[keep], emb[keep]
        if len(refs):
            got.add(refs, sids, emb)


@dataclass(frozen=True)
class _SubjectRow:
    id: int
    ref: str
    label: str


def _subjects(db: DbSession, ids: set[int]) -> dict[int, _SubjectRow]:
    """The subjects of the candidates to record (only those rows are read)."""
    out: dict[int, _SubjectRow] = {}
    wanted = sorted(ids)
    for s in range(0, len(wanted), 500):
        for sid, ref, label in db.execute(
            select(Subject.id, Subject.ref, Subject.label).where(
                Subject.id.in_(wanted[s : s + 500])
            )
        ):
            out[sid] = _SubjectRow(sid, ref, label)
    return out


@requires("match.run")
def search(
    session: Session,
    watchlists: list[str],
    case_reference: str | None = None,
    photo: Path | None = None,
    mode: str = "investigative",
    top: int = 10,
) -> SearchOutcome:
    """Search every face of a case, or the faces of one probe photo, in each watchlist."""
    return SearchJob(session, watchlists, case_reference, photo, mode, top).run(ignore)


class SearchJob:
    """1:N search as a job: ``Progress`` per watchlist searched; the token is checked before
    each watchlist and again before its run is recorded, so a cancelled search leaves only
    complete runs (each with all its candidates, in one transaction) and raises ``Cancelled``."""

    def __init__(
        self,
        session: Session,
        watchlists: list[str],
        case_reference: str | None = None,
        photo: Path | None = None,
        mode: str = "investigative",
        top: int = 10,
        cancel: CancelToken | None = None,
    ) -> None:
        self.session, self.watchlists = session, list(watchlists)
        self.case_reference, self.photo, self.mode, self.top = case_reference, photo, mode, top
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> SearchOutcome:
        target = f"case:{self.case_reference}" if self.case_reference else "search"
        self.session.require("match.run", target=target)
        return _search(self, emit)


def _on_workstation(
    session: Session, name: str, mode: str, emb: np.ndarray, top: int
) -> tuple[list[list[Candidate]], Watchlist, GalleryRows, dict[str, Any]]:
    """The search of one watchlist against its gallery loaded on this workstation: exact, or
    through the faiss index of a large one (investigative)."""
    g, wl, rows, method = _searchable(session, name, mode)
    if method["search"] == "index":  # the shortlist a probe really gets (PqIndex.search)
        k = min(len(g), top * max(g.max_refs_per_subject, 1))
        method["index"]["shortlist"] = min(len(g), max(method["index"]["shortlist"], k))
    found: list[list[Candidate]]
    if not len(g):
        found = [[] for _ in range(len(emb))]
    elif mode == "alert":  # always exact
        found = g.alert(emb, wl.alert_threshold, model=MODEL_NAME)
    else:
        found = g.investigate(emb, top, model=MODEL_NAME, exact=method["search"] != "index")
    return found, wl, rows, method


def _search(job: SearchJob, emit: Emit) -> SearchOutcome:
    from matching import servervectors

    session, watchlists, mode, top = job.session, job.watchlists, job.mode, job.top
    case_reference, photo = job.case_reference, job.photo
    if (case_reference is None) == (photo is None):
        raise UserError("search either a case (--case) or a probe photo (--photo)")
    if mode not in ("investigative", "alert"):
        raise UserError(f"unknown search mode {mode!r} (investigative or alert)")
    if not watchlists:
        raise UserError("name at least one watchlist")
    steps = len(watchlists) + 1
    emit(Progress(0, steps, "steps", "reading the probe faces"))
    if case_reference is not None:
        case_id, face_ids, emb = _probes_of_case(session, case_reference)
        probe_name = f"case:{case_reference}"
        probe_ids: list[int | None] = list(face_ids)
    else:
        assert photo is not None
        case_id, emb, probe_name = None, _probe_photo(photo), photo.name
        probe_ids = [None] * len(emb)
    outcome = SearchOutcome(probes=len(emb))
    for done, name in enumerate(watchlists, start=1):
        job.cancel.check()
        emit(Progress(done, steps, "steps", f"searching {name}"))
        plan = _server_plan(session, name, mode)
        served, why = None, {}
        if plan is not None:
            try:
                served = _server_candidates(session, plan, emb, top)
            except servervectors.Inconsistent as exc:
                log.warning("%s: searched exactly on this workstation", exc)
                why = {"server_inconsistent": str(exc)}  # recorded in the run's audit entry
        if served is not None:
            assert plan is not None
            wl = plan.wl
            found, method, rows = served
        else:
            found, wl, rows, method = _on_workstation(session, name, mode, emb, top)
            method = {**method, **why}
        job.cancel.check()  # a run is recorded whole (with its candidates) or not at all
        with session.transaction() as db:
            run = SearchRun(
                case_id=case_id,
                probe=probe_name,
                watchlists=json.dumps([name]),
                mode=mode,
                top=top if mode == "investigative" else None,
                threshold=wl.alert_threshold,
                model=MODEL_NAME,
                actor=session.user,
                at=now(),
            )
            db.add(run)
            # A face x subject pair still waiting for review is not queued a second time: the
            # result names the candidate already in the queue (``matching.review.open_pairs``).
            waiting = open_pairs(db, case_id, wl) if case_id is not None else {}
            hits = [
                (p, c, int(rows.subject_ids[c.reference]))
                for p, cands in enumerate(found)
                for c in cands
            ]
            skipped = sum((probe_ids[p], sid) in waiting for p, _, sid in hits)
            session.audit(
                db,
                "search.run",
                run,
                watchlist=name,
                mode=mode,
                probes=len(emb),
                already_pending=skipped,
                **method,
            )
            subjects = _subjects(db, {sid for _, _, sid in hits})
            recorded: list[tuple[CandidateRecord, Candidate, _SubjectRow]] = []
            results: list[tuple[int | None, Candidate, _SubjectRow]] = []  # (id if queued before)
            for p, c, sid in hits:
                subject = subjects[sid]
                before = waiting.get((probe_ids[p], sid))
                if before is None:
                    rec = CandidateRecord(
                        run_id=run.id,
                        face_id=probe_ids[p],
                        subject_id=subject.id,
                        reference_id=int(rows.reference_ids[c.reference]),
                        rank=c.rank,
                        distance=c.distance,
                        threshold=wl.alert_threshold,
                    )
                    recorded.append((rec, c, subject))
                results.append((before, c, subject))
            db.add_all([rec for rec, _, _ in recorded])
            db.flush()  # one batched INSERT; each candidate still gets its own signed entry,
            # with the same target and details (row digest) as ``session.audit`` would record
            entries = [
                ("search.candidate", audit_target(r), {"run": run.id, "digest": row_digest(r)})
                for r, _, _ in recorded
            ]
            session.audit_many(db, entries)
            new_ids = iter([rec.id for rec, _, _ in recorded])
            for (before, c, subject), (p, _, _) in zip(results, hits, strict=True):
                outcome.candidates.append(
                    CandidateInfo(
                        before if before is not None else next(new_ids),
                        probe_ids[p],
                        name,
                        subject.ref,
                        subject.id,
                        int(rows.reference_ids[c.reference]),
                        c.rank,
                        round(c.distance, 4),
                        round(c.score, 4),
                        wl.alert_threshold,
                        subject.label,
                        already_pending=before is not None,
                    )
                )
            outcome.run_ids.append(run.id)
    emit(Progress(steps, steps, "steps", f"{len(outcome.candidates)} candidate(s)"))
    return outcome
