"""Match results and review decisions of exported items' faces, for ``bundle export --matches``.

Each recorded search that proposed a candidate for a face in an exported item becomes one
search node (investigative action + analysis), each candidate an analytic result (subject,
watchlist, rank, distance, threshold, label) whose content is the item's file, and each review
decision an investigative action on that result (decision, reviewer, time, reason).

A match result's label is the stricter of the item's and the subject's: the agreement must allow
it like any item label, or the export is refused for that match. The matched reference photo's
provenance (``contents``) is checked too: a match against a watchlist received without onward
sharing only goes back to its sender (``exchange.policy.received_contents``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange import caseld
from exchange.labels import Label
from matching.models import (
    CandidateRecord,
    Decision,
    FaceRecord,
    Reference,
    SearchRun,
    Subject,
    Watchlist,
)
from matching.tlp import highest
from vault.models import Blob, Item


@dataclass(frozen=True)
class MatchSet:
    searches: list[caseld.Search]
    matches: list[caseld.Match]
    labels: list[tuple[int, str, str]]  # (item id, what, label) for the policy
    # (item id, what, SHA-256 of the matched reference photo): its provenance, for the policy
    contents: list[tuple[int, str, str]] = field(default_factory=list)


def gather(db: DbSession, items: list[Item], labels: dict[int, Label]) -> MatchSet:
    ids = {i.id for i in items}
    rows = db.execute(
        select(CandidateRecord, SearchRun, Subject, Watchlist, FaceRecord, Blob.sha256)
        .join(SearchRun, SearchRun.id == CandidateRecord.run_id)
        .join(Subject, Subject.id == CandidateRecord.subject_id)
        .join(Watchlist, Watchlist.id == Subject.watchlist_id)
        .join(FaceRecord, FaceRecord.id == CandidateRecord.face_id)
        .join(Reference, Reference.id == CandidateRecord.reference_id)
        .join(Blob, Blob.name == Reference.photo_blob)
        .where(FaceRecord.item_id.in_(ids))
        .order_by(SearchRun.id, CandidateRecord.id)
    ).all()
    searches: dict[int, caseld.Search] = {}
    matches: list[caseld.Match] = []
    found: list[tuple[int, str, str]] = []
    contents: list[tuple[int, str, str]] = []
    for cand, run, subject, wl, face, photo_sha in rows:
        file_key = str(face.item_id)
        if run.id not in searches:
            desc = (
                f"1:N search of {run.probe} against watchlist {wl.name} ({run.mode} mode, "
                f"model {run.model}, alert threshold {run.threshold})"
            )
            searches[run.id] = caseld.Search(str(run.id), run.actor, run.at, desc, [])
        if file_key not in searches[run.id].file_keys:
            searches[run.id].file_keys.append(file_key)
        label = highest([labels[face.item_id].tlp, subject.label])
        what = f"match result {cand.id} (subject {subject.ref} on watchlist {wl.name})"
        found.append((face.item_id, what, label))
        contents.append((face.item_id, what, photo_sha))
        q = select(Decision).where(Decision.candidate_id == cand.id).order_by(Decision.id)
        reviews = [
            caseld.Review(str(d.id), d.decision, d.actor, d.at, f"{d.decision}: {d.reason}")
            for d in db.scalars(q)
        ]
        statement = (
            f"face {face.id} is a candidate for subject {subject.ref} on watchlist {wl.name}: "
            f"rank {cand.rank}, distance {cand.distance:.4f} (threshold {cand.threshold:.4f}), "
            f"TLP:{label}; status {reviews[-1].decision if reviews else 'not reviewed'}"
        )
        matches.append(caseld.Match(str(cand.id), str(run.id), file_key, statement, reviews))
    return MatchSet(list(searches.values()), matches, found, contents)
