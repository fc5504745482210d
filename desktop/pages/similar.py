"""Near-duplicates and other occurrences of one item (``matching.similar.similar``): the same
content, a near-duplicate picture (PDQ, Hamming distance in bits) or the same face, in the
item's case or across every case the user may read (as Autopsy's Central Repository).

Each row opens that item. When the item has no PDQ hash yet, "Compute PDQ for this case" runs
the core's ``PdqJob`` and asks again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.jobs import JobDialog
from desktop.pages import call
from desktop.pages.item_view import ItemsListDialog
from desktop.tablemodel import Column, RecordModel, digits, setup_view
from vault.printable import safe

KIND_LABELS = {
    "same-content": QT_TRANSLATE_NOOP("Similar", "Same content (SHA-256)"),
    "near-duplicate": QT_TRANSLATE_NOOP("Similar", "Near-duplicate (PDQ)"),
    "same-face": QT_TRANSLATE_NOOP("Similar", "Same face"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("Similar", text)


def distance_text(found: tuple[str, float]) -> str:
    """PDQ distances in bits, face distances as the embedding distance, same content 0."""
    kind, distance = found
    if kind == "near-duplicate":
        return QCoreApplication.translate("Similar", "{0} bits").format(int(distance))
    if kind == "same-face":
        return f"{distance:.3f}"
    return "0"


COLUMNS = (
    Column(
        QT_TRANSLATE_NOOP("Similar", "Found as"),
        lambda o: _tr(KIND_LABELS.get(o.kind, o.kind)),
        width=22,
    ),
    Column(QT_TRANSLATE_NOOP("Similar", "Case"), lambda o: safe(o.case), width=10),
    Column(QT_TRANSLATE_NOOP("Similar", "Item"), lambda o: o.item, digits, True, width=6),
    Column(QT_TRANSLATE_NOOP("Similar", "Name"), lambda o: safe(o.name), width=30),
    Column(
        QT_TRANSLATE_NOOP("Similar", "Distance"),
        lambda o: (o.kind, o.distance),
        distance_text,
        True,
        width=10,
    ),
    Column(
        QT_TRANSLATE_NOOP("Similar", "Time"),
        lambda o: "" if o.frame_time is None else f"{o.frame_time:.1f} s",
        width=8,
    ),
)


class SimilarDialog(ItemsListDialog):
    answered = Signal(object)  # the SimilarResult shown

    def __init__(self, session: Any, runner: Any, item_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.runner, self.item_id = session, runner, item_id
        self.result: Any = None
        self.job: JobDialog | None = None
        self.setWindowTitle(self.tr("Similar to item {0}").format(item_id))
        self.resize(820, 440)
        self.all_cases = QCheckBox(self.tr("Across all cases"))
        self.all_cases.toggled.connect(lambda _on: self.refresh())
        self.distance = QSpinBox()  # PDQ bits of 256; PDQ's recommended 31 unless changed
        self.distance.setRange(0, 256)
        self.distance.setValue(31)
        self.distance.setSuffix(self.tr(" bits"))
        self.distance.setToolTip(self.tr("Near-duplicates within this many bits of 256"))
        self.distance.editingFinished.connect(self.refresh)
        self.model = RecordModel(COLUMNS, "Similar", self)
        self.view = QTableView()
        self.view.setModel(self.model)
        setup_view(self.view)
        self.view.doubleClicked.connect(lambda _i: self.open_item())
        self.note = QLabel(self.tr("Looking..."))
        self.note.setWordWrap(True)
        self.set_matches = QLabel()  # near an entry of an active PDQ set (a partner's list)
        self.set_matches.setWordWrap(True)
        self.set_matches.setVisible(False)
        self.pdq_button = set_icon(QPushButton(self.tr("Compute PDQ for this case")), "hashsets")
        self.pdq_button.setToolTip(
            self.tr("Perceptual hashes of the case's photos and videos, for near-duplicates")
        )
        self.pdq_button.clicked.connect(lambda _c=False: self.compute_pdq())
        self.pdq_button.setVisible(False)
        open_button = set_icon(QPushButton(self.tr("View item")), "view")
        open_button.clicked.connect(lambda _c=False: self.open_item())
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        top = QHBoxLayout()
        top.addWidget(self.all_cases)
        top.addWidget(QLabel(self.tr("PDQ distance")))
        top.addWidget(self.distance)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.pdq_button)
        bottom.addWidget(open_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)
        layout.addWidget(self.set_matches)
        layout.addLayout(bottom)
        self.refresh()

    def refresh(self) -> None:
        from matching.similar import similar

        self.note.setText(self.tr("Looking..."))
        call(
            self,
            self.runner,
            similar,
            self.session,
            self.item_id,
            all_cases=self.all_cases.isChecked(),
            distance=self.distance.value(),
            done=self._answered,
            failed=self._failed,
            key="similar",
        )

    def _answered(self, result: Any) -> None:
        self.result = result
        title = self.tr("Similar to item {0}: {1}").format(result.item, safe(result.name))
        self.setWindowTitle(title)
        self.model.set_records(result.occurrences)
        where = (
            self.tr("in every case you may read")
            if result.all_cases
            else self.tr("in case {0}").format(safe(result.case))
        )
        text = self.tr("{0} found {1} (PDQ within {2} bits).").format(
            len(result.occurrences), where, result.distance
        )
        if result.pdq_hashes == 0:
            text += " " + self.tr("This item has no PDQ hash: near-duplicates were not searched.")
        elif result.low_quality:
            text += " " + self.tr(
                "Its PDQ hash is of low quality (a flat picture): "
                "near-duplicates were not searched."
            )
        self.note.setText(text)
        lines = [self._set_match_text(m) for m in result.set_matches]
        self.set_matches.setText("\n".join(lines))
        self.set_matches.setVisible(bool(lines))
        self.pdq_button.setVisible(result.pdq_hashes == 0 and self.session.may("match.run"))
        self.answered.emit(result)

    def _set_match_text(self, m: Any) -> str:
        """One PDQ set this item is near: "Near-duplicate of an entry of known-bad set X
        (category 2): 4 bits"."""
        from desktop.pages.hashsets import kind_label

        text = self.tr("Near-duplicate of an entry of {0} set {1}").format(
            kind_label(m.set_kind), safe(m.set)
        )
        if m.category is not None:
            text += " " + self.tr("(category {0})").format(safe(m.category))
        text += ": " + self.tr("{0} bits").format(m.distance)
        if m.frame_time is not None:
            text += " " + self.tr("at {0:.1f} s").format(m.frame_time)
        return text

    def compute_pdq(self) -> JobDialog | None:
        from matching.similar import PdqJob
        from vault.jobs import CancelToken

        if self.result is None:
            return None
        job = PdqJob(self.session, self.result.case, CancelToken())
        bridge = self.runner.start(job)
        self.job = JobDialog(
            bridge,
            self.tr("Perceptual hashes of {0}").format(safe(self.result.case)),
            self._pdq_text,
            self,
        )
        bridge.finished.connect(lambda _r: self.refresh())
        self.job.show()
        return self.job

    def _pdq_text(self, result: Any) -> str:
        text = self.tr("{0} items hashed ({1} PDQ hashes), {2} failed.").format(
            result.items, result.hashes, len(result.failed)
        )
        if result.cancelled:
            text = self.tr("Cancelled: ") + text
        return text
