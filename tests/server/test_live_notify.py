"""The live view on an agency server: another workstation's commit is announced by PostgreSQL
(``NOTIFY custos, '<head seq>'``, sent inside the committing transaction) and wakes the waiting
feed at once; the announcement carries a number only, and a rolled-back write announces nothing.
A real trial server (``tests/serverkit.py``), a database and bucket of each test's own; the
other workstation is the ``custos`` program in a process and a cache folder of its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from serverkit import TrialServer

import vault.changes
from vault.backend import Server
from vault.cases import create_case
from vault.changes import ChangeFeed, Changes
from vault.session import Session


def test_another_workstations_commit_wakes_the_feed_by_its_announcement(
    trial_server: TrialServer,
    server_place: Server,
    server_alice: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No safety-net look for as long as the test runs: any look after the first is one an
    # announcement woke.
    monkeypatch.setattr(vault.changes, "NOTIFIED_POLL_SECONDS", 3600.0)
    feed = ChangeFeed(server_alice)
    stop = threading.Event()
    seen: list[Changes] = []

    def watch() -> None:
        while sum(c.items for c in seen) < 40 and not stop.is_set():
            found = feed.wait(stop, timeout=600)
            if found is None:
                return
            seen.append(found)

    waiter = threading.Thread(target=watch)
    waiter.start()
    try:
        trial_server.ingest_elsewhere(server_place, tmp_path / "there", 40)
        waiter.join(timeout=120)
        assert not waiter.is_alive(), "the feed was not woken by the other workstation's commit"
    finally:
        stop.set()
        waiter.join()
    assert sum(c.items for c in seen) == 40
    assert feed.woken >= 1
    assert feed.looks == feed.woken + 1  # the first look, then one per announcement


def test_the_announcement_is_the_head_number_only_and_a_rollback_sends_none(
    trial_server: TrialServer, server_place: Server, server_alice: Session
) -> None:
    from vault.server.address import parse

    listener = trial_server.connect(parse(server_place.url).database)
    try:
        listener.execute("LISTEN custos")
        with pytest.raises(RuntimeError), server_alice.transaction() as db:
            server_alice.audit(db, "case.created", target="cases:99", reference="never committed")
            raise RuntimeError("the write fails after its entry")
        assert list(listener.notifies(timeout=0.5)) == []
        create_case(server_alice, "C-2", "Second seizure", ["fraud"])
        heard = list(listener.notifies(timeout=30, stop_after=1))
    finally:
        listener.close()
    assert len(heard) == 1 and heard[0].channel == "custos"
    assert heard[0].payload.isdigit()
    with server_alice.db() as db:
        from vault.audit import read_head

        assert int(heard[0].payload) == read_head(db).seq
