"""Long work from the GUI goes through the core's jobs: progress and a working Cancel."""

from __future__ import annotations

from pathlib import Path

from guikit import sign_in


def _audit(session, action: str) -> list:
    from vault.history import list_audit

    return list_audit(session, action)


def test_calibration_cancelled_from_its_progress_dialog_records_nothing(
    matched, qtbot, faces_dir: Path
):
    from matching.watchlists import show_watchlist

    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
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
    with qtbot.waitSignal(page.faces_loaded, timeout=10_000):
        page.show_case("OP-7")
    progress = page.cluster()
    assert progress.bridge.cancellable and progress.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: page.cluster_dialog is not None, timeout=20_000)
    assert page.cluster_dialog.groups
    dialog = page.open_search()
    dialog.watchlists.set_checked("wanted")
    with qtbot.waitSignal(dialog.searched, timeout=30_000) as done:
        bridge = dialog.run()
        assert bridge.cancellable and dialog.job_dialog.cancel_button.isEnabled()
    assert done.args[0].candidates and not dialog.job_dialog.isVisible()
