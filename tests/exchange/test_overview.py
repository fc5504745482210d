"""The case overview on real vault data: faces detected, a search, a decision, a known-bad file,
a partner with an agreement; what changed since the user last looked; a case of 100,000 items."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from exchange_kit import PASSWORD, agency_place, new_vault, run_cli, trust

from exchange import directory
from exchange.overview import case_overview
from matching.casefaces import DetectJob
from matching.hashsets import ImportJob as HashSetImportJob
from matching.review import decide
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol
from vault import users
from vault.cases import create_case
from vault.errors import PermissionDenied
from vault.ingest import CustodyForm, ingest
from vault.jobs import ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows, open_as, sql

CASE = "NL-O/2026"


@dataclass
class World:
    session: Session
    root: Path
    folder: Any  # the vault's place: a folder, or the trial server


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[World]:
    """Politie NL's vault (on the trial server on the ``server`` run) with a case of each kind
    of item, faces, a decided match, a known-file hit and two agreements."""
    root = tmp_path_factory.mktemp("overview")
    folder = agency_place(request, root / "nl")
    nl = new_vault(folder, "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, root / "de", here=True), "bernd", "BKA", "DE")
    trust(nl, de)
    directory.add_agreement(nl, "BKA", "mla", "GREEN,AMBER", "2099-12-31", reference="MLA-1")
    directory.add_agreement(
        nl, "BKA", "joint-operation", "GREEN", "2099-12-31", crime_areas=["terrorism"]
    )
    users.add_user(nl, "ben", ["analyst"], PASSWORD)
    create_case(nl, CASE, "Harbour", ["fraud"], operation="Kite", partners=["BKA", "Europol"])
    create_case(nl, "OTHER", "Elsewhere")
    ev = root / "ev"
    ev.mkdir()
    for name in ("obama1.jpg", "johnsnow_test1.jpg"):
        (ev / name).write_bytes((faces_dir / "knn/test" / name).read_bytes())
    (ev / "note.PDF").write_bytes(b"%PDF-1.4 not really")
    malware = b"MZ" + os.urandom(300)
    (ev / "tool.exe").write_bytes(malware)
    known = root / "known-bad.txt"
    known.write_text(hashlib.sha256(malware).hexdigest() + "\n")
    HashSetImportJob(nl, known, "partner-malware", "known-bad", "plain", "BKA").run(ignore)
    ingest(nl, CASE, [ev], CustodyForm(exhibit="EX-1"))
    DetectJob(nl, CASE).run(ignore)
    create_watchlist(nl, "EU")
    listing = Listing("fraud", "Politie NL", "AMBER", "2030-01-01")
    enrol(nl, "EU", "P-obama", listing, [faces_dir / "knn/train/obama/obama.jpg"])
    found = search(nl, ["EU"], case_reference=CASE, top=1)
    assert len(found.candidates) == 2
    decide(nl, found.candidates[0].id, "rejected", "different ears")
    yield World(nl, root, folder)
    nl.close()
    de.close()


def test_figures_of_a_case(world: World) -> None:
    o = case_overview(world.session, CASE, mark_viewed=False)
    assert o.items == 4
    assert o.kinds == {"photo": 2, "video": 0, "document": 1, "other": 1}
    assert o.analysed == 2 and o.faces == 2
    assert o.waiting_review == 1  # two candidates, one decided
    assert o.alerts == 1 and o.known_file_hits == {"known-bad": 1}
    assert o.partners == ["BKA", "Europol"]
    # the MLA agreement covers every crime area; the joint operation only terrorism
    assert [(a.partner, a.purpose, a.reference, a.current) for a in o.agreements] == [
        ("BKA", "mla", "MLA-1", True)
    ]
    assert o.last_verified is None
    verify(world.session)
    again = case_overview(world.session, CASE, mark_viewed=False)
    assert again.last_verified is not None and again.verify_problems == 0
    assert json.loads(json.dumps(again.as_json()))["kinds"]["photo"] == 2
    empty = case_overview(world.session, "OTHER", mark_viewed=False)
    assert (empty.items, empty.faces, empty.alerts, empty.partners) == (0, 0, 0, [])


def test_what_changed_since_the_user_last_looked(world: World) -> None:
    with open_as(world.folder, "ben") as ben:
        first = case_overview(ben, CASE)
        assert first.last_viewed is None and first.changes == {}
        views = len(audit_rows(world.session, "case.viewed"))
        nothing = case_overview(ben, CASE)
        assert nothing.last_viewed is not None and nothing.changed == 0
        case_overview(ben, CASE)  # nothing touched the case: no new entry, however often
        case_overview(ben, "OTHER")
        case_overview(world.session, "OTHER")  # the head moves, but not in this case
        assert len(audit_rows(world.session, "case.viewed")) == views + 2
        assert case_overview(ben, CASE).changed == 0
        o = case_overview(world.session, CASE, mark_viewed=False)
        pending = next(c for c in _candidates(world.session) if c)
        decide(world.session, pending, "inconclusive", "blurred")
        later = case_overview(ben, CASE)
        assert later.changes == {"custody.reviewed": 1, "review.decided": 1}
        assert later.waiting_review == o.waiting_review - 1
        assert case_overview(ben, CASE).changed == 0  # looked: nothing new since
    assert not verify(world.session).problems  # the views are ordinary, signed entries


def _candidates(session: Session) -> list[int]:
    from matching.review import list_review

    return [r.candidate for r in list_review(session, CASE, status="pending")]


def test_reading_needs_case_read(world: World) -> None:
    users.add_user(world.session, "ina", ["admin"], PASSWORD)  # admins manage, not read cases
    with open_as(world.folder, "ina") as ina, pytest.raises(PermissionDenied):
        case_overview(ina, CASE)
    assert audit_rows(world.session, "permission.refused")[-1].actor == "ina"


def test_cli_case_overview(world: World) -> None:
    shown = run_cli("case", "overview", CASE, vault=world.folder, user="ben")
    assert shown.returncode == 0, shown.stderr
    assert "photo" in shown.stdout and "known-bad" in shown.stdout and "BKA" in shown.stdout
    as_json = run_cli("case", "overview", CASE, "--json", vault=world.folder, user="ben")
    figures = json.loads(as_json.stdout)
    assert figures["kinds"]["document"] == 1 and figures["alerts"] == 1
    assert figures["agreements"][0]["reference"] == "MLA-1"


@pytest.mark.local_only(
    "rows put in by SQL past the sealed columns; on a server: test_overview_both.py's figures"
)
def test_a_case_of_100000_items(world: World) -> None:
    """Aggregate counts only: the figures of a large case, the time it took printed.

    Last in the module: its rows go in by SQL, past the audit, so verify would object.
    """
    create_case(world.session, "BIG", "Large seizure")
    names = ["jpg", "mp4", "docx", "bin"]
    sql(
        world.session,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
        "INSERT INTO items (case_id, name, original_path, size, sha256, md5, sha1, blob_name, "
        "acquired_by, acquired_at) SELECT (SELECT id FROM cases WHERE reference = 'BIG'), "
        "'dir/f' || i || '.' || CASE i % 4 WHEN 0 THEN :a WHEN 1 THEN :b WHEN 2 THEN :c "
        "ELSE :d END, 'x', 10, '', '', '', (SELECT min(name) FROM blobs), 'anna', '' FROM n",
        a=names[0],
        b=names[1],
        c=names[2],
        d=names[3],
    )
    start = time.perf_counter()
    o = case_overview(world.session, "BIG")
    took = time.perf_counter() - start
    print(f"overview of 100,000 items: {took:.3f} s")
    assert o.items == 100_000 and o.size == 1_000_000
    assert o.kinds == {"photo": 25_000, "video": 25_000, "document": 25_000, "other": 25_000}
