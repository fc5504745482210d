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

import pytest
from sqlalchemy import select, text

from service.opener import init_vault, unlock
from vault.backend import Server
from vault.keys import KdfParams
from vault.models import AuditEntry
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


def require_tool(name: str) -> str:
    """The path of an external tool; a missing tool fails in CI and skips elsewhere."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is needed by this test and is not installed")
        pytest.skip(f"{name} not installed")
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


def cli_env(vault: Path, user: str = "alice", password: str = PASSWORD, **env: str) -> dict:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    full.update(CUSTOS_VAULT=str(vault), CUSTOS_USER=user, CUSTOS_PASSWORD=password, COLUMNS="200")
    full.update(env)
    return full


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
