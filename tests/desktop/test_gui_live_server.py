"""The live view on an agency server: the window's ``LiveView`` (the thread that hands the core's
change feed to the GUI) reports what another workstation ingests, woken by the server's
announcement of the commit (``LISTEN``/``NOTIFY``), without the analyst pressing F5. The desktop
does not open server vaults yet, so the ``LiveView`` object runs on a server session directly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from serverkit import TrialServer

import vault.changes
from desktop.live import LiveView
from vault.backend import Server
from vault.changes import Changes
from vault.session import Session


def test_items_another_workstation_ingests_are_announced_to_the_open_window(
    qtbot,
    trial_server: TrialServer,
    server_place: Server,
    server_alice: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(vault.changes, "NOTIFIED_POLL_SECONDS", 3600.0)  # no look but on NOTIFY
    live = LiveView(server_alice)
    shown: list[Changes] = []
    live.changed.connect(shown.append)
    live.start()
    try:
        assert live.watching.wait(30)
        trial_server.ingest_elsewhere(server_place, tmp_path / "there", 12)
        qtbot.waitUntil(lambda: sum(c.items for c in shown) == 12, timeout=60_000)
    finally:
        live.stop()


def test_enrolling_this_workstation_on_a_server_shows_its_login_once(
    qtbot,
    server_place: Server,
    server_alice: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from guikit import settle, sign_in
    from PySide6.QtWidgets import QMessageBox

    from desktop.controller import Controller

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine"))
    controller = Controller(server_place)
    try:
        window = sign_in(controller, qtbot)
        page = window.show_area("admin")
        settle(qtbot, window)
        box = page.workstations
        dialog = box.ask_enrol()
        dialog.setTextValue("desk-1")
        dialog.accept()
        qtbot.waitUntil(lambda: isinstance(box.dialog, QMessageBox), timeout=30_000)
        shown = box.dialog.text()
        assert "shown this once and kept nowhere" in shown
        assert "user custos_ws_" in shown and "password " in shown
        assert "--server postgresql://custos_ws_" in shown
        assert "Its own S3 key, shown this once" in shown and "\naccess key " in shown
        assert "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to them." in shown
        box.dialog.accept()
    finally:
        controller._close_session()
        if controller.dialog is not None:
            controller.dialog.close()


HOSTILE = [
    "x" * 7990,  # PostgreSQL's largest payload is just under 8000 bytes
    "9" * 7990,  # a head seq no vault has
    "-1",
    "items:1..999999999999",
    "'; DROP TABLE blobs; --",
    "\x01\x02\x1b[2J\x7f\u202e\ufffd binary-ish",
    "",
]


def test_a_hostile_notify_payload_neither_stops_nor_fools_the_live_view(
    qtbot,
    trial_server: TrialServer,
    server_place: Server,
    server_alice: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Anyone who can connect may ``NOTIFY custos`` with any payload (huge, binary, a lie): the
    listener only counts announcements, the feed then reads the head, so the window shows only
    what the vault holds, and still shows the next real change."""
    from vault.audit import read_head
    from vault.backend import CHANNEL

    monkeypatch.setattr(vault.changes, "NOTIFIED_POLL_SECONDS", 3600.0)  # no look but on NOTIFY
    woken: list[bool] = []
    waiting = server_alice.wait_for_change

    def counted(stop: threading.Event, seconds: float) -> bool:
        woke = waiting(stop, seconds)
        woken.append(woke)
        return woke

    monkeypatch.setattr(server_alice, "wait_for_change", counted)
    live = LiveView(server_alice)
    shown: list[Changes] = []
    live.changed.connect(shown.append)
    live.start()
    conn = server_alice.backend.raw_connection()
    try:
        assert live.watching.wait(30)
        with server_alice.db() as db:
            before = read_head(db).seq
        for _ in range(30):
            for payload in HOSTILE:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
        qtbot.waitUntil(lambda: any(woken), timeout=30_000)  # the announcements reached it
        qtbot.wait(1000)  # the looks they caused found the head unmoved: nothing to show
        assert shown == []
        trial_server.ingest_elsewhere(server_place, tmp_path / "there", 3)
        qtbot.waitUntil(lambda: sum(c.items for c in shown) >= 3, timeout=60_000)
        assert sum(c.items for c in shown) == 3
        with server_alice.db() as db:
            now = read_head(db).seq
        # nothing was shown for the announcements alone: every report is of entries written
        assert all(before < c.head <= now for c in shown), (before, now, shown)
        assert live._thread is not None and live._thread.is_alive()
    finally:
        conn.close()
        live.stop()
