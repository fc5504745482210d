"""Shared pytest fixtures."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # GUI tests never need a display

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))  # shared helpers: ``from vaultkit import ...``


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The labelled test faces: ``$CUSTOS_FACES``, default ``<repo>/../shared/faces``.

    Tests that need them skip when absent, except in CI (``CI=true``) where they fail.
    """
    path = Path(os.environ.get("CUSTOS_FACES", REPO.parent / "shared" / "faces")).resolve()
    if not (path / "labels.csv").is_file():
        from vaultkit import unavailable

        unavailable(f"test faces not found at {path} (set CUSTOS_FACES)")
    return path


@pytest.fixture(scope="session")
def trial_server() -> Iterator[Any]:
    """A running trial server (PostgreSQL + pgvector over TLS, SeaweedFS S3) for the whole
    session: ``tests/serverkit.py``. Skips only outside CI when its programs are missing."""
    import serverkit

    problem = serverkit.missing_programs()
    if problem:
        from vaultkit import unavailable

        unavailable(f"trial server cannot start: {problem}")
    with serverkit.running_trial_server() as server:
        yield server


@pytest.fixture()
def server_place(trial_server: Any) -> Iterator[Any]:
    """An empty database and bucket of the test's own on the trial server (``Server``)."""
    with trial_server.place() as place:
        yield place


@pytest.fixture()
def server_alice(
    server_place: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """alice's session on a new agency vault on ``server_place``, with case C-1 (this
    workstation's cache folder of the test's own)."""
    from service.opener import init_vault
    from vault.cases import create_case
    from vaultkit import FAST_KDF, PASSWORD

    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache-here"))
    session, _ = init_vault(server_place, "alice", PASSWORD, kdf=FAST_KDF)
    create_case(session, "C-1", "Harbour seizure", ["drug trafficking"])
    yield session
    session.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the server run of a ``local_only`` test (it is not a skip: it never ran)."""
    keep, drop = [], []
    for item in items:
        server_run = item.get_closest_marker("server") is not None
        (drop if server_run and item.get_closest_marker("local_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
