"""Both back ends for a test suite (issue 12: "The vault, matching and exchange test suites run
against both back ends").

A fixture that makes a vault takes ``params=BACKENDS`` and asks ``vault_place(request, folder)``
where to make it; each test using it then runs as ``test_x[local]`` and ``test_x[server]``::

    @pytest.fixture(params=BACKENDS)
    def vault_dir(request, tmp_path):
        return vault_place(request, tmp_path / "vault")

A test that only makes sense on the folder (it reads or damages the vault's own files) carries
``@pytest.mark.local_only("why")``: its server run is deselected (``tests/conftest.py``), never
skipped. ``-m "not server"`` runs the local half alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

BACKENDS = ["local", pytest.param("server", marks=pytest.mark.server)]


def vault_place(request: pytest.FixtureRequest, folder: Path) -> Any:
    """Where a fixture parametrized with ``BACKENDS`` makes its vault: ``folder`` for
    ``local``; for ``server`` an empty database and bucket of the test's own on the session's
    trial server (``trial_server``), dropped when the fixture's scope ends."""
    if request.param == "local":
        return folder
    server = request.getfixturevalue("trial_server")
    place = server.place()
    made = place.__enter__()
    request.addfinalizer(lambda: place.__exit__(None, None, None))
    return made


def is_server(place: object) -> bool:
    """True for a vault on a server (a ``vault.backend.Server``), False for a folder."""
    return not isinstance(place, Path)
