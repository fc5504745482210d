"""Fixtures for the GUI tests: a real vault on disk, the real widgets, offscreen Qt.

QSettings go to a per-test folder so no test reads the developer's preferences or another
test's window layout. Vaults use the cheap Argon2id of ``vaultkit.FAST_KDF``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

from guikit import ANALYST  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from desktop import i18n  # noqa: E402
from desktop.controller import Controller  # noqa: E402
from vaultkit import FAST_KDF, PASSWORD, new_vault  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def translations() -> None:
    """Compile the .ts sources once per run, so the tests load what the sources say."""
    from desktop.i18n.build import build

    build(quiet=True)


@pytest.fixture(autouse=True)
def qsettings(tmp_path: Path, qapp: object) -> Iterator[Path]:
    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder
    i18n.install("en")


@pytest.fixture()
def vault_dir(tmp_path: Path) -> Path:
    """A closed vault: alice (every role), bea (analyst only), case C-1 with no items."""
    from vault.cases import create_case
    from vault.users import add_user

    folder = tmp_path / "vault"
    session, _recovery = new_vault(folder)
    try:
        add_user(session, ANALYST, ["analyst"], PASSWORD)
        create_case(session, "C-1", "Harbour seizure", ["drug trafficking"])
    finally:
        session.close()
    return folder


@pytest.fixture()
def controller(vault_dir: Path, qtbot: object) -> Iterator[Controller]:
    c = Controller(vault_dir, kdf=FAST_KDF)
    yield c
    c._close_session()
    if c.dialog is not None:
        c.dialog.close()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> Path:
    """Built once: see ``matchkit``. Tests use a copy."""
    from matchkit import build

    return build(tmp_path_factory.mktemp("template"), faces_dir)


@pytest.fixture()
def world(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template: ``vault``, ``de`` (the partner's vault), ``incoming``."""
    from matchkit import copy_of

    return copy_of(template, tmp_path / "world")


@pytest.fixture()
def matched(world: Path, qtbot: object) -> Iterator[Controller]:
    """A controller on the copied vault with faces, a watchlist, candidates and a partner."""
    c = Controller(world / "vault", kdf=FAST_KDF)
    yield c
    c._close_session()
    if c.dialog is not None:
        c.dialog.close()
