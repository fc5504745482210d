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

import shutil
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


def copy_place(request: pytest.FixtureRequest, built: Any, folder: Path) -> Any:
    """A test's own copy of a built (closed) vault, on the back end it was built on: the folder
    copied to ``folder``, or a new database and bucket copied from the built ones (dropped when
    the test ends)."""
    if not is_server(built):
        shutil.copytree(built, folder)
        return folder
    server = request.getfixturevalue("trial_server")
    made = server.copy_place(built)
    request.addfinalizer(lambda: server.drop_place(made))
    return made


def place_of(session: Any) -> Any:
    """Where ``session``'s vault is, as ``unlock`` takes it: its folder, or its server."""
    backend = session.backend
    if backend.local:
        return session.folder
    from vault.backend import Server

    return Server(backend.address.url(), backend.credentials)


def swap_blobs(session: Any, a: str, b: str) -> None:
    """Swap two stored blobs, as anyone with write access to the vault's folder or bucket can
    (no key needed: both stay valid age files)."""
    from vault.blobs import blob_key

    store, tmp = session.blobs.store, Path(session.blobs.tmp)
    for key, other in ((blob_key(a), "a"), (blob_key(b), "b")):
        with store.open(key) as fh:
            (tmp / f"swap-{other}").write_bytes(fh.read())
    store.put(blob_key(a), tmp / "swap-b")
    store.put(blob_key(b), tmp / "swap-a")
    for name in ("swap-a", "swap-b"):
        (tmp / name).unlink()


def damage_blob(session: Any, name: str, change: Any) -> None:
    """Replace a stored blob by ``change(its bytes)``, as anyone with write access can."""
    from vault.blobs import blob_key

    store, tmp = session.blobs.store, Path(session.blobs.tmp) / "damaged"
    with store.open(blob_key(name)) as fh:
        tmp.write_bytes(change(fh.read()))
    store.put(blob_key(name), tmp)
    tmp.unlink()


def blob_bytes(session: Any, name: str) -> bytes:
    """A stored blob as it is in the store (encrypted)."""
    from vault.blobs import blob_key

    with session.blobs.store.open(blob_key(name)) as fh:
        return bytes(fh.read())
