"""Dialogs of the Hash sets page beyond the list: a set shared with a partner as a signed bundle
(and VICS JSON), a partner's set imported from its bundle, a set made from a case's confirmed
known-bad files, and the items of a case near an active PDQ set.

Each dialog only gathers the user's choice: the core decides (policy, permissions, checks) on a
worker, long work as a job with its progress dialog; a refusal comes back as its lines. Names
from outside (sets, partners, items) go through ``vault.printable.safe``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.pages import call
from desktop.pages.bundle_dialogs import BundleExportDialog, BundleImportDialog, ok_cancel
from desktop.pages.hashsets import KINDS, kind_label
from desktop.pages.item_view import ItemsListDialog
from desktop.tablemodel import Column, RecordModel, number, setup_view
from desktop.widgets import CaseBox
from vault.printable import safe


class HashSetExportDialog(BundleExportDialog):
    """Partner, purpose (intelligence by default), where to save, encryption, VICS beside."""

    def __init__(self, session: Any, runner: Any, name: str, parent: QWidget | None) -> None:
        super().__init__(session, runner, f"hashset-{name}", parent)
        self.set_name = name
        self.setWindowTitle(self.tr("Share hash set {0} with a partner").format(safe(name)))
        self.purpose.setCurrentIndex(max(0, self.purpose.findData("intelligence")))
        self.vics = QCheckBox(
            self.tr("Also write the set as VICS JSON beside it (for tools without Custos)")
        )
        self.form.addRow("", self.vics)

    def make_job(self, target: Path) -> Any:
        from exchange.hsexport import HashSetExportJob
        from vault.jobs import CancelToken

        vics = target.with_name(target.name + ".vics.json") if self.vics.isChecked() else None
        return HashSetExportJob(
            self.session,
            self.set_name,
            self.partner.currentData(),
            target,
            self.purpose.currentData(),
            vics_out=vics,
            cancel=CancelToken(),
            encrypt=self.encrypt.isChecked(),
        )

    def job_title(self) -> str:
        return self.tr("Exporting hash set {0}").format(safe(self.set_name))

    def describe(self, r: Any) -> str:
        text = self.tr("Hash set bundle written to {0}: {1} entries, TLP:{2}.").format(
            r.path, number(r.entries), r.label
        )
        if r.vics is not None:
            text += "\n" + self.tr("VICS JSON written to {0}.").format(r.vics)
        return text


class HashSetBundleImportDialog(BundleImportDialog):
    """A partner's hash-set bundle (folder or .tar.age): checked, stored disabled."""

    def __init__(self, session: Any, runner: Any, parent: QWidget | None) -> None:
        super().__init__(session, runner, parent)
        self.setWindowTitle(self.tr("Import a partner's hash set"))
        self.name.setPlaceholderText(self.tr("default: the sender's name for the set"))

    def make_job(self, path: Path, name: str | None) -> Any:
        from exchange.hsimport import HashSetImportJob
        from vault.jobs import CancelToken

        return HashSetImportJob(self.session, path, name, CancelToken())

    def describe(self, r: Any) -> str:
        text = self.tr(
            "Hash set {0} from {1}: {2} entries ({3}, TLP:{4}). It is disabled until an "
            "analyst enables it."
        ).format(safe(r.name), safe(r.sender), number(r.entries), kind_label(r.kind), r.label)
        if not r.onward:
            text += "\n" + self.tr("The sender allows no onward sharing.")
        text += "".join(f"\n• {safe(w)}" for w in r.warnings)
        return text


class FromCaseDialog(QDialog):
    """A set made of a case's confirmed known-bad files (alerts acknowledged by an analyst)."""

    made = Signal(object)  # the new set's HashSetInfo

    def __init__(self, session: Any, runner: Any, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.setWindowTitle(self.tr("Make a hash set from a case"))
        self.setMinimumWidth(520)
        self.case = CaseBox()
        self.name = QLineEdit()
        self.kind = QComboBox()
        for k in KINDS:
            self.kind.addItem(kind_label(k), k)
        self.source = QLineEdit()
        self.source.setPlaceholderText(self.tr("default: the case reference"))
        form = QFormLayout()
        form.addRow(self.tr("Case"), self.case)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Source"), self.source)
        note = QLabel(
            self.tr(
                "The set holds the digests of the case's files whose known-bad alert an "
                "analyst acknowledged, with their categories."
            )
        )
        note.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons, self.make_button = ok_cancel(self, self.tr("Make set"))
        self.make_button.clicked.connect(self.make)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        from vault.cases import list_cases

        call(self, runner, list_cases, session, done=self.case.reload, failed=self._failed)

    def make(self) -> bool:
        from matching.hsfromcase import from_case

        case, name = self.case.reference(), self.name.text().strip()
        if not case or not name:
            self.message.setText(self.tr("Choose a case and give the set a name."))
            return False
        self.make_button.setEnabled(False)
        self.message.setText("")
        call(
            self,
            self.runner,
            from_case,
            self.session,
            case,
            name,
            self.kind.currentData(),
            source=self.source.text().strip() or None,
            done=self._made,
            failed=self._failed,
            writes=True,
        )
        return True

    def _made(self, info: Any) -> None:
        self.make_button.setEnabled(True)
        self.message.setText(
            self.tr("Hash set {0} made: {1} entries.").format(safe(info.name), number(info.entries))
        )
        self.made.emit(info)

    def _failed(self, message: str) -> None:
        self.message.setText(message)
        self.make_button.setEnabled(True)


MATCH_COLUMNS = (
    Column(QT_TRANSLATE_NOOP("PdqSets", "Item"), lambda f: f.item, str, True, width=6),
    Column(QT_TRANSLATE_NOOP("PdqSets", "Name"), lambda f: safe(f.name), width=26),
    Column(QT_TRANSLATE_NOOP("PdqSets", "Kind"), lambda f: kind_label(f.match.set_kind), width=12),
    Column(QT_TRANSLATE_NOOP("PdqSets", "Hash set"), lambda f: safe(f.match.set), width=18),
    Column(
        QT_TRANSLATE_NOOP("PdqSets", "Category"),
        lambda f: "" if f.match.category is None else safe(f.match.category),
        width=9,
    ),
    Column(
        QT_TRANSLATE_NOOP("PdqSets", "Distance"), lambda f: f.match.distance, str, True, width=8
    ),
    Column(
        QT_TRANSLATE_NOOP("PdqSets", "Time"),
        lambda f: "" if f.match.frame_time is None else f"{f.match.frame_time:.1f} s",
        width=8,
    ),
)


class CasePdqSetsDialog(ItemsListDialog):
    """The items of a case near an entry of an active PDQ set (a partner's known-bad PDQ
    list), known-bad first; a row opens its item."""

    answered = Signal(list)  # the ItemSetMatch list shown

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.setWindowTitle(self.tr("Near-duplicates of PDQ hash sets"))
        self.resize(820, 420)
        self.case = CaseBox()
        self.distance = QSpinBox()
        self.distance.setRange(0, 256)
        self.distance.setValue(31)
        self.distance.setSuffix(self.tr(" bits"))
        self.look = QPushButton(self.tr("Look"))
        self.look.clicked.connect(lambda _c=False: self.refresh())
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Case")))
        top.addWidget(self.case, 1)
        top.addWidget(QLabel(self.tr("Distance")))
        top.addWidget(self.distance)
        top.addWidget(self.look)
        self.model = RecordModel(MATCH_COLUMNS, "PdqSets", self)
        self.view = QTableView()
        self.view.setModel(self.model)
        setup_view(self.view)
        self.view.doubleClicked.connect(lambda _i: self.open_item())
        self.note = QLabel()
        self.note.setWordWrap(True)
        open_button = QPushButton(self.tr("View item"))
        open_button.clicked.connect(lambda _c=False: self.open_item())
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(open_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)
        layout.addLayout(bottom)
        self.case.chosen.connect(lambda _ref: self.refresh())
        from vault.cases import list_cases

        call(self, runner, list_cases, session, done=self.case.reload, failed=self._failed)

    def refresh(self) -> None:
        from matching.similar import case_set_matches

        case = self.case.reference()
        if not case:
            return
        self.note.setText(self.tr("Looking..."))
        call(
            self,
            self.runner,
            case_set_matches,
            self.session,
            case,
            self.distance.value(),
            done=self._answered,
            failed=self._failed,
            key="matches",
        )

    def _answered(self, found: list[Any]) -> None:
        self.model.set_records(found)
        items = len({f.item for f in found})
        self.note.setText(
            self.tr("{0} items near an active PDQ set's entry (within {1} bits).").format(
                items, self.distance.value()
            )
        )
        if found:
            self.view.selectRow(0)
        self.answered.emit(found)
