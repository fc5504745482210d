"""Fixtures of the hash-set tests: a real vault on disk with case ``hashkit.CASE``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hashkit import new_case

from vault.session import Session
from vaultkit import new_vault


@pytest.fixture(params=["local", "server"])
def session(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    """A vault with the case, in a folder or on the trial server (a database and a bucket of
    the test's own): hash sets behave the same on both back ends."""
    with contextlib.ExitStack() as stack:
        if request.param == "local":
            s, _ = new_vault(tmp_path / "vault")
        else:
            monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
            s, _ = new_vault(stack.enter_context(request.getfixturevalue("trial_server").place()))
        new_case(s)
        yield s
        s.close()
