"""What the liaison reads in the terminal: refusals counted per item with each reason once, one
line for a damaged encrypted bundle, and text from cards and bundles never driving the terminal."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exchange_kit import agency_place, new_vault, run_cli, trust

from exchange import directory
from exchange.cards import Card, grouped, make_card
from exchange.export import ExportJob
from exchange.labels import set_item_labels
from exchange.wlexport import WatchlistExportJob
from matching.casefaces import DetectJob
from matching.review import list_review
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol
from vault import agefmt
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import ignore
from vaultkit import audit_rows, open_as

TRAIN = "knn/train"


@dataclass(frozen=True)
class Pair:
    nl: Any  # Politie NL (anna): case NL-1, watchlists Red and W (a folder or the server)
    de: Path  # BKA (bernd): case DE-1
    photo: int  # item id of the photo in NL-1 (labelled RED, three RED match results)
    ledger: int  # item id of the ledger in NL-1 (AMBER)
    evidence: Path  # NL-1's ledger, encrypted to BKA (.tar.age, several 64 KiB chunks)
    watchlist: Path  # watchlist W, encrypted to BKA (.tar.age)
    root: Path  # the module's folder


@pytest.fixture(scope="module", params=BACKENDS)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Pair:
    """On the ``server`` run Politie NL's vault is on the trial server, BKA's in a folder."""
    root = tmp_path_factory.mktemp("cli-output")
    places = agency_place(request, root / "nl"), agency_place(request, root / "de", here=True)
    nl = new_vault(places[0], "anna", "Politie NL", "NL")
    de = new_vault(places[1], "bernd", "BKA", "DE")
    try:
        trust(nl, de)
        for a, b in ((nl, "BKA"), (de, "Politie NL")):
            for purpose in ("joint-operation", "intelligence"):
                directory.add_agreement(a, b, purpose, "GREEN,AMBER", "2099-12-31")
        create_case(nl, "NL-1", "Border", ["fraud"])
        create_case(de, "DE-1", "Received")
        ledger = root / "ledger.bin"
        ledger.write_bytes(os.urandom(300_000))  # the tar spans several age chunks
        saved = ingest(nl, "NL-1", [faces_dir / "knn/test/obama1.jpg", ledger]).saved
        photo, ledger_id = saved
        assert not DetectJob(nl, "NL-1", workers=1).run(ignore).failed
        set_item_labels(nl, [photo], "RED")
        create_watchlist(nl, "Red")
        red = Listing("terrorism", "Politie NL", "RED", "2999-01-01")
        for who in ("obama", "biden", "kit_harington"):
            enrol(nl, "Red", who, red, [sorted((faces_dir / TRAIN / who).iterdir())[0]])
        assert len(search(nl, ["Red"], case_reference="NL-1", top=3).candidates) == 3
        create_watchlist(nl, "W")
        amber = Listing("fraud", "Politie NL", "AMBER", "2999-01-01")
        enrol(nl, "W", "obama", amber, [faces_dir / TRAIN / "obama/obama.jpg"])
        evidence = ExportJob(
            nl, "NL-1", "BKA", "joint-operation", root / "ev", [ledger_id], encrypt=True
        ).run(ignore)
        watchlist = WatchlistExportJob(nl, "W", "BKA", root / "wl", encrypt=True).run(ignore)
    finally:
        nl.close()
        de.close()
    return Pair(*places, photo, ledger_id, evidence.path, watchlist.path, root)


def _anna(pair: Pair, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, vault=pair.nl, user="anna")


def _bernd(pair: Pair, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, vault=pair.de, user="bernd")


# --- 4. refusals: items counted, each reason printed once under its item -----------------------


def test_export_refusal_counts_items_and_prints_each_reason_once(pair: Pair) -> None:
    with open_as(pair.nl, "anna") as s:
        matches = [r for r in list_review(s, "NL-1") if r.watchlist == "Red"]
    assert len(matches) == 3 and {r.item for r in matches} == {pair.photo}
    refused = _anna(
        pair, "bundle", "export", "--case", "NL-1", "--to", "BKA", "--purpose",
        "joint-operation", "--matches", "--out", str(pair.root / "refused"),
    )  # fmt: skip
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"  - item {pair.photo} (obama1.jpg):",
        "      label RED is not allowed by agreement 1 (allows GREEN, AMBER)",
        *(
            f"      match result {r.candidate} (subject {r.subject} on watchlist Red) is "
            "labelled RED, not allowed by agreement 1"
            for r in sorted(matches, key=lambda r: r.candidate)
        ),
        "error: export to BKA refused for 1 of 2 item(s)",
    ]
    assert not (pair.root / "refused").exists()
    with open_as(pair.nl, "anna") as s:  # the audit entry keeps every reason, once per item
        last = json.loads(audit_rows(s, "bundle.export_refused")[-1].details)
    assert len(last["refusals"]) == 1 and last["refusals"][0].count("labelled RED") == 3


# --- 5. a damaged encrypted bundle: its cause, one line, nothing after ------------------------


def _damaged(src: Path, how: str) -> tuple[Path, int]:
    """A copy of ``src`` cut in half or with one byte flipped in the middle; returns it and the
    first byte of the age chunk that no longer decrypts (header, 16-byte nonce, then chunks of
    64 KiB + 16)."""
    data = bytearray(src.read_bytes())
    middle = len(data) // 2
    if how == "truncated":
        data = data[:middle]
    else:
        data[middle] ^= 0x01
    header = data.index(b"\n--- ")
    first = data.index(b"\n", header + 1) + 1 + 16
    size = agefmt.CHUNK + agefmt.TAG
    at = first + (middle - first) // size * size
    out = src.with_name(f"{how}-{src.name}")
    out.write_bytes(bytes(data))
    return out, at


@pytest.mark.parametrize("how", ["truncated", "flipped"])
def test_a_damaged_bundle_is_reported_by_its_cause_alone(pair: Pair, how: str) -> None:
    bad, at = _damaged(pair.evidence, how)
    cause = f"{bad.name}: the encrypted bundle is truncated or damaged at byte {at}"
    checked = _bernd(pair, "bundle", "verify", str(bad))
    assert checked.returncode == 5, checked.stdout + checked.stderr
    assert checked.stderr.splitlines() == [
        f"error: {bad.name}: bundle refused (1 problem): {cause}"
    ]
    imported = _bernd(pair, "bundle", "import", str(bad), "--case", "DE-1")
    assert imported.returncode == 5, imported.stdout + imported.stderr
    assert imported.stderr.splitlines() == [
        f"error: {bad.name}: bundle refused (1 problem): {cause}"
    ]
    as_json = _bernd(pair, "bundle", "verify", "--json", str(bad))
    assert json.loads(as_json.stdout)["problems"] == [cause]
    with open_as(pair.de, "bernd") as s:  # the refused import is audited, with its cause
        refused = json.loads(audit_rows(s, "bundle.refused")[-1].details)
        assert refused["problems"] == [cause]


def test_a_damaged_watchlist_bundle_is_reported_by_its_cause_alone(pair: Pair) -> None:
    bad, at = _damaged(pair.watchlist, "flipped")
    got = _bernd(pair, "watchlist", "import", str(bad))
    assert got.returncode == 5, got.stdout + got.stderr
    assert got.stderr.splitlines() == [
        f"error: {bad.name}: bundle refused (1 problem): {bad.name}: the encrypted bundle is "
        f"truncated or damaged at byte {at}"
    ]
    with open_as(pair.de, "bernd") as s:
        assert f"at byte {at}" in audit_rows(s, "bundle.refused")[-1].details


# --- 6. text from a key card never drives the terminal ----------------------------------------


def test_a_card_cannot_show_another_fingerprint(pair: Pair) -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    shown = grouped("ab" * 32)  # the fingerprint the liaison expects, not this card's key
    forged = f"desk@europol.example\x1b[2K\r  key {shown}  active  added {date.today()}"
    card = Card(
        "Europol", "EU", forged, public, str(agefmt.Identity.generate().recipient), "2026-01-01"
    )
    path = pair.root / "europol.card"
    path.write_bytes(make_card(card, key))

    added = _anna(pair, "partner", "add", "--card", str(path))
    assert added.returncode == 0, added.stderr
    escaped = (
        "Europol (EU)  desk@europol.example\\x1b[2K\\x0d"
        f"  key {shown}  active  added {date.today()}"
    )
    real = grouped(card.fingerprint)
    assert added.stdout.splitlines()[:2] == [
        "partner added; compare this fingerprint with the partner:",
        escaped,
    ]
    assert f"  key {real}  active  added {date.today()}" in added.stdout.splitlines()
    for listing in (
        added,
        _anna(pair, "partner", "show", "Europol"),
        _anna(pair, "partner", "list"),
    ):
        assert "\x1b" not in listing.stdout and "\r" not in listing.stdout
        assert escaped in listing.stdout.splitlines()
