"""The matching and exchange layers' sensitive values on an agency server (the trial server:
PostgreSQL + S3): written through the core (a watchlist and a subject's listing, a hash set, our
agency, a partner and an agreement), they are found again by name through the blind indexes,
listed in name order, and appear nowhere in PostgreSQL's data folder after a CHECKPOINT.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_kit import new_vault as new_agency
from serverkit import TrialServer, markers_in_data_folder

from exchange import directory
from matching.hashsets import ImportJob, show_set
from matching.watchlists import (
    Listing,
    create_watchlist,
    enrol_into,
    find_watchlist,
    list_watchlists,
    show_watchlist,
)
from vault.backend import Server
from vault.errors import UserError
from vault.jobs import ignore
from vault.server.address import parse
from vault.session import Session
from vaultkit import new_vault


@pytest.fixture
def place(
    trial_server: TrialServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Server]:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    with trial_server.place() as where:
        yield where


def _write(session: Session, partner_card: bytes, marker: str, tmp_path: Path) -> None:
    directory.set_agency(session, f"{marker} Harbour Police", "NL", f"{marker}desk@nl")
    create_watchlist(session, f"{marker} wanted", source_agency=f"{marker} Interpol")
    listing = Listing(f"{marker} armed robbery warrant", f"{marker} BKA", "amber", "2027-01-01")
    with session.transaction() as db:
        wl = find_watchlist(db, f"{marker} wanted")
        enrol_into(session, db, wl, f"{marker}-subject-1", listing, [])
    hashes = tmp_path / f"{marker}.txt"
    hashes.write_text("d41d8cd98f00b204e9800998ecf8427e\n")
    ImportJob(session, hashes, f"{marker} seized set", "known-bad", source=f"{marker} NCA").run(
        ignore
    )
    directory.add_partner(session, partner_card, "card")
    directory.add_agreement(
        session, f"{marker} Partner", "mla", "amber", "2030-01-01", reference=f"{marker} MLA-12"
    )


def test_marker_strings_of_the_matching_and_exchange_layers_never_reach_the_data_folder(
    trial_server: TrialServer, place: Server, tmp_path: Path
) -> None:
    marker = "MRK" + uuid.uuid4().hex[:12].upper()
    partner = new_agency(tmp_path / "partner", "pia", f"{marker} Partner", "DE")
    card, _ = directory.our_card(partner)
    session, _ = new_vault(place)
    try:
        _write(session, card, marker, tmp_path)
        # found again by name (blind indexes), the unsealed values as written
        wl = show_watchlist(session, f"{marker} wanted")
        assert [(s.ref, s.reason) for s in wl.subjects] == [
            (f"{marker}-subject-1", f"{marker} armed robbery warrant")
        ]
        assert wl.source_agency == f"{marker} Interpol"
        assert show_set(session, f"{marker} seized set").source == f"{marker} NCA"
        info, agreements = directory.show_partner(session, f"{marker} Partner")
        assert info.name == f"{marker} Partner"
        assert [a.reference for a in agreements] == [f"{marker} MLA-12"]
        with pytest.raises(UserError, match="already exists"):
            create_watchlist(session, f"{marker} wanted")
    finally:
        session.close()
        partner.close()
    database = parse(place.url).database
    # a plain control value must be found there too, or the search proves nothing
    found = markers_in_data_folder(trial_server, database, [marker.encode()])
    assert found[marker.encode()] == [], f"marker found in {found[marker.encode()]}"


def test_names_sealed_on_the_server_are_listed_in_name_order(place: Server) -> None:
    session, _ = new_vault(place)
    try:
        for name in ("Zulu list", "alpha list", "Mike list"):
            create_watchlist(session, name)
        assert [w.name for w in list_watchlists(session)] == [
            "Mike list",
            "Zulu list",
            "alpha list",
        ]
    finally:
        session.close()


def test_a_blind_index_the_operator_copies_finds_nothing_rather_than_another_set(
    trial_server: TrialServer, place: Server, tmp_path: Path
) -> None:
    session, _ = new_vault(place)
    try:
        for name in ("seized A", "seized B"):
            hashes = tmp_path / f"{name}.txt"
            hashes.write_text("d41d8cd98f00b204e9800998ecf8427e\n")
            ImportJob(session, hashes, name, "known-bad").run(ignore)
        with trial_server.superuser(parse(place.url).database) as su:
            su.execute(
                "UPDATE hashsets SET name_bidx = "
                "(SELECT name_bidx FROM hashsets WHERE id = (SELECT min(id) FROM hashsets)) "
                "WHERE id = (SELECT max(id) FROM hashsets)"
            )
        assert show_set(session, "seized A").name == "seized A"
        with pytest.raises(UserError, match="no hash set named 'seized B'"):
            show_set(session, "seized B")
    finally:
        session.close()
