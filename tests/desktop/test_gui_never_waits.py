"""The window never waits on the vault: no page calls the core on the GUI thread.

Every database session of the core opens through ``Session.db`` or ``Session.transaction``; the
test wraps both to note the thread and the page code that asked, then drives the main pages as a
person would. A core call made on the GUI thread fails the test with the line that made it.
"""

from __future__ import annotations

import threading
import traceback

import pytest
from guikit import settle, sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox


class GuiThreadCalls:
    def __init__(self) -> None:
        self.watching = False
        self.found: list[str] = []

    def note(self) -> None:
        if self.watching and threading.current_thread() is threading.main_thread():
            frames = traceback.extract_stack()[:-2]
            ours = [
                f
                for f in frames
                if "/desktop/" in f.filename and not f.filename.endswith("pages/__init__.py")
            ]
            where = ours[-1] if ours else frames[-1]
            self.found.append(f"{where.filename}:{where.lineno} {where.line}")


@pytest.fixture()
def gui_thread_calls(monkeypatch) -> GuiThreadCalls:
    from vault.session import Session

    calls = GuiThreadCalls()
    db, transaction = Session.db, Session.transaction

    def watched_db(self):
        calls.note()
        return db(self)

    def watched_transaction(self):
        calls.note()
        return transaction(self)

    monkeypatch.setattr(Session, "db", watched_db)
    monkeypatch.setattr(Session, "transaction", watched_transaction)
    return calls


def _click_first_row(qtbot, view) -> None:
    model = view.model()
    if model.rowCount():
        rect = view.visualRect(model.index(0, 0))
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_no_page_calls_the_core_on_the_gui_thread(
    matched, qtbot, gui_thread_calls, tmp_path, monkeypatch
):
    gui_thread_calls.watching = True  # the main window opens, too
    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    for key in window.area_keys():
        page = window.show_area(key)
        settle(qtbot, window)
        if hasattr(page, "show_case"):
            page.show_case("OP-7")
            settle(qtbot, window)
        for name in ("view", "keys_view"):
            view = getattr(page, name, None)
            if view is not None and hasattr(view, "visualRect"):
                _click_first_row(qtbot, view)
                settle(qtbot, window)
        window.refresh_action.trigger()  # F5
        settle(qtbot, window)
    timeline = window.show_area("timeline")  # zoom, filter, one subject, open an item
    timeline.show_case("OP-7")
    settle(qtbot, window)
    timeline.zoom_in_button.click()
    timeline.kind.setCurrentIndex(1)
    timeline.outcome.setCurrentIndex(1)
    timeline.fit_button.click()
    timeline.show_subject("obama")
    settle(qtbot, window)
    timeline.open_item(timeline.loaded.entries[0].item)
    settle(qtbot, window)
    timeline.item_dialog.close()
    places = window.show_area("map")  # zoom, one subject's track, open an item
    places.show_case("OP-7")
    settle(qtbot, window)
    places.zoom_in_button.click()
    places.fit_button.click()
    places.show_subject("obama")
    settle(qtbot, window)
    places.open_item(places.loaded.found.track[0].item if places.loaded.found.track else 1)
    settle(qtbot, window)
    places.item_dialog.close()
    evidence = window.show_area("evidence")
    _click_first_row(qtbot, evidence.view)
    qtbot.mouseClick(evidence.view_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    evidence.item_dialog.close()
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(tmp_path / "court.pdf"), "")
    )
    report = evidence.ask_report()  # a court report: options, where to save, then a job
    with qtbot.waitSignal(evidence.reported, timeout=120_000) as reported:
        report.accept()
    assert reported.args[0] is not None and (tmp_path / "court.pdf.sig").exists()
    settle(qtbot, window)
    evidence.job_dialog.close()
    match = evidence.match()  # known-file intelligence: match, alerts, similar, hash sets
    qtbot.waitUntil(lambda: not match.bridge.running, timeout=30_000)
    settle(qtbot, window)
    evidence.hide_good.setChecked(False)
    evidence.bad_first.setChecked(False)
    evidence.show_alerts()
    settle(qtbot, window)
    evidence.alerts_dialog.close()
    _click_first_row(qtbot, evidence.view)
    similar = evidence.show_similar()
    settle(qtbot, window)
    pdq = similar.compute_pdq()
    qtbot.waitUntil(lambda: not pdq.bridge.running, timeout=60_000)
    settle(qtbot, window)
    similar.all_cases.setChecked(True)
    settle(qtbot, window)
    if similar.model.records:
        similar.view.selectRow(0)
        similar.open_item()
        settle(qtbot, window)
        similar.item_dialog.close()
    similar.close()
    hashsets = window.show_area("hashsets")
    known = tmp_path / "known.txt"
    known.write_text("0" * 64 + "\n")
    with qtbot.waitSignal(hashsets.imported, timeout=30_000):
        hashsets.start_import(known, "Known", "known-bad")
    settle(qtbot, window)
    hashsets.select("Known")
    hashsets.toggle().button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    hashsets.delete().button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    bundles = window.show_area("bundles")
    dialog = bundles.open_export()
    settle(qtbot, window)
    qtbot.wait(200)  # the policy check starts after a short pause
    settle(qtbot, window)
    dialog.reject()
    admin = window.show_area("admin")
    user = admin.add_user()
    qtbot.keyClicks(user.name, "carl")
    qtbot.keyClicks(user.password, "a long enough password 1")
    qtbot.keyClicks(user.confirm, "a long enough password 1")
    user.roles["officer"].setChecked(True)
    user.submit()
    settle(qtbot, window)
    admin.select_user("carl")  # a new password: the vault-key rotation runs as a job
    password = admin.set_password()
    qtbot.keyClicks(password.password, "another long password 2")
    qtbot.keyClicks(password.confirm, "another long password 2")
    password.submit()
    qtbot.waitUntil(lambda: not admin.job.bridge.running, timeout=60_000)
    settle(qtbot, window)
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(tmp_path / "card.json"), "")
    )
    admin.save_card_button.click()  # the new key card partners need
    settle(qtbot, window)
    assert (tmp_path / "card.json").exists()
    cases = window.show_area("cases")
    new = cases.new_case()
    qtbot.keyClicks(new.reference, "OP-8")
    new.submit()
    settle(qtbot, window)
    gui_thread_calls.watching = False
    found = sorted(set(gui_thread_calls.found))
    assert not found, "core called on the GUI thread:\n" + "\n".join(found)


def test_the_recorder_sees_a_call_on_the_gui_thread(matched, qtbot, gui_thread_calls):
    from vault.cases import list_cases

    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    gui_thread_calls.watching = True
    list_cases(matched.session)
    assert len(gui_thread_calls.found) == 1
    with qtbot.waitSignal(window.runner.call(list_cases, matched.session).finished):
        pass
    assert len(gui_thread_calls.found) == 1
