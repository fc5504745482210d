"""1:N search through the agency server's pgvector table (issue 12, item 3), on the real trial
server with the real photos of ``../shared/faces``.

The threshold above which a search goes through the server is lowered by its setting
(``CUSTOS_SERVER_SEARCH_MIN``) so a few real references cross it; nothing is mocked. The
candidates through pgvector equal those of the exact search of the same vault; a local vault is
searched exactly whatever the setting; every reference's vector is written in its enrolment's
transaction and removed with it; the vector table's rows name no subject, watchlist or
reference; hostile rows on the server are ignored or refused in one line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from serverkit import TrialServer, markers_in_data_folder
from sqlalchemy import func, select

from matching import servervectors
from matching.casefaces import DetectJob
from matching.models import CandidateRecord, Reference, ReferenceVector, ReferenceVectorId, Subject
from matching.searching import SearchOutcome, search
from matching.watchlists import Listing, create_watchlist, enrol, find_watchlist, show_watchlist
from vault import cases
from vault.backend import Server
from vault.errors import UserError
from vault.history import list_audit
from vault.ingest import ingest
from vault.jobs import CancelToken, ignore
from vault.server.address import parse
from vault.session import Session
from vaultkit import new_vault, open_as, run_cli

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")
# two watchlists in one vector table: a shortlist holds both, the search keeps its own
WATCHLISTS = {"EU-fraud": ("obama", "biden", "alex_lacamoire"), "UK-art": ("kit_harington",
              "rose_leslie")}  # fmt: skip


def _vault(session: Session, seized: Path, faces_dir: Path) -> None:
    cases.create_case(session, "C-1", "Border crossing")
    ingest(session, "C-1", [seized])
    assert not DetectJob(session, "C-1").run(ignore).failed
    for wl, subjects in WATCHLISTS.items():
        create_watchlist(session, wl)
        for who in subjects:
            enrol(session, wl, who, LISTING, sorted((faces_dir / "knn/train" / who).iterdir()))


def _found(outcome: SearchOutcome) -> list[tuple[Any, ...]]:
    return sorted(
        (c.face or 0, c.watchlist, c.subject, c.rank, round(c.distance, 4))
        for c in outcome.candidates
    )


def _searches(session: Session, faces_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for wl in WATCHLISTS:
        out[f"case {wl}"] = _found(search(session, [wl], case_reference="C-1", top=3))
        out[f"photo {wl}"] = _found(search(session, [wl], photo=faces_dir / "more/obama.jpg"))
    return out


def _methods(session: Session) -> list[str]:
    return [e.details.get("search", "") for e in list_audit(session, "search.run")]


def _counts(session: Session) -> tuple[int, int, int]:
    with session.db() as db:
        refs = int(db.scalar(select(func.count()).select_from(Reference)) or 0)
        return (refs, *servervectors.counts(db))


def _drop_vectors(trial_server: TrialServer, server_place: Server) -> None:
    """Every vector and mapping gone, as after ``server push`` of a local vault."""
    with trial_server.superuser(parse(server_place.url).database) as su:
        su.execute("DELETE FROM reference_vector_ids")
        su.execute("DELETE FROM reference_vectors")


@pytest.fixture
def enrolled(
    server_place: Server,
    seized: Path,
    faces_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Session]:
    """A session on an agency vault of the test's own: case C-1 (``seized``, faces detected)
    and the two ``WATCHLISTS`` enrolled from ``knn/train``."""
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    session, _ = new_vault(server_place)
    try:
        _vault(session, seized, faces_dir)
        yield session
    finally:
        session.close()


def test_search_through_pgvector_equals_the_exact_search_and_a_local_vault_stays_exact(
    enrolled: Session,
    seized: Path,
    faces_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = enrolled
    refs, vectors, mapped = _counts(session)
    assert refs == vectors == mapped  # every reference's vector, written with it
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", str(10**9))
    exact = _searches(session, faces_dir)
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    through_server = _searches(session, faces_dir)
    again = _searches(session, faces_dir)  # the cached mapping
    methods = _methods(session)
    assert methods == ["exact"] * 4 + ["server"] * 8
    assert through_server == exact == again
    assert any(c[2] == "obama" and c[3] == 1 for c in exact["photo EU-fraud"])
    assert {c[1] for v in through_server.values() for c in v} == set(WATCHLISTS)
    assert all(len(v) for v in exact.values())

    # the same on a local vault: the setting changes nothing there (always exact)
    local, _ = new_vault(tmp_path / "local")
    try:
        _vault(local, seized, faces_dir)
        assert _counts(local)[1:] == (0, 0)  # the table exists, empty
        found = _searches(local, faces_dir)
        assert _methods(local) == ["exact"] * 4
    finally:
        local.close()

    def strip(v: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return sorted(c[1:] for c in v)  # face ids differ between the two vaults

    assert {k: strip(v) for k, v in found.items()} == {k: strip(v) for k, v in exact.items()}


def test_vectors_go_with_their_references_and_name_nothing(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
) -> None:
    database = parse(server_place.url).database
    session = enrolled
    # one transaction: a refused vector write takes the reference (and its subject) with it
    with trial_server.superuser(database) as su:
        su.execute("REVOKE INSERT ON reference_vectors FROM custos")
    before = _counts(session)
    assert before[0] == before[1] == before[2] > 0
    with pytest.raises(Exception):  # noqa: B017 - the driver's refusal, whatever its class
        enrol(session, "EU-fraud", "newcomer", LISTING, [faces_dir / "more/biden.jpg"])
    assert _counts(session) == before
    with session.db() as db:
        assert db.scalar(select(func.count()).select_from(Subject)) == 5
    with trial_server.superuser(database) as su:
        su.execute("GRANT INSERT ON reference_vectors TO custos")

    # the server's rows: an opaque 16-byte id and a vector, nothing else; the mapping sealed
    with trial_server.superuser(database) as su:
        columns = su.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'reference_vectors' ORDER BY ordinal_position"
        ).fetchall()
        ids = [bytes(r[0]) for r in su.execute("SELECT id FROM reference_vectors")]
        sealed = [bytes(r[0]) for r in su.execute("SELECT vector_id FROM reference_vector_ids")]
    assert [c[0] for c in columns] == ["id", "embedding"]
    assert len(ids) == _counts(session)[0] and all(len(i) == 16 for i in ids)
    assert not any(i in s for i in ids for s in sealed)  # the mapping is not the ids in clear
    names = [n.encode() for n in WATCHLISTS] + [
        s.encode() for subjects in WATCHLISTS.values() for s in subjects
    ]
    leaked = markers_in_data_folder(trial_server, database, names + ids[:3])
    assert {n: f for n, f in leaked.items() if f and n in names} == {}
    assert all(leaked[i] for i in ids[:3])  # the grep does find what is there

    # a deleted reference (and so a subject's last) leaves no vector and no mapping
    with session.transaction() as db:
        every = db.scalars(select(Reference).order_by(Reference.id)).all()
        gone = [r for r in every if r.subject_id == every[0].subject_id]
        for ref in gone:
            db.delete(ref)
    assert _counts(session) == (before[0] - len(gone),) * 3


def test_hostile_rows_on_the_server_are_ignored_or_refused_in_one_line(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    database = parse(server_place.url).database
    session = enrolled
    clean = _searches(session, faces_dir)
    # vectors whose opaque ids map to nothing, nearer every probe than any reference
    with session.db() as db:
        probes = np.frombuffer(
            b"".join(bytes(e) for e in db.scalars(select(Reference.embedding))), np.float32
        ).reshape(-1, 128)
    with trial_server.superuser(database) as su:
        for v in probes[:6]:
            su.execute(
                "INSERT INTO reference_vectors VALUES (uuid_send(gen_random_uuid()), %s::vector)",
                ("[" + ",".join(map(repr, v.tolist())) + "]",),
            )
    assert _searches(session, faces_dir) == clean  # ignored
    # references whose vectors went missing: searched exactly, the same candidates
    with trial_server.superuser(database) as su:
        su.execute(
            "DELETE FROM reference_vector_ids WHERE reference_id IN "
            "(SELECT min(reference_id) FROM reference_vector_ids)"
        )
    assert _searches(session, faces_dir) == clean
    # EU-fraud (which lost it) exactly on the workstation, UK-art still through the server
    assert _methods(session)[-4:] == ["exact", "exact", "server", "server"]
    # a vector row removed (its sealed mapping kept): that watchlist exact too
    with session.db() as db:
        uk = servervectors.mapping(db, find_watchlist(db, "UK-art").id)
    with trial_server.superuser(database) as su:
        su.execute("DELETE FROM reference_vectors WHERE id = %s", (min(uk),))
    assert _searches(session, faces_dir) == clean
    assert _methods(session)[-4:] == ["exact"] * 4
    # both repaired by the index job's first step
    assert servervectors.backfill(session, ignore, CancelToken()) == 2
    assert _searches(session, faces_dir) == clean
    assert _methods(session)[-4:] == ["server"] * 4
    # a vector of another dimension: the search refused in one line
    with trial_server.superuser(database) as su:
        su.execute("ALTER TABLE reference_vectors ALTER COLUMN embedding TYPE vector")
        su.execute("INSERT INTO reference_vectors VALUES (uuid_send(gen_random_uuid()), '[1,2,3]')")
    with pytest.raises(UserError) as refused:
        search(session, ["EU-fraud"], case_reference="C-1")
    assert "\n" not in str(refused.value)
    assert "vector table" in str(refused.value)


def test_vectors_of_references_that_have_none_are_written_by_backfill(
    trial_server: TrialServer, server_place: Server, enrolled: Session
) -> None:
    session = enrolled
    _drop_vectors(trial_server, server_place)
    refs = _counts(session)[0]
    assert _counts(session) == (refs, 0, 0)
    assert servervectors.backfill(session, ignore, CancelToken()) == refs
    assert _counts(session) == (refs, refs, refs)
    with session.db() as db:
        mapped = db.scalars(select(ReferenceVectorId.reference_id)).all()
        assert len(set(mapped)) == refs
        assert db.scalar(select(func.count()).select_from(ReferenceVector)) == refs


def test_the_cli_builds_the_server_index_and_searches_through_it(
    server_place: Server, enrolled: Session, tmp_path: Path
) -> None:
    refs = _counts(enrolled)[0]
    built = run_cli("watchlist", "index", vault=server_place)
    assert built.returncode == 0, built.stderr
    assert f"search index of {refs} reference vector(s)" in built.stdout
    again = run_cli("watchlist", "index", vault=server_place)  # built once: nothing more to do
    assert again.returncode == 0, again.stderr

    def cli_search(minimum: str) -> list[tuple[Any, ...]]:
        done = run_cli(
            "search", "--case", "C-1", "--watchlist", "EU-fraud", "--top", "3", "--json",
            vault=server_place, CUSTOS_SERVER_SEARCH_MIN=minimum,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        cands = json.loads(done.stdout)["candidates"]
        return sorted((c["face"], c["subject"], c["rank"], c["distance"]) for c in cands)

    exact, through_server = cli_search(str(10**9)), cli_search("1")
    assert exact and through_server == exact
    entries = list_audit(enrolled, "watchlist.indexed")
    assert [e.details["vectors"] for e in entries] == [refs, refs]
    assert _methods(enrolled) == ["exact", "server"]

    # a local vault has no server index: one line
    local, _ = new_vault(tmp_path / "local")
    local.close()
    refused = run_cli("watchlist", "index", vault=tmp_path / "local")
    assert refused.returncode != 0
    assert "agency server only" in refused.stderr and "Traceback" not in refused.stderr


def test_a_pushed_vault_has_every_reference_s_vector_and_searches_through_them(
    server_place: Server,
    seized: Path,
    faces_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vault.push import PushJob

    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    local, _ = new_vault(tmp_path / "local")
    try:
        _vault(local, seized, faces_dir)
        exact = _searches(local, faces_dir)
        refs = _counts(local)[0]
        report = PushJob(local, server_place).run(ignore)
        assert report.verify is not None and report.verify.ok
    finally:
        local.close()
    session = open_as(server_place)
    try:
        assert _counts(session) == (refs, refs, refs)  # written with each batch of references
        monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
        through_server = _searches(session, faces_dir)
        assert _methods(session)[-4:] == ["server"] * 4
    finally:
        session.close()
    assert through_server == exact  # the same face ids: the push keeps every row's id


def test_a_revoked_workstation_s_index_job_writes_no_vector(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``watchlist index`` first writes the vectors of references that have none, in
    transactions that append no audit entry: each must still pass the workstation check, so a
    revoked desk (a session opened before the revocation, as a job's would be) writes no vector
    row and no mapping; the refusal is one line, audited as other refused writes are."""
    from service.opener import unlock
    from vault.errors import PermissionDenied
    from vaultkit import PASSWORD, place_of, revoked_desk

    place = place_of(enrolled)
    desk_a = revoked_desk(enrolled, tmp_path, monkeypatch)
    try:
        _drop_vectors(trial_server, server_place)
        with pytest.raises(PermissionDenied) as refused:
            servervectors.IndexJob(desk_a).run(ignore)
        assert "\n" not in str(refused.value)
        assert "workstation 'desk-a' was revoked" in str(refused.value)
    finally:
        desk_a.close()
    with unlock(place, "alice", PASSWORD) as b:
        assert _counts(b)[1:] == (0, 0)
        entries = list_audit(b, action="workstation.refused")
        assert [(e.workstation, e.details["refused"]) for e in entries] == [
            ("desk-a", "watchlist.indexed")
        ]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_the_server_search_reads_neither_the_gallery_nor_the_mapping(
    enrolled: Session, faces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through pgvector the workstation counts the watchlist on the server and reads only the
    shortlisted subjects' references (by the blind index, then by id): the gallery load and
    the whole mapping are never called while the two tables agree."""
    from matching import searching

    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", str(10**9))
    exact = _searches(enrolled, faces_dir)
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")

    def never(*args: object) -> None:
        raise AssertionError("the server search loaded the whole watchlist")

    monkeypatch.setattr(searching, "load_watchlist_rows", never)
    monkeypatch.setattr(servervectors, "mapping", never)
    assert _searches(enrolled, faces_dir) == exact
    assert _methods(enrolled)[-4:] == ["server"] * 4


def _swap(su: Any, table: str, column: str, key: str, a: Any, b: Any) -> None:
    """Swap ``column`` of rows ``a`` and ``b`` of ``table`` on the server (as its operator)."""
    su.execute(
        f"UPDATE {table} AS t SET {column} = o.{column} FROM {table} AS o "
        f"WHERE (t.{key}, o.{key}) IN ((%s, %s), (%s, %s))",
        (a, b, b, a),
    )


def test_rows_altered_on_the_server_are_noticed_and_searched_exactly(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The operator swaps two vectors between their opaque ids, or two mapping rows' blind
    indexes, or two sealed ids with their blind indexes: the shortlist's references are checked
    (each vector against its reference's sealed embedding, each row found by a blind index
    against its opened id), so the search notices, says so in one warning line and searches
    that watchlist exactly on the workstation: the same candidates as before."""
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    database = parse(server_place.url).database
    session = enrolled
    clean = _searches(session, faces_dir)
    assert _methods(session) == ["server"] * 4
    with session.db() as db:  # references of two subjects of the watchlist the photo is in
        eu = find_watchlist(db, "EU-fraud").id
        first = {
            int(s): int(r)
            for r, s in db.execute(
                select(func.min(Reference.id), Reference.subject_id)
                .join(Subject, Subject.id == Reference.subject_id)
                .where(Subject.watchlist_id == eu)
                .group_by(Reference.subject_id)
            )
        }
        a, b = (first[s] for s in sorted(first)[:2])
        by_ref = {r: v for v, r in servervectors.mapping(db, eu).items()}
    photo = faces_dir / "more/obama.jpg"

    def photo_search() -> tuple[list[tuple[Any, ...]], str]:
        caplog.clear()
        found = _found(search(session, ["EU-fraud"], photo=photo))
        return found, _methods(session)[-1]

    # 1. two vectors swapped between their opaque ids (the vector table alone)
    with trial_server.superuser(database) as su:
        _swap(su, "reference_vectors", "embedding", "id", by_ref[a], by_ref[b])
    assert photo_search() == (clean["photo EU-fraud"], "exact")
    [warned] = _warnings(caplog)
    assert "not its reference's sealed embedding" in warned and "\n" not in warned
    why = list_audit(session, "search.run")[-1].details["server_inconsistent"]
    assert why == warned.removesuffix(": searched exactly on this workstation")
    with trial_server.superuser(database) as su:
        _swap(su, "reference_vectors", "embedding", "id", by_ref[a], by_ref[b])
    assert photo_search() == (clean["photo EU-fraud"], "server")
    assert _warnings(caplog) == []
    assert "server_inconsistent" not in list_audit(session, "search.run")[-1].details

    # 2. two blind indexes swapped between mapping rows (each row still opens for its own)
    with trial_server.superuser(database) as su:
        su.execute("DROP INDEX ix_reference_vector_ids_vector_id_bidx")  # (refuses a swap)
        _swap(su, "reference_vector_ids", "vector_id_bidx", "reference_id", a, b)
    assert photo_search() == (clean["photo EU-fraud"], "exact")
    [warned] = _warnings(caplog)
    assert "blind index" in warned and "\n" not in warned

    # 3. the sealed ids swapped with their blind indexes: they no longer open for their rows
    with trial_server.superuser(database) as su:
        _swap(su, "reference_vector_ids", "vector_id_bidx", "reference_id", a, b)
        _swap(su, "reference_vector_ids", "vector_id", "reference_id", a, b)
        _swap(su, "reference_vector_ids", "vector_id_bidx", "reference_id", a, b)
    assert photo_search() == (clean["photo EU-fraud"], "exact")
    [warned] = _warnings(caplog)
    assert "fails authentication" in warned and "\n" not in warned


def test_vector_ids_without_a_blind_index_are_searched_exactly_until_indexed(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A vault whose mapping rows were written before r0013 (no blind index: the migration has
    no vault key) searches exactly, with one warning line per watchlist searched, until
    ``watchlist index`` fills them; then through pgvector again, the same candidates."""
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    database = parse(server_place.url).database
    session = enrolled
    clean = _searches(session, faces_dir)
    refs = _counts(session)[0]
    with trial_server.superuser(database) as su:
        su.execute("UPDATE reference_vector_ids SET vector_id_bidx = NULL")
    caplog.clear()
    assert _searches(session, faces_dir) == clean
    assert _methods(session)[-4:] == ["exact"] * 4
    warned = _warnings(caplog)
    assert len(warned) == 4 and all("no blind index" in w and "\n" not in w for w in warned)
    report = servervectors.IndexJob(session).run(ignore)
    assert (report.blinded, report.written) == (refs, 0)
    assert list_audit(session, "watchlist.indexed")[-1].details["blinded"] == refs
    caplog.clear()
    assert _searches(session, faces_dir) == clean
    assert _methods(session)[-4:] == ["server"] * 4
    assert _warnings(caplog) == []
    assert servervectors.fill_blind(session, ignore, CancelToken()) == 0  # nothing left


def test_an_expired_listing_is_left_out_through_the_server_as_in_the_exact_search(
    enrolled: Session, faces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server path counts and reads only the references listed today, as the gallery does:
    a subject whose listing expired yesterday is in neither search's candidates."""
    from datetime import date, timedelta

    gone = "obama"
    expired = Listing(LISTING.reason, LISTING.agency, LISTING.label, LISTING.review_on,
                      (date.today() - timedelta(days=1)).isoformat())  # fmt: skip
    # enrolled again under a listing that expired yesterday (one more photo, with its vector)
    enrol(enrolled, "EU-fraud", gone, expired, [faces_dir / "more/obama.jpg"])
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", str(10**9))
    exact = _searches(enrolled, faces_dir)
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    assert _searches(enrolled, faces_dir) == exact
    assert _methods(enrolled)[-4:] == ["server"] * 4
    assert all(c[2] != gone for v in exact.values() for c in v)
    assert any(v for v in exact.values())


def test_each_backfill_batch_is_audited_even_when_the_job_is_cancelled(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The vectors ``watchlist index`` writes for references that have none are audited batch
    by batch (``watchlist.vectors_written``), not only by the job's last entry: a job cancelled
    after its first batch leaves that batch's vectors audited, and verify stays clean."""
    from vault.errors import Cancelled
    from vault.jobs import Progress
    from vault.verify import verify

    session = enrolled
    _drop_vectors(trial_server, server_place)
    refs = _counts(session)[0]
    assert refs > 2
    monkeypatch.setattr(servervectors, "_BACKFILL_BATCH", 2)
    cancel = CancelToken()

    def after_first_batch(event: object) -> None:
        if isinstance(event, Progress):
            cancel.cancel()

    with pytest.raises(Cancelled):
        servervectors.IndexJob(session, cancel).run(after_first_batch)
    assert _counts(session)[1:] == (2, 2)  # one batch written before the cancel
    entries = list_audit(session, "watchlist.vectors_written")
    assert [e.details["written"] for e in entries] == [2]
    assert not list_audit(session, "watchlist.indexed")
    # the rest by the next run, each batch with its entry
    assert servervectors.backfill(session, ignore, CancelToken()) == refs - 2
    entries = list_audit(session, "watchlist.vectors_written")
    assert sum(e.details["written"] for e in entries) == refs
    report = verify(session)
    assert report.ok, report.problems


def _exact_then_server(
    session: Session, faces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Any, ...]]:
    """The exact search's candidates for the photo of obama in EU-fraud; later searches go
    through the server."""
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", str(10**9))
    exact = _found(search(session, ["EU-fraud"], photo=faces_dir / "more/obama.jpg"))
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    assert any(c[2] == "obama" for c in exact)
    return exact


def _references_of(session: Session, who: str) -> list[int]:
    with session.db() as db:
        subjects = [s.id for s in db.scalars(select(Subject)) if s.ref == who]
        return [
            int(r)
            for r in db.scalars(select(Reference.id).where(Reference.subject_id.in_(subjects)))
        ]


def test_a_blind_index_overwritten_while_the_counts_disagree_hides_no_candidate(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The operator adds a junk vector (the two tables' counts disagree: ids that map to nothing
    are ignored), then overwrites the blind indexes of one subject's mapping rows with random
    bytes (still set, so every reference still counts as indexed): that subject's shortlisted
    ids are mapped, yet found by no blind index. The search notices, says so in one warning
    line, records why in its audit entry and searches exactly: the same candidates."""
    from matching.searching import drop_cached_galleries

    database = parse(server_place.url).database
    session = enrolled
    photo = faces_dir / "more/obama.jpg"
    exact = _exact_then_server(session, faces_dir, monkeypatch)
    with trial_server.superuser(database) as su:
        su.execute(
            "INSERT INTO reference_vectors VALUES (uuid_send(gen_random_uuid()), %s::vector)",
            ("[" + ",".join(["0.01"] * 128) + "]",),
        )
    assert _found(search(session, ["EU-fraud"], photo=photo)) == exact
    assert _methods(session)[-1] == "server"  # the whole mapping checked, cached
    with trial_server.superuser(database) as su:
        su.execute(
            "UPDATE reference_vector_ids SET vector_id_bidx = "
            "uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) "
            "WHERE reference_id = ANY(%s)",
            (_references_of(session, "obama"),),
        )
    for fresh in (False, True):  # with the mapping checked before, and checked again
        if fresh:
            drop_cached_galleries(session)
        caplog.clear()
        assert _found(search(session, ["EU-fraud"], photo=photo)) == exact
        [entry] = list_audit(session, "search.run")[-1:]
        assert entry.details["search"] == "exact"
        [warned] = _warnings(caplog)
        assert "blind index" in warned and "\n" not in warned
        assert "blind index" in entry.details["server_inconsistent"]


def test_ids_of_another_watchlist_without_a_blind_index_ask_for_the_index_job(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mapping rows of another watchlist written before r0013 (no blind index yet) are in the
    same vector table, so the server shortlists them: the search says to run ``watchlist
    index`` (not that rows were tampered with) and searches exactly until it has run."""
    database = parse(server_place.url).database
    session = enrolled
    photo = faces_dir / "more/obama.jpg"
    exact = _exact_then_server(session, faces_dir, monkeypatch)
    uk = [r for who in WATCHLISTS["UK-art"] for r in _references_of(session, who)]
    with trial_server.superuser(database) as su:
        su.execute(
            "UPDATE reference_vector_ids SET vector_id_bidx = NULL WHERE reference_id = ANY(%s)",
            (uk,),
        )
    caplog.clear()
    assert _found(search(session, ["EU-fraud"], photo=photo)) == exact
    assert _methods(session)[-1] == "exact"
    [warned] = _warnings(caplog)
    assert "no blind index" in warned and "custos watchlist index" in warned
    assert "maps to no reference" not in warned and "\n" not in warned
    assert servervectors.IndexJob(session).run(ignore).blinded == len(uk)
    caplog.clear()
    assert _found(search(session, ["EU-fraud"], photo=photo)) == exact
    assert _methods(session)[-1] == "server"
    assert _warnings(caplog) == []


def test_an_impossible_expiry_date_counts_as_expired_on_both_back_ends(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    seized: Path,
    faces_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An expiry such as 2099-02-30 (a date's shape, no such day: set on the server, where
    ``expires_on`` is plain, or in a local vault's file) counts as not a date: the listing is
    out of searches, with no traceback, through the server as on the workstation, on both back
    ends."""
    database = parse(server_place.url).database
    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    local, _ = new_vault(tmp_path / "local")
    try:
        _vault(local, seized, faces_dir)
        with local.transaction() as db:
            for subject in db.scalars(select(Subject)):
                if subject.ref == "obama":
                    subject.expires_on = "2099-02-30"
        on_local = _searches(local, faces_dir)
        assert _methods(local) == ["exact"] * 4
    finally:
        local.close()
    with enrolled.db() as db:
        obama = [s.id for s in db.scalars(select(Subject)) if s.ref == "obama"]
    with trial_server.superuser(database) as su:  # and a review date that is no date either
        su.execute(
            "UPDATE subjects SET expires_on = '2099-02-30', review_on = '2099-13-01' "
            "WHERE id = ANY(%s)",
            (obama,),
        )
    [shown] = [s for s in show_watchlist(enrolled, "EU-fraud").subjects if s.ref == "obama"]
    assert shown.expired and shown.review_overdue
    searched = _searches(enrolled, faces_dir)
    # EU-fraud (the server cannot compare it as a date) exactly, UK-art through the server
    assert _methods(enrolled) == ["exact", "exact", "server", "server"]

    def strip(v: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return sorted(c[1:] for c in v)  # face ids differ between the two vaults

    assert {k: strip(v) for k, v in searched.items()} == {k: strip(v) for k, v in on_local.items()}
    assert all(c[2] != "obama" for v in on_local.values() for c in v)
    assert any(v for v in on_local.values())


def test_the_server_search_sends_nothing_postgresql_15_lacks(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The agency's PostgreSQL may be 15 (the issue's): the statements of a server search, with
    an expiry of a date's shape that is no date (``2099-02-30``: the server checks the shape,
    the workstation the date) and with good ones, call no function PostgreSQL 16 added
    (``pg_input_is_valid``, ``pg_input_error_info``); the odd expiry still keeps that watchlist
    off the server, the other goes through it."""
    from sqlalchemy import event

    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement.lower())

    event.listen(enrolled.engine, "before_cursor_execute", seen)
    with enrolled.db() as db:
        obama = [s.id for s in db.scalars(select(Subject)) if s.ref == "obama"]
    with trial_server.superuser(parse(server_place.url).database) as su:
        su.execute("UPDATE subjects SET expires_on = '2099-02-30' WHERE id = ANY(%s)", (obama,))
    _searches(enrolled, faces_dir)
    assert _methods(enrolled) == ["exact", "exact", "server", "server"]
    assert any("expires_on" in s for s in sent)
    assert not [s for s in sent if "pg_input_is_valid" in s or "pg_input_error_info" in s]


def test_other_desks_writing_between_the_shortlist_and_its_look_ups_is_no_tampering(
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another desk deletes a shortlisted reference (its vector and mapping row go with it, in
    its own transaction) and enrols a subject, right after the server answered the shortlist and
    before its ids are looked up: the search reads the server as it was when it started (one
    snapshot), so it neither warns nor records ``server_inconsistent``, and goes through the
    server. The two tables are counted in one statement (two could see a commit between them).
    A real tamper is still noticed (``test_rows_altered_on_the_server_are_noticed...``)."""
    from sqlalchemy import event

    from matching import pgvectors
    from vaultkit import place_of

    monkeypatch.setenv("CUSTOS_SERVER_SEARCH_MIN", "1")
    photo = faces_dir / "more/obama.jpg"
    clean = _found(search(enrolled, ["EU-fraud"], photo=photo))
    assert _methods(enrolled)[-1] == "server"
    other = open_as(place_of(enrolled))
    real = pgvectors.VectorStore.shortlist
    done: list[int] = []

    def meanwhile(self: Any, *args: Any, **kwargs: Any) -> Any:
        short, cand = real(self, *args, **kwargs)
        if not done:  # the other desk commits between the shortlist and the look-ups
            with other.db() as db:
                found = servervectors.lookup(db, [bytes(i) for i in short.ids])
                held = set(
                    db.scalars(select(CandidateRecord.reference_id))
                )  # (kept: results name them)
            ref = next(m.reference_id for m in found.values() if m.reference_id not in held)
            with other.transaction() as db:
                db.delete(db.get(Reference, ref))
            enrol(other, "EU-fraud", "late", LISTING, [faces_dir / "more/obama.jpg"])
            done.append(ref)
        return short, cand

    monkeypatch.setattr(pgvectors.VectorStore, "shortlist", meanwhile)
    try:
        caplog.clear()
        assert _found(search(enrolled, ["EU-fraud"], photo=photo)) == clean
        assert done
        assert _warnings(caplog) == []
        entry = list_audit(enrolled, "search.run")[-1]
        assert entry.details["search"] == "server"
        assert "server_inconsistent" not in entry.details
    finally:
        other.close()
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(enrolled.engine, "before_cursor_execute", seen)
    with enrolled.db() as db:
        vectors, mapped = servervectors.counts(db)
    assert vectors == mapped and len(sent) == 1


def _orphan_vectors(trial_server: TrialServer, database: str, n: int) -> list[bytes]:
    """``n`` vectors no mapping row names, written by the operator (the counts then differ);
    their opaque ids."""
    left = [os.urandom(16) for _ in range(n)]
    with trial_server.superuser(database) as su:
        for opaque in left:
            su.execute(
                "INSERT INTO reference_vectors VALUES (%s, %s::vector)",
                (opaque, "[" + ",".join(["0.01"] * 128) + "]"),
            )
    return left


def test_orphan_vectors_are_removed_by_the_index_job_and_the_search_is_fast_again(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The operator (or a crash) leaves vectors that no mapping row names: while they are there
    every server search checks the whole mapping and says so in one warning line; ``custos
    watchlist index`` removes them (audited: how many), the mapped vectors stay, and the next
    search takes the fast path again (the whole mapping never read, no warning)."""
    database = parse(server_place.url).database
    session = enrolled
    photo = faces_dir / "more/obama.jpg"
    exact = _exact_then_server(session, faces_dir, monkeypatch)
    refs = _counts(session)[0]
    left = _orphan_vectors(trial_server, database, 2)
    assert _counts(session) == (refs, refs + 2, refs)
    read: list[int] = []
    whole = servervectors.mapping

    def counted(db: Any, watchlist_id: int) -> dict[bytes, int]:
        read.append(watchlist_id)
        return whole(db, watchlist_id)

    monkeypatch.setattr(servervectors, "mapping", counted)
    caplog.clear()
    assert _found(search(session, ["EU-fraud"], photo=photo)) == exact
    assert _methods(session)[-1] == "server" and read  # the slow path: the whole mapping
    [warned] = _warnings(caplog)
    assert "outside Custos" in warned and "custos watchlist index" in warned

    built = run_cli("watchlist", "index", vault=server_place)
    assert built.returncode == 0, built.stderr
    assert "2 vector(s) no reference names removed" in built.stdout
    assert _counts(session) == (refs, refs, refs)
    [removed] = list_audit(session, "watchlist.vectors_removed")
    assert removed.details["removed"] == 2
    # which ones: SHA-256 over their opaque ids in hex, sorted, one a line
    listed = "\n".join(sorted(i.hex() for i in left)).encode()
    assert removed.details["removed_sha256"] == hashlib.sha256(listed).hexdigest()
    [indexed] = list_audit(session, "watchlist.indexed")
    assert indexed.details["removed"] == 2 and indexed.details["written"] == 0

    def never(*args: object) -> None:
        raise AssertionError("the server search read the whole mapping")

    monkeypatch.setattr(servervectors, "mapping", never)
    caplog.clear()
    assert _found(search(session, ["EU-fraud"], photo=photo)) == exact
    assert _methods(session)[-1] == "server"
    assert _warnings(caplog) == []
    again = run_cli("watchlist", "index", vault=server_place)  # nothing left to remove
    assert again.returncode == 0, again.stderr
    assert "removed" not in again.stdout
    assert len(list_audit(session, "watchlist.vectors_removed")) == 1


def test_another_desk_enrolling_while_the_whole_mapping_is_checked_is_no_missing_vector(
    trial_server: TrialServer,
    server_place: Server,
    enrolled: Session,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While the two tables' counts differ (vectors no mapping names) a search checks the whole
    mapping (``_all_present``: the mapping, the searchable ids, the vectors present). Another
    desk enrols a subject right after the mapping is read: the checks read one snapshot, so the
    new reference (not in the mapping read) is no "vectors missing" warning and the search
    still goes through the server, with only the warning about the vectors outside Custos."""
    from vaultkit import place_of

    database = parse(server_place.url).database
    photo = faces_dir / "more/obama.jpg"
    exact = _exact_then_server(enrolled, faces_dir, monkeypatch)
    _orphan_vectors(trial_server, database, 1)
    other = open_as(place_of(enrolled))
    whole = servervectors.mapping
    done: list[int] = []

    def meanwhile(db: Any, watchlist_id: int) -> dict[bytes, int]:
        found = whole(db, watchlist_id)
        if not done:  # the other desk commits between the mapping and the searchable ids
            enrol(other, "EU-fraud", "late", LISTING, [faces_dir / "more/biden.jpg"])
            done.append(watchlist_id)
        return found

    monkeypatch.setattr(servervectors, "mapping", meanwhile)
    try:
        caplog.clear()
        found = _found(search(enrolled, ["EU-fraud"], photo=photo))
        assert done
        assert _methods(enrolled)[-1] == "server"
        [warned] = _warnings(caplog)
        assert "outside Custos" in warned
        # (the late subject is another face, listed or not as each path reads it)
        assert [f for f in found if f[2] != "late"] == exact
    finally:
        other.close()
