"""Small objects in packs (``vault.packs``): many per age file, and every promise kept.

A seized phone's thousands of small files make a few files in the vault, each item reads back
exactly, stock ``age`` + ``tar`` recover them (test_confidentiality.py), a flipped byte names the
items it hit and no other, a pack no row names goes at the next open, a vault-key rotation
re-wraps packs, and a vault of format 2 (frozen under ``data/format2``) is upgraded in place.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select, update

import vault.config as config_module
from vault import agefmt, keys, packs, upgrade
from vault.config import VaultConfig
from vault.errors import IntegrityFault
from vault.ingest import POOL_MIN_FILES, ingest
from vault.items import read_item_bytes
from vault.jobs import ignore
from vault.models import Blob, Item
from vault.rotation import rotate_vault_key
from vault.session import Session
from vault.verify import VerifyJob, verify
from vaultkit import (
    StoredObject,
    audit_rows,
    blob_files,
    open_as,
    pack_files,
    place_of,
    stored_names,
    stored_object,
    stored_objects,
)

COUNT = POOL_MIN_FILES + 44
FROZEN = Path(__file__).parent / "data" / "format2"


def _phone_dump(root: Path, count: int = COUNT) -> dict[str, bytes]:
    """Small files as on a seized phone (every tenth the same content), and two larger ones."""
    files = {}
    for n in range(count):
        files[f"DCIM/f{n:04}.bin"] = b"same" if n % 10 == 0 else os.urandom(1 + n * 37 % 9000)
    files["big/video.mp4"] = os.urandom(packs.PACK_MAX + 10)
    files["big/exact.bin"] = os.urandom(packs.PACK_MAX)  # the threshold itself: its own blob
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return {f"{root.name}/{rel}": data for rel, data in files.items()}  # as items name them


def _items(session: Session) -> list[Item]:
    with session.db() as db:
        return list(db.scalars(select(Item).order_by(Item.id)))


def _locations(session: Session) -> dict[str, tuple[str, int, int]]:
    with session.db() as db:
        rows = db.execute(select(Blob.name, Blob.pack, Blob.pack_offset, Blob.size))
        return {name: (pack, offset, size) for name, pack, offset, size in rows}


@pytest.mark.local_only(
    "hundreds of ranged reads: on a server, "
    "test_backends.py::test_small_files_go_into_packs_and_read_back"
)
def test_a_phone_dump_makes_a_few_files_and_every_item_reads_back(
    admin: Session, case: str, tmp_path: Path
) -> None:
    files = _phone_dump(tmp_path / "phone")
    result = ingest(admin, case, [tmp_path / "phone"])
    assert len(result.saved) == COUNT + 2 and not result.failed
    assert len(stored_names(admin, "packs")) == 1
    assert len(stored_names(admin)) == 2  # the two at or above PACK_MAX
    assert not list((admin.folder / "tmp").iterdir())
    distinct = {hashlib.sha256(d).hexdigest() for d in files.values()}
    with admin.db() as db:
        assert len(db.scalars(select(Blob.name)).all()) == len(distinct)  # same content once
    for item in _items(admin):
        assert read_item_bytes(admin, item.id) == files[item.name], item.name
    report = verify(admin)
    assert report.ok, report.problems
    assert report.blobs == len(distinct)


def _flip(pack: StoredObject, at: int) -> None:
    data = bytearray(pack.read_bytes())
    data[at] ^= 0x40
    pack.write_bytes(bytes(data))


def _payload_start(pack: StoredObject, session: Session) -> int:
    with io.BytesIO(pack.read_bytes()) as fh:
        agefmt.read_file_key(fh, session.age_identity)
        return fh.tell() + 16


def test_a_flipped_byte_in_a_pack_names_the_items_it_hit_and_no_other(
    admin: Session, case: str, tmp_path: Path
) -> None:
    _phone_dump(tmp_path / "phone")
    ingest(admin, case, [tmp_path / "phone"])
    [pack] = stored_objects(admin, "packs")
    chunk = 7
    _flip(pack, _payload_start(pack, admin) + chunk * (agefmt.CHUNK + agefmt.TAG) + 100)
    where = _locations(admin)

    def in_chunk(item: Item) -> bool:
        _, offset, size = where[item.blob_name]
        first, last = offset // agefmt.CHUNK, (offset + max(size, 1) - 1) // agefmt.CHUNK
        return where[item.blob_name][0] != "" and first <= chunk <= last

    hit = [item for item in _items(admin) if in_chunk(item)]
    assert 0 < len(hit) < COUNT // 4
    report = verify(admin)
    assert [str(p) for p in report.problems] == [
        f"item {i.id} ({i.name}): stored copy fails authentication (altered or damaged)"
        for i in hit
    ]
    # The others still read; a hit one is one line, no traceback.
    spared = next(i for i in _items(admin) if where[i.blob_name][0] and not in_chunk(i))
    assert read_item_bytes(admin, spared.id) == (tmp_path / spared.name).read_bytes()
    with pytest.raises(IntegrityFault, match=rf"item {hit[0].id} .*fails authentication"):
        read_item_bytes(admin, hit[0].id)


@pytest.mark.local_only(
    "the pack read once per item: on a server, "
    "test_a_flipped_byte_in_a_pack_names_the_items_it_hit_and_no_other"
)
def test_a_pack_whose_header_is_damaged_names_every_item_in_it(
    admin: Session, case: str, tmp_path: Path
) -> None:
    _phone_dump(tmp_path / "phone", count=POOL_MIN_FILES)
    ingest(admin, case, [tmp_path / "phone"])
    [pack] = stored_objects(admin, "packs")
    _flip(pack, 40)  # inside the first recipient stanza
    packed = [i for i in _items(admin) if _locations(admin)[i.blob_name][0]]
    report = verify(admin)
    assert len(report.problems) == len(packed) == POOL_MIN_FILES
    assert {p.what for p in report.problems} == {
        "stored copy fails authentication (its pack is altered or damaged)"
    }
    pack.unlink()
    assert {p.what for p in verify(admin).problems} == {
        "stored copy is missing (its pack is missing)"
    }


def test_one_object_is_read_without_decrypting_its_whole_pack(
    admin: Session, case: str, tmp_path: Path
) -> None:
    """Only the chunks holding the object are decrypted: one far away may be damaged."""
    files = _phone_dump(tmp_path / "phone")
    ingest(admin, case, [tmp_path / "phone"])
    [pack] = stored_objects(admin, "packs")
    size = len(pack.read_bytes())
    _flip(pack, size - 200)  # the last chunk: the index and the end of the archive
    where = _locations(admin)
    first = next(i for i in _items(admin) if where[i.blob_name][0])
    assert where[first.blob_name][1] < agefmt.CHUNK
    assert read_item_bytes(admin, first.id) == files[first.name]


def test_a_pack_no_row_names_is_removed_when_the_vault_next_opens(
    admin: Session, case: str, tmp_path: Path
) -> None:
    """What a crash between sealing a pack and the commit leaves behind (the SIGKILL test of
    the CLI, tests/cli/test_cli_interrupts.py, makes it for real)."""
    _phone_dump(tmp_path / "phone")
    ingest(admin, case, [tmp_path / "phone"])
    [pack] = stored_names(admin, "packs")
    orphan = stored_object(admin, "ff" + "0" * 30, "packs")
    orphan.write_bytes(stored_object(admin, pack, "packs").read_bytes())
    admin.backend.store.mark_unsettled()  # a session moved something in, then died
    admin.close()
    with open_as(place_of(admin)) as session:
        assert stored_names(session, "packs") == [pack]
        assert verify(session).ok


def test_a_vault_key_rotation_rewraps_every_pack(admin: Session, case: str, tmp_path: Path) -> None:
    files = _phone_dump(tmp_path / "phone")
    ingest(admin, case, [tmp_path / "phone"])
    [pack] = stored_objects(admin, "packs")  # a folder's file, a bucket's object
    old = admin.age_identity
    rotate_vault_key(admin, "test")
    with pytest.raises(agefmt.AgeError):
        agefmt.read_file_key(io.BytesIO(pack.read_bytes()), old)  # the old identity: no more
    agefmt.read_file_key(
        io.BytesIO(pack.read_bytes()), keys.vault_identity(admin.vault_key_for_rotation())
    )
    for item in _items(admin)[:20]:
        assert read_item_bytes(admin, item.id) == files[item.name]
    assert verify(admin).ok


def _frozen_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "old-vault"
    shutil.copytree(FROZEN / "vault", folder)
    (folder / "tmp").mkdir(mode=0o700)
    return folder


def _frozen_note(n: int) -> bytes:
    return (f"frozen small object {n}\n" * (n * 40 + 1)).encode()


def test_a_vault_of_format_2_is_upgraded_in_place_with_the_upgrade_audited(
    tmp_path: Path,
) -> None:
    folder = _frozen_copy(tmp_path)
    assert VaultConfig.load(folder).format == 2
    assert len(blob_files(folder)) == 7 and not pack_files(folder)
    with open_as(folder) as session:
        assert VaultConfig.load(folder).format == config_module.FORMAT == 3
        assert len(blob_files(folder)) == 1  # the 70,000-byte file keeps a blob of its own
        assert len(pack_files(folder)) == 1
        [entry] = audit_rows(session, "vault.upgraded")
        assert entry.actor == "alice"
        assert '"from":2' in entry.details and '"packed":6' in entry.details
        items = _items(session)
        assert len(items) == 8
        for item in items:
            data = read_item_bytes(session, item.id)
            assert hashlib.sha256(data).hexdigest() == item.sha256
            if item.name.startswith("note"):
                assert data == _frozen_note(int(item.name[4]))
        report = verify(session)
        assert report.ok, report.problems
    with open_as(folder) as session:  # opened again: nothing more to do
        assert len(audit_rows(session, "vault.upgraded")) == 1
        assert verify(session).ok


def _open_failing(
    folder: Path, monkeypatch: pytest.MonkeyPatch, obj: object, attr: str, failing: object
) -> None:
    """Open the vault while ``obj.attr`` fails (a disk error at that step of the upgrade)."""
    with monkeypatch.context() as patch:
        patch.setattr(obj, attr, failing)
        with pytest.raises(OSError):
            open_as(folder)


def _upgraded_once(folder: Path) -> None:
    with open_as(folder) as session:
        assert VaultConfig.load(folder).format == 3
        assert len(blob_files(folder)) == 1 and len(pack_files(folder)) == 1
        assert len(audit_rows(session, "vault.upgraded")) == 1
        assert verify(session).ok


def test_an_upgrade_interrupted_after_its_commit_is_finished_at_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _frozen_copy(tmp_path)
    real = VaultConfig.save

    def power_cut(self: VaultConfig, where: Path, name: str = config_module.FILENAME) -> None:
        if self.format == 3:
            raise OSError(5, "Input/output error")
        real(self, where, name)

    _open_failing(folder, monkeypatch, VaultConfig, "save", power_cut)
    assert VaultConfig.load(folder).format == 2  # the database has the packs already
    _upgraded_once(folder)


def test_an_upgrade_interrupted_before_its_commit_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vault.upgrade as upgrade_module

    folder = _frozen_copy(tmp_path)

    def crash(path: object) -> None:
        raise OSError(5, "Input/output error")

    _open_failing(folder, monkeypatch, upgrade_module, "syncfs", crash)
    # sealed, never recorded: removed as an orphan when the failed session closed
    assert not pack_files(folder) and len(blob_files(folder)) == 7
    assert VaultConfig.load(folder).format == 2
    _upgraded_once(folder)


def test_a_packed_item_exports_and_streams_like_any_other(
    admin: Session, case: str, tmp_path: Path
) -> None:
    """The readers bundles and copies use (``read_chunks``, ``open_decrypted``)."""
    from vault.items import export_copy

    files = _phone_dump(tmp_path / "phone", count=POOL_MIN_FILES)
    ingest(admin, case, [tmp_path / "phone"])
    where = _locations(admin)
    item = [i for i in _items(admin) if where[i.blob_name][0]][-1]
    out = tmp_path / "out"
    out.mkdir()
    copy = export_copy(admin, item.id, out)
    assert copy.read_bytes() == files[item.name]
    buffer = memoryview(bytearray(agefmt.CHUNK))
    with admin.blobs.open_decrypted(item.blob_name) as plain:
        n = plain.readinto(buffer)
        assert bytes(buffer[:n]) == files[item.name] and plain.readinto(buffer) == 0


@pytest.mark.parametrize("size", [0, 1, 4096, 65_535, 8**11 - 1])
@pytest.mark.parametrize("name", ["index.jsonl", "e" * 64, "x" * 100, "é" * 50])
def test_a_member_header_is_the_one_tarfile_writes(name: str, size: int) -> None:
    """Pack member headers are made from a template (speed); stock tar must read the same bytes
    ``tarfile`` writes for the member."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    assert packs._header(name, size) == info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")


def _pack_sizes(session: Session, pack: str) -> set[int | None]:
    with session.db() as db:
        return set(db.scalars(select(Blob.pack_size).where(Blob.pack == pack)))


@pytest.mark.parametrize("change", ["appended", "truncated"])
def test_verify_names_a_pack_whose_stored_size_differs_from_its_rows(
    admin: Session, case: str, tmp_path: Path, change: str
) -> None:
    """Each pack's encrypted size is recorded with its objects' rows when it is written; a
    stored pack of another size is named by verify, and what lies past the recorded size is
    never read (the objects of a pack with bytes appended still read back, on either store)."""
    files = _phone_dump(tmp_path / "phone", count=POOL_MIN_FILES)
    ingest(admin, case, [tmp_path / "phone"])
    [pack] = stored_objects(admin, "packs")
    data = pack.read_bytes()
    assert _pack_sizes(admin, pack.name) == {len(data)}
    pack.write_bytes(data + os.urandom(1000) if change == "appended" else data[:-1000])
    report = verify(admin)
    named = [p.what for p in report.problems if p.where == f"pack {pack.name}"]
    if change == "truncated" or admin.backend.local:
        stored = len(data) + (1000 if change == "appended" else -1000)
        assert named == [
            f"stored size {stored} bytes differs from its rows' {len(data)} (altered or damaged)"
        ]
    else:  # the store sends more than recorded: cut there, the store named in one line
        assert len(named) == 1 and named[0].endswith(
            f"{pack.key}: the store sent more than the object's {len(data)} bytes"
        ), named
    if change == "appended":
        packed = [i for i in _items(admin) if _locations(admin)[i.blob_name][0]]
        for item in packed:  # the last one too: its chunk is the last by the recorded size
            assert read_item_bytes(admin, item.id) == files[item.name]


def test_a_pack_with_no_recorded_size_warns_once_and_verify_records_it(
    admin: Session, case: str, tmp_path: Path
) -> None:
    """A pack an upgrade could not size (NULL): read unbounded with one warning a session,
    then sized by the next verify that reads it whole, that write in the audit log (one
    ``blobs.pack_sized`` entry naming the pack and its size, in the chain the next verify
    checks); a verify that changes nothing (a push's check of its source) writes nothing."""
    files = _phone_dump(tmp_path / "phone", count=POOL_MIN_FILES)
    ingest(admin, case, [tmp_path / "phone"])
    [pack] = stored_objects(admin, "packs")
    size = len(pack.read_bytes())
    with admin.transaction() as db:
        db.execute(update(Blob).where(Blob.pack == pack.name).values(pack_size=None))
    packed = [i for i in _items(admin) if _locations(admin)[i.blob_name][0]]
    for item in packed[:3]:
        assert read_item_bytes(admin, item.id) == files[item.name]
    assert admin.warnings == [
        f"pack {pack.name} (and maybe others) has no recorded size: its reads are not bounded "
        "until custos verify records it"
    ]
    unchanged = VerifyJob(admin, record=False).run(ignore)
    assert unchanged.ok and _pack_sizes(admin, pack.name) == {None}
    assert not audit_rows(admin, "blobs.pack_sized")
    assert verify(admin).ok
    assert _pack_sizes(admin, pack.name) == {size}
    [sized] = audit_rows(admin, "blobs.pack_sized")
    assert sized.actor == "alice" and sized.target == f"pack:{pack.name}"
    assert json.loads(sized.details) == {"pack": pack.name, "size": size}
    again = verify(admin)
    assert again.ok, again.problems
    assert len(audit_rows(admin, "blobs.pack_sized")) == 1  # sized once


def test_the_upgrade_records_each_packs_size_from_the_store(
    admin: Session, case: str, tmp_path: Path
) -> None:
    """r0014's data step on either store (a local vault's file, a server's HEAD request): every
    pack's size recorded; a pack the store does not have stays unsized (NULL)."""
    _phone_dump(tmp_path / "phone", count=POOL_MIN_FILES)
    ingest(admin, case, [tmp_path / "phone"])
    _phone_dump(tmp_path / "phone2", count=POOL_MIN_FILES)
    ingest(admin, case, [tmp_path / "phone2"])
    first, second = stored_objects(admin, "packs")
    size = len(first.read_bytes())
    second.unlink()
    with admin.engine.begin() as conn:
        conn.execute(update(Blob).values(pack_size=None))
        assert upgrade.record_pack_sizes(conn, admin) == 1
    assert _pack_sizes(admin, first.name) == {size}
    assert _pack_sizes(admin, second.name) == {None}
