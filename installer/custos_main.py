"""Entry point of the frozen (PyInstaller) app: one ``custos`` executable for the CLI and the GUI.

``custos gui [--vault PATH]`` goes straight to :func:`desktop.app.main` (start-up time: the CLI's
imports are skipped); every other command is the CLI, :func:`cli.main.run`.

``multiprocessing.freeze_support()`` must run first: face detection starts its worker processes
with ``spawn``, which re-runs this executable; the call turns such a run into the worker.
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> None:
    multiprocessing.freeze_support()
    if sys.argv[1:2] == ["gui"]:
        from desktop.app import main as gui_main

        sys.exit(gui_main(sys.argv[2:]))
    from cli.main import run as cli_main

    cli_main()


if __name__ == "__main__":
    main()
