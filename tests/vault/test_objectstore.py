"""The object store interface (``vault.objectstore``) on a local folder and on the real SeaweedFS
S3 store of the trial server: what goes in comes back byte for byte, a missing object is one
clear error, listing finds orphans, and no plaintext ever reaches the store's disk."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from vault import agefmt
from vault.errors import UserError
from vault.ingest import POOL_MIN_FILES, CustodyForm, ingest
from vault.objectstore import FolderStore, ObjectMissing, S3Store, copy_objects, key_for
from vault.packs import PackWriter, read_object
from vault.session import Session
from vaultkit import blob_files, pack_files, require_tool

MARK = "ZQXMARKER-objectstore-7f3a"


def _stores(tmp_path: Path, trial_server) -> list:
    return [FolderStore(tmp_path / "store"), trial_server.object_store()]


def _age_file(tmp_path: Path, data: bytes, recipients: list[agefmt.Recipient]) -> Path:
    path = tmp_path / f"blob-{os.urandom(4).hex()}"
    with open(path, "wb") as fh:
        enc = agefmt.Encryptor(fh, recipients)
        enc.write(data)
        enc.close()
    return path


@pytest.mark.local_only(
    "the vault gives only its keys: the folder and the S3 store are both in the [local] run"
)
def test_age_files_and_packs_come_back_byte_identical_from_folder_and_s3(
    admin: Session, tmp_path: Path, trial_server
) -> None:
    recipients = admin.blobs.recipients
    big = os.urandom(3 * 1024 * 1024 + 17)  # several age chunks, several S3 reads
    blob = _age_file(tmp_path, big, recipients)
    writer = PackWriter(str(tmp_path), recipients)
    small = [os.urandom(100 + n * 397) for n in range(40)]
    offsets = [writer.add(hashlib.sha256(d).hexdigest(), d) for d in small]
    writer.seal()
    pack = Path(writer.path)
    blob_key = key_for("blobs", hashlib.sha256(b"a").hexdigest())
    pack_key = key_for("packs", os.urandom(16).hex())
    for store in _stores(tmp_path, trial_server):
        store.put(blob_key, blob)
        store.put(pack_key, pack)
        assert b"".join(store.get_chunks(blob_key)) == blob.read_bytes(), store.label
        assert b"".join(store.get_chunks(pack_key)) == pack.read_bytes(), store.label
        assert store.size(pack_key) == pack.stat().st_size
        assert store.read(pack_key, 5, 100) == pack.read_bytes()[5:105]
        with store.open(blob_key) as fh:
            assert b"".join(agefmt.decrypt_chunks(fh, admin.blobs._identity)) == big
        # a packed object read back through the store decrypts to its bytes
        with store.open(pack_key) as fh:
            copy = tmp_path / "pack-copy"
            copy.write_bytes(fh.read())
        for data, offset in zip(small, offsets, strict=True):
            assert read_object(str(copy), admin.blobs._identity, offset, len(data)) == data


def test_a_missing_object_is_one_clear_error_and_keys_are_checked(
    tmp_path: Path, trial_server
) -> None:
    key = key_for("blobs", "ab" * 32)
    for store in _stores(tmp_path, trial_server):
        assert not store.exists(key)
        for read in (
            lambda s=store: b"".join(s.get_chunks(key)),
            lambda s=store: s.size(key),
            lambda s=store: s.read(key, 0, 10),
        ):
            with pytest.raises(ObjectMissing) as caught:
                read()
            assert str(caught.value) == f"{store.label}: stored object {key} is missing"
        store.delete(key)  # deleting what is not there is no error
        for bad in ("../../etc/passwd", "blobs/ab/../../x", "/blobs/ab/" + "ab" * 32, "blobs/zz/q"):
            with pytest.raises(UserError, match="not a stored object's key"):
                store.exists(bad)


def test_listing_finds_every_object_for_orphan_cleanup(tmp_path: Path, trial_server) -> None:
    src = tmp_path / "obj"
    src.write_bytes(b"age-encryption.org/v1 stand-in")
    for store in _stores(tmp_path, trial_server):
        keys = {key_for("blobs", os.urandom(32).hex()) for _ in range(5)}
        keys |= {key_for("packs", os.urandom(16).hex()) for _ in range(3)}
        for key in keys:
            store.put(key, src)
        listed = set(store.names("blobs")) | set(store.names("packs"))
        assert keys <= listed
        orphans = sorted(keys)[:4]
        for key in orphans:
            store.delete(key)
        listed = set(store.names("blobs")) | set(store.names("packs"))
        assert not listed & set(orphans) and (keys - set(orphans)) <= listed


@pytest.mark.local_only("copies a vault folder's objects to S3: both stores are in the [local] run")
def test_evidence_copied_to_s3_is_identical_and_no_plaintext_reaches_seaweedfs(
    admin: Session, case: str, recovery_file: Path, tmp_path: Path, trial_server
) -> None:
    """A vault's blobs and packs (evidence with a marker in its bytes, its file names and its
    custody) copied into the S3 store: the same age files, which the recovery identity opens
    with stock ``age``; the marker is nowhere under SeaweedFS's data folder."""
    age = require_tool("age")
    evidence = tmp_path / f"seized-{MARK}"
    evidence.mkdir()
    (evidence / f"statement-{MARK}.txt").write_bytes((MARK + " confession\n").encode() * 20000)
    phone = evidence / "phone"
    phone.mkdir()
    for n in range(POOL_MIN_FILES + 4):
        (phone / f"chat-{n}-{MARK}.txt").write_bytes(f"{MARK} message {n}\n".encode())
    form = CustodyForm(exhibit=f"EX-{MARK}", seized_from=MARK, seized_at=MARK, seized_by=MARK)
    result = ingest(admin, case, [evidence], form)
    assert not result.failed and len(result.saved) == POOL_MIN_FILES + 5
    assert blob_files(admin.folder) and pack_files(admin.folder)
    local = FolderStore(admin.folder)
    target: S3Store = trial_server.object_store()
    copied = copy_objects(local, target)
    assert copied == len(blob_files(admin.folder)) + len(pack_files(admin.folder))
    assert copy_objects(local, target) == 0  # nothing twice
    for space in ("blobs", "packs"):
        for key in local.names(space):
            assert b"".join(target.get_chunks(key)) == b"".join(local.get_chunks(key))
    key = next(k for k in local.names("blobs"))
    fetched = tmp_path / "fetched.age"
    fetched.write_bytes(b"".join(target.get_chunks(key)))
    plain = subprocess.run(
        [age, "-d", "-i", str(recovery_file), str(fetched)], capture_output=True, check=True
    ).stdout
    assert plain.startswith(MARK.encode())
    marker = MARK.encode()
    seen = [p for p in trial_server.s3_data.rglob("*") if p.is_file() and marker in p.read_bytes()]
    assert seen == []
