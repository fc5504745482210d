"""The everyday commands, run as a user runs them: init, cases, ingest, items, custody, audit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from vault.audit import read_head_file
from vaultkit import NEW_PASSWORD, PASSWORD, blob_files, open_as, require_tool, run_cli, sha256_of

CASE = "C-1"


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def test_init_writes_the_recovery_identity_outside_the_vault(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    identity = tmp_path / "escrow" / "recovery.txt"
    identity.parent.mkdir()
    out = _ok(
        run_cli("init", "--admin", "alice", "--recovery-identity-out", str(identity), vault=vault)
    )
    assert f"vault created at {vault}" in out and "AGE-SECRET-KEY" not in out
    assert identity.read_text().strip().splitlines()[-1].startswith("AGE-SECRET-KEY-1")
    assert not any("recovery" in p.name for p in vault.iterdir())
    again = run_cli("init", "--admin", "alice", vault=vault)
    assert again.returncode == 2 and "already exists" in again.stderr
    # the escrowed identity is the vault's recovery recipient, as age itself derives it
    recipient = subprocess.run(
        [require_tool("age-keygen"), "-y", str(identity)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    assert f'recovery_recipient = "{recipient}"' in (vault / "vault.toml").read_text()
    _ok(run_cli("case", "create", CASE, "--title", "t", vault=vault))  # production KDF unlocks
    with open_as(vault) as session:
        assert session.config.kdf.memory_kib >= 64 * 1024 and session.config.kdf.iterations >= 3


def test_cases_users_and_roles(vault_dir: Path) -> None:
    _ok(
        run_cli(
            "case",
            "create",
            "OP-9",
            "--title",
            "Container port",
            "--crime",
            "drug trafficking",
            "--crime",
            "fraud",
            "--operation",
            "Trident",
            "--partner",
            "Europol",
            "--partner",
            "Guardia Civil",
            vault=vault_dir,
        )
    )
    shown = json.loads(_ok(run_cli("case", "show", "OP-9", "--json", vault=vault_dir)))
    assert shown["crime_areas"] == ["drug-trafficking", "fraud"]
    assert shown["partners"] == ["Europol", "Guardia Civil"] and shown["operation"] == "Trident"
    listed = _ok(run_cli("case", "list", vault=vault_dir))
    assert ["OP-9", "0", "items", "Container", "port"] in [
        line.split() for line in listed.splitlines()
    ]
    bad = run_cli("case", "create", "OP-10", "--title", "t", "--crime", "piracy", vault=vault_dir)
    assert bad.returncode == 2 and "unknown crime area 'piracy'" in bad.stderr
    assert shown["hash_sets"] is True
    _ok(run_cli("case", "create", "IMG-1", "--title", "images", "--no-hash-sets", vault=vault_dir))
    assert "SHA-256 only" in _ok(run_cli("case", "show", "IMG-1", vault=vault_dir))
    _ok(
        run_cli(
            "user",
            "add",
            "bob",
            "--role",
            "officer",
            "--role",
            "analyst",
            vault=vault_dir,
            CUSTOS_NEW_PASSWORD=NEW_PASSWORD,
        )
    )
    _ok(run_cli("user", "roles", "bob", "--set", "liaison,analyst", vault=vault_dir))
    users = json.loads(_ok(run_cli("user", "list", "--json", vault=vault_dir)))
    assert {u["name"]: u["roles"] for u in users}["bob"] == ["analyst", "liaison"]
    _ok(run_cli("case", "list", vault=vault_dir, user="bob", password=NEW_PASSWORD))
    _ok(run_cli("user", "disable", "bob", vault=vault_dir))
    refused = run_cli("case", "list", vault=vault_dir, user="bob", password=NEW_PASSWORD)
    assert refused.returncode == 3


def test_ingest_list_show_export_and_custody(vault_dir: Path, tmp_path: Path) -> None:
    card = tmp_path / "card"
    (card / "DCIM").mkdir(parents=True)
    (card / "DCIM" / "IMG_1.JPG").write_bytes(b"\xff\xd8" + bytes(range(256)) * 300)
    (card / "DCIM" / "IMG_2.JPG").write_bytes(b"\xff\xd8" + b"\x07" * 2000)
    (card / "copy.jpg").write_bytes((card / "DCIM" / "IMG_2.JPG").read_bytes())
    out = _ok(
        run_cli(
            "ingest",
            "--case",
            CASE,
            "--exhibit",
            "EX-4",
            "--seized-from",
            "J. Doe",
            "--seized-at",
            "Pier 4",
            "--seized-on",
            "2026-03-01T14:30",
            "--seized-by",
            "Sgt P",
            "--description",
            "camera card",
            str(card),
            vault=vault_dir,
        )
    )
    assert "saved 3 item(s) to case C-1" in out
    items = json.loads(_ok(run_cli("items", "list", "--case", CASE, "--json", vault=vault_dir)))
    assert [i["name"] for i in items] == [
        "card/copy.jpg",
        "card/DCIM/IMG_1.JPG",
        "card/DCIM/IMG_2.JPG",
    ]
    for item in items:
        assert {"id", "name", "size", "sha256", "exhibit"} <= item.keys()
        source = tmp_path / item["name"]
        assert (item["size"], item["sha256"]) == (source.stat().st_size, sha256_of(source))
        assert item["exhibit"] == "EX-4" and item["seized_on"] == "2026-03-01T14:30:00"
    assert len(blob_files(vault_dir)) == 2  # copy.jpg and IMG_2.JPG share one blob
    first = items[1]["id"]
    shown = _ok(run_cli("items", "show", str(first), vault=vault_dir))
    assert items[1]["sha256"] in shown and "Pier 4" in shown

    target = tmp_path / "exported.jpg"
    _ok(run_cli("items", "export", str(first), "--to", str(target), vault=vault_dir))
    assert target.read_bytes() == (card / "DCIM" / "IMG_1.JPG").read_bytes()
    again = run_cli("items", "export", str(first), "--to", str(target), vault=vault_dir)
    assert again.returncode == 2 and "already exists; not overwritten" in again.stderr

    _ok(run_cli("items", "annotate", str(first), "--note", "sealed in bag 42", vault=vault_dir))
    _ok(
        run_cli(
            "items",
            "correct",
            str(first),
            "--field",
            "exhibit",
            "--value",
            "EX-5",
            "--reason",
            "label misread",
            vault=vault_dir,
        )
    )
    history = json.loads(_ok(run_cli("custody", str(first), "--json", vault=vault_dir)))
    assert [e["kind"] for e in history] == ["acquired", "exported", "annotated", "corrected"]
    assert history[0]["details"]["exhibit"] == "EX-4"
    assert history[1]["details"] == {"to": str(target), "sha256": items[1]["sha256"]}
    assert history[3]["details"]["value"] == "EX-5"
    after = json.loads(_ok(run_cli("items", "show", str(first), "--json", vault=vault_dir)))
    assert after["exhibit"] == "EX-5"
    missing = run_cli("items", "show", "999", vault=vault_dir)
    assert missing.returncode == 2 and "no item with id 999" in missing.stderr


def test_audit_and_its_head(vault_dir: Path) -> None:
    entries = json.loads(_ok(run_cli("audit", "--json", vault=vault_dir)))
    assert [e["action"] for e in entries][:2] == ["vault.created", "user.added"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    head = _ok(run_cli("audit", "head", vault=vault_dir)).splitlines()
    seq, digest = head[0].split()
    pinned = read_head_file(vault_dir)
    assert pinned is not None and (int(seq), digest) == (pinned.seq, pinned.hash)
    assert (int(seq), digest) == (entries[-1]["seq"], entries[-1]["hash"])
    with open_as(vault_dir, "alice", PASSWORD) as session:
        assert head[1] == f"signed by workstation key {session.config.signing_public}"
    text = _ok(run_cli("audit", "--last", "1", vault=vault_dir))
    assert text.startswith(f"#{entries[-1]['seq']}  ")
    first = _ok(run_cli("audit", vault=vault_dir)).splitlines()[0]
    assert "Vault created (vault.created)" in first  # in words, with the name to filter on


@pytest.mark.parametrize("seq", ["100000000000000000000", "-1", str(2**63)])
def test_an_audit_head_out_of_range_is_unreadable(vault_dir: Path, seq: str) -> None:
    """A pinned seq no database column can hold is handled as an unreadable ``audit.head`` is
    (as absent: the next transaction pins the real head again), never an OverflowError."""
    digest = read_head_file(vault_dir)
    assert digest is not None
    (vault_dir / "audit.head").write_text(f"{seq} {digest.hash}\n")
    listed = run_cli("case", "list", vault=vault_dir)
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    (vault_dir / "audit.head").write_text(f"{seq} {digest.hash}\n")
    assert read_head_file(vault_dir) is None
    _ok(run_cli("case", "create", "OP-HEAD", "--title", "t", vault=vault_dir))  # pins anew
    pinned = read_head_file(vault_dir)
    assert pinned is not None and 0 < pinned.seq < 2**63
