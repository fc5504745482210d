"""The export policy's preview: the same decision as the export, per item with its reason,
nothing written and nothing audited; the CLI shows it as ``bundle export --dry-run``."""

from __future__ import annotations

import pytest
from exchange_kit import Kit, run_cli, where

from exchange.export import preview_export
from exchange.labels import set_item_labels
from vault.errors import PermissionDenied
from vault.users import add_user
from vaultkit import PASSWORD, audit_rows


def test_preview_lists_each_item_with_the_policy_reason(kit: Kit) -> None:
    red = kit.items[0]
    set_item_labels(kit.a, [red], "RED")
    before = len(audit_rows(kit.a))
    preview = preview_export(kit.a, "NL-1", "BKA", "joint-operation")
    assert not preview.allowed and preview.agreement is not None
    assert [v.item for v in preview.verdicts] == sorted(kit.items)
    refused = [v for v in preview.verdicts if not v.allowed]
    assert [(v.item, v.label) for v in refused] == [(red, "RED")]
    assert refused[0].reason.startswith("label RED is not allowed by agreement")
    assert all(v.reason == "" for v in preview.verdicts if v.allowed)
    others = [i for i in kit.items if i != red]
    assert preview_export(kit.a, "NL-1", "BKA", "joint-operation", others).allowed
    mla = preview_export(kit.a, "NL-1", "BKA", "mla", others)
    assert not mla.allowed and mla.agreement is None
    assert all("no active agreement with BKA for purpose mla" in v.reason for v in mla.verdicts)
    assert len(audit_rows(kit.a)) == before  # a preview is not an export: nothing recorded
    assert not list(kit.root.glob("bundle-*"))


def test_preview_needs_the_exchange_permission(kit: Kit) -> None:
    from service.opener import unlock

    add_user(kit.a, "olaf", ["officer"], PASSWORD)
    with unlock(where(kit.a), "olaf", PASSWORD) as officer, pytest.raises(PermissionDenied):
        preview_export(officer, "NL-1", "BKA", "joint-operation")
    assert audit_rows(kit.a)[-1].action == "permission.refused"


def test_cli_dry_run_prints_the_decisions_and_writes_nothing(kit: Kit) -> None:
    set_item_labels(kit.a, [kit.items[0]], "RED")
    args = ("bundle", "export", "--case", "NL-1", "--to", "BKA", "--purpose", "joint-operation")
    refused = run_cli(*args, "--dry-run", vault=where(kit.a), user="anna")
    assert refused.returncode == 4, refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: export to BKA would be refused for 1 of 3 item(s); nothing written"
    ], refused.stderr
    lines = refused.stdout.splitlines()
    assert len(lines) == 3 and sum("REFUSED: label RED" in line for line in lines) == 1
    assert "Traceback" not in refused.stderr
    ok = [str(i) for i in kit.items[1:]]
    items = [a for i in ok for a in ("--items", i)]
    allowed = run_cli(*args, *items, "--dry-run", vault=where(kit.a), user="anna")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.splitlines()[-1].startswith("allowed under agreement ")
    assert not list(kit.root.glob("bundle-*"))
