"""``custos gui``: start the desktop workstation.

Start-up imports only Qt and the few vault modules needed to tell "first start" from "sign in";
the core (SQLAlchemy, SQLCipher, cryptography) loads on a worker while the user types the
password, and matching (numpy, dlib, OpenCV) only when a page needs it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def default_vault() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("custos", appauthor=False)) / "vault"


def vault_folder(given: str | None) -> Path:
    given = given or os.environ.get("CUSTOS_VAULT")
    return Path(given).expanduser() if given else default_vault()


USAGE = "usage: custos gui [--vault PATH]"


def parse(argv: list[str]) -> str | None:
    """The ``--vault`` option (argparse costs ~0.1 s of start-up; this is all we take)."""
    vault = None
    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help"):
            print(USAGE)
            sys.exit(0)
        if arg == "--vault":
            vault = next(args, None)
            if not vault:
                sys.exit(f"{USAGE}\n--vault needs a folder")
        elif arg.startswith("--vault="):
            vault = arg.split("=", 1)[1]
    return vault


def make_app(argv: list[str]) -> object:
    from PySide6.QtWidgets import QApplication

    from desktop import settings, theme

    found = QApplication.instance()
    app = found if isinstance(found, QApplication) else None
    app = app or QApplication([sys.argv[0] if sys.argv else "custos", *argv])
    app.setOrganizationName("Custos")
    app.setApplicationName("custos")
    app.setApplicationDisplayName("Custos")
    theme.apply(app, settings.theme())
    icon = Path(__file__).resolve().parent.parent / "resources" / "icons" / "custos.svg"
    if icon.is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    return app


def main(argv: list[str] | None = None, server: object = None) -> int:
    """Start on the vault folder of ``argv``, or on ``server`` (a ``vault.backend.Server``
    whose URL and credentials ``custos --server URL gui`` resolved)."""
    vault = parse(list(sys.argv[1:] if argv is None else argv))
    app = make_app([])
    from desktop.controller import Controller

    controller = Controller(server if server is not None else vault_folder(vault))
    controller.start()
    return int(app.exec())  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
