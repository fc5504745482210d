"""The whole exchange through the ``custos`` command, as two liaison officers would run it."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from exchange_kit import FAST_KDF, PASSWORD, agency_place, run_cli

from service.opener import init_vault, unlock
from vault.session import Session


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture(params=BACKENDS)
def places(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, Any]:
    """Politie NL's folder and BKA's vault: in a folder, or on the trial server (the bundle
    then goes from a local vault to a server one)."""
    return tmp_path / "nl", agency_place(request, tmp_path / "de")


def test_two_agencies_exchange_through_the_cli(
    places: tuple[Any, Any], tmp_path: Path, stock_check: Callable[[Path, Session | None], None]
) -> None:
    nl, de = places
    for folder, user in ((nl, "anna"), (de, "bernd")):
        session, _ = init_vault(folder, user, PASSWORD, kdf=FAST_KDF)
        session.close()

    def anna(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, vault=nl, user="anna")

    def bernd(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, vault=de, user="bernd")

    _ok(anna("agency", "set", "--name", "Politie NL", "--country", "nl", "--contact", "desk"))
    _ok(bernd("agency", "set", "--name", "BKA", "--country", "DE"))
    shown = _ok(anna("agency", "card", "--out", str(tmp_path / "nl.card")))
    fpr = re.search(r"signing key fingerprint:\s+((?:[0-9A-F]{4} ?){16})", shown)
    assert fpr is not None
    _ok(bernd("agency", "card", "--out", str(tmp_path / "de.card")))
    _ok(anna("partner", "add", "--card", str(tmp_path / "de.card")))
    added = _ok(bernd("partner", "add", "--card", str(tmp_path / "nl.card")))
    assert fpr.group(1).strip() in added
    listed = json.loads(_ok(bernd("partner", "list", "--json")))
    assert listed[0]["name"] == "Politie NL" and listed[0]["keys"][0]["status"] == "active"
    for run, partner in ((anna, "BKA"), (bernd, "Politie NL")):
        terms = ("--labels", "GREEN,AMBER", "--crime", "fraud", "--until", "2099-12-31")
        _ok(run("agreement", "add", partner, "--purpose", "joint-operation", *terms))
    assert "joint-operation" in _ok(anna("agreement", "list"))

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "ledger.csv").write_text("a,b\n1,2\n")
    (evidence / "photo.jpg").write_bytes(bytes(range(256)) * 100)
    _ok(anna("case", "create", "NL-7", "--title", "Ledger", "--crime", "fraud"))
    _ok(anna("ingest", "--case", "NL-7", "--exhibit", "EX-1", str(evidence)))
    _ok(bernd("case", "create", "DE-7", "--title", "Received"))
    _ok(anna("label", "case", "NL-7", "--tlp", "GREEN"))
    _ok(anna("label", "set", "2", "--tlp", "AMBER"))
    assert "TLP:AMBER" in _ok(anna("label", "list", "--case", "NL-7"))

    refused = anna("bundle", "export", "--case", "NL-7", "--to", "BKA", "--purpose", "mla",
                   "--out", str(tmp_path / "mla"))  # fmt: skip
    line = _error_line(refused, 4)
    assert "export to BKA refused for 2 of 2 item(s)" in line
    assert refused.stderr.count("no active agreement with BKA for purpose mla") >= 2
    assert not (tmp_path / "mla").exists()

    out = tmp_path / "to-bka"
    done = _ok(anna("bundle", "export", "--case", "NL-7", "--to", "BKA",
                    "--purpose", "joint-operation", "--encrypt", "--out", str(out)))  # fmt: skip
    bundle = tmp_path / "to-bka.tar.age"
    assert "highest label TLP:AMBER" in done and bundle.is_file()
    plain = tmp_path / "plain"
    _ok(anna("bundle", "export", "--case", "NL-7", "--to", "BKA",
             "--purpose", "joint-operation", "--out", str(plain)))  # fmt: skip
    custody = json.loads(_ok(anna("custody", "1", "--json")))
    assert [e["kind"] for e in custody][-2:] == ["transferred", "transferred"]

    report = json.loads(_ok(bernd("bundle", "verify", str(bundle), "--json")))
    assert report["ok"] and report["sender"] == "Politie NL" and report["label"] == "TLP:AMBER"
    _ok(bernd("bundle", "import", str(bundle), "--case", "DE-7"))
    items = json.loads(_ok(bernd("items", "list", "--case", "DE-7", "--json")))
    assert sorted(i["name"] for i in items) == ["evidence/ledger.csv", "evidence/photo.jpg"]
    again = _error_line(bernd("bundle", "import", str(bundle), "--case", "DE-7"), 5)
    assert "already imported" in again and "(replay)" in again

    (plain / "data/evidence/evidence/ledger.csv").write_text("a,b\n1,3\n")
    bad = bernd("bundle", "verify", str(plain))
    assert "ledger.csv: checksum does not match" in _error_line(bad, 5)
    (plain / "data/evidence/evidence/ledger.csv").write_text("a,b\n1,2\n")

    _ok(bernd("partner", "revoke-key", "Politie NL", *fpr.group(1).split()))
    revoked = _error_line(bernd("bundle", "verify", str(plain)), 5)
    assert "signed by a revoked key of Politie NL" in revoked
    _ok(bernd("verify"))  # the receiving vault is intact

    receiver = unlock(de, "bernd", PASSWORD)
    try:
        stock_check(bundle, receiver)
    finally:
        receiver.close()
    stock_check(plain, None)
