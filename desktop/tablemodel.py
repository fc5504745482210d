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
from PySide6.QtWidgets import QStyledItemDelegate

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


def when(iso: str | None) -> str:
    """An ISO 8601 time in the user's locale (short format, local time)."""
    if not iso:
        return ""
    dt = QDateTime.fromString(iso[:23] + iso[26:] if len(iso) > 26 else iso, Qt.DateFormat.ISODate)
    if not dt.isValid():
        return iso
    return QLocale().toString(dt.toLocalTime(), QLocale.FormatType.ShortFormat)


def size(n: int) -> str:
    return QLocale().formattedDataSize(int(n))


def number(n: int | float) -> str:
    return QLocale().toString(n)


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
        self.beginResetModel()
        self.records = list(records)
        self._haystacks.clear()
        self.endResetModel()
        if self._sort is not None:
            self.sort(*self._sort)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the records themselves (one Python sort, not a comparison call per pair)."""
        self._sort = (column, order)
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

        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        where = [(i.row(), i.column()) for i in old]
        before = {id(r): n for n, r in enumerate(self.records)}
        count = len(self.records)
        try:
            self.records.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        except TypeError:  # mixed kinds in one column: compare their text
            self.records.sort(
                key=lambda r: str(value(r)), reverse=order == Qt.SortOrder.DescendingOrder
            )
        if self.first is not None:  # stable: the column's order holds within each rank
            self.records.sort(key=self.first)
        after = {id(r): n for n, r in enumerate(self.records)}
        remap = {before[k]: after[k] for k in before}
        self.changePersistentIndexList(
            old,
            [self.index(remap[r], c) if 0 <= r < count else QModelIndex() for r, c in where],
        )
        self._haystacks.clear()
        self.layoutChanged.emit()

    def resort(self) -> None:
        """Sort again by the current column (after ``first`` changed)."""
        if self._sort is not None:
            self.sort(*self._sort)

    def haystack(self, row: int) -> str:
        """The row's text in every column, folded for case-insensitive filtering (cached)."""
        found = self._haystacks.get(row)
        if found is None:
            found = self._haystacks[row] = "\x1f".join(
                str(self.data(self.index(row, c)) or "") for c in range(len(self.columns))
            ).casefold()
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
        if column.whole and role == Qt.ItemDataRole.FontRole:
            return fixed_font()
        if column.whole and role == Qt.ItemDataRole.ToolTipRole:
            return self.data(index)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def fixed_font() -> Any:
    from PySide6.QtGui import QFontDatabase

    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class _WholeText(QStyledItemDelegate):
    """Draws a cell without eliding it (the column is made wide enough instead)."""

    def initStyleOption(self, option: Any, index: Index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideNone


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


def setup_view(
    view: Any, column: int = 0, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder
) -> None:
    """Fixed row heights and no per-row sizing: thousands of rows stay cheap."""
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView

    view.horizontalHeader().setSortIndicator(column, order)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionsMovable(True)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    records = getattr(view.model(), "records", None)
    char = view.fontMetrics().averageCharWidth()
    columns: list[Column] = getattr(records, "columns", [])
    for n, col in enumerate(columns):
        if col.whole:
            from PySide6.QtGui import QFontMetrics

            view.setItemDelegateForColumn(n, _WholeText(view))
            digits = QFontMetrics(fixed_font()).horizontalAdvance("0" * max(col.width, 1))
            view.setColumnWidth(n, digits + 24)
        elif col.width:
            view.setColumnWidth(n, col.width * char + 16)
