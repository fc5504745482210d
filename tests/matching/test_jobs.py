"""Long matching work as jobs: evaluate, calibrate, cluster and search emit progress, stop on
their cancel token with ``Cancelled`` and leave nothing half-recorded."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS, place_of, vault_place
from sqlalchemy import func, select

from matching.casefaces import DetectJob
from matching.facelist import ClusterJob
from matching.measure import CalibrateJob, EvaluateJob
from matching.models import CandidateRecord, FaceRecord, SearchRun
from matching.searching import SearchJob
from matching.watchlists import (
    Listing,
    create_watchlist,
    enrol,
    find_watchlist,
    reference_photos,
)
from vault import cases
from vault.errors import Cancelled, PermissionDenied
from vault.ingest import ingest
from vault.jobs import Event, Progress, ignore
from vault.session import Session
from vaultkit import ROLE_USER, add_role_users, audit_rows, new_vault, open_as

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")


@pytest.fixture(scope="module", params=BACKENDS)
def vault(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[Session]:
    """Case C-1 with the knn test photos, faces detected; watchlists A (obama, biden), B (kit)."""
    session, _ = new_vault(vault_place(request, tmp_path_factory.mktemp("jobs") / "vault"))
    add_role_users(session)
    cases.create_case(session, "C-1", "Border crossing", ["fraud"])
    ingest(session, "C-1", [faces_dir / "knn" / "test"])
    assert not DetectJob(session, "C-1", workers=2).run(ignore).failed
    for name, people in (("A", ("obama", "biden")), ("B", ("kit_harington",))):
        create_watchlist(session, name)
        for who in people:
            enrol(session, name, who, LISTING, sorted((faces_dir / "knn/train" / who).iterdir()))
    yield session
    session.close()


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> Path:
    """Four photos of two people: one enrolment and one probe each."""
    root = tmp_path_factory.mktemp("labelled")
    for who in ("obama", "biden"):
        for n, photo in enumerate(sorted((faces_dir / "knn/train" / who).iterdir())):
            shutil.copy(photo, root / f"{who}{n}.jpg")
    (root / "identities.csv").write_text(
        "image,identity,role\nobama0.jpg,obama,enrol\nobama1.jpg,obama,probe\n"
        "biden0.jpg,biden,enrol\nbiden1.jpg,biden,probe\n"
    )
    (root / "pairs.csv").write_text(
        "image_a,image_b,same\nobama0.jpg,obama1.jpg,1\nobama0.jpg,biden0.jpg,0\n"
    )
    return root


class CancelOnFirstProgress:
    """An ``emit`` that keeps every event and sets the job's token on the first progress."""

    def __init__(self, job: Any) -> None:
        self.job = job
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, Progress):
            self.job.cancel.cancel()


def _count(session: Session, what: Any) -> int:
    with session.db() as db:
        return int(db.scalar(select(func.count()).select_from(what)) or 0)


def _actions(session: Session) -> list[str]:
    return [e.action for e in audit_rows(session)]


def test_search_job_reports_progress_and_cancel_records_no_run(vault: Session) -> None:
    runs, cands, audit = _count(vault, SearchRun), _count(vault, CandidateRecord), _actions(vault)
    job = SearchJob(vault, ["A", "B"], case_reference="C-1", top=2)
    emit = CancelOnFirstProgress(job)
    with pytest.raises(Cancelled):
        job.run(emit)
    assert isinstance(emit.events[0], Progress)
    assert (_count(vault, SearchRun), _count(vault, CandidateRecord)) == (runs, cands)
    assert _actions(vault) == audit

    events: list[Event] = []
    outcome = SearchJob(vault, ["A", "B"], case_reference="C-1", top=2).run(events.append)
    steps = [e for e in events if isinstance(e, Progress)]
    assert [e.done for e in steps] == [0, 1, 2, 3] and {e.total for e in steps} == {3}
    assert len(outcome.run_ids) == 2 and outcome.candidates


def test_search_cancelled_between_watchlists_keeps_whole_runs_only(vault: Session) -> None:
    runs = _count(vault, SearchRun)
    job = SearchJob(vault, ["A", "B"], case_reference="C-1", top=2)

    def emit(event: Event) -> None:
        if isinstance(event, Progress) and event.message == "searching B":
            job.cancel.cancel()

    with pytest.raises(Cancelled):
        job.run(emit)
    with vault.db() as db:
        new = list(db.scalars(select(SearchRun).order_by(SearchRun.id)))[runs:]
        assert [json.loads(r.watchlists) for r in new] == [["A"]]
        probes = db.scalar(select(func.count()).select_from(FaceRecord))
        runs_of_a = [
            r.id for r in db.scalars(select(SearchRun)) if json.loads(r.watchlists) == ["A"]
        ]
        pairs = set(
            db.execute(
                select(CandidateRecord.face_id, CandidateRecord.subject_id).where(
                    CandidateRecord.run_id.in_(runs_of_a)
                )
            )
        )
        # top 2 of the 2 subjects of A, for every face: queued by this run, or still pending
        # from an earlier one (a pending pair is not queued twice)
        assert probes and len(pairs) == 2 * probes


def test_cluster_job_cancelled_records_nothing(vault: Session) -> None:
    audit = _actions(vault)
    job = ClusterJob(vault, "C-1")
    emit = CancelOnFirstProgress(job)
    with pytest.raises(Cancelled):
        job.run(emit)
    assert _actions(vault) == audit
    events: list[Event] = []
    result = ClusterJob(vault, "C-1").run(events.append)
    assert [e.done for e in events if isinstance(e, Progress)] == [0, 1, 2, 3, 4]
    assert result.groups and _actions(vault)[-1] == "faces.clustered"


def test_evaluate_job_cancelled_after_first_progress(labelled: Path) -> None:
    job = EvaluateJob(labelled)
    emit = CancelOnFirstProgress(job)
    with pytest.raises(Cancelled):
        job.run(emit)
    assert isinstance(emit.events[0], Progress) and emit.events[0].total == 4


def test_calibrate_job_cancelled_records_nothing(vault: Session, labelled: Path) -> None:
    audit = _actions(vault)
    job = CalibrateJob(vault, "A", labelled, 0.01)
    emit = CancelOnFirstProgress(job)
    with pytest.raises(Cancelled):
        job.run(emit)
    with vault.db() as db:
        wl = find_watchlist(db, "A")
        assert wl is not None and wl.calibration in (None, "", "{}")
    assert _actions(vault) == audit


def test_calibrate_job_checks_permission_first_then_measures_and_records(
    vault: Session, labelled: Path
) -> None:
    folder = place_of(vault)
    with open_as(folder, ROLE_USER["officer"]) as officer, pytest.raises(PermissionDenied):
        CalibrateJob(officer, "A", labelled, 0.01).run(ignore)
    assert _actions(vault)[-1] == "permission.refused"
    events: list[Event] = []
    cal = CalibrateJob(vault, "A", labelled, 0.01).run(events.append)
    images = [e for e in events if isinstance(e, Progress)]
    assert images[-1].done == images[-1].total == 4
    assert cal.images == 4 and cal.folder == str(labelled)
    with vault.db() as db:
        wl = find_watchlist(db, "A")
        assert wl is not None and wl.alert_threshold == cal.threshold
        assert json.loads(wl.calibration)["target_fpir"] == 0.01
    assert _actions(vault)[-1] == "watchlist.calibrated"


def test_reference_photos_come_decrypted_with_their_source(vault: Session) -> None:
    photos = reference_photos(vault, "A", "obama")
    assert [p.source for p in photos] == ["obama.jpg", "obama2.jpg"]
    assert all(p.crop.startswith(b"\xff\xd8") for p in photos)
    assert all("inter_eye_px" in p.quality for p in photos)
    assert reference_photos(vault, "A", "nobody") == []
