"""Known-file hash sets: the list, import as a job, disable / enable / delete; hit labels and
the alerts of a case (known-bad hits an analyst acknowledges with a reason).

Everything shown from a set (its name, source, file name, categories) came from outside and is
shown through ``vault.printable.safe``. The core decides who may do what and refuses with one
line (an import names the malformed lines); this page shows that line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.jobs import JobDialog
from desktop.pages import Page, call
from desktop.pages.item_view import ItemsListDialog
from desktop.tablemodel import Column, RecordModel, digits, filtered, number, setup_view, when
from vault.printable import safe

KINDS = ("known-bad", "known-good", "info")
KIND_LABELS = {
    "known-bad": QT_TRANSLATE_NOOP("HashSets", "Known bad"),
    "known-good": QT_TRANSLATE_NOOP("HashSets", "Known good"),
    "info": QT_TRANSLATE_NOOP("HashSets", "Informational"),
}
STATE_LABELS = {
    "active": QT_TRANSLATE_NOOP("HashSets", "Active"),
    "disabled": QT_TRANSLATE_NOOP("HashSets", "Disabled"),
    "deleted": QT_TRANSLATE_NOOP("HashSets", "Deleted"),
}
FORMATS = ("nsrl", "vics", "plain", "hashdeep")  # matching.hashparse.FORMATS (not imported here)
FORMAT_LABELS = {
    "nsrl": QT_TRANSLATE_NOOP("HashSets", "NSRL RDS (SQLite)"),
    "vics": QT_TRANSLATE_NOOP("HashSets", "VICS JSON (Project VIC, CAID)"),
    "plain": QT_TRANSLATE_NOOP("HashSets", "Plain list of MD5, SHA-1 or SHA-256"),
    "hashdeep": QT_TRANSLATE_NOOP("HashSets", "md5deep / hashdeep"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("HashSets", text)


def kind_label(kind: str) -> str:
    return _tr(KIND_LABELS[kind]) if kind in KIND_LABELS else safe(kind)


def hit_label(hit: Any) -> str:
    """``Known bad: VIC UK (category 1)`` for one hit."""
    text = f"{kind_label(hit.kind)}: {safe(hit.set)}"
    if hit.category is not None:
        category = QCoreApplication.translate("HashSets", "(category {0})")
        text += " " + category.format(safe(hit.category))
    return text


def hits_text(hits: list[Any]) -> str:
    """An item's hits (known-bad first, as the core orders them) in one cell; a set matched
    on MD5 and SHA-1 is named once."""
    labels = list(dict.fromkeys(hit_label(h) for h in hits))  # one per set and category
    if not labels:
        return ""
    text = labels[0]
    if len(labels) > 1:
        text += " " + QCoreApplication.translate("HashSets", "+{0} more").format(len(labels) - 1)
    return text


def hit_rank(hits: list[Any]) -> int:
    """0 known-bad, 1 informational, 2 no hit, 3 known-good only (what an analyst may skip)."""
    kinds = {h.kind for h in hits}
    if "known-bad" in kinds:
        return 0
    if "info" in kinds:
        return 1
    return 3 if kinds else 2


COLUMNS = (
    Column(QT_TRANSLATE_NOOP("HashSets", "Name"), lambda s: safe(s.name), width=24),
    Column(QT_TRANSLATE_NOOP("HashSets", "Kind"), lambda s: kind_label(s.kind), width=14),
    Column(QT_TRANSLATE_NOOP("HashSets", "Source"), lambda s: safe(s.source or ""), width=18),
    Column(QT_TRANSLATE_NOOP("HashSets", "Format"), lambda s: s.format, width=9),
    Column(QT_TRANSLATE_NOOP("HashSets", "Entries"), lambda s: s.entries, number, True, width=12),
    Column(
        QT_TRANSLATE_NOOP("HashSets", "State"),
        lambda s: _tr(STATE_LABELS.get(s.state, s.state)),
        width=10,
    ),
    Column(QT_TRANSLATE_NOOP("HashSets", "Imported"), lambda s: s.imported_at, when, width=16),
    Column(QT_TRANSLATE_NOOP("HashSets", "By"), lambda s: s.imported_by, width=10),
    Column(QT_TRANSLATE_NOOP("HashSets", "File"), lambda s: safe(s.file_name), width=24),
)


class ImportDialog(QDialog):
    """The file, its format (or found from the file), the set's name, kind and source."""

    chosen = Signal(object)  # a dict of ImportJob's arguments

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import a hash set"))
        self.setMinimumWidth(520)
        self.path = QLineEdit()
        browse = QPushButton(self.tr("Browse..."))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.format = QComboBox()
        self.format.addItem(self.tr("Found from the file"), None)
        for f in FORMATS:
            self.format.addItem(_tr(FORMAT_LABELS[f]), f)
        self.name = QLineEdit()
        self.kind = QComboBox()
        for k in KINDS:
            self.kind.addItem(kind_label(k), k)
        self.kind.setToolTip(
            self.tr(
                "Known bad: a hit raises an alert. Known good: hidden from the evidence list "
                "(operating system and program files). Informational: shown, no alert."
            )
        )
        self.source = QLineEdit()
        self.source.setPlaceholderText(self.tr("Agency or release (optional)"))
        self.note = QLabel()
        self.note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("File"), row)
        form.addRow(self.tr("Format"), self.format)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Source"), self.source)
        buttons = QDialogButtonBox()
        buttons.addButton(self.tr("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        found, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a hash-set file"))
        if found:
            self.path.setText(found)
            if not self.name.text().strip():
                self.name.setText(Path(found).stem)

    def submit(self) -> None:
        path, name = self.path.text().strip(), self.name.text().strip()
        if not path or not name:
            self.note.setText(self.tr("Choose a file and give the set a name."))
            return
        self.chosen.emit(
            {
                "path": Path(path),
                "name": name,
                "kind": self.kind.currentData(),
                "fmt": self.format.currentData(),
                "source": self.source.text().strip() or None,
            }
        )
        self.accept()


class HashSetsPage(Page):
    imported = Signal(object)  # the new set's HashSetInfo, or None when the import failed

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.job: JobDialog | None = None
        self.import_dialog: ImportDialog | None = None
        self.dialog: QDialog | None = None  # the last sharing / from-case / PDQ dialog opened
        self.confirm_box: QMessageBox | None = None
        self.model = RecordModel(COLUMNS, "HashSets", self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setObjectName("hashsets_table")
        self.view.setModel(self.proxy)
        setup_view(self.view)
        self.view.selectionModel().currentChanged.connect(lambda *_a: self._enable())
        can_manage = session.may("hashset.manage")
        self.import_button = QPushButton(self.tr("Import set..."))
        self.import_button.clicked.connect(lambda _c=False: self.ask_import())
        self.disable_button = QPushButton(self.tr("Disable"))
        self.disable_button.clicked.connect(lambda _c=False: self.toggle())
        self.delete_button = set_icon(QPushButton(self.tr("Delete...")), "reject")
        self.delete_button.clicked.connect(lambda _c=False: self.delete())
        for b in (self.import_button, self.disable_button, self.delete_button):
            b.setVisible(can_manage)
        self.export_button = QPushButton(self.tr("Share with a partner..."))
        self.export_button.clicked.connect(lambda _c=False: self.share())
        self.bundle_button = QPushButton(self.tr("Import a partner's set..."))
        self.bundle_button.clicked.connect(lambda _c=False: self.import_bundle())
        for b in (self.export_button, self.bundle_button):
            b.setVisible(session.may("exchange.bundle"))
        self.from_case_button = QPushButton(self.tr("Make from a case..."))
        self.from_case_button.clicked.connect(lambda _c=False: self.from_case())
        self.from_case_button.setVisible(can_manage)
        self.pdq_button = QPushButton(self.tr("PDQ near-duplicates of a case..."))
        self.pdq_button.clicked.connect(lambda _c=False: self.pdq_matches())
        self.count = QLabel()
        top = QHBoxLayout()
        intro = QLabel(
            self.tr(
                "Files of every case are looked up in the active sets when they are ingested; "
                "known-bad hits raise alerts, known-good files can be hidden."
            )
        )
        intro.setWordWrap(True)
        top.addWidget(intro, 1)
        top.addWidget(self.import_button)
        top.addWidget(self.disable_button)
        top.addWidget(self.delete_button)
        more = QHBoxLayout()
        more.addStretch(1)
        for b in (self.export_button, self.bundle_button, self.from_case_button, self.pdq_button):
            more.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(more)
        layout.addWidget(self.view)
        layout.addWidget(self.count)
        self._enable()
        runner.changed.connect(self.refresh)

    def refresh(self) -> None:
        from matching.hashsets import list_sets

        self.call(list_sets, self.session, done=self._listed, key="sets")

    def _listed(self, sets: list[Any]) -> None:
        chosen = self.selected()
        self.model.set_records(sets)
        self.count.setText(self.tr("{0} hash sets").format(len(sets)))
        if chosen is not None:
            self.select(chosen.name)
        self._enable()

    def selected(self) -> Any:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.records[self.proxy.mapToSource(index).row()]

    def select(self, name: str) -> bool:
        for row, s in enumerate(self.model.records):
            if s.name == name:
                self.view.setCurrentIndex(self.proxy.mapFromSource(self.model.index(row, 0)))
                return True
        return False

    def _enable(self) -> None:
        chosen = self.selected()
        self.disable_button.setEnabled(chosen is not None)
        self.delete_button.setEnabled(chosen is not None)
        self.export_button.setEnabled(chosen is not None and chosen.state != "deleted")
        active = chosen is None or chosen.state == "active"
        self.disable_button.setText(self.tr("Disable") if active else self.tr("Enable"))

    # --- import --------------------------------------------------------------------------
    def ask_import(self) -> ImportDialog:
        dialog = ImportDialog(self)
        dialog.chosen.connect(lambda args: self.start_import(**args))
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def start_import(
        self,
        path: Path,
        name: str,
        kind: str,
        fmt: str | None = None,
        source: str | None = None,
    ) -> JobDialog:
        """Import on a worker: read and check the whole file, then store it, or nothing."""
        from matching.hashsets import ImportJob
        from vault.jobs import CancelToken

        job = ImportJob(self.session, path, name, kind, fmt, source, CancelToken())
        bridge = self.runner.start(job)
        title = self.tr("Importing hash set {0}").format(safe(name))
        self.job = JobDialog(bridge, title, self._describe, self, progress=self._progress)
        bridge.finished.connect(self._imported)
        bridge.failed.connect(self._import_failed)
        self.job.show()
        return self.job

    def _progress(self, done: int, total: int, message: str) -> str:
        if message == "storing":
            return self.tr("Storing {0} of {1} entries").format(number(done), number(total))
        return self.tr("Reading and checking the file...")

    def _describe(self, info: Any) -> str:
        return self.tr("Imported {0}: {1} entries ({2}).").format(
            safe(info.name), number(info.entries), kind_label(info.kind)
        )

    def _imported(self, info: Any) -> None:
        self.refresh()
        self.imported.emit(info)

    def _import_failed(self, message: str) -> None:
        self.last_error = message  # shown in the job dialog: nothing was imported
        self.imported.emit(None)

    # --- sharing, a set from a case, PDQ sets ---------------------------------------------
    def share(self) -> QDialog | None:
        """Export the selected set to a partner as a signed bundle (and VICS JSON)."""
        from desktop.pages.hashset_exchange import HashSetExportDialog

        chosen = self.selected()
        if chosen is None:
            return None
        return self._open(HashSetExportDialog(self.session, self.runner, chosen.name, self))

    def import_bundle(self) -> QDialog:
        from desktop.pages.hashset_exchange import HashSetBundleImportDialog

        dialog = HashSetBundleImportDialog(self.session, self.runner, self)
        dialog.imported.connect(lambda _r: self.refresh())
        return self._open(dialog)

    def from_case(self) -> QDialog:
        from desktop.pages.hashset_exchange import FromCaseDialog

        return self._open(FromCaseDialog(self.session, self.runner, self))

    def pdq_matches(self) -> QDialog:
        from desktop.pages.hashset_exchange import CasePdqSetsDialog

        return self._open(CasePdqSetsDialog(self.session, self.runner, self))

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        dialog.open()
        return dialog

    # --- disable, enable, delete ---------------------------------------------------------
    def toggle(self) -> QMessageBox | None:
        """Disable the selected set (it stops matching; its hits stay), or enable it again."""
        chosen = self.selected()
        if chosen is None:
            return None
        if chosen.state != "active":
            from matching.hashsets import enable_set

            self.call(enable_set, self.session, chosen.name, done=self._changed, writes=True)
            return None
        return self._confirm(
            self.tr("Disable hash set"),
            self.tr("Disable {0}? New files are no longer looked up in it.").format(
                safe(chosen.name)
            ),
            self.tr("Its entries and the hits found so far are kept; enable it to match again."),
            "disable_set",
            chosen.name,
        )

    def delete(self) -> QMessageBox | None:
        chosen = self.selected()
        if chosen is None:
            return None
        return self._confirm(
            self.tr("Delete hash set"),
            self.tr("Delete {0} and its {1} entries?").format(
                safe(chosen.name), number(chosen.entries)
            ),
            self.tr(
                "No evidence is deleted, and the hits already found keep naming the set. "
                "The deletion is recorded in the audit log."
            ),
            "delete_set",
            chosen.name,
        )

    def _confirm(self, title: str, text: str, more: str, fn: str, name: str) -> QMessageBox:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(more)
        box.accepted.connect(lambda: self._apply(fn, name))
        self.confirm_box = box
        box.open()
        return box

    def _apply(self, fn: str, name: str) -> None:
        from matching import hashsets

        self.call(getattr(hashsets, fn), self.session, name, done=self._changed, writes=True)

    def _changed(self, info: Any) -> None:
        self.status.emit(
            self.tr("Hash set {0}: {1}").format(
                safe(info.name), _tr(STATE_LABELS.get(info.state, info.state))
            )
        )
        self.refresh()


# --- alerts of a case -----------------------------------------------------------------------
ALERT_COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Alerts", "Item"), lambda h: h.item, digits, True, width=6),
    Column(QT_TRANSLATE_NOOP("Alerts", "Hash set"), lambda h: safe(h.set), width=18),
    Column(
        QT_TRANSLATE_NOOP("Alerts", "Category"),
        lambda h: "" if h.category is None else safe(h.category),
        width=9,
    ),
    Column(QT_TRANSLATE_NOOP("Alerts", "Matched on"), lambda h: h.algorithm, width=9),
    Column(QT_TRANSLATE_NOOP("Alerts", "Found"), lambda h: h.at, when, width=16),
    Column(
        QT_TRANSLATE_NOOP("Alerts", "Acknowledged"),
        lambda h: "" if h.acknowledged is None else safe(h.acknowledged["reason"]),
        width=24,
    ),
    Column(QT_TRANSLATE_NOOP("Alerts", "Digest"), lambda h: h.digest, width=64, whole=True),
)


def _acknowledge_all(session: Any, hit_ids: list[int], reason: str) -> list[Any]:
    """On a worker: the core's ``acknowledge`` for each chosen alert (each one audited)."""
    from matching.hashhits import acknowledge

    return [acknowledge(session, h, reason) for h in hit_ids]


class ReasonDialog(QDialog):
    """One reason, required (the core refuses an empty one too)."""

    chosen = Signal(str)

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Acknowledge alert"))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("e.g. reviewed, categorised in the case report"))
        buttons = QDialogButtonBox()
        buttons.addButton(self.tr("Acknowledge"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        what = QLabel(text)
        what.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(QLabel(self.tr("Reason")))
        layout.addWidget(self.reason)
        layout.addWidget(buttons)

    def submit(self) -> None:
        if self.reason.text().strip():
            self.chosen.emit(self.reason.text().strip())
            self.accept()


class AlertsDialog(ItemsListDialog):
    """The known-bad hits of a case; unacknowledged first, each acknowledged with a reason."""

    acknowledged = Signal(object)  # the Hits, as the core recorded them

    def __init__(self, session: Any, runner: Any, case: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.runner, self.case = session, runner, case
        self.reason_dialog: ReasonDialog | None = None
        self.setWindowTitle(self.tr("Known-bad alerts of {0}").format(safe(case)))
        self.resize(820, 420)
        self.model = RecordModel(ALERT_COLUMNS, "Alerts", self)
        self.model.first = lambda h: h.acknowledged is not None
        self.view = QTableView()
        self.view.setModel(self.model)
        setup_view(self.view)
        self.view.doubleClicked.connect(lambda _i: self.open_item())
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.ack_button = set_icon(QPushButton(self.tr("Acknowledge...")), "confirm")
        self.ack_button.clicked.connect(lambda _c=False: self.ask_ack())
        self.ack_button.setVisible(session.may("hashset.match"))
        open_button = set_icon(QPushButton(self.tr("View item")), "view")
        open_button.clicked.connect(lambda _c=False: self.open_item())
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(open_button)
        bottom.addWidget(self.ack_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(bottom)
        self.refresh()

    def refresh(self) -> None:
        from matching.hashhits import alerts

        call(
            self,
            self.runner,
            alerts,
            self.session,
            self.case,
            acknowledged=True,
            done=self._listed,
            failed=self._failed,
            key="alerts",
        )

    def _listed(self, hits: list[Any]) -> None:
        self.model.set_records(hits)
        self.model.resort()
        open_ = sum(h.acknowledged is None for h in hits)
        self.note.setText(self.tr("{0} alerts, {1} not acknowledged").format(len(hits), open_))
        if hits:
            self.view.selectRow(0)

    def chosen_alerts(self) -> list[Any]:
        """The selected alerts not acknowledged yet (an item often hits on MD5 and SHA-1)."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.records[r] for r in rows if self.model.records[r].acknowledged is None]

    def ask_ack(self) -> ReasonDialog | None:
        hits = self.chosen_alerts()
        if not hits:
            return None
        if len(hits) == 1:
            text = self.tr("Item {0} is in the known-bad set {1}.").format(
                hits[0].item, safe(hits[0].set)
            )
        else:
            items = len({h.item for h in hits})
            text = self.tr("{0} alerts of {1} items are acknowledged with one reason.").format(
                len(hits), items
            )
        dialog = ReasonDialog(text, self)
        ids = [h.id for h in hits]
        dialog.chosen.connect(lambda reason: self.acknowledge(ids, reason))
        self.reason_dialog = dialog
        dialog.open()
        return dialog

    def acknowledge(self, hit_ids: list[int], reason: str) -> None:
        call(
            self,
            self.runner,
            _acknowledge_all,
            self.session,
            hit_ids,
            reason,
            done=self._acked,
            failed=self._failed,
            writes=True,
        )

    def _acked(self, hits: list[Any]) -> None:
        self.acknowledged.emit(hits)
        self.refresh()
