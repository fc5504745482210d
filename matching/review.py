"""Human review of candidates: confirmed, rejected or inconclusive, always with a reason.

Decisions are appended, never edited: each is a row, an audit entry and a "reviewed" custody
event on the evidence item. A candidate is shown as an identification only once confirmed (and,
where the watchlist asks for it, confirmed by a second, different analyst).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from matching.errors import MatchingError
from matching.models import CandidateRecord, Decision, FaceRecord, SearchRun, Subject, Watchlist
from vault.blobs import blob_sha256
from vault.cases import find_case
from vault.errors import PermissionDenied, UserError
from vault.models import CustodyEvent, canonical
from vault.session import Session, now, requires

DECISIONS = ("confirmed", "rejected", "inconclusive")
OPEN = ("pending", "awaiting second review")
"""Statuses of a candidate still waiting in the review queue (no final decision yet)."""


@dataclass(frozen=True)
class ReviewItem:
    candidate: int
    face: int | None
    item: int | None
    watchlist: str
    subject: str
    label: str
    distance: float
    threshold: float
    rank: int
    mode: str
    status: str  # pending | confirmed | rejected | inconclusive | awaiting second review
    decisions: list[tuple[str, str, str, str]]  # (decision, actor, at, reason)


def status_of(decisions: Sequence[Decision], second_review: bool) -> str:
    if not decisions:
        return "pending"
    last = decisions[-1].decision
    if last != "confirmed":
        return last
    confirmers = {d.actor for d in decisions if d.decision == "confirmed"}
    if second_review and len(confirmers) < 2:
        return "awaiting second review"
    return "confirmed"


def decisions_of(db: DbSession, candidate_ids: Sequence[int]) -> dict[int, list[Decision]]:
    """The decisions on each of many candidates, oldest first (a few queries, not one each)."""
    found: dict[int, list[Decision]] = {}
    ids = list(candidate_ids)
    for start in range(0, len(ids), 500):
        q = (
            select(Decision)
            .where(Decision.candidate_id.in_(ids[start : start + 500]))
            .order_by(Decision.id)
        )
        for d in db.scalars(q):
            found.setdefault(d.candidate_id, []).append(d)
    return found


def open_pairs(
    db: DbSession, case_id: int, watchlist: Watchlist
) -> dict[tuple[int | None, int], int]:
    """The (face, subject) pairs of a case's faces already waiting in the review queue of a
    watchlist, each with its waiting candidate (the oldest): a candidate with no decision yet, or
    one that awaits its second reviewer.

    A search does not queue such a pair again (``matching.searching.search``). A pair whose
    candidates are all decided (confirmed, rejected, inconclusive) is not open: a later search
    queues it again as a new candidate, as it always did, so a decision is never reopened or
    hidden. Probe-photo searches have no face id and are never matched here.
    """
    scope = (
        select(CandidateRecord.id)
        .join(SearchRun, SearchRun.id == CandidateRecord.run_id)
        .join(Subject, Subject.id == CandidateRecord.subject_id)
        .where(
            SearchRun.case_id == case_id,
            Subject.watchlist_id == watchlist.id,
            CandidateRecord.face_id.is_not(None),
        )
    )
    decided: dict[int, list[Decision]] = {}
    for d in db.scalars(
        select(Decision)
        .where(Decision.candidate_id.in_(scope.scalar_subquery()))
        .order_by(Decision.id)
    ):
        decided.setdefault(d.candidate_id, []).append(d)
    waiting: dict[tuple[int | None, int], int] = {}
    for cid, face, subject in db.execute(
        select(CandidateRecord.id, CandidateRecord.face_id, CandidateRecord.subject_id)
        .where(CandidateRecord.id.in_(scope.scalar_subquery()))
        .order_by(CandidateRecord.id)
    ):
        if face is not None and status_of(decided.get(cid, []), watchlist.second_review) in OPEN:
            waiting.setdefault((face, subject), cid)
    return waiting


@requires("case.read")
def list_review(
    session: Session, case_reference: str, status: str | None = None
) -> list[ReviewItem]:
    with session.db() as db:
        case = find_case(db, case_reference)
        rows = db.execute(
            select(CandidateRecord, SearchRun, Subject, Watchlist, FaceRecord.item_id)
            .join(SearchRun, SearchRun.id == CandidateRecord.run_id)
            .join(Subject, Subject.id == CandidateRecord.subject_id)
            .join(Watchlist, Watchlist.id == Subject.watchlist_id)
            .outerjoin(FaceRecord, FaceRecord.id == CandidateRecord.face_id)
            .where(SearchRun.case_id == case.id)
            .order_by(CandidateRecord.face_id, CandidateRecord.rank, CandidateRecord.id)
        ).all()
        out: list[ReviewItem] = []
        for cand, run, subject, wl, item_id in rows:
            decisions = list(
                db.scalars(
                    select(Decision).where(Decision.candidate_id == cand.id).order_by(Decision.id)
                )
            )
            st = status_of(decisions, wl.second_review)
            if status and st != status:
                continue
            out.append(
                ReviewItem(
                    cand.id,
                    cand.face_id,
                    item_id,
                    wl.name,
                    subject.ref,
                    subject.label,
                    cand.distance,
                    cand.threshold,
                    cand.rank,
                    run.mode,
                    st,
                    [(d.decision, d.actor, d.at, d.reason) for d in decisions],
                )
            )
    return out


@requires("match.review")
def decide(session: Session, candidate_id: int, decision: str, reason: str) -> str:
    """Record a decision; returns the candidate's new status."""
    if not isinstance(decision, str) or decision not in DECISIONS:
        raise MatchingError(
            f"candidate {candidate_id}: unknown review outcome {decision!r} "
            f"(one of {', '.join(DECISIONS)})"
        )
    if not reason.strip():
        raise UserError("a review decision needs a reason")
    try:
        return _decide(session, candidate_id, decision, reason)
    except _Refused as refused:
        # The decision's transaction rolled back; the refusal is recorded in one of its own,
        # as ``Session.require`` records a missing permission.
        with session.transaction() as db:
            session.audit(
                db,
                "review.refused",
                target=f"candidate:{candidate_id}",
                decision=decision,
                watchlist=refused.watchlist,
                why=refused.why,
            )
        raise PermissionDenied(
            f"candidate {candidate_id}: watchlist {refused.watchlist!r} {refused.why}"
        ) from None


class _Refused(Exception):
    def __init__(self, watchlist: str, why: str) -> None:
        super().__init__(why)
        self.watchlist, self.why = watchlist, why


def _decide(session: Session, candidate_id: int, decision: str, reason: str) -> str:
    with session.transaction() as db:
        cand = db.get(CandidateRecord, candidate_id)
        if cand is None:
            raise UserError(f"no candidate with id {candidate_id}")
        subject = db.get(Subject, cand.subject_id)
        assert subject is not None
        wl = db.get(Watchlist, subject.watchlist_id)
        assert wl is not None
        before = list(
            db.scalars(
                select(Decision).where(Decision.candidate_id == cand.id).order_by(Decision.id)
            )
        )
        if (
            decision == "confirmed"
            and wl.second_review
            and status_of(before, True) == "awaiting second review"
            and any(d.actor == session.user and d.decision == "confirmed" for d in before)
        ):
            raise _Refused(wl.name, "needs a second, different reviewer to confirm")
        d = Decision(
            candidate_id=cand.id, decision=decision, reason=reason, actor=session.user, at=now()
        )
        db.add(d)
        session.audit(db, "review.decided", d, candidate=cand.id, decision=decision)
        face = db.get(FaceRecord, cand.face_id) if cand.face_id else None
        if face is not None:
            event = CustodyEvent(
                item_id=face.item_id,
                kind="reviewed",
                actor=session.user,
                at=d.at,
                details=canonical(
                    {
                        "candidate": cand.id,
                        "face": face.id,
                        "watchlist": wl.name,
                        "subject": subject.ref,
                        "decision": decision,
                        "reason": reason,
                    }
                ),
            )
            db.add(event)
            session.audit(db, "custody.reviewed", event, item=face.item_id)
        return status_of([*before, d], wl.second_review)


@dataclass(frozen=True)
class CandidateDetail:
    """What a reviewer needs to see side by side (read only)."""

    candidate: int
    probe_crop: bytes | None  # JPEG crop of the case face (None for a probe-photo search)
    reference_photo: bytes
    reference_crop: bytes
    reference_source: str
    watchlist: str
    subject: str
    reason: str
    agency: str
    label: str
    review_on: str
    expires_on: str | None
    distance: float
    threshold: float
    rank: int
    mode: str
    probe_quality: dict[str, float] | None = None  # size, sharpness, pose of the case face
    probe_found_by: str | None = None  # which detector found it, at which scale ("cnn x2")
    reference_quality: dict[str, float] | None = None


def _measures(stored: str) -> dict[str, float]:
    from matching.faces import QUALITY_KEYS  # (numpy: not while the review list loads)

    values = json.loads(stored)
    return {k: float(values[k]) for k in QUALITY_KEYS if k in values}


@requires("case.read")
def candidate_detail(session: Session, candidate_id: int) -> CandidateDetail:
    """The probe crop, the reference photo and crop, the listing and the search policy used,
    the quality of both faces and which detector found the case face."""
    from matching.faces import found_by_label
    from matching.models import Reference

    with session.db() as db:
        cand = db.get(CandidateRecord, candidate_id)
        if cand is None:
            raise UserError(f"no candidate with id {candidate_id}")
        run = db.get(SearchRun, cand.run_id)
        subject = db.get(Subject, cand.subject_id)
        ref = db.get(Reference, cand.reference_id)
        assert run is not None and subject is not None and ref is not None
        wl = db.get(Watchlist, subject.watchlist_id)
        assert wl is not None
        face = db.get(FaceRecord, cand.face_id) if cand.face_id else None
        detail = dict(
            candidate=cand.id,
            reference_source=ref.source,
            watchlist=wl.name,
            subject=subject.ref,
            reason=subject.reason,
            agency=subject.agency,
            label=subject.label,
            review_on=subject.review_on,
            expires_on=subject.expires_on,
            distance=cand.distance,
            threshold=cand.threshold,
            rank=cand.rank,
            mode=run.mode,
            probe_quality=_measures(face.quality) if face else None,
            probe_found_by=found_by_label(json.loads(face.quality)) if face else None,
            reference_quality=_measures(ref.quality),
        )

        # Each shown image is checked against its blobs row: a crop file swapped on disk for
        # another one (both decrypt) would show the wrong person as the probe.
        def checked(name: str, what: str) -> tuple[str, str, str]:
            return name, blob_sha256(db, name, what), what

        probe = checked(face.crop_blob, f"crop of face {face.id}") if face else None
        photo = checked(ref.photo_blob, f"photo of reference {ref.id}")
        ref_crop = checked(ref.crop_blob, f"crop of reference {ref.id}")
    read = session.blobs.read_verified
    return CandidateDetail(
        probe_crop=read(*probe) if probe else None,
        reference_photo=read(*photo),
        reference_crop=read(*ref_crop),
        **detail,  # type: ignore[arg-type]
    )
