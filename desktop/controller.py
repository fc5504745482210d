"""The application flow: first start or sign in, the main window, idle lock, language, quit."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog

from desktop import i18n, settings
from desktop.jobs import JobRunner

VAULT_FILE = "vault.toml"  # vault.config.FILENAME
_INPUT = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Fires ``idle`` after ``minutes`` without keyboard or mouse input anywhere in the app."""

    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)

    def start(self, minutes: float) -> None:
        self.timer.setInterval(int(minutes * 60_000))
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT and self.timer.isActive():
            self.timer.start()
        return False


_IMPORTS = threading.Lock()  # the sign-in preload's imports against the window's (_preload)


class Controller(QObject):
    """Owns the session (at most one), the job runner and the top-level windows."""

    entered = Signal(object)  # the main window, once signed in

    def __init__(self, folder: Path | Any, kdf: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder  # a vault folder, or an agency server (``vault.backend.Server``)
        self.kdf = kdf  # tests pass a cheap Argon2id; None means the core's default
        self.runner = JobRunner(self)
        self.session: Any = None
        self.window: Any = None
        self.dialog: QDialog | None = None
        self.idle = IdleWatcher(self)
        self.idle.idle.connect(self._on_idle)
        self._entered = False  # the window is opening: a preload not yet started is skipped

    def start(self) -> None:
        i18n.install(settings.language_for(settings.last_user() or None))
        # Only which dialog to show is decided here (the core refuses to create a vault over
        # one, or to open a folder that is not one); importing vault.config would load the
        # cryptography stack before the first window.
        # An agency server (``Server``) always asks for a sign-in: whether its vault exists is
        # the server's to say, and a network call has no place on the GUI thread.
        if not isinstance(self.folder, Path) or (self.folder / VAULT_FILE).is_file():
            self.show_login(settings.last_user())
        else:
            self.show_setup()

    # --- first start and sign in ---------------------------------------------------------
    def show_setup(self) -> None:
        from desktop.login import SetupDialog

        dialog = SetupDialog(self.runner, self.folder, self.kdf)
        dialog.created.connect(self._created)
        dialog.rejected.connect(self.quit)
        self._show_dialog(dialog)

    def _created(self, session: Any, recovery: str) -> None:
        from desktop.login import RecoveryDialog

        self.session = session
        dialog = RecoveryDialog(recovery)
        dialog.accepted.connect(lambda: self._enter(session))
        self._show_dialog(dialog)

    def show_login(self, user: str = "") -> None:
        from desktop.login import LoginDialog

        dialog = LoginDialog(self.runner, self.folder, user)
        dialog.signed_in.connect(self._enter)
        dialog.rejected.connect(self.quit)
        self._show_dialog(dialog)
        self._preload()

    def _show_dialog(self, dialog: QDialog) -> None:
        old, self.dialog = self.dialog, dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        if old is not None:
            old.deleteLater()

    def _preload(self) -> None:
        """Import the core while the user types the password (never before the window shows).

        Never at the same time as the window's own imports: PySide6 crashed (segfault) when a
        worker imported qtawesome while the GUI thread imported the main window's modules, as
        after a sign-in quicker than the preload. ``_enter`` takes the same lock, and a preload
        that had not started by then is skipped (the window imports what it needs)."""
        self._entered = False

        def load() -> None:
            with _IMPORTS:
                if self._entered:
                    return
                import vault.session  # noqa: F401
                from desktop.icons import preload

                preload()

        QTimer.singleShot(0, lambda: self.runner.call(load))

    def _enter(self, session: Any) -> None:
        with _IMPORTS:  # waits out a preload under way (see _preload)
            self._entered = True
        self.session = session
        settings.set_last_user(session.user)
        i18n.install(settings.language_for(session.user))
        self._open_window()
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
        self.idle.start(settings.idle_minutes())
        self.entered.emit(self.window)

    # --- lock, language, quit -----------------------------------------------------------
    def _on_idle(self) -> None:
        if self.runner.busy:  # never interrupt an ingest or a verify: wait for the next period
            self.idle.start(settings.idle_minutes())
            return
        self.lock()

    def _close_window(self) -> None:
        if self.window is not None:
            self.window._closing = True
            self.window.close()
            self.window.deleteLater()
            self.window = None

    def _close_session(self) -> None:
        self.idle.stop()
        self.runner.cancel_all()
        self.runner.wait()
        QApplication.processEvents()  # deliver the jobs' last events before the session goes
        self._close_window()
        if self.session is not None:
            self.session.close()
            self.session = None

    def lock(self) -> None:
        """Close the session (the vault key leaves memory) and ask for the password again."""
        if self.session is None:
            return
        user = self.session.user
        self._close_session()
        self.show_login(user)

    def set_language(self, lang: str) -> None:
        if self.session is None or self.window is None:
            return
        settings.set_language(self.session.user, lang)
        i18n.install(lang)
        self._reopen()

    def set_theme(self, choice: str) -> None:
        """Light, dark or the system's: the palette now, the window made again (its icons and
        coloured notes take the new theme's colours), on the same page."""
        from desktop import icons, theme

        settings.set_theme(choice)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, choice)
        icons.forget()
        if self.session is not None and self.window is not None:
            self._reopen()

    def _reopen(self) -> None:
        assert self.window is not None
        current = self.window.current_page()
        key = next((k for k, p in self.window.pages.items() if p is current), None)
        self.window.save_layout()
        self._close_window()
        self._open_window(key)

    def _open_window(self, area: str | None = None) -> None:
        from desktop.mainwindow import MainWindow

        self.window = MainWindow(self.session, self.runner)
        self.window.lock_requested.connect(self.lock)
        self.window.quit_requested.connect(self.quit)
        self.window.language_requested.connect(self.set_language)
        self.window.theme_requested.connect(self.set_theme)
        if area:
            self.window.show_area(area)
        self.window.show()

    def quit(self) -> None:
        self._close_session()
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
        app = QApplication.instance()
        if app is not None:
            app.quit()
