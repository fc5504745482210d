"""The case overview's figures are the same on a vault folder and on an agency server, where
item names and audit targets are sealed (the server cannot group, match or prefix them: the
workstation does): items by kind, what changed since the user last looked, the last verify."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.overview import case_overview
from service.opener import init_vault
from vault.backend import Server
from vault.cases import create_case
from vault.ingest import CustodyForm, ingest
from vault.session import Session
from vault.verify import verify
from vaultkit import FAST_KDF, PASSWORD

FORM = CustodyForm(exhibit="EX-9", seized_by="Sgt Peters", description="phone dump")


@pytest.fixture(params=["local", "server"])
def alice(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    def made(where: Path | Server) -> Session:
        session, _ = init_vault(where, "alice", PASSWORD, kdf=FAST_KDF)
        create_case(session, "C-1", "Harbour seizure", ["drug trafficking"])
        return session

    if request.param == "local":
        session = made(tmp_path / "vault")
        yield session
        session.close()
        return
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    with request.getfixturevalue("trial_server").place() as place:
        session = made(place)
        yield session
        session.close()


def _files(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(n.encode() * 10)
    return [folder / n for n in names]


def test_the_overview_counts_kinds_changes_and_the_last_verify(
    alice: Session, tmp_path: Path
) -> None:
    ingest(alice, "C-1", _files(tmp_path / "a", ["one.jpg", "two.JPG", "clip.mp4", "n.txt"]), FORM)
    first = case_overview(alice, "C-1")
    assert first.items == 4
    assert first.kinds["photo"] == 2 and first.kinds["video"] == 1
    assert first.last_viewed is None and first.changes == {}
    assert first.last_verified is None

    ingest(alice, "C-1", _files(tmp_path / "b", [f"p{i}.png" for i in range(20)]), FORM)
    assert verify(alice).ok
    second = case_overview(alice, "C-1")
    assert second.items == 24 and second.kinds["photo"] == 22
    assert second.last_viewed is not None  # the first visit
    assert sum(second.changes.values()) >= 1  # the 20 new items (one batch entry or more)
    assert second.last_verified is not None and second.verify_problems == 0
