"""The live view: an analyst's window shows what another process adds to the vault (an
officer's ingest on the command line, another desk) without the analyst pressing F5, says in
the status bar what arrived, and keeps the row the analyst was on."""

from __future__ import annotations

from pathlib import Path

from guikit import settle, sign_in

from vaultkit import run_cli


def _files(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"photo-{i:03}.txt").write_text(f"seized note {i}\n")
    return folder


def test_items_ingested_elsewhere_appear_in_the_open_evidence_list(
    controller, qtbot, vault_dir: Path, tmp_path: Path
) -> None:
    first = run_cli("ingest", "--case", "C-1", str(_files(tmp_path / "card", 2)), vault=vault_dir)
    assert first.returncode == 0, first.stderr
    window = sign_in(controller, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    qtbot.waitUntil(lambda: len(page.model.records) == 2, timeout=20_000)
    assert window.live.watching.wait(20)
    page.view.setCurrentIndex(page.proxy.index(1, 0))
    kept = page.selected_item().id

    done = run_cli("ingest", "--case", "C-1", str(_files(tmp_path / "dump", 30)), vault=vault_dir)
    assert done.returncode == 0, done.stderr

    qtbot.waitUntil(lambda: len(page.model.records) == 32, timeout=20_000)
    assert "30 new items" in window.statusBar().currentMessage()
    assert page.selected_item().id == kept  # the analyst's place is kept
    assert "32" in page.count.text()


def test_own_ingest_is_not_announced_as_from_elsewhere(
    controller, qtbot, vault_dir: Path, tmp_path: Path
) -> None:
    from vault.ingest import ingest

    window = sign_in(controller, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    assert window.live.watching.wait(20)
    shown: list[object] = []
    window.live.changed.connect(shown.append)
    ingest(window.session, "C-1", sorted(_files(tmp_path / "own", 3).iterdir()))
    other = run_cli("ingest", "--case", "C-1", str(_files(tmp_path / "other", 1)), vault=vault_dir)
    assert other.returncode == 0, other.stderr
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    assert [c.items for c in shown] == [1]  # the other process's file only
    qtbot.waitUntil(lambda: len(page.model.records) == 4, timeout=20_000)
