"""1:N search of a case's faces (or one probe photo) against watchlists; results are recorded.

Every run stores its policy (mode, top-k or threshold, model) and its candidates, audited, so an
analyst can later show what was searched and why a candidate came up. A candidate is never an
identification: see ``matching.review``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select

from matching.detect import MODEL_VERSION
from matching.errors import MatchingError
from matching.faces import MODEL_NAME
from matching.images import load_rgb
from matching.models import CandidateRecord, FaceRecord, SearchRun, Subject
from matching.search import SearchPolicy
from matching.watchlists import gallery
from vault.cases import find_case
from vault.errors import UserError
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


@dataclass
class SearchOutcome:
    run_ids: list[int] = field(default_factory=list)
    probes: int = 0
    candidates: list[CandidateInfo] = field(default_factory=list)


def _probes_of_case(session: Session, case_reference: str) -> tuple[int, list[int], np.ndarray]:
    with session.db() as db:
        case = find_case(db, case_reference)
        rows = db.execute(
            select(FaceRecord.id, FaceRecord.embedding, FaceRecord.model, FaceRecord.model_version)
            .where(FaceRecord.case_id == case.id)
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
    if (case_reference is None) == (photo is None):
        raise UserError("search either a case (--case) or a probe photo (--photo)")
    if mode not in ("investigative", "alert"):
        raise UserError(f"unknown search mode {mode!r} (investigative or alert)")
    if not watchlists:
        raise UserError("name at least one watchlist")
    if case_reference is not None:
        case_id, face_ids, emb = _probes_of_case(session, case_reference)
        probe_name = f"case:{case_reference}"
        probe_ids: list[int | None] = list(face_ids)
    else:
        assert photo is not None
        case_id, emb, probe_name = None, _probe_photo(photo), photo.name
        probe_ids = [None] * len(emb)
    outcome = SearchOutcome(probes=len(emb))
    for name in watchlists:
        g, wl, refs = gallery(session, name)
        policy = SearchPolicy(mode=mode, top=top, threshold=wl.alert_threshold)  # type: ignore[arg-type]
        found = g.search(emb, policy, model=MODEL_NAME) if len(g) else [[] for _ in probe_ids]
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
            session.audit(db, "search.run", run, watchlist=name, mode=mode, probes=len(emb))
            for p, cands in enumerate(found):
                for c in cands:
                    ref = refs[c.reference]
                    rec = CandidateRecord(
                        run_id=run.id,
                        face_id=probe_ids[p],
                        subject_id=ref.subject_id,
                        reference_id=ref.id,
                        rank=c.rank,
                        distance=c.distance,
                        threshold=wl.alert_threshold,
                    )
                    db.add(rec)
                    session.audit(db, "search.candidate", rec, run=run.id)
                    subject = db.get(Subject, ref.subject_id)
                    assert subject is not None
                    outcome.candidates.append(
                        CandidateInfo(
                            rec.id,
                            rec.face_id,
                            name,
                            subject.ref,
                            subject.id,
                            ref.id,
                            c.rank,
                            round(c.distance, 4),
                            round(c.score, 4),
                            wl.alert_threshold,
                            subject.label,
                        )
                    )
            outcome.run_ids.append(run.id)
    return outcome
