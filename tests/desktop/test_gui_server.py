"""The desktop on an agency server: ``custos --server URL gui`` signs in to the vault on a real
trial server (PostgreSQL over TLS + S3), names the server (not a folder) as the vault, and
shows what another workstation ingests into it while the window is open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from guikit import settle, sign_in
from PySide6.QtWidgets import QLabel
from serverkit import TrialServer, listing_also_naming

from desktop.controller import Controller
from vault.backend import Server
from vaultkit import run_cli


@pytest.fixture()
def place(trial_server: TrialServer) -> Iterator[Server]:
    with trial_server.place() as place:
        yield place


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> str:
    done = run_cli(*args, vault=tmp_path / "no-vault-here", **env)
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout


def test_sign_in_on_a_server_and_see_another_workstations_items(
    trial_server: TrialServer,
    place: Server,
    tmp_path: Path,
    qtbot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        **trial_server.env_for(place),
        "CUSTOS_CACHE_DIR": str(tmp_path / "cli-cache"),
        "XDG_DATA_HOME": str(tmp_path / "machine"),  # init enrols this machine
    }
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])  # the GUI runs on the same desk
    _cli(tmp_path, env, "init", "--admin", "alice", "--recovery-identity-out", str(tmp_path / "r"))
    _cli(tmp_path, env, "case", "create", "C-1", "--title", "Harbour")
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "gui-cache"))

    controller = Controller(place)
    try:
        controller.start()
        labels = controller.dialog.findChildren(QLabel)
        assert any(place.url in label.text() for label in labels)  # the server, not a folder
        window = sign_in(controller, qtbot)
        assert place.url in window.vault_label.text()
        page = window.show_area("evidence")
        settle(qtbot, window)
        assert window.live.watching.wait(30)
        assert len(page.model.records) == 0

        cards = tmp_path / "card"
        cards.mkdir()
        for i in range(20):
            (cards / f"note-{i:02}.txt").write_text(f"seized note {i}\n")
        said = _cli(tmp_path, env, "ingest", "--case", "C-1", str(cards))
        assert "saved 20 item(s)" in said

        qtbot.waitUntil(lambda: len(page.model.records) == 20, timeout=30_000)
        assert "20 new items" in window.statusBar().currentMessage()
    finally:
        controller._close_session()
        if controller.dialog is not None:
            controller.dialog.close()


def test_the_admin_page_disables_a_user_on_a_server(
    trial_server: TrialServer,
    place: Server,
    tmp_path: Path,
    qtbot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Admin page's Disable on an agency server: the vault key rotates there as in a local
    vault (no refusal), the user can no longer sign in, everyone else still can."""
    from PySide6.QtWidgets import QMessageBox

    from vault.errors import CustosError
    from vaultkit import NEW_PASSWORD, open_as

    env = {
        **trial_server.env_for(place),
        "CUSTOS_CACHE_DIR": str(tmp_path / "cli-cache"),
        "XDG_DATA_HOME": str(tmp_path / "machine"),
    }
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    _cli(tmp_path, env, "init", "--admin", "alice", "--recovery-identity-out", str(tmp_path / "r"))
    _cli(
        tmp_path,
        {**env, "CUSTOS_NEW_PASSWORD": NEW_PASSWORD},
        "user",
        "add",
        "bea",
        "--role",
        "analyst",
    )
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "gui-cache"))
    controller = Controller(place)
    try:
        window = sign_in(controller, qtbot)
        page = window.show_area("admin")
        settle(qtbot, window)
        page.select_user("bea")
        # what the rotation asks of the other workstations, said before it starts
        dialog = page.set_password()
        assert "every other workstation" in dialog.findChild(QLabel, "password_note").text()
        dialog.reject()
        box = page.disable()
        said = box.informativeText()
        assert "every other workstation" in said and "sign in again" in said
        box.button(QMessageBox.StandardButton.Yes).click()
        qtbot.waitUntil(lambda: not page.job.bridge.running, timeout=120_000)
        assert page.job.status.text().startswith("Done: the vault key was rotated")
        settle(qtbot, window)
        assert {u.name: u for u in page.model.records}["bea"].disabled
        assert page.rotation_box.isVisible()
    finally:
        controller._close_session()
        if controller.dialog is not None:
            controller.dialog.close()
    with pytest.raises(CustosError):
        open_as(place, "bea", NEW_PASSWORD)
    open_as(place, "alice").close()


def test_a_warning_of_the_sign_in_is_shown_in_the_window(
    server_alice: Any, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Session.warnings`` (the CLI prints them) shown in the window after the sign-in, where
    the user sees them until they close them: here a rotation's re-wrap left unfinished (the
    marker row) whose resume at this sign-in fails on an object the store lists but no longer
    has; the sign-in itself goes on."""
    from PySide6.QtWidgets import QPushButton

    from vault.models import Meta
    from vault.objectstore import S3Store
    from vault.serverrotation import REWRAP_PENDING
    from vaultkit import place_of

    session = server_alice
    place = place_of(session)
    with session.transaction() as db:  # as a rotation killed during its re-wrap leaves it
        db.merge(Meta(key=REWRAP_PENDING, value=session.config.vault_recipient.encode()))
    session.close()
    victim = "blobs/ff/" + "f" * 64
    monkeypatch.setattr(S3Store, "names", listing_also_naming(victim))
    controller = Controller(place)
    try:
        window = sign_in(controller, qtbot)
        banner = window.findChild(QLabel, "session_warnings")
        assert banner is not None and banner.isVisible()
        assert victim in banner.text() and "unfinished" in banner.text()
        close = window.findChild(QPushButton, "session_warnings_close")
        close.click()
        assert not banner.isVisible()
    finally:
        controller._close_session()
        if controller.dialog is not None:
            controller.dialog.close()
