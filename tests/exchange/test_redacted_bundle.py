"""An agreement that demands redacted copies: its bundles carry the redacted derivative of each
photo and video, never the original, and still pass openssl, bagit.py and case_validate."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from exchange_kit import agency_place, new_vault, trust

from exchange import directory
from exchange.bundles import import_bundle
from exchange.errors import PolicyRefused
from exchange.export import ExportJob, preview_export
from matching.casefaces import DetectJob
from matching.redaction import RedactJob
from vault import items
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import ignore
from vault.session import Session
from vaultkit import audit_rows


@pytest.fixture(params=BACKENDS)
def sender(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Politie NL's vault: in a folder, or on the trial server (BKA's stays in a folder)."""
    return agency_place(request, tmp_path / "nl")


def test_a_redaction_agreement_sends_redacted_copies_only(
    sender: Any,
    tmp_path: Path,
    faces_dir: Path,
    stock_check: Callable[[Path, Session | None], None],
) -> None:
    a = new_vault(sender, "anna", "Politie NL", "NL")
    b = new_vault(tmp_path / "de", "bernd", "BKA", "DE")
    try:
        trust(a, b)
        ag = directory.add_agreement(
            a, "BKA", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31", redacted=True
        )
        directory.add_agreement(
            b, "Politie NL", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31"
        )
        assert ag.redacted and directory.list_agreements(a, "BKA")[0].redacted
        assert [e.actor for e in audit_rows(a, "agreement.redaction")] == ["anna"]
        create_case(a, "NL-1", "Operation Kite", ["drug-trafficking"])
        note = tmp_path / "note.txt"
        note.write_text("seized note\n")
        photo = faces_dir / "knn/test/obama_and_biden.jpg"
        ingest(a, "NL-1", [photo, note])
        assert not DetectJob(a, "NL-1").run(ignore).failed
        listed = {Path(i.name).name: i for i in items.list_items(a, "NL-1")}
        original = listed["obama_and_biden.jpg"]

        # no redacted copy yet: refused, naming the item and how to make one
        with pytest.raises(PolicyRefused) as refused:
            ExportJob(a, "NL-1", "BKA", "joint-operation", tmp_path / "b0").run(ignore)
        assert f"custos redact {original.id}" in " ".join(refused.value.refusals)
        preview = preview_export(a, "NL-1", "BKA", "joint-operation")
        assert [v.item for v in preview.verdicts if not v.allowed] == [original.id]

        copy = RedactJob(a, original.id, all_faces=True).run(ignore)
        result = ExportJob(a, "NL-1", "BKA", "joint-operation", tmp_path / "b1").run(ignore)
        assert result.items == 2
        sent = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (result.path / "data/evidence").rglob("*")
            if p.is_file()
        }
        assert "obama_and_biden.jpg" not in sent
        assert sent["obama_and_biden.redacted.jpg"] == copy.sha256 != original.sha256
        assert original.sha256 not in sent.values()
        stock_check(result.path, b)
        create_case(b, "DE-1", "received")
        imported = import_bundle(b, result.path, "DE-1")
        assert len(imported.items) == 2
        transferred = [c for c in items.custody(a, copy.item) if c.kind == "transferred"]
        assert transferred, "the copy's custody records the transfer"
    finally:
        a.close()
        b.close()
