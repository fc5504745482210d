"""The same core on both back ends: a local vault folder and an agency server (PostgreSQL over
TLS + an S3 store, the real trial server of ``tests/serverkit.py``, a database and a bucket of
each test's own). What an officer does (ingest, list, export, verify) and what verify must catch
(an object gone from the store, an audit row edited with SQL) behave the same on both."""

from __future__ import annotations

import dataclasses
import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from serverkit import TrialServer
from sqlalchemy import func, select

from service.opener import init_vault, unlock
from vault.backend import Server
from vault.blobs import blob_key
from vault.cases import create_case, list_cases
from vault.errors import PermissionDenied, UserError, VaultUnavailable
from vault.history import list_audit
from vault.ingest import CustodyForm, ingest
from vault.items import export_copy, list_items, read_item_bytes
from vault.models import Blob
from vault.session import Session
from vault.users import add_user, list_users
from vault.verify import Problem, verify
from vaultkit import FAST_KDF, PASSWORD, sql

FORM = CustodyForm(exhibit="EX-9", seized_by="Sgt Peters", description="phone dump")


@pytest.fixture(params=["local", "server"])
def where(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path | Server]:
    """Where the vault goes: a folder, or an empty database and bucket on the trial server
    (this workstation's folder for it under a cache folder of the test's own)."""
    if request.param == "local":
        yield tmp_path / "vault"
        return
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    with request.getfixturevalue("trial_server").place() as place:
        yield place


@pytest.fixture()
def alice(where: Path | Server) -> Iterator[Session]:
    session, _ = init_vault(where, "alice", PASSWORD, kdf=FAST_KDF)
    create_case(session, "C-1", "Harbour seizure", ["drug trafficking"])
    yield session
    session.close()


def test_a_folder_is_ingested_listed_exported_and_verified(
    where: Path | Server, alice: Session, evidence: Path, tmp_path: Path
) -> None:
    result = ingest(alice, "C-1", [evidence], FORM)
    assert not result.failed and len(result.saved) == 4
    listed = list_items(alice, "C-1")
    assert [i.name for i in listed] == [
        "card/DCIM/100CANON/IMG_0001.JPG",
        "card/DCIM/100CANON/IMG_0002.JPG",
        "card/notes/empty.txt",
        "card/notes/long.bin",
    ]
    (tmp_path / "out").mkdir()
    for info in listed:
        data = (evidence.parent / info.name).read_bytes()
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        out = export_copy(alice, info.id, tmp_path / "out" / str(info.id))
        assert out.read_bytes() == data
    report = verify(alice)
    assert report.ok, report.problems
    assert report.items == 4
    alice.close()
    # opened again (a second sign-in, from the vault file's key slot): the same items
    with unlock(where, "alice", PASSWORD) as again:
        assert [i.id for i in list_items(again, "C-1")] == result.saved
        assert [c.reference for c in list_cases(again)] == ["C-1"]
        assert verify(again).ok


def test_small_files_go_into_packs_and_read_back(alice: Session, tmp_path: Path) -> None:
    phone = tmp_path / "phone"
    phone.mkdir()
    for i in range(300):
        (phone / f"msg{i:04}.txt").write_bytes(f"message {i} ".encode() * (i % 50 + 1))
    result = ingest(alice, "C-1", [phone], FORM)
    assert not result.failed and len(result.saved) == 300
    with alice.db() as db:
        packed = db.scalar(select(func.count()).select_from(Blob).where(Blob.pack != ""))
        packs = db.scalar(select(func.count(func.distinct(Blob.pack))).where(Blob.pack != ""))
    assert packed == 300 and packs == 1
    by_name = {i.name: i.id for i in list_items(alice, "C-1")}
    for n in (0, 137, 299):
        data = read_item_bytes(alice, by_name[f"phone/msg{n:04}.txt"])
        assert data == f"message {n} ".encode() * (n % 50 + 1)
    report = verify(alice)
    assert report.ok, report.problems


def test_an_object_deleted_from_the_store_is_named_by_verify(
    alice: Session, evidence: Path
) -> None:
    ingest(alice, "C-1", [evidence], FORM)
    gone = next(i for i in list_items(alice, "C-1") if i.name.endswith("IMG_0002.JPG"))
    alice.blobs.store.delete(blob_key(alice.blobs.name_for(gone.sha256)))
    problems = verify(alice).problems
    assert problems == [Problem(f"item {gone.id} ({gone.name})", "stored copy is missing")]


def test_an_audit_row_changed_with_sql_is_named_by_verify(alice: Session, evidence: Path) -> None:
    ingest(alice, "C-1", [evidence], FORM)
    seq = list_audit(alice, action="case.created")[-1].seq
    sql(alice, "UPDATE audit SET actor = 'mallory' WHERE seq = :seq", seq=seq)
    problems = verify(alice).problems
    assert problems and problems[0].where == f"audit #{seq}"


def test_a_user_without_the_role_is_refused_and_the_refusal_is_audited(
    where: Path | Server, alice: Session, evidence: Path
) -> None:
    add_user(alice, "ana", ["analyst"], PASSWORD)
    assert [u.name for u in list_users(alice)] == ["alice", "ana"]
    with unlock(where, "ana", PASSWORD) as ana, pytest.raises(PermissionDenied):
        ingest(ana, "C-1", [evidence], FORM)
    refused = list_audit(alice, action="permission.refused")
    assert [r.actor for r in refused] == ["ana"]
    assert verify(alice).ok


def test_an_orphan_object_goes_only_once_no_other_session_has_the_vault_open(
    where: Path | Server, alice: Session
) -> None:
    """An object stored that no committed row names (a crash between the store and the commit)
    is removed by the last session to close, never while another (on another workstation) has
    the vault open: its commit may be in flight."""
    other = unlock(where, "alice", PASSWORD)
    orphan = "ab" * 32
    with alice.blobs.temp_file() as (tmp, fh):
        fh.write(b"an interrupted ingest's object")
        fh.flush()
        assert alice.blobs.move_in(tmp, orphan)
    store = alice.blobs.store
    alice.close()
    assert store.exists(blob_key(orphan))  # the other session still has the vault open
    other.close()
    assert not store.exists(blob_key(orphan))
    with unlock(where, "alice", PASSWORD) as again:
        assert verify(again).ok


def test_init_refuses_a_server_or_folder_that_already_holds_a_vault(
    where: Path | Server, alice: Session
) -> None:
    with pytest.raises(UserError) as refused:
        init_vault(where, "bob", PASSWORD, kdf=FAST_KDF)
    assert "\n" not in str(refused.value)
    assert "already" in str(refused.value)


def test_a_server_no_one_answers_at_is_one_line(
    trial_server: TrialServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    with socket.socket() as s:  # a port no one listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = dataclasses.replace(trial_server.connection.address, port=port)
    nowhere = Server(address.url(), trial_server.connection.credentials)
    with pytest.raises(VaultUnavailable) as refused:
        unlock(nowhere, "alice", PASSWORD)
    assert str(refused.value) == (
        f"PostgreSQL at 127.0.0.1:{port}: no server answers "
        "(is it running? custos server status DIR)"
    )


def test_a_wrong_server_password_is_one_line(
    trial_server: TrialServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    with trial_server.place() as place, pytest.raises(VaultUnavailable) as refused:
        wrong = dataclasses.replace(place.credentials, password="not-the-password")
        init_vault(Server(place.url, wrong), "alice", PASSWORD, kdf=FAST_KDF)
    assert str(refused.value) == (
        f"PostgreSQL at 127.0.0.1:{trial_server.connection.address.port}: "
        "password refused for custos (check PGPASSWORD)"
    )
