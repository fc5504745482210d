"""The review queue as an analyst meets it: one outcome per decision, and no duplicate
candidates from a repeated search."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS, vault_place
from sqlalchemy import func, select

from matching.casefaces import DetectJob
from matching.errors import MatchingError
from matching.models import SearchRun
from matching.review import decide, list_review
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol
from service.opener import init_vault, unlock
from vault import cases
from vault.errors import PermissionDenied
from vault.ingest import ingest
from vault.jobs import ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import FAST_KDF, PASSWORD, audit_rows, run_cli

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2999-01-01")
TRAIN = "knn/train"


@pytest.fixture(scope="module", params=BACKENDS)
def vault(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Any:
    """A closed vault: case C-1 holds the five test photos with their faces detected."""
    folder = vault_place(request, tmp_path_factory.mktemp("queue") / "vault")
    session, _ = init_vault(folder, "alice", PASSWORD, kdf=FAST_KDF)
    try:
        cases.create_case(session, "C-1", "Border crossing")
        ingest(session, "C-1", [faces_dir / "knn" / "test"])
        assert not DetectJob(session, "C-1", workers=1).run(ignore).failed
    finally:
        session.close()
    return folder


def _watchlist(s: Session, faces_dir: Path, name: str, who: list[str], **listing: str) -> None:
    create_watchlist(s, name)
    for ref in who:
        photo = sorted((faces_dir / TRAIN / ref).iterdir())[0]
        enrol(s, name, ref, Listing(**(LISTING.__dict__ | listing)), [photo])


def _pending(s: Session) -> list[int]:
    return [r.candidate for r in list_review(s, "C-1", "pending")]


# --- 1. one outcome per decision --------------------------------------------------------------


def test_contradictory_outcomes_are_refused_and_nothing_recorded(
    vault: Any, faces_dir: Path
) -> None:
    with unlock(vault, "alice", PASSWORD) as s:
        _watchlist(s, faces_dir, "Outcomes", ["obama"])
        cand = search(s, ["Outcomes"], case_reference="C-1", top=1).candidates[0].id
    res = run_cli(
        "review", "decide", str(cand), "--reject", "--confirm", "--reason", "x", vault=vault
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stdout == ""
    assert res.stderr.splitlines() == [
        "error: review decide: --confirm and --reject contradict each other; give one outcome"
    ]
    with unlock(vault, "alice", PASSWORD) as s:
        row = next(r for r in list_review(s, "C-1") if r.candidate == cand)
        assert row.status == "pending" and row.decisions == []
        assert not audit_rows(s, "review.decided")
    res = run_cli("review", "decide", str(cand), "--reject", "--reason", "other ears", vault=vault)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [f"candidate {cand}: rejected"]


def test_the_core_refuses_an_unknown_outcome(vault: Any) -> None:
    with unlock(vault, "alice", PASSWORD) as s:
        decided = len(audit_rows(s, "review.decided"))
        with pytest.raises(MatchingError) as info:
            decide(s, 1, "confirmed,rejected", "x")
        assert str(info.value) == (
            "candidate 1: unknown review outcome 'confirmed,rejected' "
            "(one of confirmed, rejected, inconclusive)"
        )
        with pytest.raises(MatchingError, match="unknown review outcome 'approved'"):
            decide(s, 1, "approved", "x")
        assert len(audit_rows(s, "review.decided")) == decided


def test_a_refused_second_review_is_audited_like_a_permission_refusal(
    vault: Any, faces_dir: Path
) -> None:
    """The same analyst confirming twice on a two-person watchlist is refused, and the refusal
    is in the signed audit log (actor, candidate, why), as every permission refusal is."""
    with unlock(vault, "alice", PASSWORD) as s:
        create_watchlist(s, "Two-person", second_review=True)
        photo = sorted((faces_dir / TRAIN / "obama").iterdir())[0]
        enrol(s, "Two-person", "obama", LISTING, [photo])
        cand = search(s, ["Two-person"], case_reference="C-1", top=1).candidates[0].id
        assert decide(s, cand, "confirmed", "same ears") == "awaiting second review"
        decided = len(audit_rows(s, "review.decided"))
        with pytest.raises(PermissionDenied, match="second, different reviewer"):
            decide(s, cand, "confirmed", "still the same ears")
        assert len(audit_rows(s, "review.decided")) == decided
        refused = audit_rows(s, "review.refused")
        assert [(e.actor, e.target) for e in refused] == [("alice", f"candidate:{cand}")]
        details = json.loads(refused[0].details)
        assert details["decision"] == "confirmed" and details["watchlist"] == "Two-person"
        assert details["why"] == "needs a second, different reviewer to confirm"
        assert verify(s).ok


# --- 2. a repeated search queues no duplicate -------------------------------------------------


def test_a_second_search_queues_no_pair_already_pending(vault: Any, faces_dir: Path) -> None:
    with unlock(vault, "alice", PASSWORD) as s:
        _watchlist(s, faces_dir, "Twice", ["obama", "biden", "kit_harington"])
        first = search(s, ["Twice"], case_reference="C-1", top=2)
        queue = _pending(s)
        assert first.candidates and first.already_pending == 0
        with s.db() as db:
            runs = db.scalar(select(func.count()).select_from(SearchRun))

        second = search(s, ["Twice"], case_reference="C-1", top=2)
        assert second.queued == [] and second.already_pending == len(first.candidates)
        # the same results, naming the candidates already waiting for review
        assert [(c.id, c.face, c.subject, c.rank) for c in second.candidates] == [
            (c.id, c.face, c.subject, c.rank) for c in first.candidates
        ]
        assert all(c.already_pending for c in second.candidates)
        assert _pending(s) == queue  # the same pending candidates, no duplicate
        # the run still records itself: its row and its audit entry, with the count
        with s.db() as db:
            assert db.scalar(select(func.count()).select_from(SearchRun)) == runs + 1
        entry = json.loads(audit_rows(s, "search.run")[-1].details)
        assert entry["already_pending"] == len(first.candidates)

        # a decided pair is no longer pending: a new search queues it again (as before), and
        # only it
        done = first.candidates[0]
        decide(s, done.id, "rejected", "different ears")
        third = search(s, ["Twice"], case_reference="C-1", top=2)
        assert [(c.face, c.subject) for c in third.queued] == [(done.face, done.subject)]
        assert third.queued[0].id not in {c.id for c in first.candidates}
        assert third.already_pending == len(first.candidates) - 1
        assert len(_pending(s)) == len(queue)


def test_the_cli_says_how_many_were_already_pending(vault: Any, faces_dir: Path) -> None:
    with unlock(vault, "alice", PASSWORD) as s:
        _watchlist(s, faces_dir, "Cli-twice", ["obama"])
    args = ("search", "--case", "C-1", "--watchlist", "Cli-twice", "--top", "1")
    first = run_cli(*args, vault=vault)
    assert first.returncode == 0, first.stderr
    queued = sum("PENDING REVIEW" in line for line in first.stdout.splitlines())
    faces = first.stdout.splitlines()[-1].split()[0]
    assert first.stdout.splitlines()[-1] == (
        f"{faces} probe face(s), {queued} candidate(s) to review"
    )
    again = run_cli(*args, vault=vault)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        *(f"{line} (already queued)" for line in first.stdout.splitlines()[:-1]),
        f"{faces} probe face(s), 0 candidate(s) to review, {queued} already pending review "
        "(not queued again)",
    ]
    with unlock(vault, "alice", PASSWORD) as s:
        mine = [r for r in list_review(s, "C-1", "pending") if r.watchlist == "Cli-twice"]
        assert len(mine) == queued
