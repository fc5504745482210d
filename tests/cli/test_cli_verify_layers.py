"""``custos verify`` from the command line checks every layer's tables and names rows in words.

The CLI once imported no matching or exchange model, so a watchlist's alert threshold or an
agreement's end date edited straight in the database passed ``custos verify`` with exit 0; and
rows of those layers were named by their Python repr.
"""

from __future__ import annotations

import os
from pathlib import Path

from exchange import directory
from exchange.labels import set_item_labels
from matching.watchlists import create_watchlist
from service.opener import init_vault
from vault.cases import create_case
from vault.ingest import CustodyForm, ingest
from vault.items import list_items
from vault.users import add_user
from vaultkit import FAST_KDF, PASSWORD, new_vault, open_as, run_cli, sql


def _stock(tmp_path: Path) -> tuple[Path, int, str]:
    """A vault with a row in every layer: case, item, user, watchlist, partner, agreement,
    label. Returns the folder, the item id and its name."""
    folder = tmp_path / "vault"
    session, _ = new_vault(folder)
    partner, _ = init_vault(tmp_path / "b", "bernd", PASSWORD, kdf=FAST_KDF)
    try:
        directory.set_agency(partner, "Agency-B", "DE", "desk@b.example")
        directory.set_agency(session, "Agency-A", "NL", "desk@a.example")
        card, _ = directory.our_card(partner)
        directory.add_partner(session, card, "card")
        directory.add_agreement(session, "Agency-B", "mla", "AMBER", "2030-12-31", "MLA-1")
        add_user(session, "olga", ["officer"], PASSWORD)
        create_case(session, "C-1", "Harbour seizure")
        (tmp_path / "card").mkdir()
        (tmp_path / "card" / "a.jpg").write_bytes(os.urandom(2000))
        ingest(session, "C-1", [tmp_path / "card"], CustodyForm(seized_from="Harbour"))
        [item] = list_items(session, "C-1")
        set_item_labels(session, [item.id], "GREEN")
        create_watchlist(session, "wanted")
    finally:
        session.close()
        partner.close()
    return folder, item.id, item.name


def test_cli_verify_names_an_edited_row_of_every_layer(tmp_path: Path) -> None:
    folder, item_id, name = _stock(tmp_path)
    assert run_cli("verify", vault=folder).returncode == 0
    with open_as(folder) as s:
        sql(s, "UPDATE users SET roles = 'admin' WHERE name = 'olga'")
        sql(s, "UPDATE cases SET title = 'nothing here' WHERE reference = 'C-1'")
        sql(s, "UPDATE items SET seized_from = 'Airport' WHERE id = :id", id=item_id)
        sql(s, "UPDATE watchlists SET alert_threshold = 0.99 WHERE name = 'wanted'")
        sql(s, "UPDATE exchange_agreements SET valid_until = '2099-01-01'")
        sql(s, "UPDATE exchange_item_labels SET tlp = 'CLEAR' WHERE item_id = :id", id=item_id)
    result = run_cli("verify", vault=folder)
    assert result.returncode == 5, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
    # olga's slot still opens the vault while her row is not as recorded: named too (fix11)
    slot = [line for line in problems if line.startswith("PROBLEM vault.toml: slot ")]
    assert len(slot) == 1 and slot[0].endswith(
        "is held by no enabled user whose row is as the audit log recorded "
        "(user 'olga': row edited outside Custos)"
    )
    assert [line for line in problems if line not in slot] == [
        "PROBLEM user 'olga': roles changed (edited outside Custos)",
        "PROBLEM case C-1: title changed (edited outside Custos)",
        f"PROBLEM item {item_id} ({name}): seized_from changed (edited outside Custos)",
        "PROBLEM watchlist 'wanted': alert_threshold changed (edited outside Custos)",
        "PROBLEM agreement with 'Agency-B' (MLA-1): valid_until changed (edited outside Custos)",
        f"PROBLEM label of item {item_id} ({name}): tlp changed (edited outside Custos)",
    ]
    assert "object at 0x" not in result.stdout


def test_cli_verify_names_deleted_rows_of_other_layers(tmp_path: Path) -> None:
    folder, _, _ = _stock(tmp_path)
    with open_as(folder) as s:
        sql(s, "DELETE FROM watchlists WHERE name = 'wanted'")
        sql(s, "DELETE FROM exchange_agreements")
    result = run_cli("verify", vault=folder)
    assert result.returncode == 5
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problems == [
        "PROBLEM watchlist 'wanted': is in the audit log but was deleted",
        "PROBLEM agreement with 'Agency-B' (MLA-1): is in the audit log but was deleted",
    ]


def test_a_head_pinned_outside_catches_a_rollback_and_a_rewrite(tmp_path: Path) -> None:
    """An admin wrote down the head; later the whole vault folder is put back to an older copy
    (which verifies on its own): ``verify --head`` names the missing entries."""
    import shutil

    from vault.cases import create_case

    folder, _, _ = _stock(tmp_path)
    shutil.copytree(folder, tmp_path / "old-copy")
    with open_as(folder) as s:
        create_case(s, "C-2", "after the copy")
    pinned = run_cli("audit", "head", vault=folder).stdout.splitlines()[0]
    seq = int(pinned.split()[0])
    assert run_cli("verify", "--head", pinned, vault=folder).returncode == 0
    shutil.rmtree(folder)
    shutil.copytree(tmp_path / "old-copy", folder)
    result = run_cli("verify", "--head", pinned.replace(" ", ":"), vault=folder)
    assert result.returncode == 5
    assert [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")] == [
        f"PROBLEM audit #{seq}: entries up to #{seq} were removed (a head pinned outside "
        "names them: the log was truncated or the vault rolled back)"
    ]
    # the old copy verifies on its own (and records that it did): the entry at the pinned
    # number is now another one
    assert run_cli("verify", vault=folder).returncode == 0
    result = run_cli("verify", "--head", pinned, vault=folder)
    assert [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")] == [
        f"PROBLEM audit #{seq}: differs from the head pinned outside (the history was rewritten)"
    ]
    bad = run_cli("verify", "--head", "12:xyz", vault=folder)
    assert bad.returncode == 2 and "is not an audit head" in bad.stderr
