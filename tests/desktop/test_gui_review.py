"""Review as an analyst: side by side, a decision with a reason, keyboard shortcuts."""

from __future__ import annotations

from guikit import ANALYST, settle, sign_in
from PySide6.QtCore import Qt


def test_review_shows_both_faces_and_records_a_decision_by_keyboard(matched, qtbot):
    window = sign_in(matched, qtbot, user=ANALYST)
    assert "review" in window.area_keys() and "bundles" not in window.area_keys()
    page = window.show_area("review")
    settle(qtbot, window)
    with qtbot.waitSignal(page.detail_shown, timeout=10_000):
        page.show_case("OP-7")
    settle(qtbot, window)
    assert page.status_filter.currentData() == "pending"
    first = page.current()
    assert first is not None and first.status == "pending"
    detail = page.detail
    assert detail.candidate == first.candidate
    assert page.probe.image is not None and page.reference.image is not None
    assert page.fields["distance"].text() == f"{first.distance:.4f}"
    assert page.fields["threshold"].text() == f"{first.threshold:.4f}"
    assert page.fields["mode"].text() == "investigative"
    assert page.fields["reason"].text() == "armed robbery"
    assert page.fields["agency"].text() == "Europol"
    assert page.fields["label"].text() == "TLP:AMBER"
    assert page.fields["review_on"].text() == "2027-06-30"
    # the quality of both faces, and which detector found the case face
    probe = page.fields["probe_quality"].text()
    assert " px between the eyes, sharpness " in probe and "Found by: hog x" in probe
    assert " px between the eyes, " in page.fields["reference_quality"].text()
    window.activateWindow()
    page.view.setFocus()
    qtbot.waitUntil(lambda: page.view.hasFocus(), timeout=5_000)
    with qtbot.waitSignal(page.detail_shown, timeout=10_000):
        qtbot.keyClick(page.view, Qt.Key.Key_J)  # next candidate
    settle(qtbot, window)
    second = page.current()
    assert second.candidate != first.candidate
    with qtbot.waitSignal(page.detail_shown, timeout=10_000):
        qtbot.keyClick(page.view, Qt.Key.Key_K)  # back
    settle(qtbot, window)
    assert page.current().candidate == first.candidate
    qtbot.keyClick(page.view, Qt.Key.Key_R)
    dialog = page.reason_dialog
    assert dialog is not None and dialog.isVisible() and dialog.decision == "rejected"
    dialog.submit()  # an empty reason is refused
    assert dialog.isVisible() and dialog.message.text() == "A reason is required."
    qtbot.keyClicks(dialog.reason, "different ear shape and chin")
    with qtbot.waitSignal(page.decided, timeout=10_000) as done:
        dialog.submit()
    settle(qtbot, window)
    assert done.args == [first.candidate, "rejected"]
    shown = [r.candidate for r in page.model.records]
    assert first.candidate not in shown  # only pending candidates are listed
    page.status_filter.setCurrentIndex(page.status_filter.findData("rejected"))
    settle(qtbot, window)
    assert [r.candidate for r in page.model.records] == [first.candidate]
    assert page.view.model().index(0, 7).data() == "rejected"
    from matching.review import list_review
    from vault.history import list_audit

    record = next(r for r in list_review(matched.session, "OP-7") if r.candidate == first.candidate)
    assert record.status == "rejected"
    assert record.decisions[0][1] == ANALYST
    assert record.decisions[0][3] == "different ear shape and chin"
    matched.lock()  # the audit log is the admin's to read
    sign_in(matched, qtbot)
    decided = list_audit(matched.session, action="review.decided")
    assert [(a.actor, a.details["decision"]) for a in decided] == [(ANALYST, "rejected")]


def test_confirm_and_inconclusive_buttons_ask_for_a_reason(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("review")
    settle(qtbot, window)
    with qtbot.waitSignal(page.detail_shown, timeout=10_000):
        page.show_case("OP-7")
    settle(qtbot, window)
    target = page.current().candidate
    page.buttons["confirmed"].click()
    dialog = page.reason_dialog
    assert dialog.windowTitle() == f"Confirm candidate {target}"
    qtbot.keyClicks(dialog.reason, "same scar above the left eye")
    with qtbot.waitSignal(page.decided, timeout=10_000) as done:
        dialog.submit()
    settle(qtbot, window)
    assert done.args == [target, "confirmed"]
    page.buttons["inconclusive"].click()
    page.reason_dialog.reject()  # cancelling records nothing
    from vault.history import list_audit

    assert len(list_audit(matched.session, action="review.decided")) == 1
