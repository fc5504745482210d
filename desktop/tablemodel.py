"""A read-only table model over a list of plain records (the core's dataclasses).

Cells are formatted only when a view asks for them (visible rows), so a list of tens of thousands
of records costs one ``beginResetModel``. ``SORT_ROLE`` gives the raw value (numbers sort as
numbers, ISO times as times); display text follows the locale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str  # source text, translated in the model's context
    value: Callable[[Any], Any]
    display: Callable[[Any], str] | None = None
    align_right: bool = False
    width: int = 0  # initial width in average characters (0: the view's default)
    whole: bool = False  # monospace, never elided, the full text as tooltip (fingerprints)
    icon: Callable[[Any], Any] | None = None  # a QIcon for the record (e.g. its item kind)


def when(iso: str | None) -> str:
    """An ISO 8601 time in the user's locale and local time, with its time zone.

    The one date format of the desktop: short date and time in the locale's digits, then the
    zone's abbreviation (``UTC``, ``CET``), kept whole in right-to-left text."""
    if not iso:
        return ""
    dt = QDateTime.fromString(iso[:23] + iso[26:] if len(iso) > 26 else iso, Qt.DateFormat.ISODate)
    if not dt.isValid():
        return iso
    local = dt.toLocalTime()
    text = QLocale().toString(local, QLocale.FormatType.ShortFormat)
    return f"{text} {isolate(local.timeZoneAbbreviation())}"


def day(iso: str | None) -> str:
    """A calendar date (``2027-01-31``: agreements, expiries, seizures) in the user's locale."""
    if not iso:
        return ""
    from PySide6.QtCore import QDate

    d = QDate.fromString(iso[:10], Qt.DateFormat.ISODate)
    return QLocale().toString(d, QLocale.FormatType.ShortFormat) if d.isValid() else iso


def isolate(text: object) -> str:
    """A name, path or identifier kept whole inside text of the other direction (Unicode
    first-strong isolate, U+2068 ... U+2069): an English path in an Arabic sentence stays in
    its order, and the sentence's punctuation stays outside it."""
    return f"\u2068{text}\u2069"


def action_text(action: str) -> str:
    """An audit action as a sentence in the user's language (``vault.actions``)."""
    from vault.actions import CONTEXT, sentence

    return QCoreApplication.translate(CONTEXT, sentence(action))


def value_text(value: Any) -> str:
    """One recorded value as a person reads it: text as is, lists joined, nested records as
    ``key: value`` pairs (never raw JSON)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return QCoreApplication.translate("Audit", "yes" if value else "no")
    if isinstance(value, int):
        return digits(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{str(k).replace('_', ' ')}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    return str(value)


def detail_lines(details: dict[str, Any]) -> list[str]:
    """``key: value`` per detail, keys in order, ``_`` read as a space; each pair isolated, so
    that in right-to-left text a pair keeps its own order and the pairs theirs."""
    return [isolate(f"{k.replace('_', ' ')}: {value_text(v)}") for k, v in sorted(details.items())]


def size(n: int) -> str:
    return QLocale().formattedDataSize(int(n))


def number(n: int | float) -> str:
    return QLocale().toString(n)


def digits(n: int) -> str:
    """An identifier or sequence number in the locale's digits, without group separators."""
    locale = QLocale()
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
    return locale.toString(int(n))


class RecordModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], context: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.context = context
        self.records: list[Any] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._haystacks: dict[int, str] = {}
        # a rank sorted on before any column, whatever its order (e.g. known-bad first)
        self.first: Callable[[Any], Any] | None = None

    def set_records(self, records: list[Any]) -> None:
        """Replace the records, sorted as before, in one reset (views size their columns on the
        rows they will show)."""
        self.beginResetModel()
        self.records = list(records)
        self._haystacks.clear()
        if self._sort is not None:
            self._order(*self._sort)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the records themselves (one Python sort, not a comparison call per pair)."""
        self._sort = (column, order)
        if not (0 <= column < len(self.columns)) or not self.records:
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        where = [(i.row(), i.column()) for i in old]
        before = {id(r): n for n, r in enumerate(self.records)}
        count = len(self.records)
        self._order(column, order)
        after = {id(r): n for n, r in enumerate(self.records)}
        remap = {before[k]: after[k] for k in before}
        self.changePersistentIndexList(
            old,
            [self.index(remap[r], c) if 0 <= r < count else QModelIndex() for r, c in where],
        )
        self._haystacks.clear()
        self.layoutChanged.emit()

    def _order(self, column: int, order: Qt.SortOrder) -> None:
        """Sort ``records`` in place by ``column`` (no signals)."""
        if not (0 <= column < len(self.columns)) or not self.records:
            return
        value = self.columns[column].value
        collator = _collator()

        def key(record: Any) -> tuple[int, Any]:
            raw = value(record)
            if raw is None:
                return (0, "")
            if isinstance(raw, str):
                return (1, collator.sortKey(raw))
            return (1, raw)

        try:
            self.records.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        except TypeError:  # mixed kinds in one column: compare their text
            self.records.sort(
                key=lambda r: str(value(r)), reverse=order == Qt.SortOrder.DescendingOrder
            )
        if self.first is not None:  # stable: the column's order holds within each rank
            self.records.sort(key=self.first)

    def resort(self) -> None:
        """Sort again by the current column (after ``first`` changed)."""
        if self._sort is not None:
            self.sort(*self._sort)

    def haystack(self, row: int) -> str:
        """The row's text in every column (and the raw text of a column shown in other words),
        folded for case-insensitive filtering (cached)."""
        found = self._haystacks.get(row)
        if found is None:
            record = self.records[row]
            texts = [str(self.data(self.index(row, c)) or "") for c in range(len(self.columns))]
            # a value shown in words is found by its name too (``item.acquired``, ISO dates)
            texts += [
                raw
                for c in self.columns
                if c.display is not None and isinstance(raw := c.value(record), str)
            ]
            found = self._haystacks[row] = "\x1f".join(texts).casefold()
        return found

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate(self.context, self.columns[section].title)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.records[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            raw = column.value(record)
            if column.display is not None:
                return column.display(raw)
            return "" if raw is None else str(raw)
        if role == SORT_ROLE:
            raw = column.value(record)
            return "" if raw is None else raw
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.DecorationRole and column.icon is not None:
            return column.icon(record)
        if column.whole and role == Qt.ItemDataRole.FontRole:
            return fixed_font()
        if role == Qt.ItemDataRole.ToolTipRole:  # the whole value, also of an elided cell
            text = self.data(index)
            return text if column.whole or len(text) > 24 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def fixed_font() -> Any:
    from PySide6.QtGui import QFontDatabase

    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _collator() -> Any:
    from PySide6.QtCore import QCollator

    collator = QCollator(QLocale())
    collator.setNumericMode(True)
    collator.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    return collator


class RecordProxy(QSortFilterProxyModel):
    """Filters on every column's text; sorting is done by the source model in one pass.

    A stock proxy would call ``data()`` through Python for every comparison of a sort and for
    every cell on every filter change: seconds for tens of thousands of rows.
    """

    def __init__(self, model: RecordModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSourceModel(model)
        self.records = model
        self._needle = ""
        self._order = Qt.SortOrder.AscendingOrder
        self._column = -1
        self._keep: Callable[[Any], bool] | None = None

    def _refilter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def setFilterFixedString(self, pattern: str) -> None:
        self._refilter(lambda: setattr(self, "_needle", pattern.casefold()))

    def set_keep(self, keep: Callable[[Any], bool] | None) -> None:
        """Show only the records ``keep`` accepts (None: all), besides the text filter."""
        self._refilter(lambda: setattr(self, "_keep", keep))

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        if self._keep is not None and not self._keep(self.records.records[row]):
            return False
        return not self._needle or self._needle in self.records.haystack(row)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._column, self._order = column, order
        self.records.sort(column, order)

    def sortColumn(self) -> int:
        return self._column

    def sortOrder(self) -> Qt.SortOrder:
        return self._order


def filtered(model: RecordModel, parent: Any = None) -> RecordProxy:
    """Sort by raw values (strings by the locale's collation), filter on every column's text."""
    return RecordProxy(model, parent)


MAX_CHARS = 48  # a column of free text is sized to its content up to this many characters
SIZE_ROWS = 40  # rows measured when sizing: the first screenful, whatever the row count


def setup_view(
    view: Any, column: int = 0, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
) -> None:
    """Fixed row heights and no per-row sizing: thousands of rows stay cheap.

    Columns are sized to their content whenever the records are replaced (identifiers, hashes
    and fingerprints whole; free text up to ``MAX_CHARS``), except a column the user has sized.
    A narrowed column elides in the middle; the full value is in the tooltip, and Ctrl+C (or the
    context menu's Copy) copies the selected cells whole."""
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView

    header = view.horizontalHeader()
    header.setSortIndicator(column, order)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.verticalHeader().setVisible(False)
    header.setStretchLastSection(True)
    header.setSectionsMovable(True)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    sizer = _ColumnSizer(view)
    view.setProperty("custos_sizer", sizer)  # kept alive with the view
    model = view.model()
    if model is not None:
        model.modelReset.connect(sizer.fit)
    sizer.fit()
    _add_copy(view)


def columns_of(view: Any) -> list[Column]:
    records = getattr(view.model(), "records", None)
    return list(getattr(records, "columns", []))


class _ColumnSizer:
    """Sizes a view's columns to their content, leaving alone a column the user resized.

    Measures the display text of the first ``SIZE_ROWS`` rows with the font's metrics (one
    ``data()`` per cell: Qt's ``sizeHintForColumn`` asks every role of every cell through
    Python, seconds for a table of 10,000 rows)."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.fitting = False
        self.user_sized: set[int] = set()
        view.horizontalHeader().sectionResized.connect(self._resized)

    def _resized(self, section: int, _old: int, _new: int) -> None:
        if not self.fitting:
            self.user_sized.add(section)

    def fit(self, *_args: Any) -> None:
        from PySide6.QtGui import QFontMetrics

        view = self.view
        model = view.model()
        header = view.horizontalHeader()
        if model is None:
            return
        columns = columns_of(view)
        plain = view.fontMetrics()
        fixed = QFontMetrics(fixed_font())
        bold = view.font()
        bold.setBold(True)
        wide = QFontMetrics(bold)  # a row may be bold (known-bad hits)
        cap = MAX_CHARS * plain.averageCharWidth() + 16
        rows = min(model.rowCount(), SIZE_ROWS)
        last = header.count() - 1
        self.fitting = True
        try:
            for n in range(header.count()):
                if n in self.user_sized or (n == last and header.stretchLastSection()):
                    continue
                col = columns[n] if n < len(columns) else None
                texts = [str(model.index(r, n).data() or "") for r in range(rows)]
                texts = sorted(texts, key=len)[-3:]  # the longest few: measuring costs more
                metrics = fixed if col is not None and col.whole else wide
                content = max((metrics.horizontalAdvance(t) for t in texts), default=0)
                if col is not None and col.icon is not None:
                    content += view.iconSize().width() if view.iconSize().isValid() else 20
                want = max(content + 20, header.sectionSizeHint(n))
                if col is not None and col.whole:  # never cut: as wide as its longest value
                    view.setColumnWidth(n, max(want, fixed.horizontalAdvance("0" * col.width)))
                else:
                    view.setColumnWidth(n, max(min(want, cap), 40))
        finally:
            self.fitting = False


def copy_text(view: Any) -> str:
    """The selected cells' whole values: a row per line, cells separated by tabs."""
    indexes = view.selectionModel().selectedIndexes() if view.selectionModel() else []
    if not indexes and view.currentIndex().isValid():
        indexes = [view.currentIndex()]
    header = view.horizontalHeader()
    rows: dict[int, list[tuple[int, str]]] = {}
    for index in indexes:
        if header.isSectionHidden(index.column()):
            continue
        rows.setdefault(index.row(), []).append(
            (header.visualIndex(index.column()), str(index.data() or ""))
        )
    return "\n".join(
        "\t".join(text for _pos, text in sorted(cells)) for _row, cells in sorted(rows.items())
    )


def _add_copy(view: Any) -> None:
    from PySide6.QtGui import QAction, QGuiApplication, QKeySequence

    action = QAction(QCoreApplication.translate("Table", "&Copy"), view)
    action.setObjectName("copy_cells")
    action.setShortcut(QKeySequence.StandardKey.Copy)
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    action.triggered.connect(lambda: QGuiApplication.clipboard().setText(copy_text(view)))
    view.addAction(action)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
