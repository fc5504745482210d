"""What a court report says, read from the vault in one pass (no rendering here).

Rows come from all three layers: the case and its items with hashes and custody (vault), face
matches with their search, threshold, calibration and review decisions (matching), the legal
basis: agreements and transfers (exchange), and known-file hits where the installed Custos has
them. The probe crop and the reference photo of each match are read only through
``BlobStore.read_verified`` against their ``blobs`` rows: a swapped blob file stops the report
with one ``IntegrityFault`` line, never shows the wrong face. The audit head is read with the
rows, before the report's own custody events are written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from exchange.directory import AgreementInfo, agreements_with
from exchange.labels import labels_for
from exchange.models import Agency, Partner
from matching import hashhits
from matching.models import (
    CandidateRecord,
    FaceRecord,
    Reference,
    SearchRun,
    Subject,
    Watchlist,
)
from matching.review import decisions_of, status_of
from vault.audit import Head, read_head
from vault.cases import CaseInfo, find_case
from vault.errors import IntegrityFault, UserError
from vault.items import CustodyInfo, ItemInfo, custody_of, list_items
from vault.jobs import CancelToken
from vault.models import Blob, Item
from vault.session import Session


@dataclass(frozen=True)
class Transfer:
    direction: str  # "out" | "in"
    partner: str
    purpose: str | None
    reference: str | None
    bundle_id: str
    at: str
    items: int


@dataclass(frozen=True)
class KnownFileHit:
    set: str
    kind: str
    algorithm: str
    digest: str
    category: str
    acknowledged: str  # "" when not, else "by, at: reason"


@dataclass(frozen=True)
class ReportItem:
    info: ItemInfo
    label: str
    custody: list[CustodyInfo]
    hits: list[KnownFileHit] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewDecision:
    decision: str
    reviewer: str
    at: str
    reason: str


@dataclass(frozen=True)
class ReportMatch:
    candidate: int
    item: int
    item_name: str
    face: int | None
    run: int
    run_by: str
    run_at: str
    mode: str
    model: str
    watchlist: str
    subject: str
    listing: str  # reason, issuing agency, label
    rank: int
    distance: float
    threshold: float  # the one the search used
    watchlist_threshold: float  # the watchlist's now
    calibration: dict[str, Any] | None
    reference_source: str
    probe: bytes | None  # JPEG crop of the face in the evidence (checked)
    reference_photo: bytes  # the enrolled reference photo (checked)
    status: str
    decisions: list[ReviewDecision]


@dataclass(frozen=True)
class ReportData:
    case: CaseInfo
    agency: str | None  # "name (country)"
    selected: bool  # a selection of items, not the whole case
    items: list[ReportItem]
    matches: list[ReportMatch]
    agreements: list[AgreementInfo]
    partners_without_agreement: list[str]
    transfers: list[Transfer]
    head: Head
    made_by: str


def _agency(db: Any) -> str | None:
    row = db.get(Agency, 1)
    return f"{row.name} ({row.country})" if row is not None else None


def _selection(all_items: list[ItemInfo], wanted: Sequence[int] | None, ref: str) -> list[ItemInfo]:
    if not wanted:
        return all_items
    by_id = {i.id: i for i in all_items}
    missing = sorted({i for i in wanted if i not in by_id})
    if missing:
        shown = ", ".join(str(i) for i in missing)
        raise UserError(f"case {ref!r} has no item {shown}; nothing reported")
    return [by_id[i] for i in sorted(set(wanted))]


def _transfers(custody: dict[int, list[CustodyInfo]]) -> list[Transfer]:
    """Bundles the items left in or came in by, from their custody events (one per bundle)."""
    found: dict[tuple[str, str], Transfer] = {}
    for events in custody.values():
        for e in events:
            d = e.details
            if e.kind == "transferred":
                key, made = (
                    ("out", str(d.get("bundle_id"))),
                    Transfer(
                        "out",
                        str(d.get("to", "")),
                        d.get("purpose"),
                        d.get("reference"),
                        str(d.get("bundle_id", "")),
                        e.at,
                        0,
                    ),
                )
            elif e.kind == "acquired" and d.get("via") == "transfer":
                key, made = (
                    ("in", str(d.get("bundle_id"))),
                    Transfer(
                        "in",
                        str(d.get("sent_by", "")),
                        None,
                        None,
                        str(d.get("bundle_id", "")),
                        e.at,
                        0,
                    ),
                )
            else:
                continue
            old = found.get(key, made)
            found[key] = Transfer(**{**old.__dict__, "items": old.items + 1})
    return sorted(found.values(), key=lambda t: (t.at, t.bundle_id))


def _agreements(db: Any, partners: list[str]) -> tuple[list[AgreementInfo], list[str]]:
    known = set(db.scalars(select(Partner.name)))
    found: list[AgreementInfo] = []
    without: list[str] = []
    for name in partners:
        ags = agreements_with(db, name) if name in known else []
        found += ags
        if not ags:
            without.append(name)
    return found, without


def _hits(session: Session, ref: str) -> dict[int, list[KnownFileHit]]:
    """Known-file hits per item (``matching.hashhits``), with their acknowledgements."""
    found: dict[int, list[KnownFileHit]] = {}
    for item, hits in hashhits.case_hits(session, ref).items():
        for h in hits:
            ack = h.acknowledged or {}
            found.setdefault(int(item), []).append(
                KnownFileHit(
                    h.set,
                    h.kind,
                    h.algorithm,
                    h.digest,
                    "" if h.category is None else str(h.category),
                    f"{ack['by']}, {ack['at']}: {ack['reason']}" if ack else "",
                )
            )
    return found


def _listing(subject: Subject) -> str:
    return f"{subject.reason}; {subject.agency}; TLP:{subject.label}"


def gather(
    session: Session,
    case_reference: str,
    item_ids: Sequence[int] | None,
    cancel: CancelToken,
    progress: Callable[[int, int], None],
) -> ReportData:
    """Every row the report shows, and the audit head read with them. ``progress(done, total)``
    counts items then matches (each match reads two blobs)."""
    all_items = list_items(session, case_reference)
    chosen = _selection(all_items, item_ids, case_reference)
    ids = [i.id for i in chosen]
    custody = custody_of(session, ids)
    hits = _hits(session, case_reference)
    with session.db() as db:
        case_row = find_case(db, case_reference)
        head = read_head(db)
        agency = _agency(db)
        wanted = set(ids)
        orm_items: list[Item] = []
        for start in range(0, len(ids), 500):
            orm_items += db.scalars(select(Item).where(Item.id.in_(ids[start : start + 500])))
        labels = labels_for(db, orm_items)
        transfers = _transfers(custody)
        case = CaseInfo.of(case_row, len(all_items))
        partners = sorted({*case.partners, *(t.partner for t in transfers if t.partner)})
        agreements, without = _agreements(db, partners)
        rows = _match_rows(db, wanted)
        decided = decisions_of(db, [r[0].id for r in rows])
    items = [
        ReportItem(i, labels[i.id].tlp, custody.get(i.id, []), hits.get(i.id, [])) for i in chosen
    ]
    total = len(items) + len(rows)
    for n in range(0, len(items), 100):
        cancel.check()
        progress(min(n + 100, len(items)), total)
    names = {i.id: i.name for i in chosen}
    matches: list[ReportMatch] = []
    read = session.blobs.read_verified
    for n, (cand, run, subject, wl, face, ref, crop_sha, photo_sha) in enumerate(rows, 1):
        cancel.check()
        decisions = decided.get(cand.id, [])
        matches.append(
            ReportMatch(
                candidate=cand.id,
                item=face.item_id,
                item_name=names[face.item_id],
                face=face.id,
                run=run.id,
                run_by=run.actor,
                run_at=run.at,
                mode=run.mode,
                model=run.model,
                watchlist=wl.name,
                subject=subject.ref,
                listing=_listing(subject),
                rank=cand.rank,
                distance=cand.distance,
                threshold=cand.threshold,
                watchlist_threshold=wl.alert_threshold,
                calibration=json.loads(wl.calibration) if wl.calibration else None,
                reference_source=ref.source,
                probe=read(face.crop_blob, crop_sha, f"crop of face {face.id}"),
                reference_photo=read(ref.photo_blob, photo_sha, f"photo of reference {ref.id}"),
                status=status_of(decisions, wl.second_review),
                decisions=[ReviewDecision(d.decision, d.actor, d.at, d.reason) for d in decisions],
            )
        )
        progress(len(items) + n, total)
    return ReportData(
        case=case,
        agency=agency,
        selected=bool(item_ids),
        items=items,
        matches=matches,
        agreements=agreements,
        partners_without_agreement=without,
        transfers=transfers,
        head=head,
        made_by=session.user,
    )


def _match_rows(db: Any, item_ids: set[int]) -> list[Any]:
    crop, photo = aliased(Blob), aliased(Blob)
    found: list[Any] = []
    ids = sorted(item_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found += db.execute(
            select(
                CandidateRecord,
                SearchRun,
                Subject,
                Watchlist,
                FaceRecord,
                Reference,
                crop.sha256,
                photo.sha256,
            )
            .join(SearchRun, SearchRun.id == CandidateRecord.run_id)
            .join(Subject, Subject.id == CandidateRecord.subject_id)
            .join(Watchlist, Watchlist.id == Subject.watchlist_id)
            .join(FaceRecord, FaceRecord.id == CandidateRecord.face_id)
            .join(Reference, Reference.id == CandidateRecord.reference_id)
            .outerjoin(crop, crop.name == FaceRecord.crop_blob)
            .outerjoin(photo, photo.name == Reference.photo_blob)
            .where(FaceRecord.item_id.in_(chunk))
        ).all()
    found.sort(key=lambda r: (r[4].item_id, r[1].id, r[0].rank, r[0].id))
    for cand, _run, _subject, _wl, face, ref, crop_sha, photo_sha in found:
        if crop_sha is None or photo_sha is None:
            what = f"crop of face {face.id}" if crop_sha is None else f"photo of reference {ref.id}"
            raise IntegrityFault(
                f"{what} (candidate {cand.id}): stored object has no record; run verify"
            )
    return found
