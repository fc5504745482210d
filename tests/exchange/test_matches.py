"""``bundle export --matches``: search results and review decisions in data/case.jsonld."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from exchange_kit import agency_place, new_vault, trust

from exchange import directory
from exchange.errors import PolicyRefused
from exchange.export import ExportJob, ExportResult
from matching.casefaces import DetectJob
from matching.review import decide
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import ignore
from vault.session import Session


@pytest.fixture(scope="module", params=BACKENDS)
def searched(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[Session]:
    """Politie NL's vault (on the trial server on the ``server`` run) with a decided match."""
    root = tmp_path_factory.mktemp("matches")
    nl = new_vault(agency_place(request, root / "nl"), "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, root / "de", here=True), "bernd", "BKA", "DE")
    trust(nl, de)
    directory.add_agreement(nl, "BKA", "joint-operation", "GREEN,AMBER", "2099-12-31")
    create_case(nl, "NL-M", "Border", ["fraud"])
    ingest(
        nl, "NL-M", [faces_dir / "knn/test/obama1.jpg", faces_dir / "knn/test/johnsnow_test1.jpg"]
    )
    assert not DetectJob(nl, "NL-M").run(ignore).failed
    create_watchlist(nl, "EU")
    listing = Listing("fraud", "Politie NL", "AMBER", "2030-01-01")
    enrol(nl, "EU", "P-obama", listing, [faces_dir / "knn/train/obama/obama.jpg"])
    create_watchlist(nl, "Red")
    red = Listing("terrorism", "Politie NL", "RED", "2030-01-01")
    enrol(nl, "Red", "P-kit", red, [faces_dir / "knn/train/kit_harington/john1.jpeg"])
    found = search(nl, ["EU"], case_reference="NL-M", top=1)
    top = next(c for c in found.candidates if c.subject == "P-obama" and c.rank == 1)
    decide(nl, top.id, "confirmed", "same ear shape and scar")
    nl.root = root  # type: ignore[attr-defined]
    nl.de = de  # type: ignore[attr-defined]
    nl.top = top  # type: ignore[attr-defined]
    yield nl
    nl.close()
    de.close()


def _export(nl: Session, name: str, **kw: Any) -> ExportResult:
    out = nl.root / name  # type: ignore[attr-defined]
    return ExportJob(nl, "NL-M", "BKA", "joint-operation", out, **kw).run(ignore)


def _nodes(bag: Path, kind: str) -> list[dict[str, Any]]:
    graph = json.loads((bag / "data/case.jsonld").read_text())["@graph"]
    return [
        n for n in graph if kind in (n["@type"] if isinstance(n["@type"], list) else [n["@type"]])
    ]


def test_matches_and_decisions_in_case_jsonld(
    searched: Session, stock_check: Callable[[Path, Session | None], None]
) -> None:
    plain = _export(searched, "no-matches")
    assert not _nodes(plain.path, "uco-analysis:AnalyticResult")
    res = _export(searched, "with-matches", matches=True)
    stock_check(res.path, None)  # case_validate accepts the analyses and results
    top = searched.top  # type: ignore[attr-defined]
    (search_node,) = _nodes(res.path, "uco-analysis:Analysis")
    assert "case-investigation:InvestigativeAction" in search_node["@type"]
    assert "watchlist EU" in search_node["uco-core:description"]
    results = _nodes(res.path, "uco-analysis:AnalyticResult")
    assert results and all(r["uco-analysis:originatingAnalysis"] for r in results)
    mine = next(r for r in results if "subject P-obama" in r["uco-core:statement"])
    assert f"distance {top.distance:.4f}" in mine["uco-core:statement"]
    assert "status confirmed" in mine["uco-core:statement"]
    (review,) = [
        n
        for n in _nodes(res.path, "case-investigation:InvestigativeAction")
        if n["uco-core:name"] == "review: confirmed"
    ]
    assert review["uco-core:description"] == "confirmed: same ear shape and scar"
    assert review["uco-action:object"] == [{"@id": mine["@id"]}]
    assert review["uco-action:startTime"]["@value"].startswith("20")
    people = {n["@id"]: n["uco-core:name"] for n in _nodes(res.path, "uco-identity:Identity")}
    assert people[review["uco-action:performer"]["@id"]] == "anna"


def test_match_labels_follow_the_policy(searched: Session) -> None:
    search(searched, ["Red"], case_reference="NL-M", top=1)
    with pytest.raises(PolicyRefused, match=r"subject P-kit on watchlist Red\) is labelled RED"):
        _export(searched, "red-matches", matches=True)
    assert not (searched.root / "red-matches").exists()  # type: ignore[attr-defined]
    _export(searched, "red-without-matches")  # the evidence alone may go
