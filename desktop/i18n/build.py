"""Compile ``custos_*.ts`` into ``.qm`` with ``pyside6-lrelease``.

    uv run python -m desktop.i18n.build          # compile
    uv run python -m desktop.i18n.build --update # refresh the .ts from the sources first

``--update`` runs ``pyside6-lupdate`` over ``desktop/`` and ``CORE_SOURCES`` (new strings
appear unfinished in the ``.ts``; translators fill them with Qt Linguist).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DESKTOP = HERE.parent


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise FileNotFoundError(f"{name} not found (install PySide6)")
    return found


# Core files whose words the desktop shows (marked with QT_TRANSLATE_NOOP, no Qt imported there):
# the audit actions' sentences.
CORE_SOURCES = ("vault/actions.py",)


def sources() -> list[str]:
    """Every file ``pyside6-lupdate`` reads: the desktop's and ``CORE_SOURCES``."""
    found = sorted(str(p) for p in DESKTOP.rglob("*.py") if "i18n" not in p.parts)
    return found + [str(DESKTOP.parent / name) for name in CORE_SOURCES]


def update() -> None:
    for ts in sorted(HERE.glob("custos_*.ts")):
        # -no-obsolete: a string gone from the sources leaves the file (the Arabic test counts
        # leftovers as unfinished)
        args = [_tool("pyside6-lupdate"), *sources(), "-no-obsolete", "-ts", str(ts)]
        subprocess.run(args, check=True)


def build(quiet: bool = False) -> list[Path]:
    made = []
    for ts in sorted(HERE.glob("custos_*.ts")):
        qm = ts.with_suffix(".qm")
        args = [_tool("pyside6-lrelease"), str(ts), "-qm", str(qm)]
        if quiet:
            args.insert(1, "-silent")
        subprocess.run(args, check=True, capture_output=quiet)
        made.append(qm)
    return made


if __name__ == "__main__":
    if "--update" in sys.argv:
        update()
    for path in build():
        print(path)
