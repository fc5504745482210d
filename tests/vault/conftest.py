"""Fixtures for the vault core tests: a real SQLCipher vault on disk with its recovery identity."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from backendkit import BACKENDS, vault_place  # noqa: E402
from pgkit import postgres_server, postgres_url  # noqa: E402, F401  (PostgreSQL fixtures)

from vault.cases import create_case  # noqa: E402
from vault.session import Session  # noqa: E402
from vaultkit import new_vault  # noqa: E402

CASE = "C-1"


@pytest.fixture(params=BACKENDS)
def vault_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The vault's place: a folder, then (``[server]``) a database and bucket of the test's own
    on the trial server (``tests/backendkit.py``), this workstation's working folder for it in
    a cache folder of the test's own."""
    if request.param == "server":
        monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    return vault_place(request, tmp_path / "vault")


@pytest.fixture()
def made(vault_dir: Path, tmp_path: Path) -> Iterator[tuple[Session, Path]]:
    """A fresh vault (admin alice, every role) and its recovery identity written outside it."""
    session, recovery = new_vault(vault_dir)
    identity = tmp_path / "recovery.txt"
    identity.write_text(recovery)
    yield session, identity
    session.close()


@pytest.fixture()
def admin(made: tuple[Session, Path]) -> Session:
    return made[0]


@pytest.fixture()
def recovery_file(made: tuple[Session, Path]) -> Path:
    return made[1]


@pytest.fixture()
def case(admin: Session) -> str:
    create_case(admin, CASE, "Harbour seizure", ["drug trafficking"])
    return CASE


@pytest.fixture()
def evidence(tmp_path: Path) -> Path:
    """A small camera card: nested folders, an empty file, a file spanning several age chunks."""
    root = tmp_path / "card"
    (root / "DCIM" / "100CANON").mkdir(parents=True)
    (root / "notes").mkdir()
    (root / "DCIM" / "100CANON" / "IMG_0001.JPG").write_bytes(b"\xff\xd8" + bytes(range(256)) * 40)
    (root / "DCIM" / "100CANON" / "IMG_0002.JPG").write_bytes(b"\xff\xd8" + b"\x01" * 5000)
    (root / "notes" / "empty.txt").write_bytes(b"")
    (root / "notes" / "long.bin").write_bytes(bytes(i * 7 % 251 for i in range(200_000)))
    return root
