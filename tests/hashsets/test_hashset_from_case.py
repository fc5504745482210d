"""``hashset from-case``: a set of a case's confirmed items, with their categories and origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hashkit import CASE, content, digests, vics_file, write_files

from matching import hashhits, hashsets
from matching.hashsets import ImportJob
from matching.hsfromcase import from_case
from vault import items
from vault.errors import UserError
from vault.ingest import ingest
from vault.jobs import CancelToken, ignore
from vault.session import Session
from vault.users import add_user
from vault.verify import verify
from vaultkit import PASSWORD, audit_rows, run_cli


def _entries(s: Session, name: str) -> dict[str, dict[str, int]]:
    info = hashsets.show_set(s, name)
    out: dict[str, dict[str, int]] = {}
    for batch in hashsets.entry_batches(s, info.id, CancelToken()):
        assert batch is not None
        cats = batch.categories or [-1] * len(batch.digests)
        out.setdefault(batch.algorithm, {}).update(
            {d.hex(): c for d, c in zip(batch.digests, cats, strict=True)}
        )
    return out


def test_confirmed_known_bad_items_become_a_set(session: Session, tmp_path: Path) -> None:
    s = session
    ImportJob(s, vics_file(tmp_path / "v.json", [1, 2], categories={1: 1, 2: 3}), "VIC",
              "known-bad").run(ignore)  # fmt: skip
    ingest(s, CASE, write_files(tmp_path / "card", range(5)))
    with pytest.raises(UserError, match="no confirmed known-bad item"):
        from_case(s, CASE, "Case set")
    first = next(a for a in hashhits.alerts(s) if a.digest == digests(content(2))["md5"])
    hashhits.acknowledge(s, first.id, "category 3 confirmed")
    info = from_case(s, CASE, "Case set")
    assert info.kind == "known-bad" and info.format == "case"
    assert info.source == f"case {CASE}" and info.file_name == f"case {CASE}"
    assert info.counts == {"md5": 1, "sha1": 1, "sha256": 1}
    d = digests(content(2))
    assert _entries(s, "Case set") == {a: {d[a]: 3} for a in ("md5", "sha1", "sha256")}
    [entry] = audit_rows(s, "hashset.made_from_case")
    assert json.loads(entry.details)["case"] == CASE
    assert verify(s).problems == []


def test_chosen_items_without_categories(session: Session, tmp_path: Path) -> None:
    s = session
    ingest(s, CASE, write_files(tmp_path / "card", range(3)))
    ids = {i.name: i.id for i in items.list_items(s, CASE)}
    chosen = [ids["file00000.bin"], ids["file00002.bin"]]
    info = from_case(s, CASE, "Chosen", "info", chosen, source="Agency X")
    assert info.source == "Agency X" and info.entries == 6
    assert all(set(v.values()) == {-1} for v in _entries(s, "Chosen").values())
    with pytest.raises(UserError, match="no item 99999"):
        from_case(s, CASE, "Other", item_ids=[99999])
    with pytest.raises(UserError, match="exists already"):
        from_case(s, CASE, "Chosen", item_ids=chosen)
    assert verify(s).problems == []


def test_officer_may_not_and_cli_works(tmp_path: Path) -> None:
    from hashkit import new_case

    from vaultkit import new_vault

    folder = tmp_path / "vault"
    s, _ = new_vault(folder)
    try:
        new_case(s)
        add_user(s, "olga", ["officer"], PASSWORD)
        ingest(s, CASE, write_files(tmp_path / "card", range(2)))
        item = items.list_items(s, CASE)[0].id
    finally:
        s.close()
    refused = run_cli("hashset", "from-case", "--case", CASE, "--name", "X",
                      "--items", str(item), vault=folder, user="olga")  # fmt: skip
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    done = run_cli("hashset", "from-case", "--case", CASE, "--name", "X",
                   "--items", str(item), vault=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"hash set X made from case {CASE} (known-bad)")
    shown = run_cli("hashset", "show", "X", "--json", vault=folder)
    assert f'"source": "case {CASE}"' in shown.stdout
