"""Helpers shared by the vault and CLI tests: a real vault on disk, the CLI as a subprocess.

Imported by ``tests/vault/conftest.py`` and ``tests/cli/conftest.py`` (which put ``tests/`` on
``sys.path``). Nothing here fakes the vault: files are real, the database is SQLCipher on disk and
``age`` is the real binary.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sqlalchemy import select, text

from service.opener import init_vault, unlock
from vault.backend import Server
from vault.keys import KdfParams
from vault.models import AuditEntry
from vault.objectstore import ObjectStore
from vault.schema import Schema
from vault.session import Session

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
# Tests use a cheap KDF unless they test the KDF itself; production defaults are >= 64 MiB, t=3.
FAST_KDF = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)
ROLES = ("admin", "officer", "analyst", "liaison")
# One single-role user per role (names are the role names with a prefix).
ROLE_USER = {role: f"u_{role}" for role in ROLES}


def unavailable(message: str) -> NoReturn:
    """What a test needs (a tool, the test faces, a server) is missing: it fails in CI
    (``CI=true``), where everything must run, and skips elsewhere."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str) -> str:
    """The path of an external tool; a missing tool fails in CI and skips elsewhere."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        unavailable(f"{name} is needed by this test and is not installed")
    return found


def new_vault(folder: Path | Server, admin: str = "alice") -> tuple[Session, str]:
    """A fresh vault with ``admin`` holding every role (in a folder, or on an agency server:
    ``serverkit.TrialServer.new_place``); returns the session and recovery text."""
    session, identity = init_vault(folder, admin, PASSWORD, kdf=FAST_KDF)
    assert identity is not None
    return session, f"{identity}\n"


def add_role_users(session: Session) -> None:
    """One user per role, named ``u_<role>``, all with PASSWORD."""
    from vault.users import add_user

    for role, name in ROLE_USER.items():
        add_user(session, name, [role], PASSWORD)


def open_as(folder: Path | Server, user: str = "alice", password: str = PASSWORD) -> Session:
    return unlock(folder, user, password)


def place_of(session: Session) -> Path | Server:
    """Where ``session``'s vault is, as ``unlock`` / ``open_as`` take it: its folder, or its
    agency server (``session.folder`` is then only this workstation's working folder)."""
    from vault.backend import ServerBackend

    backend = session.backend
    if isinstance(backend, ServerBackend):
        return Server(backend.address.url(), backend.credentials)
    return session.folder


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def sql(session: Session, statement: str, **params: object) -> None:
    """Tamper with the database directly, as someone holding the database key could."""
    with session.engine.begin() as conn:
        conn.execute(text(statement), params)


def forge(
    session: Session,
    table: str,
    where: str,
    params: dict[str, object] | None = None,
    **values: object,
) -> None:
    """``UPDATE table SET column = value, ... WHERE where`` as an insider holding the vault key
    could: in a local vault the plain values; on a server each sealed column's value sealed for
    its row (``vault.sealing``: what Custos itself would have written there), so verify meets
    the edit itself and not a value that does not open. ``where`` names no sealed column."""
    from vault import sealing
    from vault.models import Base

    columns = Base.metadata.tables[table].c
    sets = ", ".join(f"{name} = :{name}" for name in values)
    with session.engine.begin() as conn:
        sealer = sealing.sealer_of(conn.dialect)
        if sealer is None:
            conn.execute(
                text(f"UPDATE {table} SET {sets} WHERE {where}"), {**(params or {}), **values}
            )
            return
        plan = sealing.name_columns(columns[next(iter(values))].table)
        rows = conn.execute(text(f"SELECT {plan.pk} FROM {table} WHERE {where}"), params or {})
        for (row,) in rows.all():
            bound = {}
            for name, value in values.items():
                if name in plan.sealed and value is not None:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    value = sealer.seal(f"{table}.{name}", str(row), raw)
                bound[name] = value
            conn.execute(
                text(f"UPDATE {table} SET {sets} WHERE {plan.pk} = :row_"), {**bound, "row_": row}
            )


def plant(session: Session, model: Any, source: object, **values: object) -> None:
    """A copy of ``model``'s row ``source`` with ``values`` changed (its new key among them)
    inserted straight into the database, as an insider holding the vault key could: through
    the ORM without Custos's audit, so on a server its sealed columns are sealed for the new row
    (an ``INSERT ... SELECT`` would copy ciphertexts that open only for ``source``)."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session as DbSession

    with DbSession(session.engine) as db, db.begin():
        row = db.get(model, source)
        assert row is not None, (model, source)
        copied = {a.key: getattr(row, a.key) for a in inspect(model).column_attrs}
        db.add(model(**{**copied, **values}))


def audit_rows(session: Session, action: str | None = None) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.seq)
    if action:
        q = q.where(AuditEntry.action == action)
    with session.db() as db:
        return list(db.scalars(q))


def vault_files(folder: Path) -> list[Path]:
    """Every file under the vault folder (database, WAL, -shm, tmp, blobs, toml, head, lock)."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def blob_files(folder: Path) -> list[Path]:
    """The stored blobs (``blobs/ab/<name>``; not the store's own marker file)."""
    return sorted(p for p in (folder / "blobs").glob("*/*") if p.is_file())


def stored_names(session: Session, space: str = "blobs") -> list[str]:
    """The names of the objects in ``session``'s store under ``space`` (``blobs``, ``packs``):
    the files of a vault folder, the objects of a server's bucket (``blob_files`` for both)."""
    return [o.name for o in stored_objects(session, space)]


@dataclasses.dataclass(frozen=True)
class StoredObject:
    """A stored object (a blob or a pack) read and overwritten through the vault's object
    store, as a failing disk or an intruder with write access to the store would: a file of the
    vault folder, an object of the server's bucket. The few ``Path`` methods the tests that
    damage one use."""

    store: ObjectStore
    key: str

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[1]

    def read_bytes(self) -> bytes:
        return b"".join(self.store.get_chunks(self.key))

    def write_bytes(self, data: bytes) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / self.name
            path.write_bytes(data)
            self.store.put(self.key, path)

    def exists(self) -> bool:
        return self.store.exists(self.key)

    def unlink(self) -> None:
        self.store.delete(self.key)


def stored_objects(session: Session, space: str = "blobs") -> list[StoredObject]:
    """The objects of ``session``'s store under ``space`` (``blobs``, ``packs``), by name: what
    ``blob_files`` / ``pack_files`` are for a vault folder, on either back end."""
    store = session.backend.store
    return sorted((StoredObject(store, key) for key in store.names(space)), key=lambda o: o.name)


def stored_object(session: Session, name: str, space: str = "blobs") -> StoredObject:
    """The stored object ``name`` (a blob's or pack's name) of ``session``'s store."""
    return StoredObject(session.backend.store, f"{space}/{name[:2]}/{name}")


def stored_copy(session: Session, space: str, name: str, to: Path) -> Path:
    """The stored object ``space/<name>`` (as age-encrypted in the store: a vault folder's
    file, a server bucket's object) copied byte for byte to the file ``to``."""
    to.write_bytes(stored_object(session, name, space).read_bytes())
    return to


def pack_files(folder: Path) -> list[Path]:
    """The stored packs (``packs/ab/<name>``: small objects, ``vault.packs``)."""
    return sorted(p for p in (folder / "packs").glob("*/*") if p.is_file())


def assert_store_matches_rows(session: Session) -> None:
    """Every blob file and pack on disk is named by a ``blobs`` row and every row's file is
    there: no orphan left, none missing."""
    from vault.models import Blob

    with session.db() as db:
        stored = db.execute(select(Blob.name, Blob.pack)).all()
    assert {p.name for p in blob_files(session.folder)} == {n for n, pack in stored if not pack}
    assert {p.name for p in pack_files(session.folder)} == {pack for _, pack in stored if pack}


def run_cli(
    *args: str,
    vault: Path | Server,
    user: str = "alice",
    password: str = PASSWORD,
    timeout: float = 300,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run ``custos`` in a subprocess, as a user would, and capture its output. ``vault``: a
    vault folder, or an agency server (its URL and credentials in the child's environment,
    this process's ``CUSTOS_CACHE_DIR`` as the workstation's cache folder)."""
    if isinstance(vault, Server):
        env = {**place_env(vault), **env}
        vault = ROOT / "no-vault-here"
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=cli_env(vault, user, password, **env),
        cwd=ROOT,
        timeout=timeout,
    )


def server_env(session: Session) -> dict[str, str]:
    """What a ``custos`` subprocess needs besides ``vault=`` to open ``session``'s vault when it
    is on an agency server (the URL, the credentials, the workstation's cache folder); nothing
    for a local vault."""
    from vault.backend import ServerBackend

    backend = session.backend
    if not isinstance(backend, ServerBackend):
        return {}
    return place_env(Server(backend.address.url(), backend.credentials))


def place_env(place: Server) -> dict[str, str]:
    """What a ``custos`` subprocess needs to open the vault on ``place`` (a server)."""
    given = place.credentials
    return {
        "CUSTOS_SERVER": place.url,
        "PGPASSWORD": given.password,
        "AWS_ACCESS_KEY_ID": given.access_key,
        "AWS_SECRET_ACCESS_KEY": given.secret_key,
        "CUSTOS_CACHE_DIR": os.environ.get("CUSTOS_CACHE_DIR", ""),
    }


def cli_env(
    vault: Path | Server, user: str = "alice", password: str = PASSWORD, **env: str
) -> dict:
    """A ``custos`` child's environment for the vault ``vault``: a folder (CUSTOS_VAULT), or an
    agency server (CUSTOS_SERVER, its credentials and this process's CUSTOS_CACHE_DIR)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    if isinstance(vault, Server):
        given = vault.credentials
        full.update(
            CUSTOS_SERVER=vault.url,
            PGPASSWORD=given.password,
            AWS_ACCESS_KEY_ID=given.access_key,
            AWS_SECRET_ACCESS_KEY=given.secret_key,
        )
        if os.environ.get("CUSTOS_CACHE_DIR"):
            full["CUSTOS_CACHE_DIR"] = os.environ["CUSTOS_CACHE_DIR"]
    else:
        full["CUSTOS_VAULT"] = str(vault)
    full.update(CUSTOS_USER=user, CUSTOS_PASSWORD=password, COLUMNS="200")
    full.update(env)
    return full


def vault_file_text(place: Path | Server) -> str:
    """The vault file's text as stored: ``vault.toml``, or the server's ``vault_file`` row."""
    if not isinstance(place, Server):
        return (place / "vault.toml").read_text()
    with _server_connection(place) as conn:
        return str(conn.execute("SELECT content FROM vault_file WHERE id = 1").fetchone()[0])


def write_vault_file(place: Path | Server, text: str) -> None:
    """Overwrite the vault file as someone without the vault key could (the file, the row)."""
    if not isinstance(place, Server):
        (place / "vault.toml").write_text(text)
        return
    with _server_connection(place) as conn:
        conn.execute("UPDATE vault_file SET content = %s WHERE id = 1", (text,))


def vault_file_name(place: Path | Server) -> str:
    """How a refusal names the vault file: ``vault.toml``, or the server's ``vault_file`` row."""
    return "(vault_file)" if isinstance(place, Server) else "vault.toml"


def vault_file_finding(session: Session) -> str:
    """Where verify's finding about the vault file says it is: ``vault.toml``, ``vault_file``."""
    return "vault.toml" if session.backend.local else "vault_file"


@contextlib.contextmanager
def _server_connection(place: Server) -> Iterator[Any]:
    from vault.server import address, postgres

    conn = postgres.connect(address.parse(place.url), place.credentials.password)
    try:
        yield conn
    finally:
        conn.close()


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    """The error output is one line per problem, never a traceback; returns stderr stripped."""
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    return result.stderr.strip()


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """Exactly one error line on stderr (returned), no traceback, and exit ``code``."""
    text = one_clear_line(result)
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert len(text.splitlines()) == 1, text
    return text


@contextlib.contextmanager
def ingest_without_pdq(session: Session) -> Iterator[Session]:
    """Ingest as a Custos from before PDQ at ingest did (the photos of an older vault, or photos
    received in a bundle): no PDQ hash until ``pdq compute`` or face detection makes one."""
    schema = session.schema
    session.schema = Schema(tuple(dataclasses.replace(ly, derive=None) for ly in schema.layers))
    try:
        yield session
    finally:
        session.schema = schema


def key_from_vault_file(text: str, name: str, password: str) -> bytes:
    """What an insider computes offline from a vault file they kept (``vault.toml``, or the
    server's ``vault_file`` row): the vault key their slot in it opens."""
    from vault import keys
    from vault.config import VaultConfig

    config = VaultConfig.parse(text, "kept", "kept")
    user_key = keys.password_key(password, name, config.salt, config.kdf)
    slot = keys.slot_id(user_key)
    parsed = keys.Slot.decode(config.slots[slot])
    assert parsed is not None
    opened = parsed.open(user_key, slot, config.vault_id)
    assert opened is not None
    return opened[1]


def read_all_evidence(session: Session) -> int:
    """Read every stored object back, its hash checked; returns how many."""
    from vault.models import Blob

    with session.db() as db:
        rows = list(db.scalars(select(Blob)))
    for row in rows:
        session.blobs.read_verified(row.name, row.sha256, row.name)
    return len(rows)


def revoked_desk(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *operator: str
) -> Session:
    """alice's session as workstation ``desk-a`` (machine folder ``machine-a``), opened before
    ``desk-b`` (``machine-b``, the environment left set to it) revoked it, as a running job's
    would be; ``operator`` statements then run on the server's database (no vault key)."""
    from vault import workstations

    place = place_of(session)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine-a"))
    workstations.enrol(session, "desk-a")
    desk_a = unlock(place, "alice", PASSWORD)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine-b"))
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "desk-b"))
    with unlock(place, "alice", PASSWORD) as b:
        workstations.enrol(b, "desk-b")
        workstations.revoke(b, "desk-a")
    with _server_connection(place) as conn:  # type: ignore[arg-type]
        for statement in operator:
            conn.execute(statement)
    return desk_a
