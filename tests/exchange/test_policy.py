"""Handling labels and the export policy: refusals name every item and why, are audited, and
nothing is written; received items keep the sender's label and onward rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from exchange_kit import Kit, new_vault
from sqlalchemy import select

from exchange import directory, labels
from exchange.bundles import import_bundle
from exchange.errors import PolicyRefused
from exchange.export import ExportJob
from service.opener import unlock
from vault.cases import create_case
from vault.errors import PermissionDenied, UserError
from vault.jobs import ignore
from vault.models import AuditEntry
from vault.session import Session
from vault.users import add_user
from vault.verify import verify


def _export(s: Session, case: str, partner: str, purpose: str, out: Path) -> None:
    ExportJob(s, case, partner, purpose, out).run(ignore)


def _refused(s: Session, case: str, partner: str, purpose: str, out: Path) -> PolicyRefused:
    with pytest.raises(PolicyRefused) as info:
        _export(s, case, partner, purpose, out)
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*"))
    with s.db() as db:
        last = db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last is not None and last.action == "bundle.export_refused"
    assert json.loads(last.details)["refusals"] == info.value.refusals
    return info.value


def test_no_agreement_for_purpose(kit: Kit) -> None:
    err = _refused(kit.a, "NL-1", "BKA", "mla", kit.root / "mla")
    assert len(err.refusals) == 3
    assert "no active agreement with BKA for purpose mla" in err.refusals[0]
    assert str(err).count("item ") == 3 and "\n" not in str(err)


def test_label_not_allowed_names_the_items(kit: Kit) -> None:
    labels.set_item_labels(kit.a, [kit.items[1]], "RED")
    try:
        err = _refused(kit.a, "NL-1", "BKA", "joint-operation", kit.root / "red")
        assert err.refusals == [
            f"item {kit.items[1]} (ev/DCIM/img 1.jpg): label RED is not allowed by agreement 1 "
            "(allows CLEAR, GREEN, AMBER)"
        ]
    finally:
        labels.set_item_labels(kit.a, [kit.items[1]], "AMBER")
    assert verify(kit.a).ok  # every label change is audited


def test_case_default_and_amber_strict_must_be_named(kit: Kit) -> None:
    labels.set_case_label(kit.a, "NL-1", "AMBER+STRICT")
    try:
        err = _refused(kit.a, "NL-1", "BKA", "joint-operation", kit.root / "strict")
        assert all("label AMBER+STRICT is not allowed" in r for r in err.refusals)
    finally:
        labels.set_case_label(kit.a, "NL-1", "AMBER")


def test_crime_area_not_covered(kit: Kit) -> None:
    directory.add_agreement(
        kit.a, "BKA", "intelligence", "AMBER", "2099-12-31", crime_areas=["cybercrime"]
    )
    err = _refused(kit.a, "NL-1", "BKA", "intelligence", kit.root / "area")
    assert "do not cover the case's crime areas (drug-trafficking)" in err.refusals[0]


def test_expired_agreement(kit: Kit) -> None:
    directory.add_agreement(
        kit.a, "BKA", "mla", "AMBER", "2020-12-31", reference="MLA-1", valid_from="2020-01-01"
    )
    err = _refused(kit.a, "NL-1", "BKA", "mla", kit.root / "expired")
    assert "no active agreement" in err.refusals[0]


def test_allowed_export_and_received_items_keep_the_senders_rule(kit: Kit, tmp_path: Path) -> None:
    res = kit.export()
    case = kit.new_case()
    got = import_bundle(kit.b, res.path, case)
    rows = labels.item_labels(kit.b, case)
    assert {(lb.tlp, lb.origin, lb.onward) for _, lb in rows} == {("AMBER", "Politie NL", False)}
    with pytest.raises(UserError, match="received from Politie NL labelled AMBER"):
        labels.set_item_labels(kit.b, [got.items[0]], "GREEN")
    # BKA may not pass them on to a third agency: the sender gave no onward sharing
    third = new_vault(tmp_path / "third", "tom", "Europol", "EU")
    try:
        card, _ = directory.our_card(third)
        directory.add_partner(kit.b, card, "card")
        directory.add_agreement(kit.b, "Europol", "joint-operation", "AMBER", "2099-12-31")
        err = _refused(kit.b, case, "Europol", "joint-operation", tmp_path / "onward")
        assert len(err.refusals) == 3
        assert all("received from Politie NL without onward sharing" in r for r in err.refusals)
    finally:
        third.close()
    # ... but may send them back to the agency they came from
    directory.add_agreement(kit.b, "Politie NL", "joint-operation", "AMBER", "2099-12-31")
    back = ExportJob(kit.b, case, "Politie NL", "joint-operation", tmp_path / "back").run(ignore)
    kit.made.append(back.path)
    assert back.items == 3


def test_permissions_checked_in_the_core(place: Any, tmp_path: Path) -> None:
    admin = new_vault(place, "ada", "Politie NL", "NL")
    add_user(admin, "olga", ["officer"], "officer password")
    create_case(admin, "C-1", "case")
    admin.close()
    officer = unlock(place, "olga", "officer password")
    try:
        with pytest.raises(PermissionDenied, match="needs role liaison"):
            ExportJob(officer, "C-1", "BKA", "joint-operation", tmp_path / "no").run(ignore)
        with pytest.raises(PermissionDenied, match="needs role liaison"):
            directory.add_agreement(officer, "BKA", "mla", "AMBER", "2099-01-01", "R")
        labels.set_case_label(officer, "C-1", "RED")  # officers label their evidence
        assert not (tmp_path / "no").exists()
    finally:
        officer.close()
