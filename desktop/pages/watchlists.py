"""Watchlists: subjects, photos, listing, enrolment; calibration and exchange (``wx`` dialogs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.pages import Page, call
from desktop.pages import watchlist_exchange as wx
from desktop.tablemodel import Column, RecordModel, day, filtered, number, setup_view


def _state(s: Any) -> str:
    """Expired and/or past its review date, in words (empty for a current listing)."""
    said = [QCoreApplication.translate("Watchlists", "expired")] if s.expired else []
    if s.review_overdue_since:
        since = QCoreApplication.translate("Watchlists", "review overdue since {0}")
        said.append(since.format(s.review_overdue_since))
    return "; ".join(said)


SUBJECTS = (
    Column(QT_TRANSLATE_NOOP("Watchlists", "Subject"), lambda s: s.ref),
    Column(QT_TRANSLATE_NOOP("Watchlists", "Photos"), lambda s: s.references, number),
    Column(QT_TRANSLATE_NOOP("Watchlists", "Label"), lambda s: s.label),
    Column(QT_TRANSLATE_NOOP("Watchlists", "Issuing agency"), lambda s: s.agency),
    Column(QT_TRANSLATE_NOOP("Watchlists", "Reason"), lambda s: s.reason),
    Column(QT_TRANSLATE_NOOP("Watchlists", "Review on"), lambda s: s.review_on),
    Column(QT_TRANSLATE_NOOP("Watchlists", "Expires"), lambda s: s.expires_on or "", day),
    Column(QT_TRANSLATE_NOOP("Watchlists", "State"), _state, width=40),
)
LABELS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def reference_photos(session: Any, watchlist: str, subject: str) -> list[tuple[str, QImage]]:
    """On a worker: (source, thumbnail) of each reference photo of a subject."""
    from matching.watchlists import reference_photos as core_reference_photos

    found = []
    for ref in core_reference_photos(session, watchlist, subject):
        image = QImage.fromData(ref.crop)
        if not image.isNull():
            found.append((ref.source, image.scaled(128, 128, Qt.AspectRatioMode.KeepAspectRatio)))
    return found


def calibration_text(w: Any) -> str:
    """The alert threshold and its calibration in words (context "Watchlists": a function's
    ``widget.tr`` is collected by lupdate under a context no class has, and stays English)."""
    c = w.calibration
    if not c:
        return QCoreApplication.translate(
            "Watchlists", "Alert threshold {0:.4f} (default; not calibrated)"
        ).format(w.alert_threshold)
    return QCoreApplication.translate(
        "Watchlists",
        "Alert threshold {0:.4f}, calibrated on {1} ({2} images, {3} non-mated searches): "
        "FPIR {4:.4f} (target {5}), FNIR {6:.4f}, model {7}",
    ).format(
        w.alert_threshold,
        c.get("folder", "?"),
        c.get("images", "?"),
        c.get("nonmated_searches", "?"),
        c.get("fpir", 0.0),
        c.get("target_fpir", "?"),
        c.get("fnir", 0.0),
        c.get("model", "?"),
    )


class WatchlistsPage(Page):
    photos_shown = Signal(str)
    listed = Signal()  # the watchlists are shown as the core last listed them

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.infos: dict[str, Any] = {}
        self._select_after: str | None = None
        self.dialog: Any = None
        self.lists = QListWidget()
        self.lists.currentRowChanged.connect(lambda _r: self.show_watchlist())
        self.calibration = QLabel()
        self.calibration.setWordWrap(True)
        self.calibration.setObjectName("calibration")
        self.overdue = QLabel()
        self.overdue.setObjectName("overdue_reviews")
        self.overdue.setStyleSheet(theme.css("danger"))
        self.overdue.setVisible(False)
        self.model = RecordModel(SUBJECTS, "Watchlists", self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        setup_view(self.view)
        self.view.selectionModel().currentRowChanged.connect(lambda *_a: self.show_photos())
        self.photos = QListWidget()
        self.photos.setViewMode(QListView.ViewMode.IconMode)
        self.photos.setIconSize(QSize(128, 128))
        self.photos.setMaximumHeight(190)
        new = set_icon(QPushButton(self.tr("New watchlist...")), "add")
        new.clicked.connect(self.new_watchlist)
        self.enrol_button = set_icon(QPushButton(self.tr("Enrol from files...")), "ingest")
        self.enrol_button.clicked.connect(self._ask_photos)
        self.calibrate_button = set_icon(QPushButton(self.tr("Calibrate...")), "verify")
        self.calibrate_button.clicked.connect(self.calibrate)
        self.export_button = set_icon(QPushButton(self.tr("Export to a partner...")), "export")
        self.export_button.clicked.connect(self.export)
        bring = set_icon(QPushButton(self.tr("Import a watchlist bundle...")), "import")
        bring.clicked.connect(self.import_bundle)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(self.lists, 1)
        ll.addWidget(new)
        ll.addWidget(bring)
        right = QWidget()
        rl = QVBoxLayout(right)
        row = QHBoxLayout()
        row.addWidget(self.calibration, 1)
        row.addWidget(self.enrol_button)
        row.addWidget(self.calibrate_button)
        row.addWidget(self.export_button)
        rl.addLayout(row)
        rl.addWidget(self.overdue)
        rl.addWidget(self.view, 1)
        rl.addWidget(QLabel(self.tr("Reference photos of the selected subject")))
        rl.addWidget(self.photos)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(split)

    def refresh(self) -> None:
        from matching.watchlists import list_watchlists

        self.call(list_watchlists, self.session, done=self._listed, key="list")

    def _listed(self, found: list[Any]) -> None:
        keep = self._select_after or self.current_name()
        self._select_after = None
        self.infos = {w.name: w for w in found}
        self.lists.blockSignals(True)
        self.lists.clear()
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for w in found:
            item = QListWidgetItem(self.tr("{0} ({1} subjects)").format(w.name, len(w.subjects)))
            item.setData(Qt.ItemDataRole.UserRole, w.name)
            if w.overdue_reviews:  # a badge: the list says which watchlists need a review
                item.setText(
                    self.tr("{0} ({1} subjects, {2} overdue)").format(
                        w.name, len(w.subjects), w.overdue_reviews
                    )
                )
                item.setIcon(warning)
                item.setForeground(QBrush(theme.colour("danger")))
                item.setToolTip(self._overdue_text(w))
            self.lists.addItem(item)
        names = list(self.infos)
        self.lists.setCurrentRow(names.index(keep) if keep in names else (0 if names else -1))
        self.lists.blockSignals(False)
        self.show_watchlist()
        self.listed.emit()

    def current_name(self) -> str | None:
        item = self.lists.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def show_watchlist(self) -> None:
        w = self.infos.get(self.current_name() or "")
        self.enrol_button.setEnabled(w is not None)
        self.calibrate_button.setEnabled(w is not None)
        self.export_button.setEnabled(w is not None)
        self.calibration.setText(calibration_text(w) if w else "")
        self.overdue.setText(self._overdue_text(w) if w and w.overdue_reviews else "")
        self.overdue.setVisible(bool(self.overdue.text()))
        self.model.set_records(w.subjects if w else [])
        if self.model.records:
            self.view.setCurrentIndex(self.proxy.index(0, 0))
        else:
            self.photos.clear()

    def _overdue_text(self, w: Any) -> str:
        return self.tr(
            "{0} listing(s) overdue for review (still searched until they expire)."
        ).format(w.overdue_reviews)

    def show_photos(self) -> None:
        index = self.view.currentIndex()
        name = self.current_name()
        if not index.isValid() or not name:
            return
        subject = self.model.records[self.proxy.mapToSource(index).row()]
        bridge = self.runner.call(reference_photos, self.session, name, subject.ref)
        bridge.setProperty("subject", subject.ref)
        bridge.finished.connect(self._photos)
        bridge.failed.connect(self.error)

    def _photos(self, found: list[tuple[str, QImage]]) -> None:
        self.photos.clear()
        for source, image in found:
            self.photos.addItem(QListWidgetItem(QIcon(QPixmap.fromImage(image)), source))
        self.photos_shown.emit(self.sender().property("subject"))

    # --- actions -------------------------------------------------------------------------
    def new_watchlist(self) -> NewWatchlistDialog:
        self.dialog = NewWatchlistDialog(self.session, self.runner, self)
        self.dialog.accepted.connect(self.refresh)
        self.dialog.open()
        return self.dialog

    def _ask_photos(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Reference photos"), "", self.tr("Images (*.jpg *.jpeg *.png *.bmp)")
        )
        if files:
            self.enrol_photos([Path(f) for f in files])

    def enrol_photos(self, photos: list[Path]) -> EnrolDialog:
        self.dialog = EnrolDialog(
            self.session, self.runner, photos=photos, watchlist=self.current_name(), parent=self
        )
        self.dialog.enrolled.connect(lambda _info: self.refresh())
        self.dialog.open()
        return self.dialog

    def calibrate(self) -> wx.CalibrateDialog:
        self.dialog = wx.CalibrateDialog(self.session, self.runner, self.current_name() or "", self)
        self.dialog.calibrated.connect(lambda _c: self.refresh())
        self.dialog.open()
        return self.dialog

    def export(self) -> wx.WatchlistExportDialog:
        name = self.current_name() or ""
        self.dialog = wx.WatchlistExportDialog(self.session, self.runner, name, self)
        self.dialog.open()
        return self.dialog

    def import_bundle(self) -> wx.WatchlistImportDialog:
        self.dialog = wx.WatchlistImportDialog(self.session, self.runner, self)
        self.dialog.imported.connect(self._imported)
        self.dialog.open()
        return self.dialog

    def _imported(self, result: Any) -> None:
        self._select_after = result.watchlist
        self.refresh()


class NewWatchlistDialog(QDialog):
    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.setWindowTitle(self.tr("New watchlist"))
        self.name = QLineEdit()
        self.agency = QLineEdit()
        self.second = QCheckBox(self.tr("A confirmation needs a second, different analyst"))
        self.message = QLabel()
        self.message.setStyleSheet(theme.css("danger"))
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Source agency"), self.agency)
        form.addRow("", self.second)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def submit(self) -> None:
        from matching.watchlists import create_watchlist

        self.buttons.setEnabled(False)
        call(
            self,
            self.runner,
            create_watchlist,
            self.session,
            self.name.text(),
            second_review=self.second.isChecked(),
            source_agency=self.agency.text().strip() or None,
            done=lambda _info: self.accept(),
            failed=self._refused,
            writes=True,
        )

    def _refused(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(message)


class EnrolDialog(QDialog):
    """A subject's listing (reason, agency, label, review date) and its photos or found faces."""

    enrolled = Signal(object)

    def __init__(
        self,
        session: Any,
        runner: Any,
        photos: list[Path] | None = None,
        face_ids: list[int] | None = None,
        watchlist: str | None = None,
        parent: QWidget | None = None,
        case_ref: str | None = None,
    ) -> None:
        super().__init__(parent)
        from matching.watchlists import list_watchlists

        self.session, self.runner = session, runner
        self.case_ref = case_ref  # faces of a cluster of this case: named after the subject
        self.photos, self.face_ids = list(photos or []), list(face_ids or [])
        self.result: Any = None
        self.refused: list[tuple[str, str]] = []
        self.warned: list[tuple[str, str]] = []
        self.setWindowTitle(self.tr("Enrol a subject"))
        self.setMinimumWidth(480)
        self.watchlist = QComboBox()
        self._wanted = watchlist
        call(self, runner, list_watchlists, session, done=self._watchlists, failed=self._failed)
        self.subject = QLineEdit()
        self.reason = QLineEdit()
        self.agency = QLineEdit()
        self.label = QComboBox()
        self.label.addItems(LABELS)
        self.label.setCurrentText("TLP:AMBER")
        self.review_on = QDateEdit(QDate.currentDate().addMonths(6))
        self.review_on.setCalendarPopup(True)
        self.review_on.setDisplayFormat("yyyy-MM-dd")
        self.expires = QLineEdit()
        self.expires.setPlaceholderText(self.tr("YYYY-MM-DD (optional)"))
        sources = [p.name for p in self.photos] + [f"face {i}" for i in self.face_ids]
        what = QLabel(self.tr("From: {0}").format(", ".join(sources)))
        what.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Watchlist"), self.watchlist)
        form.addRow(self.tr("Subject id"), self.subject)
        form.addRow(self.tr("Reason for listing"), self.reason)
        form.addRow(self.tr("Issuing agency"), self.agency)
        form.addRow(self.tr("Label"), self.label)
        form.addRow(self.tr("Review on"), self.review_on)
        form.addRow(self.tr("Expires on"), self.expires)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Enrol"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def submit(self) -> Any:
        from matching.watchlists import Listing, enrol

        if not self.watchlist.currentData():
            self.message.setText(self.tr("Create a watchlist first."))
            return None
        if not self.subject.text().strip():
            self.message.setText(self.tr("A subject needs an id."))
            return None
        listing = Listing(
            self.reason.text(),
            self.agency.text(),
            self.label.currentText(),
            self.review_on.date().toString("yyyy-MM-dd"),
            self.expires.text().strip() or None,
        )
        self.buttons.setEnabled(False)
        self.message.setText(self.tr("Checking the photos and enrolling..."))
        if self.case_ref:
            from desktop.pages.curate import name_group

            bridge = self.runner.call(
                name_group,
                self.session,
                self.case_ref,
                self.face_ids,
                self.watchlist.currentData(),
                self.subject.text().strip(),
                listing,
                writes=True,
            )
        else:
            bridge = self.runner.call(
                enrol,
                self.session,
                self.watchlist.currentData(),
                self.subject.text().strip(),
                listing,
                photos=self.photos,
                face_ids=self.face_ids,
                writes=True,
            )
        bridge.finished.connect(self._done)
        bridge.failed.connect(self._failed)
        return bridge

    def _watchlists(self, found: list[Any]) -> None:
        for w in found:
            self.watchlist.addItem(w.name, w.name)
        if self._wanted:
            self.watchlist.setCurrentIndex(max(self.watchlist.findData(self._wanted), 0))

    def _done(self, result: tuple[Any, list[tuple[str, str]], list[tuple[str, str]]]) -> None:
        self.result, self.refused, self.warned = result
        self.buttons.setEnabled(True)
        self.enrolled.emit(self.result)
        if self.refused or self.warned:  # keep the dialog open: the user reads why
            text = self.tr("{0} enrolled with {1} photos.").format(
                self.result.ref, self.result.references
            )
            if self.refused:  # the core's reasons already name the photo or face
                text += "\n" + self.tr("Refused:") + "\n" + "\n".join(w for _, w in self.refused)
            if self.warned:
                text += "\n" + self.tr("Enrolled, but below the recommended quality:")
                text += "\n" + "\n".join(w for _, w in self.warned)
            self.message.setText(text)
            return
        self.accept()

    def _failed(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(message)
