"""The plumbing under the screens: the job bridge, lazy start-up, the ``custos gui`` hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from guikit import sign_in
from PySide6.QtCore import QThread

from desktop import controller as controller_module
from desktop import settings
from desktop.jobs import JobDialog, JobRunner
from vaultkit import PASSWORD

REPO = Path(__file__).resolve().parents[2]


def test_job_events_reach_the_gui_thread_and_errors_are_one_line(qtbot, capfd):
    from vault.errors import UserError
    from vault.jobs import CancelToken, Finished, Progress

    runner = JobRunner()
    threads: list[object] = []

    class Job:
        cancel = CancelToken()

        def run(self, emit):
            emit(Progress(0, 3 << 31, "bytes", "start"))
            emit(Finished("a.jpg", False, "permission denied"))
            emit(Progress(3 << 31, 3 << 31, "bytes", "end"))
            return "result"

    bridge = runner.start(Job())
    dialog = JobDialog(bridge, "job")
    bridge.progress.connect(lambda *a: threads.append(QThread.currentThread()))
    with qtbot.waitSignal(bridge.finished) as done:
        pass
    assert done.args == ["result"]
    assert threads and all(t is QThread.currentThread() for t in threads)
    assert dialog.bar.value() == dialog.SCALE  # totals beyond 2**31 bytes are fine
    assert "a.jpg: permission denied" in dialog.problems.toPlainText()

    def refused(emit):
        raise UserError("no case with reference 'X'")

    with qtbot.waitSignal(runner.start(refused).failed) as failed:
        pass
    assert failed.args == ["no case with reference 'X'"]

    def bug(emit):
        return {}["missing"]

    with qtbot.waitSignal(runner.start(bug).failed) as failed:
        pass
    assert failed.args == ["internal error: KeyError: 'missing'"]
    assert "Traceback" in capfd.readouterr().err  # on stderr, never in a dialog
    assert runner.wait(5000)


def test_start_up_loads_no_heavy_module(vault_dir: Path, tmp_path: Path):
    """Sign in and show the main window in a fresh process: no numpy, OpenCV, dlib, matching,
    nor Alembic (the vault is at the head revision)."""
    script = f"""
import sys
sys.path.insert(0, {str(REPO / "tests")!r})
from PySide6.QtCore import QSettings
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, {str(tmp_path)!r})
from desktop.app import make_app
app = make_app([])
before = set(sys.modules)
from desktop.controller import Controller
c = Controller(__import__("pathlib").Path({str(vault_dir)!r}))
c.start()
early = set(sys.modules)
from PySide6.QtCore import QEventLoop
loop = QEventLoop()
c.entered.connect(loop.quit)
d = c.dialog
d.user.setText("alice"); d.password.setText({PASSWORD!r}); d.sign_in_button.click()
loop.exec()
heavy = ("numpy", "cv2", "dlib", "face_recognition", "matching.facelist", "matching.detect",
         "alembic", "mako")  # Alembic only when the vault's schema is behind
print("early:", sorted(m for m in early if m.startswith(("sqlalchemy", "cryptography"))))
print("late:", sorted(m for m in sys.modules if m.split(".")[0] in heavy or m in heavy))
print("window:", c.window.area_keys())
c._close_session()
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines())
    assert lines["early"] == "[]"  # the login window needs no database or crypto stack
    assert lines["late"] == "[]"
    assert "cases" in lines["window"]


def test_vault_marker_matches_the_core():
    from vault.config import FILENAME

    assert controller_module.VAULT_FILE == FILENAME


def test_window_layout_is_remembered(controller, qtbot):
    window = sign_in(controller, qtbot)
    window.resize(700, 500)
    controller.lock()
    assert settings.settings().value("window/geometry") is not None
    window = sign_in(controller, qtbot)
    assert (window.width(), window.height()) == (700, 500)


def test_custos_gui_command_is_registered_without_loading_qt():
    script = (
        "import sys; from click.testing import CliRunner; from cli.main import cli;"
        "r = CliRunner().invoke(cli, ['gui', '--help']);"
        "print(r.exit_code, 'PySide6' in sys.modules, '--vault' in r.output)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.split() == ["0", "False", "True"]


def test_every_string_in_the_sources_has_an_arabic_translation(tmp_path: Path):
    import xml.etree.ElementTree as ET

    from desktop.i18n import HERE
    from desktop.i18n.build import _tool, sources

    fresh = tmp_path / "fresh.ts"
    subprocess.run([_tool("pyside6-lupdate"), *sources(), "-ts", str(fresh)], check=True)

    def messages(path: Path) -> dict[tuple[str, str], ET.Element]:
        found = {}
        for context in ET.parse(path).getroot().iter("context"):
            name = context.findtext("name")
            for m in context.iter("message"):
                found[(name, m.findtext("source"))] = m.find("translation")
        return found

    shipped = messages(HERE / "custos_ar.ts")
    missing = sorted(set(messages(fresh)) - set(shipped))
    assert not missing, f"run: python -m desktop.i18n.build --update, then translate {missing}"
    unfinished = [k for k, t in shipped.items() if t.get("type") or not (t.text or "").strip()]
    assert not unfinished


def test_every_translation_context_is_one_the_running_code_asks_in():
    """``widget.tr`` in a module function is collected under a context no class has (it was
    "page"), so its Arabic was never shown: every context must be a class or a named one."""
    import ast
    import xml.etree.ElementTree as ET

    from desktop.i18n import HERE
    from desktop.i18n.build import CORE_SOURCES

    asked: set[str] = set()
    for path in [*(REPO / "desktop").rglob("*.py"), *(REPO / p for p in CORE_SOURCES)]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                asked.add(node.name)
            elif isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                first = node.args[0]
                if name in ("translate", "QT_TRANSLATE_NOOP") and isinstance(first, ast.Constant):
                    asked.add(first.value)
    shipped = {
        c.findtext("name") for c in ET.parse(HERE / "custos_ar.ts").getroot().iter("context")
    }
    assert shipped - asked == set()


def test_qt_calls_that_return_nothing_keep_none_alive():
    """PySide6 6.12.0 dropped a reference to None on every call of a void Qt method (setPen,
    drawRect, setToolTip, ...): after a few thousand paints Python aborted with "deallocating
    None". The pinned Qt must not: 20,000 such calls in a fresh process, None's count steady."""
    script = """
import sys
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
image = QImage(64, 64, QImage.Format.Format_ARGB32)
painter = QPainter(image)
widget = QWidget()
before = sys.getrefcount(None)
for _ in range(5000):
    painter.drawRect(QRectF(1, 1, 3, 3))
    painter.setPen(Qt.PenStyle.NoPen)
    widget.setToolTip("x")
    widget.update()
painter.end()
print(sys.getrefcount(None) - before)
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-500:]
    assert abs(int(out.stdout.strip())) < 100


def test_a_warning_met_after_the_sign_in_reaches_the_banner(
    vault_dir: Path, controller: controller_module.Controller, qtbot, tmp_path: Path
) -> None:
    """A warning the core meets after the sign-in (a job's read of a pack whose size no row
    records: read unbounded, one line a session) reaches the window's banner as it comes, on
    the GUI thread, and shows it again if the user had closed it."""
    from guikit import settle
    from PySide6.QtWidgets import QLabel, QPushButton
    from sqlalchemy import update

    from vault.ingest import POOL_MIN_FILES, ingest
    from vault.items import list_items, read_item_bytes
    from vault.models import Blob
    from vaultkit import open_as

    phone = tmp_path / "phone"
    phone.mkdir()
    for n in range(POOL_MIN_FILES):
        (phone / f"f{n:04}.bin").write_bytes(os.urandom(100 + n))
    session = open_as(vault_dir)
    try:
        ingest(session, "C-1", [phone])
        with session.transaction() as db:  # as an upgrade that could not size them leaves them
            db.execute(update(Blob).where(Blob.pack.is_not(None)).values(pack_size=None))
        item = list_items(session, "C-1")[0].id
    finally:
        session.close()
    window = sign_in(controller, qtbot)
    settle(qtbot, window)
    banner = window.findChild(QLabel, "session_warnings")
    assert banner is not None and not banner.isVisible()
    page = window.show_area("evidence")
    read: list[bytes] = []
    # the core on a worker, as pages call it
    page.call(read_item_bytes, controller.session, item, done=read.append)
    qtbot.waitUntil(lambda: bool(read), timeout=20_000)
    qtbot.waitUntil(banner.isVisible, timeout=5_000)
    assert "has no recorded size" in banner.text() and "\n" not in banner.text()
    window.findChild(QPushButton, "session_warnings_close").click()
    assert not banner.isVisible()
    controller.session.warn("a second line from the core")
    qtbot.waitUntil(banner.isVisible, timeout=5_000)
    assert banner.text().count("⚠") == 2
