"""A time axis that draws any number of items: counts per pixel bin, never one shape per item.

The items are UTC instants (seconds, a sorted float64 array). A paint bins only the visible range:
``numpy.searchsorted`` of the bin edges into the sorted times, so it costs O(bins * log n) whatever
the number of items (100,000 or more). A bin holding one item is drawn as a dot (coloured by kind)
that opens the item on a click; a bin holding more is a bar whose height grows with the log of
its count, and a click zooms into it. The mouse wheel and ``zoom`` go from centuries to seconds.

Time runs left to right in every language: the widget keeps a left-to-right layout inside a
right-to-left window (as the axes of a chart in Arabic do) and never mirrors its painting.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import (
    QDate,
    QDateTime,
    QLocale,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTime,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

MIN_SPAN = 10.0  # seconds across the whole width, zoomed in fully
MAX_SPAN = 200 * 365.25 * 86400.0
BIN_PX = 4  # width of one bin on screen
AXIS_PX = 38  # height of the tick labels under the items
DAY = 86400.0
# (step in seconds, or months as a negative number)
STEPS: tuple[float, ...] = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    DAY, 2 * DAY, 7 * DAY, -1, -3, -6, -12, -24, -60, -120, -240, -600, -1200,
)  # fmt: skip
KIND_COLOURS = {0: QColor("#3778c2"), 1: QColor("#c2410c"), 2: QColor("#6b7280")}


def bin_counts(times: np.ndarray, t0: float, t1: float, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The first index and the count of the items of each of ``bins`` equal bins over [t0, t1)."""
    edges = np.linspace(t0, t1, bins + 1)
    at = np.searchsorted(times, edges, side="left")
    return at[:-1], np.diff(at)


def _month_start(dt: QDateTime, months: int) -> QDateTime:
    d = dt.date()
    index = (d.year() * 12 + d.month() - 1) // months * months
    start = QDateTime(QDate(index // 12, index % 12 + 1, 1), QTime(0, 0), dt.timeZone())
    return start


class TimeAxis(QWidget):
    item_clicked = Signal(int)  # the item id of a dot clicked
    range_changed = Signal(float, float)  # the visible [t0, t1], UTC seconds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline_axis")
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # time runs left to right
        self.setMouseTracking(True)
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.times = np.zeros(0, dtype=np.float64)
        self.ids = np.zeros(0, dtype=np.int64)
        self.kinds = np.zeros(0, dtype=np.int8)
        self.zone = QTimeZone.utc()
        now = float(QDateTime.currentSecsSinceEpoch())
        self.t0, self.t1 = now - 365.25 * DAY, now
        self._press: QPointF | None = None
        self._press_range = (self.t0, self.t1)
        self._dragged = False

    def sizeHint(self) -> QSize:
        return QSize(800, 220)

    # --- data and range --------------------------------------------------------------------
    def set_items(self, times: np.ndarray, ids: np.ndarray, kinds: np.ndarray) -> None:
        """Sorted UTC seconds, with each one's item id and kind code (0 photo, 1 video, 2 other)."""
        self.times, self.ids, self.kinds = times, ids, kinds
        self.update()

    def set_zone(self, zone: QTimeZone) -> None:
        self.zone = zone
        self.update()

    def fit(self) -> None:
        """Every item in view, with a little room at both ends."""
        if len(self.times):
            lo, hi = float(self.times[0]), float(self.times[-1])
            pad = max((hi - lo) * 0.05, MIN_SPAN)
            self.set_range(lo - pad, hi + pad)
        else:
            self.update()

    def set_range(self, t0: float, t1: float) -> None:
        span = min(max(t1 - t0, MIN_SPAN), MAX_SPAN)
        middle = (t0 + t1) / 2
        self.t0, self.t1 = middle - span / 2, middle + span / 2
        self.update()
        self.range_changed.emit(self.t0, self.t1)

    def zoom(self, factor: float, x: float | None = None) -> None:
        """``factor`` > 1 zooms in, around the time under ``x`` (the middle when None)."""
        width = max(self.width(), 1)
        x = width / 2 if x is None else x
        anchor = self.time_at(x)
        span = min(max((self.t1 - self.t0) / factor, MIN_SPAN), MAX_SPAN)
        t0 = anchor - span * x / width
        self.set_range(t0, t0 + span)

    def time_at(self, x: float) -> float:
        return self.t0 + (self.t1 - self.t0) * x / max(self.width(), 1)

    def x_of(self, t: float) -> float:
        return (t - self.t0) / (self.t1 - self.t0) * self.width()

    def visible(self) -> tuple[int, int]:
        """Index range [lo, hi) of the items in view."""
        lo, hi = np.searchsorted(self.times, (self.t0, self.t1), side="left")
        return int(lo), int(hi)

    # --- ticks -----------------------------------------------------------------------------
    def _step(self) -> float:
        label_px = self.fontMetrics().horizontalAdvance("0000-00-00 00:00") + 24
        per_px = (self.t1 - self.t0) / max(self.width(), 1)
        for step in STEPS:
            seconds = step if step > 0 else -step * 30.44 * DAY
            if seconds / per_px >= label_px:
                return step
        return STEPS[-1]

    def ticks(self) -> list[tuple[float, str]]:
        """(UTC seconds, label in the user's locale and the shown zone) of each tick in view."""
        step = self._step()
        locale = QLocale()
        out: list[tuple[float, str]] = []
        if step < 0:
            months = int(-step)
            first = QDateTime.fromSecsSinceEpoch(int(self.t0), self.zone)
            dt = _month_start(first, months)
            form = "yyyy" if months >= 12 else "MMM yyyy"
            while dt.toSecsSinceEpoch() <= self.t1 and len(out) < 200:
                t = float(dt.toSecsSinceEpoch())
                if t >= self.t0:
                    out.append((t, locale.toString(dt, form)))
                dt = dt.addMonths(months)
            return out
        offset = self.zone.offsetFromUtc(QDateTime.fromSecsSinceEpoch(int(self.t0), self.zone))
        t = math.ceil((self.t0 + offset) / step) * step - offset
        while t <= self.t1 and len(out) < 400:
            dt = QDateTime.fromSecsSinceEpoch(int(t), self.zone)
            if step >= DAY:
                text = locale.toString(dt.date(), QLocale.FormatType.ShortFormat)
            elif step >= 60:
                text = locale.toString(dt, "HH:mm")
                if dt.time() == QTime(0, 0):
                    text = locale.toString(dt.date(), QLocale.FormatType.ShortFormat)
            else:
                text = locale.toString(dt, "HH:mm:ss")
            out.append((t, text))
            t += step
        return out

    # --- painting --------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        w, h = self.width(), self.height()
        base = h - AXIS_PX
        text = pal.text().color()
        grid = QColor(text)
        grid.setAlpha(40)
        p.setPen(QPen(text, 1))
        p.drawLine(0, base, w, base)
        fm = self.fontMetrics()
        for t, label in self.ticks():
            x = self.x_of(t)
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(x, 4), QPointF(x, base))
            p.setPen(QPen(text, 1))
            p.drawLine(QPointF(x, base), QPointF(x, base + 5))
            p.drawText(QPointF(x + 3, base + 6 + fm.ascent()), label)
        if not len(self.times):
            p.end()
            return
        bins = max(w // BIN_PX, 1)
        first, counts = bin_counts(self.times, self.t0, self.t1, bins)
        busy = np.nonzero(counts)[0]
        top = 8
        room = base - top - 4
        bar = pal.highlight().color()
        most = float(counts.max()) if len(busy) else 1.0
        scale = room / max(math.log2(most + 1), 1.0)
        # one Qt call per shape kind, not one per bin: cheaper, and each void call into
        # PySide6 6.12 on Python 3.11 drops a reference to None
        dots: dict[int, list[QPointF]] = {}
        bars: list[QRectF] = []
        for b in busy.tolist():
            n = int(counts[b])
            x = b * BIN_PX
            if n == 1:
                dots.setdefault(int(self.kinds[first[b]]), []).append(
                    QPointF(x + BIN_PX / 2, base - 10)
                )
            else:
                height = max(min(math.log2(n + 1) * scale, room), 6.0)
                bars.append(QRectF(x, base - height, BIN_PX - 1, height))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bar)
        if bars:
            p.drawRects(bars)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for kind, points in dots.items():
            pen = QPen(KIND_COLOURS.get(kind, bar), 8.0)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawPoints(QPolygonF(points))
        p.end()

    # --- mouse -----------------------------------------------------------------------------
    def bin_at(self, x: float) -> tuple[int, int]:
        """Index range [lo, hi) of the items in the bin under ``x``."""
        bins = max(self.width() // BIN_PX, 1)
        b = min(max(int(x // BIN_PX), 0), bins - 1)
        span = (self.t1 - self.t0) / bins
        lo, hi = np.searchsorted(
            self.times, (self.t0 + b * span, self.t0 + (b + 1) * span), side="left"
        )
        return int(lo), int(hi)

    def click_at(self, x: float) -> None:
        """One item: open it; a bar: zoom in on its items."""
        lo, hi = self.bin_at(x)
        if hi - lo == 1:
            self.item_clicked.emit(int(self.ids[lo]))
        elif hi - lo > 1:
            a, b = float(self.times[lo]), float(self.times[hi - 1])
            if b - a < MIN_SPAN:
                self.zoom(8.0, x)
            else:
                pad = (b - a) * 0.1
                self.set_range(a - pad, b + pad)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(1.5**steps, event.position().x())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._press_range = (self.t0, self.t1)
            self._dragged = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None:
            dx = event.position().x() - self._press.x()
            if abs(dx) > 4:
                self._dragged = True
            if self._dragged:
                t0, t1 = self._press_range
                shift = dx * (t1 - t0) / max(self.width(), 1)
                self.set_range(t0 - shift, t1 - shift)
            return
        lo, hi = self.bin_at(event.position().x())
        if hi > lo:
            QToolTip.showText(event.globalPosition().toPoint(), self.tip(lo, hi), self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and not self._dragged:
            self.click_at(event.position().x())
        self._press = None

    def tip(self, lo: int, hi: int) -> str:
        locale = QLocale()
        first = QDateTime.fromSecsSinceEpoch(int(self.times[lo]), self.zone)
        text = locale.toString(first, QLocale.FormatType.ShortFormat)
        if hi - lo == 1:
            return text
        last = QDateTime.fromSecsSinceEpoch(int(self.times[hi - 1]), self.zone)
        return self.tr("{0} items, {1} – {2}").format(
            locale.toString(hi - lo), text, locale.toString(last, QLocale.FormatType.ShortFormat)
        )
