"""The main window: a sidebar of the areas the user's roles allow, a page stack, a status bar."""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n, settings
from desktop.icons import icon, set_icon
from desktop.jobs import JobRunner
from desktop.live import LiveView
from desktop.pages import AREAS, Area, Page, call
from desktop.tablemodel import isolate, number, when


def _last_verified(session: Any) -> str | None:
    """On a worker: when the vault was last verified, from the audit log."""
    from vault.history import list_audit

    found = list_audit(session, action="vault.verified", limit=1)
    return found[-1].at if found else None


class MainWindow(QMainWindow):
    lock_requested = Signal()
    quit_requested = Signal()
    language_requested = Signal(str)
    theme_requested = Signal(str)
    warned = Signal(str)  # a warning the core met after the sign-in (from any thread)

    def __init__(self, session: Any, runner: JobRunner) -> None:
        super().__init__()
        self.session = session
        self.runner = runner
        self.setWindowTitle(self.tr("Custos"))
        self.setObjectName("main_window")
        self.areas: list[Area] = [a for a in AREAS if a.allowed(session)]
        self.pages: dict[str, Page] = {}
        self._stale: set[str] = set()  # pages to reload when shown: others changed the vault
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMaximumWidth(220)
        self.sidebar.setMinimumWidth(150)
        self.sidebar.setStyleSheet("QListWidget#sidebar::item { padding: 7px 10px; }")
        for area in self.areas:
            item = QListWidgetItem(icon(area.key), area.label())
            item.setData(Qt.ItemDataRole.UserRole, area.key)
            self.sidebar.addItem(item)
        self.stack = QStackedWidget()
        if not self.areas:
            self.stack.addWidget(QLabel(self.tr("Your roles give you no area in this vault.")))
        split = QSplitter()
        split.addWidget(self.sidebar)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setObjectName("main_split")
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        self._warnings = list(getattr(session, "warnings", []))
        column.addWidget(self._warnings_banner(self._warnings))
        self.warned.connect(self._show_warning)  # queued to this thread when sent from another
        listen = getattr(session, "on_warning", None)
        self._unlisten = listen(self._warned_from_core) if listen else lambda: None
        column.addWidget(split, 1)
        self.setCentralWidget(central)
        self._status_bar()
        self._actions()
        self.sidebar.currentRowChanged.connect(self._show_row)
        if self.areas:
            self.sidebar.setCurrentRow(0)
        self.resize(1200, 760)
        self.restore_layout()
        self.live = LiveView(session, self)
        self.live.changed.connect(self.show_live)
        self.live.start()

    def _warnings_banner(self, warnings: list[str]) -> QFrame:
        """What the sign-in warned of (``Session.warnings``: the core's one line each, e.g. a
        key rotation's re-wrap left unfinished), above the pages until the user closes it."""
        banner = self.warnings_banner = QFrame()
        banner.setObjectName("session_warnings_banner")
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(banner)
        self.warnings_label = QLabel("\n".join(f"⚠ {isolate(w)}" for w in warnings))
        self.warnings_label.setObjectName("session_warnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        close = QPushButton(self.tr("Close"))
        close.setObjectName("session_warnings_close")
        close.clicked.connect(banner.hide)
        row.addWidget(self.warnings_label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        banner.setVisible(bool(warnings))
        return banner

    def _warned_from_core(self, line: str) -> None:
        with contextlib.suppress(RuntimeError):  # the window already deleted: nobody to tell
            self.warned.emit(line)

    def _show_warning(self, line: str) -> None:
        """A later warning of the core (a job's read of an unsized pack): added to the banner,
        shown again if it was closed."""
        self._warnings.append(line)
        self.warnings_label.setText("\n".join(f"⚠ {isolate(w)}" for w in self._warnings))
        self.warnings_banner.setVisible(True)

    # --- status bar ----------------------------------------------------------------------
    def _status_bar(self) -> None:
        bar = self.statusBar()
        roles = ", ".join(sorted(self.session.roles))
        self.user_label = QLabel(
            self.tr("User: {0} ({1})").format(isolate(self.session.user), isolate(roles))
        )
        self.vault_label = QLabel(self.tr("Vault: {0}").format(isolate(self.session.place)))
        self.verified_label = QLabel()
        for w in (self.user_label, self.vault_label, self.verified_label):
            bar.addPermanentWidget(w)
        self.set_verified(None)
        if self.session.may("audit.read"):
            call(self, self.runner, _last_verified, self.session, done=self.set_verified)

    def set_verified(self, at: str | None) -> None:
        text = when(at) if at else self.tr("never")
        self.verified_label.setText(self.tr("Verified at: {0}").format(text))

    # --- actions and shortcuts -----------------------------------------------------------
    def _actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu(self.tr("&File"))
        self.lock_action = QAction(self.tr("&Lock"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock_requested)
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        if self.quit_action.shortcut().isEmpty():
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.quit_requested)
        self.password_action = QAction(self.tr("Change my &password..."), self)
        self.password_action.triggered.connect(self.change_my_password)
        file_menu.addAction(self.lock_action)
        file_menu.addAction(self.password_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = menu.addMenu(self.tr("&View"))
        self.refresh_action = QAction(self.tr("&Refresh"), self)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.triggered.connect(self.refresh)
        view_menu.addAction(self.refresh_action)
        lang_menu = view_menu.addMenu(self.tr("&Language"))
        group = QActionGroup(self)
        current = settings.language_for(self.session.user)
        for code in settings.LANGUAGES:
            action = QAction(i18n.NAMES[code], self, checkable=True)
            action.setChecked(code == current)
            action.triggered.connect(lambda _c=False, c=code: self.language_requested.emit(c))
            group.addAction(action)
            lang_menu.addAction(action)
        theme_menu = view_menu.addMenu(icon("theme"), self.tr("&Theme"))
        theme_menu.setObjectName("theme_menu")
        themes = QActionGroup(self)
        chosen = settings.theme()
        names = {
            "system": self.tr("As the &system"),
            "light": self.tr("&Light"),
            "dark": self.tr("&Dark"),
        }
        self.theme_actions: dict[str, QAction] = {}
        for choice, text in names.items():
            action = QAction(text, self, checkable=True)
            action.setChecked(choice == chosen)
            action.triggered.connect(lambda _c=False, c=choice: self.theme_requested.emit(c))
            themes.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[choice] = action
        help_menu = menu.addMenu(self.tr("&Help"))
        self.shortcuts_action = QAction(self.tr("&Keyboard shortcuts"), self)
        self.shortcuts_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action = QAction(self.tr("&About Custos"), self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        for action, name in (
            (self.lock_action, "lock"),
            (self.quit_action, "quit"),
            (self.password_action, "password"),
            (self.refresh_action, "refresh"),
            (self.shortcuts_action, "shortcuts"),
            (self.about_action, "about"),
        ):
            set_icon(action, name)
        lang_menu.setIcon(icon("language"))
        for action in (
            self.lock_action,
            self.quit_action,
            self.refresh_action,
            self.shortcuts_action,
        ):
            self.addAction(action)

    def show_about(self) -> Any:
        from desktop.about import AboutDialog

        self.about_dialog = AboutDialog(self)
        self.about_dialog.open()
        return self.about_dialog

    def show_shortcuts(self) -> Any:
        from desktop.about import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.open()
        return self.shortcuts_dialog

    def change_my_password(self) -> Any:
        """The signed-in user's new password (the vault key is rotated: a job with progress)."""
        from desktop.password import PasswordDialog

        self.password_dialog = PasswordDialog(self.session.user, self, self.session.on_server)
        self.password_dialog.chosen.connect(self._change_my_password)
        self.password_dialog.open()
        return self.password_dialog

    def _change_my_password(self, name: str, password: str) -> None:
        from desktop.password import change_password

        self.password_job = change_password(
            self, self.session, self.runner, name, password, self._password_changed
        )

    def _password_changed(self, result: Any) -> None:
        self.statusBar().showMessage(self.tr("Your password is changed."), 8000)
        admin = self.pages.get("admin")
        if admin is not None and hasattr(admin, "show_rotation"):
            admin.show_rotation(result)

    # --- pages ---------------------------------------------------------------------------
    def area_keys(self) -> list[str]:
        return [a.key for a in self.areas]

    def page(self, key: str) -> Page:
        """The page of ``key``, made on first use (its module is imported then)."""
        if key not in self.pages:
            area = next(a for a in self.areas if a.key == key)
            page = area.make(self.session, self.runner, self)
            page.open_case.connect(self.show_case)
            page.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
            if hasattr(page, "verified"):
                page.verified.connect(self.set_verified)
            if hasattr(page, "go_to"):
                page.go_to.connect(self.show_case_in)
            self.pages[key] = page
            self.stack.addWidget(page)
            page.refresh()
        return self.pages[key]

    def show_area(self, key: str) -> Page:
        self.sidebar.setCurrentRow(self.area_keys().index(key))
        return self.pages[key]

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(self.areas):
            key = self.areas[row].key
            stale = key in self.pages and key in self._stale
            self._stale.discard(key)
            self.stack.setCurrentWidget(self.page(key))
            if stale:
                self.pages[key].refresh_live()

    def show_live(self, changes: Any) -> None:
        """Others changed the vault: say what arrived, reload the page in front, and the
        others when they are next shown."""
        parts = []
        if changes.items:
            parts.append(self.tr("{0} new items").format(number(changes.items)))
        if changes.candidates:
            parts.append(self.tr("{0} new candidates").format(number(changes.candidates)))
        if changes.decisions:
            parts.append(self.tr("{0} review decisions").format(number(changes.decisions)))
        if parts:
            self.statusBar().showMessage(
                self.tr("From other workstations: {0}").format(", ".join(parts)), 8000
            )
        page = self.current_page()
        self._stale = {k for k, p in self.pages.items() if p is not page}
        if page is not None:
            page.refresh_live()

    def current_page(self) -> Page | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, Page) else None

    def refresh(self) -> None:
        page = self.current_page()
        if page is not None:
            page.refresh()

    def show_case(self, reference: str) -> None:
        """A case opens on its overview; its evidence is chosen too, one click away."""
        keys = self.area_keys()
        if "overview" in keys:  # first: its figures are read before the evidence list
            self.show_area("overview").show_case(reference)
        if "evidence" in keys:
            self.page("evidence").show_case(reference)
            if "overview" not in keys:
                self.show_area("evidence")

    def show_case_in(self, key: str, reference: str) -> None:
        if key in self.area_keys():
            self.show_area(key).show_case(reference)

    # --- layout --------------------------------------------------------------------------
    def restore_layout(self) -> None:
        s = settings.settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def save_layout(self) -> None:
        s = settings.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())

    def closeEvent(self, event: QCloseEvent) -> None:
        self._unlisten()
        self.live.stop()
        self.save_layout()
        if self.isVisible() and not getattr(self, "_closing", False):
            self.quit_requested.emit()
        super().closeEvent(event)
