"""custos watchlist export / import, as two liaison officers (and an analyst) would run them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from exchange_kit import FAST_KDF, PASSWORD, agency_place, run_cli
from nistread import read_transaction

from service.opener import init_vault
from vault.session import Session


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(params=BACKENDS)
def places(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, Any]:
    """Politie NL's vault (on the trial server on the ``server`` run: the watchlist is enrolled
    and sent from there) and BKA's folder."""
    return agency_place(request, tmp_path / "nl"), tmp_path / "de"


def test_watchlist_exchange_through_the_cli(
    places: tuple[Any, Any],
    tmp_path: Path,
    faces_dir: Path,
    stock_check: Callable[[Path, Session | None], None],
) -> None:
    nl, de = places
    for folder, user in ((nl, "anna"), (de, "bernd")):
        session, _ = init_vault(folder, user, PASSWORD, kdf=FAST_KDF)
        session.close()

    def anna(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, vault=nl, user="anna")

    def bernd(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, vault=de, user="bernd")

    _ok(anna("agency", "set", "--name", "Politie NL", "--country", "NL"))
    _ok(bernd("agency", "set", "--name", "BKA", "--country", "DE"))
    _ok(anna("agency", "card", "--out", str(tmp_path / "nl.card")))
    _ok(bernd("agency", "card", "--out", str(tmp_path / "de.card")))
    _ok(anna("partner", "add", "--card", str(tmp_path / "de.card")))
    _ok(bernd("partner", "add", "--card", str(tmp_path / "nl.card")))
    for run, partner in ((anna, "BKA"), (bernd, "Politie NL")):
        _ok(run("agreement", "add", partner, "--purpose", "intelligence",
                "--labels", "GREEN,AMBER", "--until", "2099-12-31"))  # fmt: skip
    _ok(anna("watchlist", "create", "EU-fraud"))
    photos = [str(faces_dir / "knn/train/obama" / n) for n in ("obama.jpg", "obama2.jpg")]
    _ok(anna("watchlist", "enrol", "EU-fraud", "--subject", "P-1", "--reason", "fraud",
             "--agency", "Politie NL", "--label", "GREEN", "--review-on", "2030-01-01",
             *photos))  # fmt: skip

    missing = anna("watchlist", "export", "nope", "--to", "BKA", "--out", str(tmp_path / "x"))
    assert missing.returncode == 2 and "no watchlist named 'nope'" in missing.stderr
    out, eft = tmp_path / "wl", tmp_path / "wl.eft"
    done = _ok(anna("watchlist", "export", "EU-fraud", "--to", "BKA", "--out", str(out),
                    "--nist", str(eft)))  # fmt: skip
    assert "1 subject(s), 2 reference photo(s), highest label TLP:GREEN" in done
    assert [r.rtype for r in read_transaction(eft.read_bytes())] == [1, 2, 10, 10]
    stock_check(out, None)

    imported = _ok(bernd("watchlist", "import", str(out)))
    assert "watchlist EU-fraud (Politie NL) from Politie NL: 1 subject(s), 2 reference(s)" in (
        imported
    )
    shown = json.loads(_ok(bernd("watchlist", "show", "EU-fraud (Politie NL)", "--json")))
    assert shown["source_agency"] == "Politie NL"
    assert shown["subjects"][0]["ref"] == "P-1" and shown["subjects"][0]["label"] == "GREEN"
    again = bernd("watchlist", "import", str(out), "--as", "again")
    assert again.returncode == 5 and "(replay)" in again.stderr
    _ok(bernd("verify"))
