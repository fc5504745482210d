"""Shared pytest fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
        message = f"test faces not found at {path} (set CUSTOS_FACES)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
