"""The page a case opens on: its figures at a glance, with the way to the pages behind them.

One core call (``exchange.overview.case_overview``) on a worker; opening the page for a case
records that this user looked at it, so the next visit says what changed since.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.icons import set_icon
from desktop.pages import Page
from desktop.tablemodel import action_text, day, isolate, number, size, when
from desktop.widgets import CaseBox


class OverviewPage(Page):
    go_to = Signal(str, str)  # (area, case reference): show that page for the case

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.overview: Any = None
        self.alerts_dialog: Any = None
        self.cases = CaseBox()
        self.cases.setObjectName("overview_case")
        self.cases.chosen.connect(self.load)
        self.title = QLabel()
        self.title.setObjectName("overview_title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Case")))
        top.addWidget(self.cases)
        top.addStretch(1)

        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(10)
        rows = (
            ("items", self.tr("Items")),
            ("kinds", self.tr("By kind")),
            ("faces", self.tr("Faces found")),
            ("review", self.tr("Waiting for review")),
            ("alerts", self.tr("Hash-set alerts")),
            ("hits", self.tr("Known-file hits")),
            ("partners", self.tr("Partners")),
            ("agreements", self.tr("Agreements")),
            ("verified", self.tr("Last verified")),
            ("changed", self.tr("Since you last looked")),
        )
        for row, (key, caption) in enumerate(rows):
            name = QLabel(caption)
            name.setStyleSheet("color: palette(placeholder-text);")
            value = QLabel()
            value.setObjectName(f"overview_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
        grid.setColumnStretch(1, 1)
        self.evidence_button = set_icon(QPushButton(self.tr("Show evidence")), "evidence")
        self.evidence_button.clicked.connect(lambda: self._go("evidence"))
        self.review_button = set_icon(QPushButton(self.tr("Open review")), "review")
        self.review_button.clicked.connect(lambda: self._go("review"))
        self.review_button.setVisible(session.may("match.review"))
        self.alerts_button = set_icon(QPushButton(self.tr("Show alerts")), "alert")
        self.alerts_button.clicked.connect(self.show_alerts)
        buttons = QHBoxLayout()
        for b in (self.evidence_button, self.review_button, self.alerts_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(line)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self._show(None)
        runner.changed.connect(self._changed)

    # --- loading -------------------------------------------------------------------------
    def refresh(self) -> None:
        from vault.cases import list_cases

        self.call(list_cases, self.session, done=self._cases, key="cases")

    def _cases(self, cases: list[Any]) -> None:
        self.cases.reload(cases)  # says ``chosen`` only when the choice changed
        shown = self.overview.reference if self.overview is not None else None
        if self.cases.reference() != shown:
            self.load(self.cases.reference() or "")

    def show_case(self, reference: str) -> None:
        """Opening a case is a visit, also of the case already shown."""
        if self.cases.findData(reference) < 0:  # not listed yet: chosen when the list arrives
            self.cases.select(reference)
            self.refresh()
            return
        self.cases.blockSignals(True)
        self.cases.select(reference)
        self.cases.blockSignals(False)
        self.load(reference)

    def load(self, reference: str, mark_viewed: bool = True) -> None:
        from exchange.overview import case_overview

        if not reference:
            self._show(None)
            return
        self.call(
            case_overview,
            self.session,
            reference,
            mark_viewed=mark_viewed,
            done=self._show,
            key="overview",
        )

    def _changed(self) -> None:
        """The vault changed (an ingest, a decision): the figures again, not a new visit."""
        reference = self.cases.reference()
        if reference and self.isVisible():
            self.load(reference, mark_viewed=False)

    # --- showing -------------------------------------------------------------------------
    def _show(self, o: Any) -> None:
        self.overview = o
        for b in (self.evidence_button, self.review_button, self.alerts_button):
            b.setEnabled(o is not None)
        if o is None:
            self.title.setText(self.tr("No case chosen."))
            for value in self.values.values():
                value.setText("")
            return
        self.title.setText(f"{isolate(o.reference)} — {isolate(o.title)}")
        v = self.values
        v["items"].setText(self.tr("{0} ({1})").format(number(o.items), size(o.size)))
        v["kinds"].setText(
            self.tr("{0} photos, {1} videos, {2} documents, {3} other").format(
                number(o.kinds["photo"]),
                number(o.kinds["video"]),
                number(o.kinds["document"]),
                number(o.kinds["other"]),
            )
        )
        v["faces"].setText(
            self.tr("{0} in {1} analysed items").format(number(o.faces), number(o.analysed))
        )
        v["review"].setText(self.tr("{0} candidates").format(number(o.waiting_review)))
        v["alerts"].setText(
            self.tr("{0} known-bad hits not acknowledged").format(number(o.alerts))
            if o.alerts
            else self.tr("None")
        )
        v["alerts"].setStyleSheet(theme.css("danger", bold=True) if o.alerts else "")
        self.alerts_button.setEnabled(bool(o.alerts))
        kinds = {
            "known-bad": self.tr("known-bad"),
            "known-good": self.tr("known-good"),
            "info": self.tr("information"),
        }
        hits = [
            self.tr("{0} {1}").format(number(n), kinds.get(k, k))
            for k, n in o.known_file_hits.items()
        ]
        v["hits"].setText(", ".join(hits) or self.tr("None"))
        v["partners"].setText(", ".join(isolate(p) for p in o.partners) or self.tr("None"))
        agreements = [
            self.tr("{0}: {1} {2}, until {3}").format(
                isolate(a.partner),
                a.purpose,
                isolate(a.reference) if a.reference else "",
                day(a.valid_until),
            )
            + ("" if a.current else " " + self.tr("(not in force)"))
            for a in o.agreements
        ]
        v["agreements"].setText("\n".join(agreements) or self.tr("None"))
        if o.last_verified:
            v["verified"].setText(
                self.tr("{0}, {1} problems").format(
                    when(o.last_verified), number(o.verify_problems or 0)
                )
            )
        else:
            v["verified"].setText(self.tr("Never"))
        if o.last_viewed is None:
            v["changed"].setText(self.tr("This is your first look at this case."))
        elif not o.changed:
            v["changed"].setText(self.tr("Nothing changed since {0}.").format(when(o.last_viewed)))
        else:
            what = "\n".join(
                self.tr("{0}: {1}").format(action_text(a), number(n)) for a, n in o.changes.items()
            )
            v["changed"].setText(
                self.tr("{0} audit entries since {1}:").format(
                    number(o.changed), when(o.last_viewed)
                )
                + "\n"
                + what
            )
        if self.isRightToLeft():  # each line reads right to left, even one that starts in Latin
            for value in v.values():
                value.setText("\n".join("\u200f" + line for line in value.text().split("\n")))

    # --- the pages behind ----------------------------------------------------------------
    def _go(self, area: str) -> None:
        reference = self.cases.reference()
        if reference:
            self.go_to.emit(area, reference)

    def show_alerts(self) -> Any:
        from desktop.pages.hashsets import AlertsDialog

        reference = self.cases.reference()
        if not reference:
            return None
        dialog = AlertsDialog(self.session, self.runner, reference, self)
        dialog.acknowledged.connect(lambda _h: self.load(reference, mark_viewed=False))
        self.alerts_dialog = dialog
        dialog.show()
        return dialog
