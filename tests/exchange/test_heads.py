"""Audit heads travel in bundles: a partner's vault restored from a backup shows.

The sender's head is inside the signed ``custos-bundle.json``; the receiver keeps each
partner's heads and warns (one line, audited ``bundle.head_backwards``) when one goes back: the
import itself lands, since the evidence is not wrong for it, but someone has to pick up the phone.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from backendkit import BACKENDS
from exchange_kit import PASSWORD, agency_place, new_vault, reseal, run_cli, trust, where
from sqlalchemy import select

from exchange import directory
from exchange.bundles import import_bundle, verify_bundle
from exchange.errors import BundleRejected
from exchange.export import ExportJob, ExportResult
from exchange.models import PartnerHead
from service.opener import unlock
from vault.audit import read_head
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import ignore
from vault.sealing import equals
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows


@dataclass
class Pair:
    nl: Session
    de: Session
    root: Path
    n: int = 0

    def export(self, nl: Session | None = None) -> ExportResult:
        self.n += 1
        out = self.root / f"b-{self.n}"
        return ExportJob(nl or self.nl, "NL-1", "BKA", "joint-operation", out).run(ignore)

    def case(self) -> str:
        self.n += 1
        create_case(self.de, f"DE-{self.n}", "received")
        return f"DE-{self.n}"

    def evidence(self, nl: Session | None = None) -> None:
        self.n += 1
        f = self.root / f"file-{self.n}.txt"
        f.write_text(f"exhibit {self.n}\n")
        ingest(nl or self.nl, "NL-1", [f])

    def heads(self) -> list[PartnerHead]:
        with self.de.db() as db:
            q = select(PartnerHead).where(equals(db, PartnerHead.partner, "Politie NL"))
            return list(db.scalars(q.order_by(PartnerHead.id)))


@pytest.fixture(params=BACKENDS)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    """On the ``server`` run BKA, who receives and records the heads, is on the trial server;
    Politie NL stays in a folder (one test backs that folder up and restores it)."""
    nl = new_vault(tmp_path / "nl", "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, tmp_path / "de"), "bernd", "BKA", "DE")
    trust(nl, de)
    directory.add_agreement(nl, "BKA", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31")
    directory.add_agreement(de, "Politie NL", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31")
    create_case(nl, "NL-1", "Operation Kite")
    p = Pair(nl, de, tmp_path)
    p.evidence()
    yield p
    p.nl.close()
    de.close()


def _meta(bag: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((bag / "custos-bundle.json").read_text())
    return data


def _rewrite(bag: Path, signer: Session, **changes: object) -> None:
    """What a trusted partner could send: the description changed, validly signed again."""
    meta = _meta(bag)
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    (bag / "custos-bundle.json").write_text(json.dumps(meta))
    reseal(bag, signer)


def test_every_bundle_carries_the_senders_head_signed(pair: Pair) -> None:
    with pair.nl.db() as db:
        before = read_head(db)
    res = pair.export()
    assert _meta(res.path)["audit_head"] == f"{before.seq}:{before.hash}"
    # it is covered by the signature: changed without re-signing, the bundle is refused
    bag = pair.root / "altered"
    shutil.copytree(res.path, bag)
    meta = _meta(bag)
    meta["audit_head"] = f"{before.seq + 100}:{before.hash}"
    (bag / "custos-bundle.json").write_text(json.dumps(meta))
    assert not verify_bundle(pair.de, bag).ok
    import_bundle(pair.de, res.path, pair.case())
    [row] = pair.heads()
    assert (row.seq, row.hash, row.bundle_id) == (before.seq, before.hash, res.bundle_id)
    assert verify(pair.de).ok  # the table is audited


def test_a_partner_restored_from_a_backup_is_warned_about(pair: Pair) -> None:
    """Politie NL backs its vault up, works on, then restores the backup and sends from it."""
    pair.nl.close()
    shutil.copytree(pair.root / "nl", pair.root / "nl-backup")
    pair.nl = unlock(pair.root / "nl", "anna", PASSWORD)
    pair.evidence()
    later = pair.export()
    import_bundle(pair.de, later.path, pair.case())
    restored = unlock(pair.root / "nl-backup", "anna", PASSWORD)
    try:
        older = pair.export(restored)
    finally:
        restored.close()
    case = pair.case()
    cli = run_cli("bundle", "import", str(older.path), "--case", case, vault=where(pair.de),
                  user="bernd")  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    warnings = [line for line in cli.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, cli.stderr
    assert "Politie NL's audit head went backwards" in warnings[0]
    assert f"carried by bundle {later.bundle_id}" in warnings[0]
    assert "Traceback" not in cli.stderr
    [entry] = audit_rows(pair.de, "bundle.head_backwards")
    details = json.loads(entry.details)
    assert details["bundle"] == older.bundle_id and details["partner"] == "Politie NL"
    assert [r.backwards for r in pair.heads()] == [False, True]
    # the latest head known stays the highest one, and `partner show` gives it
    shown = run_cli("partner", "show", "Politie NL", vault=where(pair.de), user="bernd")
    assert shown.returncode == 0, shown.stderr
    head = _meta(later.path)["audit_head"]
    assert f"audit head {head} (bundle {later.bundle_id}" in shown.stdout
    assert "warning: their audit head went backwards" in shown.stdout
    assert f"bundle {older.bundle_id}" in shown.stdout
    info, _agreements = directory.show_partner(pair.de, "Politie NL")
    assert info.went_back is not None and info.went_back.bundle_id == older.bundle_id
    assert info.head is not None and info.head.bundle_id == later.bundle_id
    assert verify(pair.de).ok


def test_the_same_head_with_another_hash_is_a_fork(pair: Pair) -> None:
    first = pair.export()
    import_bundle(pair.de, first.path, pair.case())
    second = pair.export()
    seq = str(_meta(first.path)["audit_head"]).split(":")[0]
    _rewrite(second.path, pair.nl, audit_head=f"{seq}:{'ab' * 32}")
    report = verify_bundle(pair.de, second.path)
    assert report.ok and len(report.warnings) == 1
    assert "the same entry as, with another hash than," in report.warnings[0]
    result = import_bundle(pair.de, second.path, pair.case())
    assert len(result.items) == 1 and result.warnings == report.warnings
    assert audit_rows(pair.de, "bundle.head_backwards")


def test_bundles_without_a_head_still_import(pair: Pair) -> None:
    old = pair.export()
    _rewrite(old.path, pair.nl, audit_head=None)  # as Custos wrote them before
    result = import_bundle(pair.de, old.path, pair.case())
    assert len(result.items) == 1 and not result.warnings
    assert pair.heads() == []
    info, _ = directory.show_partner(pair.de, "Politie NL")
    assert info.head is None


@pytest.mark.parametrize(
    "head", ["12", "12:" + "g" * 64, "-1:" + "a" * 64, 12, "1" * 19 + ":" + "a" * 64]
)
def test_a_malformed_head_is_refused_by_its_shape(pair: Pair, head: object) -> None:
    res = pair.export()
    _rewrite(res.path, pair.nl, audit_head=head)
    case = pair.case()
    with pytest.raises(BundleRejected) as info:
        import_bundle(pair.de, res.path, case)
    assert "\n" not in str(info.value)
    assert re.search(r"custos-bundle\.json: audit_head: ", str(info.value)), info.value
    assert pair.heads() == []
    assert json.loads(audit_rows(pair.de, "bundle.refused")[-1].details)["problems"]
