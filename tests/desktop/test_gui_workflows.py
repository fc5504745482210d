"""Long work from the GUI goes through the core's jobs: progress, a working Cancel, and the
export dialog reaching the same job parameters as the command line (face matches)."""

from __future__ import annotations

import json
from pathlib import Path

from guikit import checked, settle, sign_in


def _audit(session, action: str) -> list:
    from vault.history import list_audit

    return list_audit(session, action)


def test_calibration_cancelled_from_its_progress_dialog_records_nothing(
    matched, qtbot, faces_dir: Path
):
    from matching.watchlists import show_watchlist

    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    dialog = page.calibrate()
    qtbot.keyClicks(dialog.folder, str(faces_dir))
    job = dialog.submit()
    assert job.cancel_button.isEnabled()
    with qtbot.waitSignal(job.bridge.progress, timeout=60_000) as first:
        pass
    assert first.args[1] == 22  # photos to measure
    with qtbot.waitSignal(job.bridge.failed, timeout=120_000) as stopped:
        job.cancel_button.click()
    assert stopped.args[0] == "cancelled by the user"
    assert job.status.text() == "cancelled by the user"
    assert show_watchlist(matched.session, "wanted").calibration is None
    assert _audit(matched.session, "watchlist.calibrated") == []


def test_cluster_and_search_run_as_cancellable_jobs(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("faces")
    settle(qtbot, window)
    with qtbot.waitSignal(page.faces_loaded, timeout=10_000):
        page.show_case("OP-7")
    progress = page.cluster()
    assert progress.bridge.cancellable and progress.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: page.cluster_dialog is not None, timeout=20_000)
    assert page.cluster_dialog.groups
    dialog = page.open_search()
    settle(qtbot, window)  # the dialog reads the watchlists on the runner
    dialog.watchlists.set_checked("wanted")
    with qtbot.waitSignal(dialog.searched, timeout=30_000) as done:
        bridge = dialog.run()
        assert bridge.cancellable and dialog.job_dialog.cancel_button.isEnabled()
    assert done.args[0].candidates and not dialog.job_dialog.isVisible()


def test_export_dialog_includes_face_matches_when_ticked(matched, qtbot, tmp_path: Path):
    window = sign_in(matched, qtbot)
    page = window.show_area("bundles")
    settle(qtbot, window)
    page.show_case("OP-7")
    dialog = page.open_export()
    checked(qtbot, window, dialog)
    joint = dialog.purpose.findData("joint-operation")
    if dialog.purpose.currentIndex() != joint:  # else preselected: the agreement covers it
        with qtbot.waitSignal(dialog.checked, timeout=10_000):
            dialog.purpose.setCurrentIndex(joint)
    red = next(v.item for v in dialog.preview.verdicts if not v.allowed)
    with qtbot.waitSignal(dialog.checked, timeout=10_000):
        dialog.items.set_checked(red, False)
    assert not dialog.matches.isChecked()
    with qtbot.waitSignal(dialog.checked, timeout=10_000) as seen:
        qtbot.mouseClick(dialog.matches, _left())
    assert dialog.matches.isChecked() and seen.args[0].allowed
    out = tmp_path / "out"
    out.mkdir()
    dialog.folder.setText(str(out))
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as done:
        dialog.export_button.click()
    graph = json.loads((done.args[0].path / "data/case.jsonld").read_text())["@graph"]
    kinds = {
        t for n in graph for t in (n["@type"] if isinstance(n["@type"], list) else [n["@type"]])
    }
    assert "uco-analysis:AnalyticResult" in kinds  # the search's candidates went along


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
