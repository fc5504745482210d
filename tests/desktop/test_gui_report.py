"""The court report from the Evidence page: options, where to save, a job with progress."""

from __future__ import annotations

import subprocess
from pathlib import Path

from guikit import settle, sign_in
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QFileDialog

from vault.items import custody
from vaultkit import require_tool


def test_report_of_the_selected_items_runs_as_a_job_and_verifies(
    matched, qtbot, tmp_path: Path, monkeypatch
) -> None:
    window = sign_in(matched, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    page.show_case("OP-7")
    qtbot.waitUntil(lambda: page.model.rowCount() > 1, timeout=20_000)
    assert page.report_button.isVisible()
    model, selection = page.view.model(), page.view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (0, 1):
        selection.select(model.index(row, 0), flags)
    chosen = page.selected_ids()
    assert len(chosen) == 2

    dialog = page.ask_report()
    assert dialog is not None and dialog.only_selected.isChecked()
    dialog.lang.setCurrentIndex(dialog.lang.findData("ar"))
    # the save dialog answers a name without .pdf: the page adds it
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(tmp_path / "op7 report"), "")
    )
    with qtbot.waitSignal(page.reported, timeout=120_000) as done:
        dialog.accept()
    result = done.args[0]
    assert result is not None and result.items == 2 and result.lang == "ar"
    pdf = tmp_path / "op7 report.pdf"
    assert result.files.pdf == pdf
    assert "openssl pkeyutl -verify" in page.job_dialog.status.text()
    openssl = require_tool("openssl")
    cmd = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", tmp_path / "op7 report.pem"]
    cmd += ["-rawin", "-in", pdf, "-sigfile", tmp_path / "op7 report.pdf.sig"]
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert (tmp_path / "op7 report.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    session = matched.session
    for item_id in chosen:
        assert any(e.kind == "reported" for e in custody(session, item_id))
    others = [r.id for r in page.model.records if r.id not in chosen]
    assert others and not any(e.kind == "reported" for e in custody(session, others[0]))


def test_an_officer_sees_no_report_button(matched, qtbot) -> None:
    from vault.users import add_user
    from vaultkit import PASSWORD

    sign_in(matched, qtbot)
    add_user(matched.session, "olga", ["officer"], PASSWORD)
    matched.lock()
    window = sign_in(matched, qtbot, "olga")
    page = window.show_area("evidence")
    assert not page.report_button.isVisibleTo(page)
