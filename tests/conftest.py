"""Shared fixtures: a real vault on disk, the faces folder, the CLI as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.keys import KdfParams

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"
PASSWORD = "correct horse battery"
# Tests use a cheaper KDF unless they test the KDF itself; production defaults are >= 64 MiB, t=3.
FAST_KDF = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)


def faces_path() -> Path:
    """The labelled test faces, read in place (CUSTOS_FACES overrides the default)."""
    return Path(os.environ.get("CUSTOS_FACES", ROOT.parent / "shared" / "faces")).resolve()


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    path = faces_path()
    if not (path / "labels.csv").is_file():
        if IN_CI:
            pytest.fail(f"test faces not found at {path} (set CUSTOS_FACES)")
        pytest.skip(f"test faces not found at {path}")
    return path


def require_tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is needed by this test and is not installed")
        pytest.skip(f"{name} not installed")
    return found


@pytest.fixture()
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture()
def admin(vault_dir: Path) -> Iterator[object]:
    """A fresh vault with admin 'alice' (all roles); yields her open session."""
    from vault.session import init_vault

    session, identity = init_vault(vault_dir, "alice", PASSWORD, kdf=FAST_KDF)
    session.recovery_identity = identity  # type: ignore[attr-defined]
    yield session
    session.close()


def run_cli(
    *args: str, vault: Path, user: str = "alice", password: str = PASSWORD, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``custos`` in a subprocess, as a user would, and capture its output."""
    full_env = {
        **os.environ,
        "CUSTOS_VAULT": str(vault),
        "CUSTOS_USER": user,
        "CUSTOS_PASSWORD": password,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=300,
    )
