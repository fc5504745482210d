"""The list of bundles sent and received, refreshed after an import and after an export."""

from __future__ import annotations

from pathlib import Path

from guikit import checked, settle, sign_in


def _rows(page) -> list[list[str]]:
    view = page.history_view.model()
    return [
        [view.index(r, c).data() for c in range(view.columnCount())] for r in range(view.rowCount())
    ]


def test_bundles_received_and_sent_are_listed_newest_first(
    matched, qtbot, world: Path, tmp_path: Path
):
    from exchange.history import list_bundles

    window = sign_in(matched, qtbot)
    page = window.show_area("bundles")
    settle(qtbot, window)
    assert _rows(page) == [] and list_bundles(matched.session) == []
    page.show_case("C-1")
    settle(qtbot, window)
    with qtbot.waitSignal(page.reported, timeout=30_000):
        page.import_bundle(world / "incoming")
    settle(qtbot, window)
    [received] = list_bundles(matched.session)
    assert (received.direction, received.partner, received.subject, received.items) == (
        "in",
        "BKA",
        "C-1",
        1,
    )
    [row] = _rows(page)
    assert row[:4] == ["received", "BKA", "joint-operation", "C-1"]
    assert row[5:] == ["1", received.sha256] and row[4]  # the time, in the user's locale

    dialog = page.open_export()
    checked(qtbot, window, dialog)  # the purpose agreed with BKA is preselected
    assert dialog.cases.reference() == "C-1"
    assert dialog.purpose.currentData() == "joint-operation"
    out = tmp_path / "out"
    out.mkdir()
    dialog.folder.setText(str(out))
    assert dialog.export_button.isEnabled(), dialog.summary.text()
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as done:
        dialog.export_button.click()
    settle(qtbot, window)
    sent, again = list_bundles(matched.session)
    assert again == received and sent.direction == "out" and sent.sha256 == done.args[0].sha256
    rows = _rows(page)
    assert [r[0] for r in rows] == ["sent", "received"]
    assert rows[0][1:4] == ["BKA", "joint-operation", "C-1"] and rows[0][6] == sent.sha256
