"""Fixtures of the hash-set tests: a real vault on disk with case ``hashkit.CASE``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hashkit import new_case

from vault.session import Session
from vaultkit import new_vault


@pytest.fixture()
def session(tmp_path: Path) -> Iterator[Session]:
    s, _ = new_vault(tmp_path / "vault")
    new_case(s)
    yield s
    s.close()
