"""What the vault folder gives away to someone who copies it: nothing but sizes and counts.

And what the agency's recovery identity gives back with the plain ``age`` tool: every original.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from vault.cases import create_case
from vault.history import list_audit
from vault.ingest import POOL_MIN_FILES, CustodyForm, ingest
from vault.items import annotate, correct, custody, export_copy, get_item, read_item_bytes
from vault.models import Blob
from vault.session import Session
from vault.users import add_user
from vault.verify import verify
from vaultkit import (
    PASSWORD,
    new_vault,
    open_as,
    place_of,
    require_tool,
    sha256_of,
    stored_copy,
    stored_names,
    vault_files,
)

MARK = "Qz7VaultMarkerXv"


def _grep(folder: Path, needles: dict[str, bytes]) -> list[str]:
    """Every (file, needle) where a needle occurs in a file's bytes, case-insensitively."""
    found = []
    for path in vault_files(folder):
        data = path.read_bytes()
        lowered = data.lower()
        for label, needle in needles.items():
            if needle in data or needle.lower() in lowered:
                found.append(f"{path.relative_to(folder)} holds {label}")
    return found


@pytest.mark.local_only(
    "greps the vault folder's own files (SQLCipher file, WAL, blobs); on a server: "
    "test_sealed_columns.py::test_marker_strings_written_through_the_core_never_reach_the_data_"
    "folder"
)
def test_no_name_title_note_path_or_hash_is_readable_in_the_vault_folder(
    admin: Session, vault_dir: Path, tmp_path: Path
) -> None:
    create_case(
        admin,
        f"REF-{MARK}",
        f"Operation {MARK} harbour",
        ["drug trafficking", "money laundering"],
        operation=f"Joint-{MARK}",
        partners=[f"Agency-{MARK}"],
    )
    add_user(admin, f"officer{MARK}", ["officer"], PASSWORD)
    card = tmp_path / f"card_{MARK}"
    (card / f"sub_{MARK}").mkdir(parents=True)
    secret = card / f"sub_{MARK}" / f"{MARK}.txt"
    secret.write_bytes(f"ledger of {MARK}\n".encode() * 300)
    (card / f"photo-{MARK}.jpg").write_bytes(b"\xff\xd8" + MARK.encode() * 5000)
    form = CustodyForm(
        exhibit=f"EX-{MARK}",
        seized_from=f"Mr {MARK}",
        seized_at=f"Pier {MARK}",
        seized_on="2026-03-01T14:30:00",
        seized_by=f"Sgt {MARK}",
        description=f"phone of {MARK}",
    )
    result = ingest(admin, f"REF-{MARK}", [card, tmp_path / f"missing-{MARK}.txt"], form)
    assert len(result.saved) == 2 and len(result.failed) == 1
    first = result.saved[0]
    annotate(admin, first, f"note about {MARK}")
    correct(admin, first, "seized_at", f"Dock {MARK}", f"typo by {MARK}")
    export_copy(admin, first, tmp_path / f"export-{MARK}.bin")
    read_item_bytes(admin, first)
    assert custody(admin, first) and list_audit(admin)
    assert verify(admin).ok

    needles = {
        "the marker": MARK.encode(),
        "the marker (UTF-16)": MARK.encode("utf-16-le"),
        "the evidence path": str(tmp_path).encode(),
    }
    for item_id in result.saved:
        info = get_item(admin, item_id)
        assert info.sha256 == sha256_of(tmp_path / info.name)
        needles[f"the SHA-256 of {info.name}"] = info.sha256.encode()
        needles[f"the raw SHA-256 of {info.name}"] = bytes.fromhex(info.sha256)
        needles[f"the MD5 of {info.name}"] = info.md5.encode()
        needles[f"the SHA-1 of {info.name}"] = info.sha1.encode()
    # While the vault is open, its write-ahead log holds the latest pages: grep that too.
    open_names = {p.name for p in vault_files(vault_dir)}
    assert "custos.db-wal" in open_names, open_names
    assert _grep(vault_dir, needles) == []

    admin.close()
    assert _grep(vault_dir, needles) == []
    with open_as(vault_dir) as again:
        assert get_item(again, first).seized_at == f"Dock {MARK}"
        assert _grep(vault_dir, needles) == []


def test_blob_names_are_keyed_and_identical_content_is_stored_once(
    admin: Session, case: str, tmp_path: Path
) -> None:
    a = tmp_path / "a.bin"
    b = tmp_path / "copy-of-a.bin"
    a.write_bytes(b"same content " * 1000)
    b.write_bytes(a.read_bytes())
    first = ingest(admin, case, [a]).saved
    second = ingest(admin, case, [b, a], again=True).saved  # a.bin: a second item
    assert len(first + second) == 3
    items = [get_item(admin, i) for i in first + second]
    assert {i.name for i in items} == {"a.bin", "copy-of-a.bin"}
    assert len({i.sha256 for i in items}) == 1
    stored = stored_names(admin)
    assert len(stored) == 1
    with admin.db() as db:
        assert db.scalar(select(func.count()).select_from(Blob)) == 1
    # The name is an HMAC under the vault's key: not the hash, and different in another vault.
    assert stored[0] != sha256_of(a)
    other, _ = new_vault(tmp_path / "other-vault")
    try:
        create_case(other, case, "other")
        ingest(other, case, [a])
        assert stored_names(other) != stored
    finally:
        other.close()
    assert verify(admin).ok


def test_age_with_the_recovery_identity_restores_every_file_byte_for_byte(
    admin: Session, case: str, evidence: Path, recovery_file: Path, tmp_path: Path
) -> None:
    age = require_tool("age")
    (evidence / "exact-chunks.bin").write_bytes(bytes(range(256)) * 512)  # 2 x 64 KiB
    result = ingest(admin, case, [evidence])
    assert len(result.saved) == 5 and not result.failed
    place = place_of(admin)
    admin.close()  # recovery needs nothing of the vault but the stored objects
    with open_as(place) as session:
        items = [get_item(session, i) for i in result.saved]
        paths = {
            i.id: stored_copy(
                session, "blobs", session.blobs.name_for(i.sha256), tmp_path / f"blob-{i.id}"
            )
            for i in items
        }
    for info in items:
        blob = paths[info.id]
        assert blob.read_bytes().startswith(b"age-encryption.org/v1\n")
        assert blob.read_bytes().count(b"-> X25519 ") == 2  # the vault and the recovery key
        restored = subprocess.run(
            [age, "-d", "-i", str(recovery_file), str(blob)], capture_output=True, check=True
        ).stdout
        original = (evidence.parent / info.name).read_bytes()
        assert restored == original, info.name
        assert hashlib.sha256(restored).hexdigest() == info.sha256
        # and to a file, as an examiner would do it (age creates no file for empty output)
        out = tmp_path / f"restored-{info.id}"
        subprocess.run([age, "-d", "-i", str(recovery_file), "-o", str(out), str(blob)], check=True)
        assert (sha256_of(out) if info.size else hashlib.sha256().hexdigest()) == info.sha256


def test_age_and_tar_with_the_recovery_identity_unpack_every_pack(
    admin: Session, case: str, recovery_file: Path, tmp_path: Path
) -> None:
    """Small objects live in packs (vault.packs): stock ``age -d`` then ``tar -x`` give every
    one back, each named by its SHA-256, with an index saying where each came from."""
    age, tar = require_tool("age"), require_tool("tar")
    phone = tmp_path / "phone"
    phone.mkdir()
    for n in range(POOL_MIN_FILES + 10):
        (phone / f"IMG_{n:04}.jpg").write_bytes(b"\xff\xd8" + os.urandom(n * 53 % 6000))
    result = ingest(admin, case, [phone])
    assert len(result.saved) == POOL_MIN_FILES + 10 and not result.failed
    names = stored_names(admin, "packs")
    assert names and not stored_names(admin)
    packs = [stored_copy(admin, "packs", name, tmp_path / f"pack-{name}") for name in names]
    items = [get_item(admin, i) for i in result.saved]
    admin.close()
    members: dict[str, bytes] = {}
    index: list[dict[str, object]] = []
    for n, pack in enumerate(packs):
        out = tmp_path / f"pack{n}"
        out.mkdir()
        # age -d -i recovery.txt PACK | tar -x -C OUT
        decrypt = subprocess.Popen(
            [age, "-d", "-i", str(recovery_file), str(pack)], stdout=subprocess.PIPE
        )
        subprocess.run([tar, "-x", "-C", str(out)], stdin=decrypt.stdout, check=True)
        assert decrypt.wait() == 0
        for member in out.iterdir():
            if member.name == "index.jsonl":
                index += [json.loads(line) for line in member.read_text().splitlines()]
            else:
                members[member.name] = member.read_bytes()
    for name, data in members.items():
        assert hashlib.sha256(data).hexdigest() == name  # each member is named by its hash
    for info in items:
        assert members[info.sha256] == (tmp_path / info.name).read_bytes(), info.name
    by_hash = {entry["sha256"]: entry for entry in index}
    assert set(by_hash) == set(members)
    for info in items:
        assert by_hash[info.sha256]["name"] == str(tmp_path / info.name)
        assert by_hash[info.sha256]["size"] == info.size


def test_age_with_another_identity_cannot_open_a_blob(
    admin: Session, case: str, evidence: Path, tmp_path: Path
) -> None:
    age = require_tool("age")
    keygen = require_tool("age-keygen")
    ingest(admin, case, [evidence / "notes" / "long.bin"])
    stranger = tmp_path / "stranger.txt"
    subprocess.run([keygen, "-o", str(stranger)], check=True, capture_output=True)
    [name] = stored_names(admin)
    blob = stored_copy(admin, "blobs", name, tmp_path / "blob")
    refused = subprocess.run(
        [age, "-d", "-i", str(stranger), str(blob)], capture_output=True, check=False
    )
    assert refused.returncode != 0 and refused.stdout == b""
