"""Near-duplicates and other occurrences of an item, within its case or across the vault.

* **PDQ hashes** (``pdq_hashes``, ``matching.pdq``): one per photo, one per kept frame of a video,
  written once per item by face detection (:class:`matching.casefaces.DetectJob`) or by
  :class:`PdqJob` (``custos pdq compute``), each with its audit entry (``pdq.computed``).
* **The index**: every PDQ hash of the vault in one :class:`matching.pdq.HashIndex` (exact
  Hamming range search), kept on the session and topped up with the rows added since (the table
  is append-only, so the largest id says what is new).
* **Other occurrences** (:func:`similar`): for one item, the other items with the same content
  (SHA-256), a near-duplicate picture (PDQ within ``distance`` bits, default 31) or the same face
  (an embedding within the alert threshold, by ``matching.distance``), in its own case or in
  every case of the vault the user may read, each with case reference, item id and distance.
  Permission is checked per case here, in the core: cases the user may not read are never
  searched and never named.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any

import numpy as np
from sqlalchemy import func, select

from matching.curation import live
from matching.errors import MatchingError
from matching.mediakind import media_kind
from matching.models import FaceRecord, PdqRecord
from matching.pdq import MATCH_DISTANCE, MIN_QUALITY, HashIndex, PdqHash
from matching.pdqsets import SetMatch, closest_entries, match_order, pdq_set_matches, set_match
from matching.pdqstore import add_pdq_rows, hashed_items
from vault import sealing
from vault.backend import driver_sql
from vault.cases import find_case
from vault.errors import IntegrityFault, PermissionDenied, UserError
from vault.fsutil import plain_copy
from vault.jobs import CancelToken, Emit, Finished, Progress
from vault.models import Case, Item
from vault.session import Session, now

KINDS = ("same-content", "near-duplicate", "same-face")


# -- storing -------------------------------------------------------------------------------------


@dataclass
class PdqResult:
    items: int = 0
    hashes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False


class PdqJob:
    """PDQ hashes for every photo and video of a case that has none yet (``pdq compute``).

    Each item is decrypted and checked against its SHA-256, hashed, and its rows stored with
    their audit entries; items are committed in batches of ``BATCH``. A damaged item is one line;
    the batch goes on. Cancel takes effect between items, and what was stored stays."""

    BATCH = 100

    def __init__(
        self, session: Session, case_reference: str, cancel: CancelToken | None = None
    ) -> None:
        self.session = session
        self.case_reference = case_reference
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> PdqResult:
        s = self.session
        s.require("match.run", target=f"case:{self.case_reference}")
        with s.db() as db:
            case = find_case(db, self.case_reference)
            rows = db.scalars(select(Item).where(Item.case_id == case.id).order_by(Item.id))
            todo = [i for i in rows if media_kind(i.name)]
        done = hashed_items(s, case.id)
        todo = [i for i in todo if i.id not in done]
        result = PdqResult()
        emit(Progress(0, len(todo), "items", "perceptual hashes"))
        pending: list[tuple[Item, list[PdqHash]]] = []
        for n, item in enumerate(todo, 1):
            if self.cancel.cancelled:
                break
            try:
                pending.append((item, self._hash(item, media_kind(item.name))))
            except (MatchingError, IntegrityFault) as exc:
                line = str(exc) if item.name in str(exc) else f"{item.name}: {exc}"
                result.failed.append((f"item {item.id}", line))
                emit(Finished(f"item {item.id}", False, line))
            if len(pending) >= self.BATCH:
                self._store(case.id, pending, result)
            emit(Progress(n, len(todo), "items", item.name))
        self._store(case.id, pending, result)
        result.cancelled = self.cancel.cancelled
        return result

    def _hash(self, item: Item, kind: str | None) -> list[PdqHash]:
        from matching.pdq import hash_image, hash_video

        what = f"item {item.id} ({item.name})"
        if kind == "image":
            data = self.session.blobs.read_verified(item.blob_name, item.sha256, what)
            return [hash_image(data, name=item.name)]
        chunks = self.session.blobs.read_chunks(item.blob_name)
        with plain_copy(chunks, PurePosixPath(item.name).suffix) as path:
            return hash_video(path, cancel=lambda: self.cancel.cancelled)

    def _store(
        self, case_id: int, pending: list[tuple[Item, list[PdqHash]]], result: PdqResult
    ) -> None:
        if not pending:
            return
        at = now()
        with self.session.transaction() as db:
            for item, hashes in pending:
                add_pdq_rows(self.session, db, item.id, case_id, hashes, at)
        for _, hashes in pending:
            result.items += 1
            result.hashes += len(hashes)
        pending.clear()


# -- the vault's index ---------------------------------------------------------------------------


class _VaultHashes:
    """Every PDQ hash of the vault: row arrays plus the index, topped up on each use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_id = 0
        self.index = HashIndex()
        self.item_ids = np.zeros(0, np.int64)
        self.case_ids = np.zeros(0, np.int64)
        self.quality = np.zeros(0, np.int16)
        self.frame_time = np.zeros(0, np.float64)  # NaN: a photo

    def refresh(self, session: Session) -> None:
        with session.db() as db:
            newest = db.scalar(select(func.max(PdqRecord.id))) or 0
            if newest <= self.last_id:
                return
            conn = db.connection()
            rows = conn.exec_driver_sql(
                driver_sql(
                    conn,
                    "SELECT id, item_id, case_id, hash, quality, frame_time FROM pdq_hashes "
                    "WHERE id > ? ORDER BY id",
                ),
                (self.last_id,),
            ).fetchall()
            # sealed to its row on a server (a perceptual hash identifies a picture)
            opened = sealing.column_opener(db, PdqRecord.hash)
        if not rows:
            return
        ids, items, cases, hashes, quality, times = zip(*rows, strict=True)
        if opened is not None:
            hashes = tuple(opened(i, h) for i, h in zip(ids, hashes, strict=True))
        self.index.add(np.frombuffer(b"".join(hashes), np.uint8).reshape(-1, 32))
        self.item_ids = np.concatenate([self.item_ids, np.asarray(items, np.int64)])
        self.case_ids = np.concatenate([self.case_ids, np.asarray(cases, np.int64)])
        self.quality = np.concatenate([self.quality, np.asarray(quality, np.int16)])
        t = np.asarray([np.nan if x is None else x for x in times], np.float64)
        self.frame_time = np.concatenate([self.frame_time, t])
        self.last_id = int(ids[-1])

    def hashes_of(self, item_id: int) -> np.ndarray:
        return np.flatnonzero(self.item_ids == item_id)


def _vault_hashes(session: Session) -> _VaultHashes:
    hashes = session.cached("pdq-index", _VaultHashes)
    with hashes.lock:
        hashes.refresh(session)
    return hashes


# -- permission per case -------------------------------------------------------------------------


def readable_cases(session: Session) -> dict[int, str]:
    """Case id -> reference of every case the acting user may read: the one place a per-case
    rule is decided for cross-case results (today: the ``case.read`` permission)."""
    with session.db() as db:
        cases = db.execute(select(Case.id, Case.reference)).all()
    return {cid: ref for cid, ref in cases if _may_read_case(session, ref)}


def _may_read_case(session: Session, reference: str) -> bool:
    return session.may("case.read")


# -- other occurrences ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """Another item where this one occurs: ``kind`` is ``same-content`` (identical SHA-256,
    distance 0), ``near-duplicate`` (PDQ Hamming distance in bits) or ``same-face`` (embedding
    distance between the closest pair of faces)."""

    kind: str
    case: str
    item: int
    name: str
    distance: float
    frame_time: float | None = None  # the other item's video frame (PDQ) or track
    face: int | None = None  # the face of the queried item (same-face)
    other_face: int | None = None  # and of the other item

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SimilarResult:
    item: int
    case: str
    name: str
    all_cases: bool
    distance: int
    face_threshold: float
    pdq_hashes: int  # of the queried item (0: not computed yet)
    pdq_quality: int | None  # its best quality
    faces: int  # its faces of the current model
    occurrences: list[Occurrence]
    # the item within the distance of an active PDQ set's entry (``matching.pdqsets``)
    set_matches: list[SetMatch] = field(default_factory=list)

    @property
    def low_quality(self) -> bool:
        """Its PDQ hashes are all under ``MIN_QUALITY``: near-duplicates were not searched."""
        return self.pdq_quality is not None and self.pdq_quality < MIN_QUALITY

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["low_quality"] = self.low_quality
        return d


def check_distance(distance: int | None) -> int:
    """The analyst's Hamming distance, or PDQ's recommended one (None)."""
    if distance is None:
        return MATCH_DISTANCE
    if not 0 <= distance <= 256:
        raise UserError(f"PDQ distance {distance}: must be 0 to 256 bits (PDQ's default is 31)")
    return distance


def similar(
    session: Session,
    item_id: int,
    *,
    all_cases: bool = False,
    distance: int | None = None,
    face_threshold: float | None = None,
) -> SimilarResult:
    """Other items like ``item_id``: in its own case, or with ``all_cases`` in every case of the
    vault the user may read. One audit entry (``items.similar``) records the lookup."""
    from matching.search import DEFAULT_ALERT_THRESHOLD

    distance = check_distance(distance)
    threshold = DEFAULT_ALERT_THRESHOLD if face_threshold is None else face_threshold
    if not 0 < threshold <= 2:
        raise UserError(f"face threshold {threshold}: must be over 0 and at most 2")
    session.require("case.read", target=f"items:{item_id}")
    with session.db() as db:
        item = db.get(Item, item_id)
        if item is None:
            raise UserError(f"no item with id {item_id}")
        own = db.get(Case, item.case_id)
        assert own is not None
    readable = readable_cases(session)
    if item.case_id not in readable:  # a per-case rule refused it: audited, as require does
        with session.transaction() as db:
            session.audit(
                db, "permission.refused", target=f"case:{own.reference}", permission="case.read"
            )
        raise PermissionDenied(f"user {session.user!r} may not read case {own.reference}")
    scope = readable if all_cases else {item.case_id: own.reference}

    found: list[Occurrence] = []
    found += _same_content(session, item, scope)
    hashes, quality, near = _near_duplicates(session, item, scope, distance)
    found += near
    faces, same_face = _same_faces(session, item, scope, threshold)
    found += same_face
    order = {k: n for n, k in enumerate(KINDS)}
    found.sort(key=lambda o: (order[o.kind], o.distance, o.case, o.item))
    strongest: dict[int, Occurrence] = {}  # one entry per other item, the strongest kind
    for o in found:
        strongest.setdefault(o.item, o)
    found = list(strongest.values())
    set_matches = _set_matches(session, item, distance)
    result = SimilarResult(
        item.id,
        own.reference,
        item.name,
        all_cases,
        distance,
        threshold,
        hashes,
        quality,
        faces,
        found,
        set_matches,
    )
    with session.transaction() as db:
        session.audit(
            db,
            "items.similar",
            target=f"similar:{item.id}",  # not "items:": that names the (append-only) row
            item=item.id,
            all_cases=all_cases,
            distance=distance,
            face_threshold=threshold,
            cases=len(scope),
            found={k: sum(o.kind == k for o in found) for k in KINDS},
            pdq_sets=[m.set for m in set_matches],
        )
    return result


def _set_matches(session: Session, item: Item, distance: int) -> list[SetMatch]:
    """The item's PDQ hashes (quality >= ``MIN_QUALITY``) against the active PDQ sets."""
    if not session.may("hashset.read"):
        return []
    vh = _vault_hashes(session)
    mine = vh.hashes_of(item.id)
    rows = mine[vh.quality[mine] >= MIN_QUALITY]
    if len(rows) == 0:
        return []
    with vh.lock:
        codes = vh.index.codes(rows)
    times = [None if np.isnan(t) else float(t) for t in vh.frame_time[rows]]
    return pdq_set_matches(session, codes, times, distance)


@dataclass(frozen=True)
class ItemSetMatch:
    """An item of a case within the distance of an active PDQ set's entry."""

    item: int
    name: str
    match: SetMatch

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "name": self.name, **self.match.as_dict()}


def case_set_matches(
    session: Session, case_reference: str, distance: int | None = None
) -> list[ItemSetMatch]:
    """Every item of a case whose PDQ hashes (quality >= ``MIN_QUALITY``) are within
    ``distance`` of an active PDQ set's entry: per item and set, the closest entry; known-bad
    first. Needs ``case.read`` and ``hashset.read``; one audit entry (``pdq.set_matches``)."""
    distance = check_distance(distance)
    session.require("case.read", target=f"case:{case_reference}")
    session.require("hashset.read", target=f"case:{case_reference}")
    with session.db() as db:
        case = find_case(db, case_reference)
        rows = db.execute(
            select(PdqRecord.item_id, PdqRecord.hash, PdqRecord.frame_time, Item.name)
            .join(Item, Item.id == PdqRecord.item_id)
            .where(PdqRecord.case_id == case.id, PdqRecord.quality >= MIN_QUALITY)
            .order_by(PdqRecord.id)
        ).all()
    codes = np.frombuffer(b"".join(r.hash for r in rows), np.uint8).reshape(-1, 32)
    within, named = closest_entries(session, codes, distance)
    best: dict[tuple[int, int], tuple[int, bytes, int]] = {}  # (item, set) -> (d, key, row)
    for (set_id, qi), (d, key) in within.items():
        at = (rows[qi].item_id, set_id)
        if at not in best or d < best[at][0]:
            best[at] = (d, key, qi)
    found = [
        ItemSetMatch(
            item,
            rows[qi].name,
            set_match(session, set_id, named[set_id], key, d, rows[qi].frame_time),
        )
        for (item, set_id), (d, key, qi) in best.items()
    ]
    found.sort(key=lambda f: (*match_order(f.match), f.item))
    with session.transaction() as db:
        session.audit(
            db,
            "pdq.set_matches",
            target=f"pdqsets:{case.id}",
            case=case.reference,
            distance=distance,
            hashes=len(rows),
            items=len({f.item for f in found}),
            sets=sorted({f.match.set for f in found}),
        )
    return found


def _names(session: Session, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Item id -> (case id, name)."""
    wanted = sorted(set(ids))
    out: dict[int, tuple[int, str]] = {}
    with session.db() as db:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            q = select(Item.id, Item.case_id, Item.name).where(Item.id.in_(chunk))
            out.update({i: (c, n) for i, c, n in db.execute(q)})
    return out


def _same_content(session: Session, item: Item, scope: dict[int, str]) -> list[Occurrence]:
    with session.db() as db:
        q = select(Item.id, Item.case_id, Item.name, Item.sha256).where(
            sealing.equals(db, Item.sha256, item.sha256), Item.id != item.id
        )
        rows = db.execute(q).all()
    return [  # the digest as unsealed: a blind index copied onto another row on a server
        Occurrence("same-content", scope[c], i, n, 0)
        for i, c, n, sha in rows
        if c in scope and sha == item.sha256
    ]


def _near_duplicates(
    session: Session, item: Item, scope: dict[int, str], distance: int
) -> tuple[int, int | None, list[Occurrence]]:
    vh = _vault_hashes(session)
    mine = vh.hashes_of(item.id)
    if len(mine) == 0:
        return 0, None, []
    best_quality = int(vh.quality[mine].max())
    queries = mine[vh.quality[mine] >= MIN_QUALITY]
    if len(queries) == 0:
        return len(mine), best_quality, []
    with vh.lock:
        hits = vh.index.within(vh.index.codes(queries), distance)
    in_scope = np.isin(vh.case_ids, np.fromiter(scope, np.int64, len(scope)))
    best: dict[int, tuple[int, int]] = {}  # other item -> (distance, row)
    for rows, dists in hits:
        for row, d in zip(rows.tolist(), dists.tolist(), strict=True):
            other = int(vh.item_ids[row])
            if other == item.id or not in_scope[row] or vh.quality[row] < MIN_QUALITY:
                continue
            if other not in best or d < best[other][0]:
                best[other] = (int(d), row)
    names = _names(session, best)
    found = []
    for other, (d, row) in best.items():
        t = vh.frame_time[row]
        case_id, name = names[other]
        found.append(
            Occurrence(
                "near-duplicate", scope[case_id], other, name, d, None if np.isnan(t) else float(t)
            )
        )
    return len(mine), best_quality, found


def _same_faces(
    session: Session, item: Item, scope: dict[int, str], threshold: float
) -> tuple[int, list[Occurrence]]:
    from matching.detect import MODEL_VERSION
    from matching.distance import distances
    from matching.faces import MODEL_NAME

    current = (FaceRecord.model == MODEL_NAME) & (FaceRecord.model_version == MODEL_VERSION)
    with session.db() as db:
        mine = db.execute(
            select(FaceRecord.id, FaceRecord.embedding)
            .where(FaceRecord.item_id == item.id, current, live())
            .order_by(FaceRecord.id)
        ).all()
        if not mine:
            return 0, []
        others = db.execute(
            select(
                FaceRecord.id,
                FaceRecord.item_id,
                FaceRecord.case_id,
                FaceRecord.frame_time,
                FaceRecord.embedding,
            )
            .where(
                FaceRecord.item_id != item.id,
                FaceRecord.case_id.in_(list(scope)),
                current,
                live(),
            )
            .order_by(FaceRecord.id)
        ).all()
    if not others:
        return len(mine), []
    q = np.frombuffer(b"".join(r.embedding for r in mine), np.float32).reshape(len(mine), -1)
    g = np.frombuffer(b"".join(r.embedding for r in others), np.float32).reshape(len(others), -1)
    d = distances(q, g)  # (faces of this item, faces elsewhere)
    best: dict[int, tuple[float, int, int]] = {}  # other item -> (distance, my face, its face)
    for qi, gi in zip(*np.nonzero(d <= threshold), strict=True):
        other = others[gi]
        dist = float(d[qi, gi])
        if other.item_id not in best or dist < best[other.item_id][0]:
            best[other.item_id] = (dist, qi, gi)
    names = _names(session, best)
    found = []
    for other_item, (dist, qi, gi) in best.items():
        case_id, name = names[other_item]
        o = others[gi]
        found.append(
            Occurrence(
                "same-face",
                scope[case_id],
                other_item,
                name,
                round(dist, 4),
                o.frame_time,
                mine[qi].id,
                o.id,
            )
        )
    return len(mine), found


# -- near-duplicate groups of a case -------------------------------------------------------------


@dataclass(frozen=True)
class GroupMember:
    item: int
    name: str
    distance: int  # to the closest other member
    frame_time: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def duplicate_groups(
    session: Session, case_reference: str, distance: int | None = None
) -> list[list[GroupMember]]:
    """The case's items grouped by near-duplicate pictures (PDQ within ``distance``, joined
    transitively), largest group first; items with no near-duplicate are in no group."""
    distance = check_distance(distance)
    session.require("case.read", target=f"case:{case_reference}")
    with session.db() as db:
        case = find_case(db, case_reference)
    vh = _vault_hashes(session)
    rows = np.flatnonzero((vh.case_ids == case.id) & (vh.quality >= MIN_QUALITY))
    if len(rows) < 2:
        return []
    with vh.lock:
        matrix = vh.index.codes(rows)
    local = HashIndex()  # the case alone: a scan of its own hashes, not the vault's
    local.add(matrix)
    items = vh.item_ids[rows]
    parent = {int(i): int(i) for i in items}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    closest: dict[int, tuple[int, int]] = {}  # item -> (distance, row)
    for a, (hits, dists) in enumerate(local.within(matrix, distance)):
        ia = int(items[a])
        for b, d in zip(hits.tolist(), dists.tolist(), strict=True):
            ib = int(items[b])
            if ia == ib:
                continue
            parent[root(ia)] = root(ib)
            if ia not in closest or d < closest[ia][0]:
                closest[ia] = (int(d), a)
    groups: dict[int, list[int]] = {}
    for i in closest:
        groups.setdefault(root(i), []).append(i)
    names = _names(session, closest)
    out = []
    for members in groups.values():
        out.append(
            [
                GroupMember(
                    i,
                    names[i][1],
                    closest[i][0],
                    None
                    if np.isnan(vh.frame_time[rows[closest[i][1]]])
                    else float(vh.frame_time[rows[closest[i][1]]]),
                )
                for i in sorted(members)
            ]
        )
    out.sort(key=lambda g: (-len(g), g[0].item))
    return out
