"""Evidence of a case: a sortable, filterable table with hashes; ingest by drop or file dialog.

The custody form is filled once per batch; the ingest runs as a core ``IngestJob`` on a worker
with a progress dialog and a working Cancel (what finished before the cancel is kept).
"Report..." makes a signed court report of the case or of the selected items
(``exchange.report.ReportJob``, on a worker, with a progress dialog and Cancel).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
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
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import kind_icon, set_icon
from desktop.jobs import JobDialog
from desktop.pages import Page
from desktop.pages.hashsets import hit_rank, hits_text
from desktop.tablemodel import Column, RecordModel, digits, filtered, number, setup_view, size, when

HITS_COLUMN = 3


def kind_icon_of(item: Any) -> Any:
    """The icon of an item's kind (photo, video, document, other), from its name."""
    from exchange.overview import kind_of_extension

    return kind_icon(kind_of_extension(Path(item.name).suffix))


COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Evidence", "ID"), lambda i: i.id, digits, align_right=True, width=6),
    Column(QT_TRANSLATE_NOOP("Evidence", "Name"), lambda i: i.name, width=40, icon=kind_icon_of),
    Column(QT_TRANSLATE_NOOP("Evidence", "Size"), lambda i: i.size, size, True, width=10),
    Column(QT_TRANSLATE_NOOP("Evidence", "Hash-set hits"), lambda i: i.id, width=26),  # see below
    Column(QT_TRANSLATE_NOOP("Evidence", "Exhibit"), lambda i: i.exhibit or "", width=10),
    Column(QT_TRANSLATE_NOOP("Evidence", "Seized by"), lambda i: i.seized_by or "", width=14),
    Column(QT_TRANSLATE_NOOP("Evidence", "Acquired"), lambda i: i.acquired_at, when, width=16),
    Column(QT_TRANSLATE_NOOP("Evidence", "SHA-256"), lambda i: i.sha256, width=64, whole=True),
    Column(QT_TRANSLATE_NOOP("Evidence", "MD5"), lambda i: i.md5 or "", width=32, whole=True),
    Column(QT_TRANSLATE_NOOP("Evidence", "SHA-1"), lambda i: i.sha1 or "", width=40, whole=True),
)
CACHED_CASES = 4


_TOP = QModelIndex()


class EvidenceModel(RecordModel):
    """The items of a case with their hash-set hits: known-bad rows red, known-good grey.

    Built for 100,000 rows (PERFORMANCE, "Evidence as thumbnails"): a painted cell asks
    ``data()`` for six or more roles through the proxy, so ``data()`` answers the roles with
    nothing to say at once, and a row's display texts are formatted once, when first painted,
    and kept (at most ``TEXT_ROWS`` rows; cleared with the records). Sizing stays with
    ``setup_view`` (column widths are another branch's work; nothing here sizes columns).
    """

    TEXT_ROWS = 4000

    def __init__(self, parent: Any = None) -> None:
        columns = list(COLUMNS)
        hits = columns[HITS_COLUMN]
        columns[HITS_COLUMN] = Column(
            hits.title, lambda i: hits_text(self.hits.get(i.id, [])), width=hits.width
        )
        super().__init__(columns, "Evidence", parent)
        self.hits: dict[int, list[Any]] = {}
        self._texts: dict[int, tuple[str, ...]] = {}  # item id -> display text per column
        right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._width = len(self.columns)
        self._align = [right if c.align_right else None for c in self.columns]
        self._plain = [  # columns whose font, colour and icon depend on the hits alone
            not c.whole and getattr(c, "icon", None) is None for c in self.columns
        ]

    def set_items(self, items: list[Any], hits: dict[int, list[Any]]) -> None:
        self.hits = hits
        self._texts.clear()
        self.set_records(items)

    def rank(self, item: Any) -> int:
        hits = self.hits.get(item.id)
        return hit_rank(hits) if hits else NO_HIT

    def texts(self, record: Any) -> tuple[str, ...]:
        """The row's display texts, formatted on first use and cached."""
        found = self._texts.get(record.id)
        if found is None:
            if len(self._texts) >= self.TEXT_ROWS:
                self._texts.clear()
            found = self._texts[record.id] = tuple(
                (c.display(v) if c.display is not None else "" if v is None else str(v))
                for c in self.columns
                for v in (c.value(record),)
            )
        return found

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if role in _NOTHING or not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.texts(self.records[index.row()])[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._align[index.column()]
        if role in _STYLE:
            hits = self.hits.get(self.records[index.row()].id) if self.hits else None
            if hits:
                rank = hit_rank(hits)
                if role == Qt.ItemDataRole.ForegroundRole and rank in (0, 3):
                    return theme.colour("danger" if rank == 0 else "muted")
                if role == Qt.ItemDataRole.FontRole and rank == 0:
                    font = QFont()
                    font.setBold(True)
                    return font
            if self._plain[index.column()]:
                return None
        if role == Qt.ItemDataRole.ToolTipRole:
            hits = self.hits.get(self.records[index.row()].id)
            if hits and index.column() == HITS_COLUMN:
                from desktop.pages.hashsets import hit_label

                return "\n".join(f"{hit_label(h)} — {h.algorithm} {h.digest}" for h in hits)
        return super().data(index, role)

    def index(
        self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = _TOP
    ) -> QModelIndex:
        """The proxy maps every cell it paints through here: Qt's own ``index()`` would ask
        ``rowCount()`` and ``columnCount()``, two calls into Python per role of each cell."""
        if parent.isValid() or not (0 <= row < len(self.records) and 0 <= column < self._width):
            return QModelIndex()
        return self.createIndex(row, column)


NO_HIT = hit_rank([])
_STYLE = (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.DecorationRole)
# roles a cell of this table never sets: answered before any lookup
_NOTHING = frozenset(
    {
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.SizeHintRole,
        Qt.ItemDataRole.StatusTipRole,
        Qt.ItemDataRole.WhatsThisRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.AccessibleDescriptionRole,
    }
)


class FieldDateEdit(QDateEdit):
    """A date field that Tab leaves, like every other field of a form.

    A stock ``QDateEdit`` takes Tab to step from day to month to year, so a person filling the
    form with Tab typed "Seized by" into the date and the next fields went wrong.
    """

    def focusNextPrevChild(self, forward: bool) -> bool:
        return QWidget.focusNextPrevChild(self, forward)


class CustodyFormDialog(QDialog):
    """Exhibit number, seized from / at / on / by and a description, once for the batch."""

    def __init__(self, paths: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.setWindowTitle(self.tr("Custody record for this batch"))
        what = QLabel(self.tr("{0} file(s) or folder(s) to ingest").format(len(paths)))
        self.exhibit = QLineEdit()
        self.seized_from = QLineEdit()
        self.seized_at = QLineEdit()
        self.seized_on = FieldDateEdit(QDate.currentDate())
        self.seized_on.setCalendarPopup(True)
        self.seized_by = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(90)
        self.description.setTabChangesFocus(True)  # Tab moves on, as in the fields above
        # off: running an interrupted ingest again resumes it (the core skips what it holds)
        self.again = QCheckBox(self.tr("Store files already in the case again"))
        self.again.setToolTip(
            self.tr(
                "Files of the case with the same source path and SHA-256 are skipped unless "
                "this is checked."
            )
        )
        form = QFormLayout()
        form.addRow(self.tr("Exhibit number"), self.exhibit)
        form.addRow(self.tr("Seized from"), self.seized_from)
        form.addRow(self.tr("Seized at (place)"), self.seized_at)
        form.addRow(self.tr("Seized on"), self.seized_on)
        form.addRow(self.tr("Seized by"), self.seized_by)
        form.addRow(self.tr("Description"), self.description)
        form.addRow("", self.again)
        buttons = QDialogButtonBox()
        buttons.addButton(self.tr("Ingest"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def form(self) -> Any:
        from vault.ingest import CustodyForm

        def text(w: QLineEdit) -> str | None:
            return w.text().strip() or None

        return CustodyForm(
            exhibit=text(self.exhibit),
            seized_from=text(self.seized_from),
            seized_at=text(self.seized_at),
            seized_on=self.seized_on.date().toString("yyyy-MM-dd"),
            seized_by=text(self.seized_by),
            description=self.description.toPlainText().strip() or None,
        )


class ReportDialog(QDialog):
    """Language and scope of a court report; accepting it asks where to save the PDF."""

    def __init__(self, case: str, selected: list[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selected = selected
        self.setWindowTitle(self.tr("Court report of {0}").format(case))
        self.lang = QComboBox()
        self.lang.addItem(self.tr("English"), "en")
        self.lang.addItem(self.tr("Arabic"), "ar")
        if QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft:
            self.lang.setCurrentIndex(1)
        self.only_selected = QCheckBox(
            self.tr("Only the {0} selected item(s)").format(len(selected))
        )
        self.only_selected.setEnabled(bool(selected))
        self.only_selected.setChecked(len(selected) > 1)
        note = QLabel(
            self.tr(
                "The PDF is signed with this workstation's key (FILE.pdf.sig, FILE.pem) and has "
                "an HTML twin (FILE.html). The report is recorded in the custody of every item "
                "it covers."
            )
        )
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Language"), self.lang)
        form.addRow("", self.only_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.tr("Save as..."), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def choice(self) -> tuple[str, list[int]]:
        """(language, item ids: empty for the whole case)."""
        items = self.selected if self.only_selected.isChecked() else []
        return str(self.lang.currentData()), items


def _items_unless(
    session: Any, case: str, seq: int | None
) -> tuple[int, tuple[list[Any], dict[int, list[Any]]] | None]:
    """On a worker: the case's items and their hash-set hits, or None when the audit head is
    still ``seq`` (every hit is audited, so a new hit moves the head too)."""
    from matching.hashhits import case_hits
    from vault.history import head
    from vault.items import list_items

    now = head(session).seq
    if now == seq:
        return now, None
    return now, (list_items(session, case), case_hits(session, case))


class EvidencePage(Page):
    ingested = Signal(object)  # the IngestResult (or None when the job failed), table reloaded
    items_loaded = Signal(str)  # the case whose items the table now shows
    reported = Signal(object)  # the ReportResult, or None when the report failed

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.case_ref: str | None = None
        self.job_dialog: JobDialog | None = None
        self.form_dialog: CustodyFormDialog | None = None
        self.report_dialog: ReportDialog | None = None
        self.item_dialog: Any = None
        self._generation = 0
        self._cache: dict[str, tuple[int, tuple[list[Any], dict[int, list[Any]]]]] = {}
        self.match_dialog: JobDialog | None = None
        self.alerts_dialog: Any = None
        self.similar_dialog: Any = None
        self._pending: Any = None
        self._keep: int | None = None  # the item to select again after a live reload
        self._wanted: str | None = None  # a case to show once the list of cases arrives
        self.cases = QComboBox()
        self.cases.setMinimumWidth(220)
        self.cases.currentIndexChanged.connect(self._case_chosen)
        self.model = EvidenceModel(self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setObjectName("evidence_table")
        self.view.setModel(self.proxy)
        setup_view(self.view)
        self.view.doubleClicked.connect(lambda _i: self.view_item())
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.menu: QMenu | None = None
        # Griffeye and Autopsy hide what a known-good set (NSRL) says is not worth a look
        self.hide_good = QCheckBox(self.tr("Hide known-good"))
        self.hide_good.setChecked(True)
        self.hide_good.toggled.connect(self._apply_hide)
        self.bad_first = QCheckBox(self.tr("Known-bad first"))
        self.bad_first.setChecked(True)
        self.bad_first.toggled.connect(self._apply_bad_first)
        self.proxy.set_keep(self._not_known_good)
        self.model.first = self.model.rank
        self.match_button = set_icon(QPushButton(self.tr("Match against hash sets")), "hashsets")
        self.match_button.clicked.connect(lambda _c=False: self.match())
        self.match_button.setVisible(session.may("hashset.match"))
        self.alerts_button = set_icon(QPushButton(self.tr("Alerts")), "alert")
        self.alerts_button.setObjectName("alerts_button")
        self.alerts_button.clicked.connect(lambda _c=False: self.show_alerts())
        self.similar_button = set_icon(QPushButton(self.tr("Similar...")), "similar")
        self.similar_button.setToolTip(
            self.tr("Near-duplicates and other occurrences of the selected item")
        )
        self.similar_button.clicked.connect(lambda _c=False: self.show_similar())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by name, exhibit or hash"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.count = QLabel()
        can_ingest = session.may("item.ingest")
        self.add_files = set_icon(QPushButton(self.tr("Add files...")), "ingest")
        self.add_files.clicked.connect(self._ask_files)
        self.add_folder = set_icon(QPushButton(self.tr("Add folder...")), "ingest")
        self.add_folder.clicked.connect(self._ask_folder)
        for b in (self.add_files, self.add_folder):
            b.setVisible(can_ingest)
        self.view_button = set_icon(QPushButton(self.tr("View")), "view")
        # clicked(bool) would pass its "checked" False as the item id
        self.view_button.clicked.connect(lambda _checked=False: self.view_item())
        self._make_grid()
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Case")))
        top.addWidget(self.cases)
        top.addWidget(self.filter, 1)
        top.addWidget(self.grid_button)
        top.addWidget(self.view_button)
        self.report_button = set_icon(QPushButton(self.tr("Report...")), "report")
        self.report_button.setToolTip(self.tr("A signed court report of the case or selection"))
        self.report_button.clicked.connect(lambda _checked=False: self.ask_report())
        self.report_button.setVisible(session.may("case.report"))
        top.addWidget(self.report_button)
        top.addWidget(self.similar_button)
        top.addWidget(self.add_files)
        top.addWidget(self.add_folder)
        hint = QLabel(self.tr("Drop files or folders here to ingest them into the case."))
        hint.setVisible(can_ingest)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        hits_row = QHBoxLayout()
        hits_row.addWidget(self.hide_good)
        hits_row.addWidget(self.bad_first)
        hits_row.addStretch(1)
        hits_row.addWidget(self.alerts_button)
        hits_row.addWidget(self.match_button)
        layout.addLayout(hits_row)
        layout.addWidget(self.stack, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(self.count)
        layout.addLayout(bottom)
        self.setAcceptDrops(can_ingest)

    # --- table or thumbnails -------------------------------------------------------------
    def _make_grid(self) -> None:
        """The grid beside the table (one model, one selection), and the action that switches:
        a button with its shortcut, Ctrl+G."""
        from desktop.pages.evidence_grid import EvidenceGrid

        self.grid = EvidenceGrid(self)
        self.grid.open_requested.connect(lambda: self.view_item())
        self.grid.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.view.customContextMenuRequested.connect(self._grid_menu)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.grid)
        self.grid_action = QAction(self.tr("Thumbnails"), self)
        self.grid_action.setCheckable(True)
        self.grid_action.setShortcut(QKeySequence("Ctrl+G"))
        self.grid_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.grid_action.setToolTip(self.tr("Show the evidence as thumbnails or as a table"))
        self.grid_action.toggled.connect(self.show_grid)
        self.addAction(self.grid_action)
        self.grid_button = QToolButton()
        self.grid_button.setDefaultAction(self.grid_action)
        set_icon(self.grid_action, "thumbnails")
        self.grid_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    def show_grid(self, on: bool = True) -> None:
        """Thumbnails (``on``) or the table; selection, order and filter are the same."""
        if self.grid_action.isChecked() != on:
            self.grid_action.setChecked(on)  # comes back here through toggled
            return
        shown, other = (self.grid.view, self.view) if on else (self.view, self.grid.view)
        current = other.currentIndex()
        self.stack.setCurrentWidget(self.grid if on else self.view)
        if on and self.case_ref:
            self.grid.show_case(self.case_ref)
        if current.isValid():
            shown.scrollTo(current)
        shown.setFocus()

    def _grid_menu(self, pos: Any) -> None:
        self._menu(pos, self.grid.view)

    # --- cases and items -----------------------------------------------------------------
    def refresh(self) -> None:
        from vault.cases import list_cases

        self.call(list_cases, self.session, done=self._cases, key="cases")

    def _cases(self, found: list[Any]) -> None:
        keep = self._wanted or self.case_ref
        self._wanted = None
        self.cases.blockSignals(True)
        self.cases.clear()
        for c in found:
            self.cases.addItem(
                f"{c.reference} — {c.title}" if c.title else c.reference, c.reference
            )
        refs = [c.reference for c in found]
        if refs:
            self.cases.setCurrentIndex(refs.index(keep) if keep in refs else 0)
        self.cases.blockSignals(False)
        if refs:
            self._case_chosen(self.cases.currentIndex())
        else:
            self.case_ref = None
            self.model.set_items([], {})
            self._show_count()

    def show_case(self, reference: str) -> None:
        index = self.cases.findData(reference)
        if index < 0:  # a case made since the list was read: shown when the list arrives
            self._wanted = reference
            self.refresh()
            return
        if index != self.cases.currentIndex():
            self.cases.setCurrentIndex(index)
        else:
            self._case_chosen(index)

    def refresh_live(self) -> None:
        """Others added to the vault: the shown case's items again, the current row kept."""
        if not self.case_ref:
            self.refresh()
            return
        record = self.selected_item()
        self._keep = record.id if record is not None else None
        self.load_items()

    def _case_chosen(self, index: int) -> None:
        self.case_ref = self.cases.itemData(index)
        self.load_items()

    def load_items(self) -> None:
        """Show the chosen case's items; the core is read on a worker, the window stays live.

        A case shown before is shown again at once when the vault has not changed since (same
        audit head): every change to items or their records appends an audit entry.
        """
        if not self.case_ref:
            return
        self._generation += 1
        generation, case = self._generation, self.case_ref
        cached = self._cache.get(case)
        self.count.setText(self.tr("Loading..."))
        bridge = self.runner.call(_items_unless, self.session, case, cached and cached[0])
        bridge.setProperty("load", (generation, case))
        # bound methods (not lambdas): Qt drops the connection if the page is deleted first
        bridge.finished.connect(self._loaded)
        bridge.failed.connect(self._load_failed)

    def _loaded(self, answer: tuple[int, Any]) -> None:
        generation, case = self.sender().property("load")
        seq, loaded = answer
        if loaded is None:  # unchanged since it was cached
            cached = self._cache.get(case)
            if cached is None:
                return
            loaded = cached[1]
        self._show_items(generation, case, seq, loaded)

    def _show_items(self, generation: int, case: str, seq: int, loaded: Any) -> None:
        if generation != self._generation:
            return  # the user chose another case meanwhile
        self._cache.pop(case, None)
        self._cache[case] = (seq, loaded)
        while len(self._cache) > CACHED_CASES:
            self._cache.pop(next(iter(self._cache)))
        self.model.set_items(*loaded)
        self._show_count()
        keep, self._keep = self._keep, None
        rows = [n for n, r in enumerate(self.model.records) if r.id == keep] if keep else []
        if rows:
            self.view.setCurrentIndex(self.proxy.mapFromSource(self.model.index(rows[0], 0)))
        if self.stack.currentWidget() is self.grid:
            self.grid.show_case(case)
        self.items_loaded.emit(case)
        if self._pending is not None:
            result, self._pending = self._pending, None
            self.ingested.emit(result)

    def _load_failed(self, message: str) -> None:
        if self.sender().property("load")[0] == self._generation:
            self.model.set_items([], {})
            self._show_count()
            self.error(message)

    def _show_count(self) -> None:
        total = len(self.model.records)
        text = self.tr("{0} items").format(number(total))
        hidden = total - self.proxy.rowCount()
        if hidden and self.hide_good.isChecked() and not self.filter.text():
            text += " " + self.tr("({0} known-good hidden)").format(hidden)
        self.count.setText(text)
        alerts = sum(
            1
            for hits in self.model.hits.values()
            for h in hits
            if h.kind == "known-bad" and h.acknowledged is None
        )
        self.alerts_button.setText(self.tr("Alerts: {0}").format(alerts))
        self.alerts_button.setStyleSheet(theme.css("danger", bold=True) if alerts else "")

    # --- hash-set hits -------------------------------------------------------------------
    def _not_known_good(self, item: Any) -> bool:
        hits = self.model.hits.get(item.id) if self.model.hits else None
        return not hits or hit_rank(hits) != 3  # one dict lookup per row of 100,000

    def _apply_hide(self, hide: bool) -> None:
        self.proxy.set_keep(self._not_known_good if hide else None)
        self._show_count()

    def _apply_bad_first(self, first: bool) -> None:
        self.model.first = self.model.rank if first else None
        self.model.resort()

    def match(self) -> JobDialog | None:
        """Look every item of the case up in the active hash sets (a job with Cancel)."""
        from matching.hashhits import MatchJob
        from vault.jobs import CancelToken

        if not self.case_ref:
            return None
        job = MatchJob(self.session, self.case_ref, CancelToken())
        bridge = self.runner.start(job)
        self.match_dialog = JobDialog(
            bridge,
            self.tr("Matching {0} against the hash sets").format(self.case_ref),
            self._matched_text,
            self,
            progress=lambda done, total, _m: self.tr("{0} of {1} items looked up").format(
                done, total
            ),
        )
        # a cancelled run keeps the hits of the groups it finished: show them either way
        bridge.finished.connect(lambda _r: self.load_items())
        bridge.failed.connect(lambda _m: self.load_items())
        self.match_dialog.show()
        return self.match_dialog

    def _matched_text(self, result: Any) -> str:
        if not result.sets:
            return self.tr("No active hash set: import one on the Hash sets page.")
        text = self.tr("{0} items looked up in {1} sets: {2} new hits, {3} known-bad.").format(
            result.items, len(result.sets), result.hits, result.alerts
        )
        if result.known:
            text += " " + self.tr("{0} hits were found before.").format(result.known)
        if result.sha256_only:
            text += " " + self.tr(
                "This case keeps no MD5 or SHA-1: only SHA-256 entries could match."
            )
        return text

    def show_alerts(self) -> Any:
        from desktop.pages.hashsets import AlertsDialog

        if not self.case_ref:
            return None
        dialog = AlertsDialog(self.session, self.runner, self.case_ref, self)
        dialog.acknowledged.connect(lambda _h: self.load_items())
        self.alerts_dialog = dialog
        dialog.show()
        return dialog

    def show_similar(self, item_id: int | None = None) -> Any:
        from desktop.pages.similar import SimilarDialog

        if item_id is None:
            record = self.selected_item()
            if record is None:
                return None
            item_id = record.id
        self.similar_dialog = SimilarDialog(self.session, self.runner, item_id, self)
        self.similar_dialog.show()
        return self.similar_dialog

    def _menu(self, pos: Any, view: Any = None) -> None:
        if self.selected_item() is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("View"), lambda: self.view_item())
        menu.addAction(self.tr("Similar and other occurrences..."), lambda: self.show_similar())
        menu.addActions(self.view.actions())  # Copy (the whole values of the selected cells)
        self.menu = menu
        menu.popup((view or self.view).viewport().mapToGlobal(pos))

    def selected_item(self) -> Any:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.records[self.proxy.mapToSource(index).row()]

    def view_item(self, item_id: int | None = None) -> Any:
        from desktop.pages.item_view import ItemDialog

        if item_id is None:
            record = self.selected_item()
            if record is None:
                return None
            item_id = record.id
        self.item_dialog = ItemDialog(self.session, self.runner, item_id, self)
        self.item_dialog.show()
        return self.item_dialog

    def selected_ids(self) -> list[int]:
        rows = {self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()}
        return sorted(self.model.records[r].id for r in rows)

    # --- court report --------------------------------------------------------------------
    def ask_report(self) -> ReportDialog | None:
        """Ask language and scope, then where to save; accepting starts the report job."""
        if not self.case_ref:
            self.error(self.tr("Choose or create a case first."))
            return None
        dialog = ReportDialog(self.case_ref, self.selected_ids(), self)
        dialog.accepted.connect(lambda: self._ask_where(dialog))
        self.report_dialog = dialog
        dialog.open()
        return dialog

    def _ask_where(self, dialog: ReportDialog) -> None:
        lang, item_ids = dialog.choice()
        suggested = (self.case_ref or "case").replace("/", "-") + "-report.pdf"
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the court report"), suggested, self.tr("PDF files (*.pdf)")
        )
        if name:
            target = Path(name)
            if target.suffix.lower() != ".pdf":
                target = target.with_name(target.name + ".pdf")
            self.report(target, lang, item_ids)

    def report(self, target: Path, lang: str, item_ids: list[int] | None = None) -> JobDialog:
        """The court report on a worker, with a progress dialog and Cancel."""
        from exchange.report import ReportJob
        from vault.jobs import CancelToken

        job = ReportJob(self.session, self.case_ref or "", target, item_ids, lang, CancelToken())
        bridge = self.runner.start(job)
        self.job_dialog = JobDialog(
            bridge,
            self.tr("Court report of {0}").format(job.case_reference),
            self._describe_report,
            self,
        )
        bridge.finished.connect(self.reported.emit)
        bridge.failed.connect(lambda _message: self.reported.emit(None))
        self.job_dialog.show()
        return self.job_dialog

    def _describe_report(self, result: Any) -> str:
        return self.tr(
            "Report written to {0} with its HTML twin, signature and public key: {1} item(s), "
            "{2} face match(es). Check it with: openssl pkeyutl -verify -pubin -inkey {3} "
            "-rawin -in {0} -sigfile {4}"
        ).format(
            result.files.pdf,
            result.items,
            result.matches,
            result.files.public_key,
            result.files.signature,
        )

    # --- ingest --------------------------------------------------------------------------
    def _ask_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Choose files to ingest"))
        if files:
            self.ask_custody([Path(f) for f in files])

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder to ingest"))
        if folder:
            self.ask_custody([Path(folder)])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and self.case_ref:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.ask_custody(paths)

    def ask_custody(self, paths: list[Path]) -> CustodyFormDialog | None:
        """Open the custody form for a batch; accepting it starts the ingest."""
        if not self.case_ref:
            self.error(self.tr("Choose or create a case first."))
            return None
        dialog = CustodyFormDialog(paths, self)
        dialog.accepted.connect(
            lambda: self.ingest(paths, dialog.form(), again=dialog.again.isChecked())
        )
        self.form_dialog = dialog
        dialog.open()
        return dialog

    def ingest(self, paths: list[Path], form: Any, again: bool = False) -> JobDialog:
        """Ingest on a worker; with ``again``, files the case holds already are stored again."""
        from vault.ingest import IngestJob
        from vault.jobs import CancelToken

        job = IngestJob(self.session, self.case_ref or "", paths, form, CancelToken(), again)
        bridge = self.runner.start(job)
        self.job_dialog = JobDialog(
            bridge, self.tr("Ingesting into {0}").format(job.case_reference), self._describe, self
        )
        bridge.finished.connect(self._ingested)
        bridge.failed.connect(self._ingest_failed)
        self.job_dialog.show()
        return self.job_dialog

    def _describe(self, result: Any) -> str:
        text = self.tr("{0} saved, {1} failed.").format(len(result.saved), len(result.failed))
        if result.skipped:
            text += " " + self.tr(
                "{0} skipped as already in the case (same path and SHA-256)."
            ).format(len(result.skipped))
        if result.cancelled:
            text = self.tr("Cancelled: ") + text + " " + self.tr("Finished items are kept.")
        return text

    def _ingested(self, result: Any) -> None:
        self._pending = result
        self.load_items()

    def _ingest_failed(self, _message: str) -> None:
        self._pending = None
        self.load_items()
        self.ingested.emit(None)
