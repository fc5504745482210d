"""The Evidence page as thumbnails: a grid over the same rows, order, filter and selection as
its table.

The grid is a ``QListView`` in icon mode on the page's proxy model, sharing the table's
selection model: what is selected in one is selected in the other, so "Report...", "View" and
"Similar..." work from either. Tiles are painted by a delegate from a ``ThumbnailCache`` (the
face gallery's): only painted tiles ask for their picture, loaded in batches on a worker
(``matching.thumbs.read_thumbnails``, decoded and scaled there), kept as an LRU of pixmaps.
Badges: known-bad / known-good hash-set hits, faces found, candidates waiting for review.
Thumbnails not made yet are made by a core job (``matching.thumbs.ThumbJob``) started when
the grid is shown, with its progress bar and Stop under the grid.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop.gallery import ThumbnailCache
from desktop.tablemodel import RECORD_ROLE

TILE = 128
CAPTION = 20
PAD = 6
CACHE = 1000  # decoded tiles kept, 64 KB each (128 x 128 x 4): 64 MB, ~16 screens of 1440 x 900
Index = QModelIndex | QPersistentModelIndex
NAME_COLUMN = 1
BAD = QColor("#c62828")
GOOD = QColor("#757575")
FACES = QColor("#1565c0")
WAITING = QColor("#ef6c00")


def load_item_thumbnails(session: Any, item_ids: list[int]) -> dict[int, QImage | str]:
    """On a worker: each item's stored thumbnail through the core, decoded and scaled to a tile
    (QImage is thread-safe), or the one line saying why there is none."""
    from matching.thumbs import read_thumbnails
    from vault.jobs import Breather

    found: dict[int, QImage | str] = {}
    breathe = Breather()  # the GUI thread paints tiles in Python: let it have the GIL
    for item_id, data in read_thumbnails(session, item_ids).items():
        breathe()
        if isinstance(data, str):
            found[item_id] = data
            continue
        image = QImage.fromData(data)
        if image.isNull():
            found[item_id] = f"thumbnail of item {item_id} cannot be decoded"
        elif max(image.width(), image.height()) > TILE:
            found[item_id] = image.scaled(
                TILE,
                TILE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        else:
            found[item_id] = image
    return found


class TileDelegate(QStyledItemDelegate):
    """Paints one tile: the picture (or a placeholder), badges, the name under it."""

    def __init__(self, grid: EvidenceGrid) -> None:
        super().__init__(grid)
        self.grid = grid
        self._placeholders: dict[tuple[bool, str], QPixmap] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(TILE + 2 * PAD, TILE + CAPTION + 2 * PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        record = index.data(RECORD_ROLE)
        if record is None:
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        painter.save()
        if state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.highlight())
        box = QRect(rect.x() + (rect.width() - TILE) // 2, rect.y() + PAD, TILE, TILE)
        grid = self.grid
        tile = grid.tiles.get(record.id)
        pixmap = None
        if tile is not None and tile.state == "made":
            pixmap = grid.cache.get(record.id)
        if pixmap is not None:
            x = box.x() + (TILE - pixmap.width()) // 2
            y = box.y() + (TILE - pixmap.height()) // 2
            painter.drawPixmap(x, y, pixmap)
        else:
            self._placeholder(painter, box, record, tile)
        self._badges(painter, box, record, tile)
        text_rect = QRect(rect.x() + 2, box.bottom() + 2, rect.width() - 4, CAPTION)
        name = record.name.rsplit("/", 1)[-1]
        metrics = painter.fontMetrics()
        painter.setPen(
            palette.highlightedText().color()
            if state & QStyle.StateFlag.State_Selected
            else palette.text().color()
        )
        painter.drawText(
            text_rect,
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, text_rect.width()),
        )
        if state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(palette.highlight().color(), 1, Qt.PenStyle.DotLine))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.restore()

    def _placeholder(self, painter: QPainter, box: QRect, record: Any, tile: Any) -> None:
        """A grey tile with the file's extension (a warning sign when it cannot be shown),
        drawn once per kind and kept: a fast scroll paints mostly these."""
        broken = tile is not None and (
            tile.state == "failed" or record.id in self.grid.cache.errors
        )
        suffix = record.name.rsplit(".", 1)[-1].upper()[:5] if "." in record.name else ""
        key = (broken, suffix)
        pixmap = self._placeholders.get(key)
        if pixmap is None:
            pixmap = QPixmap(TILE, TILE)
            # opaque (grey over the view's base colour): a translucent pixmap is blended at
            # every paint, ~1 ms a tile on X11, most of a fast scroll's frame
            base = self.grid.view.palette().base().color()
            share = 0.35 if broken else 0.16
            pixmap.fill(
                QColor(
                    round(base.red() * (1 - share) + 128 * share),
                    round(base.green() * (1 - share) + 128 * share),
                    round(base.blue() * (1 - share) + 128 * share),
                )
            )
            p = QPainter(pixmap)
            p.setPen(QColor(110, 110, 110))
            font = QFont(self.grid.font())
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * (2.0 if broken else 1.4))
            p.setFont(font)
            mark = "\u26a0" if broken else suffix
            p.drawText(pixmap.rect(), int(Qt.AlignmentFlag.AlignCenter), mark)
            p.end()
            self._placeholders[key] = pixmap
        painter.drawPixmap(box.topLeft(), pixmap)

    def _badges(self, painter: QPainter, box: QRect, record: Any, tile: Any) -> None:
        """Known-file hit (an alert not acknowledged yet with "!"), faces found, candidates
        waiting for review: left to right along the top."""
        rank = self.grid.model.rank(record)
        marks: list[tuple[str, QColor]] = []
        if rank == 0:  # known-bad: "!" while an alert of it waits to be acknowledged
            hits = self.grid.model.hits.get(record.id, [])
            alert = any(h.kind == "known-bad" and h.acknowledged is None for h in hits)
            marks.append(("\u2716!" if alert else "\u2716", BAD))
        elif rank == 3:
            marks.append(("\u2714", GOOD))  # known-good
        if tile is not None and tile.faces:
            marks.append((f"\u263a{tile.faces}", FACES))
        if tile is not None and tile.waiting:
            marks.append((f"?{tile.waiting}", WAITING))
        if not marks:
            return
        metrics = painter.fontMetrics()
        x = box.x() + 2
        for mark, colour in marks:
            text = f"\u2066{mark}\u2069"  # left to right in Arabic too: "☺2", not "2☺"
            w = metrics.horizontalAdvance(text) + 8
            badge = QRect(x, box.y() + 2, w, metrics.height() + 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(badge, 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), text)
            x += w + 3

    def helpEvent(self, event: Any, view: Any, option: Any, index: Index) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        record = index.data(RECORD_ROLE)
        if record is None:
            return False
        QToolTip.showText(event.globalPos(), self.grid.tooltip(record), view)
        return True


class EvidenceGrid(QWidget):
    """The grid, its thumbnail job's progress bar and Stop button."""

    open_requested = Signal()

    def __init__(self, page: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.model = page.model
        self.tiles: dict[int, Any] = {}
        self.cache = ThumbnailCache(
            page.session, page.runner, self, loader=load_item_thumbnails, capacity=CACHE
        )
        self.cache.loaded.connect(self._arrived)
        self.view = QListView()
        self.view.setObjectName("evidence_grid")
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(2000)
        self.view.setGridSize(QSize(TILE + 2 * PAD + 4, TILE + CAPTION + 2 * PAD + 4))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.verticalScrollBar().setSingleStep(24)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setItemDelegate(TileDelegate(self))
        self.view.setModel(page.proxy)
        self.view.setModelColumn(NAME_COLUMN)
        self.view.setSelectionModel(page.view.selectionModel())  # one selection for both
        self.view.activated.connect(lambda _i: self.open_requested.emit())
        self.view.doubleClicked.connect(lambda _i: self.open_requested.emit())
        self.progress = QProgressBar()
        self.progress.setFormat(self.tr("Making thumbnails: %v of %m"))
        self.stop = QPushButton(self.tr("Stop"))
        self.note = QLabel()
        self.note.setObjectName("thumbs_note")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.stop)
        self.bar = QWidget()
        self.bar.setLayout(bar)
        self.bar.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.note)
        self.job: Any = None
        self._job_case: str | None = None
        self.stop.clicked.connect(lambda _c=False: self.cancel())
        self._case: str | None = None

    # --- what the tiles show ---------------------------------------------------------------
    def tooltip(self, record: Any) -> str:
        lines = [record.name]
        tile = self.tiles.get(record.id)
        error = self.cache.errors.get(record.id) or (tile.error if tile is not None else None)
        if error:
            lines.append(error)
        if tile is not None and tile.faces:
            lines.append(self.tr("{0} face(s) found").format(tile.faces))
        if tile is not None and tile.waiting:
            lines.append(self.tr("{0} candidate(s) waiting for review").format(tile.waiting))
        from desktop.pages.hashsets import hits_text

        hits = self.model.hits.get(record.id)
        if hits:
            lines.append(hits_text(hits))
        return "\n".join(lines)

    def show_case(self, case: str) -> None:
        """Read the case's tiles (kinds, faces, thumbnail states) on a worker, then make the
        missing thumbnails."""
        from desktop.pages import call
        from matching.thumbs import case_tiles

        if case != self._case:
            self.cancel()
            self.cache.clear()
            self.tiles = {}
        self._case = case
        runner, session = self.page.runner, self.page.session
        call(
            self,
            runner,
            case_tiles,
            session,
            case,
            done=self._tiles,
            failed=self.page.error,
            key="t",
        )

    def _tiles(self, tiles: dict[int, Any]) -> None:
        self.tiles = tiles
        self.view.viewport().update()
        if self.job is None and any(t.state == "todo" for t in tiles.values()):
            self.make()

    def _arrived(self, _ids: list[int]) -> None:
        self.view.viewport().update()

    # --- the thumbnail job -----------------------------------------------------------------
    def make(self) -> Any:
        from matching.thumbs import ThumbJob
        from vault.jobs import CancelToken

        if self._case is None:
            return None
        job = ThumbJob(self.page.session, self._case, CancelToken())
        bridge = self.page.runner.start(job, writes=False, every_entry=True)
        self.job = bridge
        self._job_case = self._case
        self.progress.setRange(0, 0)
        self.bar.setVisible(True)
        self.note.clear()
        bridge.progress.connect(self._progress)
        bridge.entry.connect(self._entry)
        bridge.finished.connect(self._made)
        bridge.failed.connect(self._made_failed)
        return bridge

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _progress(self, done: int, total: int, _message: str) -> None:
        self.progress.setRange(0, max(int(total), 1))
        self.progress.setValue(int(done))

    def _entry(self, subject: str, ok: bool, message: str) -> None:
        item_id = int(subject.rsplit(" ", 1)[-1])
        tile = self.tiles.get(item_id)
        if tile is not None:
            import dataclasses

            state = "made" if ok else "failed"
            self.tiles[item_id] = dataclasses.replace(tile, state=state, error=message or None)
        self.cache.forget([item_id])
        self.view.viewport().update()

    def _made(self, result: Any) -> None:
        if self.sender() is not self.job:
            return
        self.job = None
        self.bar.setVisible(False)
        if self._job_case != self._case:  # stopped because another case was chosen: its turn
            self._another_case()
            return
        text = self.tr("{0} thumbnail(s) made.").format(result.made)
        if result.failed:
            text += " " + self.tr("{0} file(s) could not be shown: {1}").format(
                len(result.failed), result.failed[0][1]
            )
        if result.cancelled:
            text = self.tr("Stopped: ") + text
        self.note.setText(text)

    def _made_failed(self, message: str) -> None:
        if self.sender() is self.job:
            self.job = None
            self.bar.setVisible(False)
            self.note.setText(message)
            if self._job_case != self._case:
                self._another_case()

    def _another_case(self) -> None:
        self.note.clear()
        if any(t.state == "todo" for t in self.tiles.values()):
            self.make()
