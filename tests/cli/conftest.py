"""Fixtures for the CLI tests: a closed vault on disk the ``custos`` subprocess can open."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from serverkit import TrialServer  # noqa: E402

from vault.backend import Server  # noqa: E402
from vault.cases import create_case  # noqa: E402
from vaultkit import add_role_users, new_vault  # noqa: E402

CASE = "C-1"


@pytest.fixture()
def place(trial_server: TrialServer) -> Iterator[Server]:
    """A database and a bucket of the test's own on the trial server."""
    with trial_server.place() as place:
        yield place


@pytest.fixture()
def env(trial_server: TrialServer, place: Server, tmp_path: Path) -> dict[str, str]:
    """The server, its credentials, and this workstation's cache folder and key folder (where
    ``init`` keeps the key it enrols this machine with) of the test's own."""
    return {
        **trial_server.env_for(place),
        "CUSTOS_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "machine"),
    }


@pytest.fixture()
def vault_dir(tmp_path: Path) -> Path:
    """A vault with alice (every role), one single-role user per role and case C-1; closed."""
    folder = tmp_path / "vault"
    session, recovery = new_vault(folder)
    try:
        add_role_users(session)
        create_case(session, CASE, "Harbour seizure", ["drug trafficking"])
    finally:
        session.close()
    (tmp_path / "recovery.txt").write_text(recovery)
    return folder


@pytest.fixture()
def recovery_file(vault_dir: Path) -> Path:
    return vault_dir.parent / "recovery.txt"
