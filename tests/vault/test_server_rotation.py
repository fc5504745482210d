"""Vault-key rotation on an agency server (``vault.serverrotation``): a password change and a
user disabled revoke there as in a local vault. The real trial server (PostgreSQL over TLS,
SeaweedFS S3), real processes killed with SIGKILL, no mocks.

The attacker is an insider who kept the vault file's row (or read it) while their password
worked: their slot gives them the old vault key K. After the rotation, K must open no sealed
cell of any table and no re-wrapped object."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from relaykit import Relay
from serverkit import TrialServer, listing_also_naming, markers_in_data_folder
from sqlalchemy import select, update

from service.opener import init_agency_vault, recover
from vault import agefmt, keys, sealing
from vault.backend import VAULT_LOCK, Server
from vault.blobs import blob_key
from vault.cases import create_case
from vault.errors import AuthenticationFailed, IntegrityFault, VaultUnavailable
from vault.ingest import POOL_MIN_FILES, ingest
from vault.jobs import ignore
from vault.models import Blob, Meta
from vault.rotation import rotate_vault_key
from vault.schema import Schema
from vault.server.address import parse
from vault.serverrotation import REWRAP_PENDING, RewrapIncomplete, rewrap_object
from vault.session import Session
from vault.users import add_user, change_password, disable_user
from vault.verify import verify
from vaultkit import (
    FAST_KDF,
    NEW_PASSWORD,
    PASSWORD,
    StoredObject,
    audit_rows,
    key_from_vault_file,
    one_clear_line,
    open_as,
    read_all_evidence,
    run_cli,
    stored_objects,
    vault_file_text,
)

pytestmark = pytest.mark.server
EVIDENCE = 5  # objects the fixture stores (the camera card's four files, one photo)
ROOT = Path(__file__).resolve().parents[2]


def _connection(place: Server) -> Any:
    from vault.server import postgres

    return postgres.connect(parse(place.url), place.credentials.password)


def _cells(place: Server, schema: Schema, vault_key: bytes) -> dict[tuple[str, str, str], Any]:
    """Every sealed cell of every table, read raw from PostgreSQL and opened under
    ``vault_key``: (table, column, row) -> the plain value, or "FAILS" if it does not open."""
    sealer = sealing.Sealer(vault_key)
    out: dict[tuple[str, str, str], Any] = {}
    with _connection(place) as conn:
        for part in sealing.resealed_tables(schema.tables):
            name = part.table.name
            cols = ", ".join(
                f'"{c}"' for c in [c for c, _, _ in part.sealed] + [c for c, _ in part.digests]
            )
            head = f'"{part.row_key}"::text' if part.row_key else "''"
            rows = conn.execute(f'SELECT {head}, ctid::text, {cols} FROM "{name}"').fetchall()
            for row in rows:
                row_key, where = row[0], row[1]
                for j, (column, label, _) in enumerate(part.sealed):
                    stored = row[2 + j]
                    if stored is None:
                        continue
                    try:
                        value: Any = sealer.open(label, row_key.encode() + b"\x00" + stored)
                    except IntegrityFault:
                        value = "FAILS"
                    out[(name, column, row_key)] = value
                for j, (column, label) in enumerate(part.digests):
                    stored = row[2 + len(part.sealed) + j]
                    try:
                        value = sealer.digests(label).open(stored)
                    except IntegrityFault:
                        value = "FAILS"
                    out[(name, column, str(value) if value != "FAILS" else where)] = value
    return out


def _opened_cells(cells: dict[tuple[str, str, str], Any]) -> dict[tuple[str, str, str], Any]:
    return {k: v for k, v in cells.items() if v != "FAILS"}


def _objects_open(session: Session, vault_key: bytes) -> list[bool]:
    identity = keys.vault_identity(vault_key)
    store = session.backend.store
    out = []
    for space in ("blobs", "packs"):
        for key in store.names(space):
            with store.open(key) as fh:
                try:
                    agefmt.read_file_key(fh, identity)
                    out.append(True)
                except agefmt.AgeError:
                    out.append(False)
    return out


@pytest.fixture()
def recovery_file(tmp_path: Path) -> Path:
    return tmp_path / "recovery.txt"


@pytest.fixture()
def stored(
    server_place: Server,
    evidence: Path,
    recovery_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    faces_dir: Path,
) -> Iterator[Session]:
    """alice's session on a new agency vault (this workstation enrolled, as ``init`` does on a
    server), evidence in case C-1 (a real photo: its PDQ hash is sealed), officer xavier, a hash
    set; the recovery identity in ``recovery_file``."""
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache-here"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-here"))
    session, recovery, _ = init_agency_vault(
        server_place, "alice", PASSWORD, "desk-1", kdf=FAST_KDF
    )
    assert recovery is not None
    recovery_file.write_text(str(recovery))
    create_case(session, "C-1", "Harbour seizure", ["drug trafficking"])
    ingest(session, "C-1", [evidence, faces_dir / "knn" / "train" / "biden" / "biden.jpg"])
    add_user(session, "xavier", ["officer"], PASSWORD)
    _hash_set(session, tmp_path)
    yield session
    session.close()


def _hash_set(session: Session, tmp_path: Path) -> None:
    """A VICS set whose digests (deterministic AES-SIV on a server: ``hashset_entries`` and
    ``hashset_categories``) include one of the evidence files'."""
    import hashlib

    from matching import hashsets

    known = hashlib.sha256(b"\xff\xd8" + b"\x01" * 5000).hexdigest().upper()
    media = [{"MediaID": 1, "Category": 2, "SHA256": known}]
    media += [{"MediaID": i, "Category": 1, "MD5": os.urandom(16).hex()} for i in range(2, 40)]
    doc = {"@odata.context": hashsets.VICS_CONTEXT, "value": media}
    (tmp_path / "set.json").write_text(json.dumps(doc))
    hashsets.ImportJob(session, tmp_path / "set.json", "seized", "known-bad").run(ignore)


def _hash_hits(session: Session) -> list[tuple[Any, ...]]:
    """What the set finds among the vault's items (by the sealed digests' equality)."""
    from matching.hashhits import active_sets, look_up
    from vault.models import Item
    from vault.schema import Acquired

    with session.db() as db:
        items = [
            Acquired(i.id, i.case_id, i.sha256, i.sha1, i.md5) for i in db.scalars(select(Item))
        ]
        return sorted(tuple(f[2:]) for f in look_up(db, active_sets(db), items))


def test_disabled_users_old_key_opens_no_current_sealed_value_nor_object(
    stored: Session, server_place: Server
) -> None:
    schema = stored.schema
    old_key = key_from_vault_file(vault_file_text(server_place), "xavier", PASSWORD)
    before = _cells(server_place, schema, old_key)
    # The method works: every cell opens under K before the rotation, objects too.
    assert before and "FAILS" not in before.values()
    assert all(_objects_open(stored, old_key))
    tables = {t for t, _, _ in before}
    assert {"users", "meta", "audit", "items", "blobs", "workstations"} <= tables, tables
    assert {"hashset_entries", "hashset_categories", "pdq_hashes"} <= tables, tables
    hits = _hash_hits(stored)
    assert len(hits) == 1, hits
    result = disable_user(stored, "xavier")
    assert result.slots == 1 and result.blobs > 0
    after_old = _cells(server_place, schema, old_key)
    assert after_old and set(after_old.values()) == {"FAILS"}  # not one cell opens under K
    assert not any(_objects_open(stored, old_key))
    new_key = stored.vault_key_for_rotation()
    after = _opened_cells(_cells(server_place, schema, new_key))
    # every sealed value reads back the same (the audit log gained its entries, meta its rows)
    changed = {k for k, v in _opened_cells(before).items() if after.get(k) != v}
    assert {k[0] for k in changed} <= {"meta"}, sorted(changed)[:5]
    assert {k[2] for k in changed} == {"previous_age_identities"} or not changed
    with pytest.raises(AuthenticationFailed):
        open_as(server_place, "xavier")
    assert _hash_hits(stored) == hits  # the digests' equality holds under the new key
    assert read_all_evidence(stored) == EVIDENCE
    report = verify(stored)
    assert report.ok, report.problems
    entry = audit_rows(stored, "keys.vault_rotated")[-1]
    assert json.loads(entry.details)["trigger"] == "user.disabled"


def test_old_password_opens_nothing_current_and_the_new_one_everything(
    stored: Session, server_place: Server
) -> None:
    old_text = vault_file_text(server_place)
    old_key = key_from_vault_file(old_text, "xavier", PASSWORD)
    other = open_as(server_place, "xavier")
    other.close()
    change_password(stored, "xavier", NEW_PASSWORD)
    assert vault_file_text(server_place) != old_text
    with pytest.raises(AuthenticationFailed):
        open_as(server_place, "xavier", PASSWORD)
    assert set(_cells(server_place, stored.schema, old_key).values()) == {"FAILS"}
    session = open_as(server_place, "xavier", NEW_PASSWORD)
    try:
        assert read_all_evidence(session) == EVIDENCE
    finally:
        session.close()
    # alice's own password, her workstation key file (sealed under a kept subkey) still work
    again = open_as(server_place, "alice")
    try:
        assert again.workstation is not None
        report = verify(again)
        assert report.ok, report.problems
    finally:
        again.close()


def test_refused_in_one_line_while_another_workstation_has_the_vault_open(
    stored: Session, server_place: Server
) -> None:
    other = open_as(server_place, "xavier")
    try:
        with pytest.raises(VaultUnavailable) as refused:
            rotate_vault_key(stored, "scheduled")
        line = str(refused.value)
        assert "another Custos process" in line and "\n" not in line
        assert not audit_rows(stored, "keys.vault_rotated")
    finally:
        other.close()


_CHILD = r"""
import json, os, signal, sys, time
from collections.abc import Iterator
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from vault.backend import VAULT_LOCK, Server
from vault.jobs import Progress
from vault.rotation import rotate_vault_key
from vault.server.address import Credentials
from vaultkit import open_as

given = json.loads(os.environ["ROTATION_PLACE"])
place = Server(given["url"], Credentials(**given["credentials"]))
session = open_as(place)
stage, after = sys.argv[2], int(sys.argv[3])
seen = 0

def emit(event):
    global seen
    if isinstance(event, Progress) and event.message.startswith(stage):
        seen += 1
        if seen > after and sys.argv[4:] == ["pause"]:
            if seen == after + 1:
                print("pausing", flush=True)
                time.sleep(4)
        elif seen > after:
            print("killing at", event.done, event.total, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

rotate_vault_key(session, "drill", emit)
print("finished", flush=True)
"""


def _child_env(place: Server) -> dict[str, str]:
    given = {
        "url": place.url,
        "credentials": {
            "password": place.credentials.password,
            "access_key": place.credentials.access_key,
            "secret_key": place.credentials.secret_key,
        },
    }
    return {**os.environ, "ROTATION_PLACE": json.dumps(given)}


def _killed_rotation(place: Server, stage: str, after: int) -> str:
    env = _child_env(place)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT), stage, str(after)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    return proc.stdout


def _shared_hold(place: Server) -> Any:
    """Another workstation's hold on the vault (its ``VAULT_LOCK`` held shared), as a
    connection to close."""
    conn = _connection(place)
    conn.execute("SELECT pg_advisory_lock_shared(%s)", (VAULT_LOCK,))
    return conn


def _many_objects(session: Session, tmp_path: Path, n: int) -> None:
    """``n`` files stored as blobs of their own (above the pack threshold)."""
    card = tmp_path / "many"
    card.mkdir()
    for i in range(n):
        (card / f"f{i:03}.bin").write_bytes(os.urandom(70_000 + i))
    ingest(session, "C-1", [card])


def test_sigkill_before_the_commit_leaves_the_old_key_opening_everything(
    stored: Session, server_place: Server, tmp_path: Path
) -> None:
    _many_objects(stored, tmp_path, 40)
    blobs = read_all_evidence(stored)
    old_text = vault_file_text(server_place)
    old_key = stored.vault_key_for_rotation()
    schema = stored.schema
    stored.close()
    out = _killed_rotation(server_place, "sealing the records", 1)
    assert "killing at" in out
    assert vault_file_text(server_place) == old_text
    cells = _cells(server_place, schema, old_key)
    assert cells and "FAILS" not in cells.values()
    session = open_as(server_place)
    try:
        assert session.vault_key_for_rotation() == old_key
        assert not audit_rows(session, "keys.vault_rotated")
        assert read_all_evidence(session) == blobs
        report = verify(session)
        assert report.ok, report.problems
    finally:
        session.close()


def test_sigkill_during_the_object_rewrap_is_resumed_at_the_next_open(
    stored: Session, server_place: Server, tmp_path: Path, recovery_file: Path
) -> None:
    _many_objects(stored, tmp_path, 20)
    blobs = read_all_evidence(stored)
    old_key = stored.vault_key_for_rotation()
    stored.close()
    out = _killed_rotation(server_place, "re-wrapping", 5)
    assert "killing at" in out
    # committed: the old key opens no record; some objects are re-wrapped, some not yet.
    # Another workstation has the vault open (its shared hold): an open leaves the re-wrap.
    other = _shared_hold(server_place)
    session = open_as(server_place, "xavier")
    try:
        assert session.vault_key_for_rotation() != old_key
        opened = _objects_open(session, old_key)
        assert any(opened) and not all(opened), "killed mid-way through the objects"
        # every object reads meanwhile (the old identity, sealed under K', opens the rest)
        assert read_all_evidence(session) == blobs
        with session.db() as db:
            assert db.get(Meta, REWRAP_PENDING) is not None
    finally:
        session.close()
        other.close()
    # the recovery identity's open holds the vault alone: it finishes the re-wrap
    again = recover(server_place, recovery_file.read_text(), "alice", PASSWORD)
    try:
        with again.db() as db:
            assert db.get(Meta, REWRAP_PENDING) is None
        assert not any(_objects_open(again, old_key))
        assert all(_objects_open(again, again.vault_key_for_rotation()))
        assert read_all_evidence(again) == blobs
        report = verify(again)
        assert report.ok, report.problems
        assert len(audit_rows(again, "keys.vault_rotated")) == 1
    finally:
        again.close()


def test_verify_finishes_an_interrupted_rewrap(
    stored: Session, server_place: Server, tmp_path: Path
) -> None:
    _many_objects(stored, tmp_path, 20)
    stored.close()
    _killed_rotation(server_place, "re-wrapping", 5)
    # opened while another workstation holds it too: the open leaves the re-wrap; verify, once
    # the vault is this process's alone, finishes it
    other = _shared_hold(server_place)
    session = open_as(server_place)
    with session.db() as db:
        assert db.get(Meta, REWRAP_PENDING) is not None
    other.close()
    try:
        report = verify(session)
        assert report.ok, report.problems
        with session.db() as db:
            assert db.get(Meta, REWRAP_PENDING) is None
        assert all(_objects_open(session, session.vault_key_for_rotation()))
    finally:
        session.close()


def test_an_object_gone_from_an_interrupted_rewrap_blocks_neither_sign_in_nor_verify(
    stored: Session, server_place: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The re-wrap of an interrupted rotation is resumed at the next open that holds the vault
    alone. One object the listing names is gone (the operator deleted it after S3 listed it: a
    streamed listing can name it still): the open still works, with one warning line naming it;
    every other object is re-wrapped, the marker stays; verify reports instead of failing."""
    from vault.objectstore import S3Store

    _many_objects(stored, tmp_path, 20)
    stored.close()
    _killed_rotation(server_place, "re-wrapping", 5)
    other = _shared_hold(server_place)  # the open below leaves the re-wrap: we pick the victim
    session = open_as(server_place)
    try:
        victim = max(session.backend.store.names("blobs"))
        session.backend.store.delete(victim)  # the operator holds the bucket
    finally:
        session.close()
        other.close()
    listed, stale = S3Store.names, listing_also_naming(victim)
    monkeypatch.setattr(S3Store, "names", stale)
    session = open_as(server_place)  # holds the vault alone: resumes, and goes on
    try:
        [warning] = session.warnings
        assert victim in warning and "unfinished" in warning
        assert "\n" not in warning
        with session.db() as db:
            assert db.get(Meta, REWRAP_PENDING) is not None
        monkeypatch.setattr(S3Store, "names", listed)  # every object there is re-wrapped
        assert all(_objects_open(session, session.vault_key_for_rotation()))
        monkeypatch.setattr(S3Store, "names", stale)  # still named: verify's resume fails too
        report = verify(session)
        assert not report.ok
        found = [str(p) for p in report.problems]
        assert any(p.startswith("objects: ") and victim in p for p in found), found
        assert len(found) > 1, found  # and the object's own problem: verify went on
    finally:
        session.close()


def test_a_revoked_workstation_leaves_an_interrupted_rewrap_alone(
    stored: Session, server_place: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-wrapping re-writes every object: a desk that may no longer write (revoked, its session
    opened before) does not, even holding the vault alone (as its verify would)."""
    from vault import serverrotation, workstations

    _many_objects(stored, tmp_path, 20)
    old_key = stored.vault_key_for_rotation()
    stored.close()
    _killed_rotation(server_place, "re-wrapping", 5)
    other = _shared_hold(server_place)  # the opens below leave the re-wrap
    desk_a = open_as(server_place)
    try:
        assert desk_a.workstation is not None
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine-b"))
        monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "desk-b"))
        with open_as(server_place) as b:
            workstations.enrol(b, "desk-b")
            workstations.revoke(b, desk_a.workstation.name)
    finally:
        other.close()
    try:
        assert serverrotation.pending(desk_a)
        assert serverrotation.resume(desk_a) == 0
        assert serverrotation.pending(desk_a)
        assert any(_objects_open(desk_a, old_key)), "objects were re-written"
    finally:
        desk_a.close()


def test_no_plain_value_reaches_postgres_data_folder_through_a_rotation(
    stored: Session, server_place: Server, trial_server: TrialServer
) -> None:
    marker = "Zq7" + os.urandom(6).hex()
    add_user(stored, marker, ["officer"], PASSWORD)
    disable_user(stored, marker)
    change_password(stored, "xavier", NEW_PASSWORD)
    database = parse(server_place.url).database
    stored.close()
    leaked = markers_in_data_folder(trial_server, database, [marker.encode()])
    assert {n: f for n, f in leaked.items() if f} == {}


def test_blob_names_and_lookups_survive(stored: Session, server_place: Server) -> None:
    with stored.db() as db:
        names = sorted(db.scalars(select(Blob.name)))
    keys_before = sorted(stored.backend.store.names("blobs"))
    rotate_vault_key(stored, "scheduled")
    assert sorted(stored.backend.store.names("blobs")) == keys_before
    assert [blob_key(n) for n in names] == sorted(blob_key(n) for n in names)
    # a lookup by a blind index (the user's name) finds the row under the new key
    open_as(server_place, "xavier").close()


def test_the_cli_changes_a_password_and_disables_a_user_on_a_server(
    stored: Session, server_place: Server
) -> None:
    """``custos --server URL user passwd/disable``, as an admin types them: the same commands
    as on a local vault; refused in one line while another workstation has the vault open."""
    other = open_as(server_place, "xavier")
    try:
        result = run_cli("user", "disable", "xavier", vault=server_place)
        line = one_clear_line(result)
        assert result.returncode == 6 and "another Custos process has the vault open" in line
    finally:
        other.close()
    stored.close()
    result = run_cli(
        "user", "passwd", "xavier", vault=server_place, CUSTOS_NEW_PASSWORD=NEW_PASSWORD
    )
    assert result.returncode == 0, result.stderr
    assert "vault key rotated" in result.stdout
    open_as(server_place, "xavier", NEW_PASSWORD).close()
    result = run_cli("user", "disable", "xavier", vault=server_place)
    assert result.returncode == 0 and "xavier disabled; vault key rotated" in result.stdout
    with pytest.raises(AuthenticationFailed):
        open_as(server_place, "xavier", NEW_PASSWORD)
    result = run_cli("verify", vault=server_place)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_open_during_the_rotation_waits_and_then_opens_with_the_new_key(
    stored: Session, server_place: Server
) -> None:
    """Another workstation unlocking while the rotation runs waits on the vault lock, then
    reads the vault file under it: it opens with the new key, not the old file it might have
    read before."""
    old_key = stored.vault_key_for_rotation()
    stored.close()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(ROOT), "sealing the records", "1", "pause"],
        env=_child_env(server_place),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "pausing"  # mid-transaction, vault held alone
        session = open_as(server_place, "xavier")  # waits for the rotation
        try:
            assert session.vault_key_for_rotation() != old_key
            assert read_all_evidence(session) == EVIDENCE
        finally:
            session.close()
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0 and "finished" in out, err
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_the_rewrap_streams_an_object_in_bounded_memory(stored: Session, tmp_path: Path) -> None:
    """The re-wrap of an object larger than a multipart part goes from the GET's blocks into
    the one temp file the PUT sends: Python's peak memory stays a few blocks (tracemalloc; the
    object is 80 MiB), the payload is the same bytes under the new header."""
    store = stored.backend.store
    old, new = agefmt.Identity.generate(), agefmt.Identity.generate()
    source, block = tmp_path / "big.age", os.urandom(1 << 20)
    with open(source, "wb") as fh:
        encryptor = agefmt.Encryptor(fh, [old.recipient])
        for _ in range(80):
            encryptor.write(block)
        encryptor.close()
    key = "blobs/ee/" + "ee" * 32
    store.put(key, source)
    source.unlink()
    spool = tmp_path / "spool"
    spool.mkdir()
    tracemalloc.start()
    try:
        assert rewrap_object(store, key, new, (old,), [new.recipient], spool, 81 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak  # 4.1 MiB measured
    assert not list(spool.iterdir())
    plain = hashlib.sha256()
    with store.open(key) as fh:
        for chunk in agefmt.decrypt_chunks(fh, new):
            plain.update(chunk)
    assert plain.digest() == hashlib.sha256(block * 80).digest()
    assert not rewrap_object(store, key, new, (old,), [new.recipient], spool)  # current: skipped
    store.delete(key)


@pytest.fixture()
def relayed(
    server_place: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, evidence: Path
) -> Iterator[tuple[Server, Relay, Session]]:
    """alice's session on a new agency vault reached through a relay in front of the server's
    PostgreSQL (pgbouncer), with evidence in case C-1 and officer xavier."""
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache-here"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-here"))
    address = parse(server_place.url)
    relay = Relay((address.host, address.port))
    place = Server(dataclasses.replace(address, port=relay.port).url(), server_place.credentials)
    session, _, _ = init_agency_vault(place, "alice", PASSWORD, "desk-1", kdf=FAST_KDF)
    try:
        create_case(session, "C-1", "Harbour seizure", ["drug trafficking"])
        ingest(session, "C-1", [evidence])
        add_user(session, "xavier", ["officer"], PASSWORD)
        yield place, relay, session
    finally:
        session.close()
        relay.close()


def _refused_read(session: Session, read: Any, out: list[BaseException]) -> None:
    try:
        read(session)
    except BaseException as exc:  # what the live view's thread would meet
        out.append(exc)


@pytest.mark.parametrize("lost", ["the COMMIT", "its answer", "the server", "the COMMIT, then all"])
def test_a_connection_lost_at_the_rotation_s_commit_leaves_the_process_on_the_key_in_force(
    relayed: tuple[Server, Relay, Session], monkeypatch: pytest.MonkeyPatch, lost: str
) -> None:
    """The connection of the rotation's transaction cut as it commits (a relay in front of
    pgbouncer): either the COMMIT never reached the server (K stays the key), or the server
    committed and its answer was lost (K' is), or that and the server out of reach since (the
    process cannot tell). The process must go on under the key the database is really under,
    never write under the other: its next write, read back by a fresh sign-in, opens, and
    verify is clean; when it cannot tell (the COMMIT lost or not, then the server out of reach),
    it writes nothing more and says to sign in again, and every later read of the session (the
    live view's, on another thread) is that one line too: never a read under a key that may be
    the wrong one (the rotation rolled back while K' was attached). A failure is one line."""
    from sqlalchemy import event

    from vault.config import VaultConfig
    from vault.errors import CustosError

    def recipient() -> str:
        return VaultConfig.parse(vault_file_text(place), "file", "file").vault_recipient

    place, relay, session = relayed
    down = lost in ("the server", "the COMMIT, then all")  # whether it committed: unknown
    old_recipient = recipient()
    state = {"armed": False, "done": False}
    real_attach = sealing.attach

    def attach(engine: Any, vault_key: bytes) -> None:
        real_attach(engine, vault_key)
        if not state["done"]:
            state["armed"] = True  # the rotation's transaction now writes under K'

    def before_commit(conn: Any) -> None:
        if state["armed"]:
            state["armed"], state["done"] = False, True
            relay.cut_next(request=lost.startswith("the COMMIT"), then_down=down)

    monkeypatch.setattr(sealing, "attach", attach)
    event.listen(session.engine, "commit", before_commit)
    try:
        disable_user(session, "xavier")
    except CustosError as exc:
        assert "\n" not in str(exc)
        assert lost != "its answer" and ("sign in again" in str(exc)) == down
    assert state["done"]
    monkeypatch.setattr(sealing, "attach", real_attach)
    relay.cut_after = 1 << 40  # the server back
    committed = recipient() != old_recipient
    assert committed == (not lost.startswith("the COMMIT"))
    # the process's next write: under the key the database is under, or none at all
    if down:
        from vault.cases import list_cases

        with pytest.raises(CustosError) as refused:
            create_case(session, "C-2", "Written after the cut", ["fraud"])
        assert "\n" not in str(refused.value)
        reads: list[BaseException] = []
        thread = threading.Thread(target=lambda: _refused_read(session, list_cases, reads))
        thread.start()
        thread.join()
        [read] = reads
        assert isinstance(read, CustosError) and "sign in again" in str(read), read
        assert "\n" not in str(read)
    else:
        create_case(session, "C-2", "Written after the cut", ["fraud"])
    session.close()
    again = open_as(place)
    try:
        from vault.cases import list_cases

        cases = {c.reference for c in list_cases(again)}
        assert cases == ({"C-1"} if down else {"C-1", "C-2"})
        assert bool(audit_rows(again, "keys.vault_rotated")) == committed
        report = verify(again)
        assert report.ok, report.problems
    finally:
        again.close()


@pytest.mark.parametrize("entry", ["kept", "deleted"])
def test_a_disabled_user_put_back_by_the_operator_keeps_no_slot_through_the_rotation(
    trial_server: TrialServer,
    stored: Session,
    server_place: Server,
    monkeypatch: pytest.MonkeyPatch,
    entry: str,
) -> None:
    """The operator colludes with xavier: between his disabling and the rotation that follows
    it, the vault file as it was (his slot in it, MACs still valid under K) and his ``users``
    row as it was (``disabled`` and ``slot`` are plain columns) are put back. The rotation must
    not reseal his slot to K': it keeps only the users whose row is as their last audit entry
    recorded it. His old password then opens nothing; verify names the edited row. With the
    ``user.disabled`` entry deleted too (the chain cut back to before it), the rotation is
    refused in one line: this workstation pinned the head that entry made."""
    from vaultkit import forge, write_vault_file

    kept_file = vault_file_text(server_place)
    with stored.db() as db:
        from vault.models import User

        xavier = next(u for u in db.scalars(select(User)) if u.name == "xavier")
        xavier_id, xavier_slot = xavier.id, xavier.slot
    backend = stored.backend
    real_lock = backend.file_lock

    @contextlib.contextmanager
    def put_back() -> Iterator[None]:  # as the rotation starts, after the disable committed
        write_vault_file(server_place, kept_file)
        forge(stored, "users", "id = :id", {"id": xavier_id}, disabled=False, slot=xavier_slot)
        if entry == "deleted":
            with trial_server.superuser(parse(server_place.url).database) as su:
                su.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
        with real_lock():
            yield

    monkeypatch.setattr(backend, "file_lock", put_back)
    if entry == "deleted":
        with pytest.raises(IntegrityFault) as refused:
            disable_user(stored, "xavier")
        assert "\n" not in str(refused.value) and "not rotating" in str(refused.value)
    else:
        disable_user(stored, "xavier")
    monkeypatch.setattr(backend, "file_lock", real_lock)
    if entry == "kept":
        with pytest.raises(AuthenticationFailed):
            open_as(server_place, "xavier")
        with pytest.raises((AssertionError, KeyError)):  # no slot of his opens K'
            key_from_vault_file(vault_file_text(server_place), "xavier", PASSWORD)
    report = verify(stored)  # deleted: the cut named (the rotation was not made under it)
    assert not report.ok
    if entry == "kept":
        assert [(p.where, p.what) for p in report.problems] == [
            ("user 'xavier'", "disabled, slot changed (edited outside Custos)")
        ]


def _one_recipient(session: Session, pack: StoredObject) -> None:
    """``pack``'s stored file made a real age file of the same plaintext under a header to the
    vault's identity alone: one X25519 stanza where Custos writes two (a shorter header, as a
    pack written by another age writer would have)."""
    identity = keys.vault_identity(session.vault_key_for_rotation())
    plain = b"".join(agefmt.decrypt_chunks(io.BytesIO(pack.read_bytes()), identity))
    out = io.BytesIO()
    encryptor = agefmt.Encryptor(out, [identity.recipient])
    encryptor.write(plain)
    encryptor.close()
    assert len(out.getvalue()) != len(pack.read_bytes())
    pack.write_bytes(out.getvalue())


def _set_pack_size(session: Session, pack: str, size: int | None) -> None:
    with session.transaction() as db:
        db.execute(update(Blob).where(Blob.pack == pack).values(pack_size=size))


def test_the_rewrap_of_an_unsized_pack_may_change_its_header_length(
    stored: Session, tmp_path: Path
) -> None:
    """A pack whose size no row records (an upgrade could not size it) bounds nothing: its
    re-wrap may give it a header of another length, and it opens with the new key. A pack whose
    size is recorded is left as it is, the re-wrap unfinished, in one line naming the pack."""
    files = tmp_path / "phone"
    files.mkdir()
    for n in range(POOL_MIN_FILES):
        (files / f"f{n:04}.bin").write_bytes(os.urandom(100 + n))
    assert len(ingest(stored, "C-1", [files]).saved) == POOL_MIN_FILES
    [pack] = stored_objects(stored, "packs")
    _one_recipient(stored, pack)
    _set_pack_size(stored, pack.name, None)
    rotate_vault_key(stored, "scheduled")
    assert all(_objects_open(stored, stored.vault_key_for_rotation()))
    assert read_all_evidence(stored) == EVIDENCE + POOL_MIN_FILES  # every hash checked
    report = verify(stored)  # which reads the pack whole and records its size
    assert report.ok, report.problems

    _one_recipient(stored, pack)
    _set_pack_size(stored, pack.name, len(pack.read_bytes()))
    with pytest.raises(RewrapIncomplete) as unfinished:
        rotate_vault_key(stored, "scheduled")
    line = str(unfinished.value)
    assert "\n" not in line
    assert f"packs/{pack.name[:2]}/{pack.name} (a new header of " in line, line
    assert "would change its recorded size) could not be re-wrapped" in line, line
