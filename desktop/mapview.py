"""A map that draws the offline basemap and any number of items: clusters, never one per item.

Projection: Web Mercator (as the web maps investigators know), on the "world square" [0, 1]²:
x grows east from 180°W, y grows south from 85.05°N. The view is a centre in world units and a
scale in pixels per world unit; north is up and east right in every language (the widget keeps
a left-to-right layout inside a right-to-left window, like the time axis).

Basemap (``matching.basemap``, Natural Earth 1:10m countries): projected once on a worker and
simplified into levels of detail by snapping to a grid of 2^-k of the world (k = 7..18) and
dropping the points that fall in the cell of the one before; each ring becomes a ``QPolygonF``
read from one ``QDataStream`` buffer per level (no Python loop over points). A paint picks the
level whose grid is under one pixel, skips the rings whose box is out of view, and lets Qt
transform the rest.

Items: world positions in numpy arrays. A paint bins the items in view into cells of
``CELL_PX`` pixels anchored to the world (not to the window), so panning never reshuffles them;
a cell of one item is a dot coloured by kind, a cell of more a bubble with the count at the mean
position of its items. Zooming in makes cells smaller, so a bubble splits. The cost is one
``numpy.unique`` over the items in view: 100,000 items pan and zoom in a few milliseconds.
A click on a dot opens its item; on a bubble, zooms to its items, or (when they share one
place) lists them. A subject's track is a line through its sightings in time order, numbered.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import (
    QByteArray,
    QDataStream,
    QLocale,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

MAX_LAT = 85.05112878  # Web Mercator's square
CELL_PX = 56  # items within one cell of this many pixels (anchored to the world) cluster
MAX_SCALE = 2.0**26  # pixels per world unit: ~0.6 m per pixel at the equator
LEVELS = tuple(range(7, 19))  # basemap detail: a grid of 2^-k of the world
KIND_COLOURS = {0: QColor("#3778c2"), 1: QColor("#c2410c"), 2: QColor("#6b7280")}
TRACK_COLOUR = QColor("#b91c1c")
NUMBERED = 300  # a track's stops are numbered up to this many


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Degrees -> world square (Web Mercator; latitudes beyond 85.05° pinned to its edge)."""
    x = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0
    s = np.sin(np.radians(np.clip(np.asarray(lat, dtype=np.float64), -MAX_LAT, MAX_LAT)))
    y = 0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def unproject(x: float, y: float) -> tuple[float, float]:
    """World square -> (longitude, latitude) in degrees."""
    lon = x * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))
    return lon, lat


@dataclass(frozen=True)
class Level:
    grid: float  # world units
    polygons: list[QPolygonF]
    boxes: np.ndarray  # (n, 4): x0, y0, x1, y1 per polygon

    @property
    def points(self) -> int:
        return sum(p.size() for p in self.polygons)


def _polygons(xy: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> list[QPolygonF]:
    """Rings of ``xy`` as QPolygonF, read by Qt from one buffer (its QDataStream layout:
    big-endian quint32 count, then that many pairs of big-endian doubles)."""
    rec = np.dtype([("n", ">u4")])
    chunks: list[bytes] = []
    for a, n in zip(starts.tolist(), counts.tolist(), strict=True):
        chunks.append(np.array([n], dtype=rec).tobytes())
        chunks.append(xy[a : a + n].astype(">f8").tobytes())
    stream = QDataStream(QByteArray(b"".join(chunks)))
    out = []
    for _ in range(len(counts)):
        poly = QPolygonF()
        stream >> poly
        out.append(poly)
    return out


def prepare_basemap(rings: list[np.ndarray]) -> list[Level]:
    """On a worker: lon/lat rings -> projected, simplified levels of detail (``LEVELS``)."""
    if not rings:
        return []
    sizes = np.array([len(r) for r in rings], dtype=np.int64)
    lonlat = np.concatenate(rings)
    x, y = project(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y])
    ring_of = np.repeat(np.arange(len(rings)), sizes)
    first = np.zeros(len(xy), dtype=bool)
    first[np.cumsum(sizes) - sizes] = True
    levels = []
    for k in LEVELS:
        grid = 2.0**-k
        q = np.floor(xy / grid).astype(np.int64)
        keep = first.copy()
        keep[1:] |= np.any(q[1:] != q[:-1], axis=1)
        kept_ring = ring_of[keep]
        counts = np.bincount(kept_ring, minlength=len(rings))
        pts = xy[keep]
        starts = np.cumsum(counts) - counts
        big = np.nonzero(counts >= 3)[0]
        boxes = np.empty((len(big), 4))
        for n, r in enumerate(big.tolist()):
            ring = pts[starts[r] : starts[r] + counts[r]]
            boxes[n] = (*ring.min(axis=0), *ring.max(axis=0))
        levels.append(Level(grid, _polygons(pts, starts[big], counts[big]), boxes))
    return levels


@dataclass(frozen=True)
class Clusters:
    """The items in view grouped by cell: ``members`` indexes the points; per cluster its
    count and screen position."""

    members: np.ndarray  # indexes of the points in view
    which: np.ndarray  # per member: its cluster
    counts: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def items_of(self, c: int) -> np.ndarray:
        return self.members[self.which == c]

    def radius(self, c: int) -> float:
        n = int(self.counts[c])
        return 6.0 if n == 1 else 11.0 + 4.0 * math.log10(n)


class MapView(QWidget):
    item_clicked = Signal(int)  # the item id of a dot clicked
    items_chosen = Signal(object)  # item ids of a bubble whose items share one place
    view_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("map_view")
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # north up, east right
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.levels: list[Level] = []
        self.px = np.zeros(0)
        self.py = np.zeros(0)
        self.ids = np.zeros(0, dtype=np.int64)
        self.kinds = np.zeros(0, dtype=np.int8)
        self.track = np.zeros(0, dtype=np.int64)  # indexes of the points, in time order
        self.cx, self.cy, self.scale = 0.5, 0.5, 800.0
        self.describe: Callable[[np.ndarray], str] | None = None  # tooltip of points (page's)
        self._clusters: Clusters | None = None
        self._clusters_key: tuple[float, ...] | None = None
        self._sprites: dict[tuple[int, int], QPixmap] = {}
        self._press: QPointF | None = None
        self._press_centre = (self.cx, self.cy)
        self._dragged = False

    def sizeHint(self) -> QSize:
        return QSize(900, 560)

    # --- data ------------------------------------------------------------------------------
    def set_basemap(self, levels: list[Level]) -> None:
        self.levels = levels
        self.update()

    def set_points(
        self, x: np.ndarray, y: np.ndarray, ids: np.ndarray, kinds: np.ndarray, track: np.ndarray
    ) -> None:
        """World positions (``project``), each with its item id and kind code; ``track``: the
        indexes of a subject's sightings in time order (empty: no track)."""
        self.px, self.py, self.ids, self.kinds, self.track = x, y, ids, kinds, track
        self._clusters = None
        self.update()

    # --- view ------------------------------------------------------------------------------
    def min_scale(self) -> float:
        return max(min(self.width(), self.height()) * 0.9, 64.0)

    def set_view(self, cx: float, cy: float, scale: float) -> None:
        self.scale = min(max(scale, self.min_scale()), MAX_SCALE)
        self.cx = min(max(cx, 0.0), 1.0)
        self.cy = min(max(cy, 0.0), 1.0)
        self.update()
        self.view_changed.emit()

    def fit(self) -> None:
        """Every item in view with some room around (the whole world when there is none)."""
        if not len(self.px):
            self.set_view(0.5, 0.5, self.min_scale())
            return
        x0, x1 = float(self.px.min()), float(self.px.max())
        y0, y1 = float(self.py.min()), float(self.py.max())
        span = max((x1 - x0) / max(self.width(), 1), (y1 - y0) / max(self.height(), 1))
        scale = 0.8 / span if span > 0 else 2.0**20
        self.set_view((x0 + x1) / 2, (y0 + y1) / 2, min(scale, 2.0**20))

    def zoom(self, factor: float, at: QPointF | None = None) -> None:
        """``factor`` > 1 zooms in, keeping the place under ``at`` (the middle when None)."""
        at = at or QPointF(self.width() / 2, self.height() / 2)
        wx, wy = self.world_at(at.x(), at.y())
        scale = min(max(self.scale * factor, self.min_scale()), MAX_SCALE)
        cx = wx - (at.x() - self.width() / 2) / scale
        cy = wy - (at.y() - self.height() / 2) / scale
        self.set_view(cx, cy, scale)

    def pan(self, dx: float, dy: float) -> None:
        """Move the map by (dx, dy) pixels (what is under the mouse follows it)."""
        self.set_view(self.cx - dx / self.scale, self.cy - dy / self.scale, self.scale)

    def world_at(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.cx + (x - self.width() / 2) / self.scale,
            self.cy + (y - self.height() / 2) / self.scale,
        )

    def screen_of(self, wx: float, wy: float) -> QPointF:
        return QPointF(
            (wx - self.cx) * self.scale + self.width() / 2,
            (wy - self.cy) * self.scale + self.height() / 2,
        )

    def visible(self) -> np.ndarray:
        """Indexes of the points in view."""
        x0, y0 = self.world_at(0, 0)
        x1, y1 = self.world_at(self.width(), self.height())
        return np.nonzero((self.px >= x0) & (self.px <= x1) & (self.py >= y0) & (self.py <= y1))[0]

    # --- clusters --------------------------------------------------------------------------
    def clusters(self) -> Clusters:
        key = (self.cx, self.cy, self.scale, float(self.width()), float(self.height()))
        if self._clusters is not None and self._clusters_key == key:
            return self._clusters
        w, h, s = self.width(), self.height(), self.scale
        sx = (self.px - self.cx) * s + w / 2
        sy = (self.py - self.cy) * s + h / 2
        inside = (sx > -CELL_PX) & (sx < w + CELL_PX) & (sy > -CELL_PX) & (sy < h + CELL_PX)
        members = np.nonzero(inside)[0]
        gx = np.floor(self.px[members] * (s / CELL_PX)).astype(np.int64)
        gy = np.floor(self.py[members] * (s / CELL_PX)).astype(np.int64)
        if len(members):  # cells in view are few (a window's worth): count them densely
            gx -= gx.min()
            gy -= gy.min()
        rows = int(gy.max()) + 1 if len(members) else 1
        per_cell = np.bincount(gx * rows + gy)
        used = np.nonzero(per_cell)[0]
        rank = np.zeros(len(per_cell), dtype=np.int64)
        rank[used] = np.arange(len(used))
        which = rank[gx * rows + gy]
        counts = per_cell[used]
        mx = np.bincount(which, weights=sx[members], minlength=len(counts)) / np.maximum(counts, 1)
        my = np.bincount(which, weights=sy[members], minlength=len(counts)) / np.maximum(counts, 1)
        self._clusters = Clusters(members, which, counts, mx, my)
        self._clusters_key = key
        return self._clusters

    def cluster_at(self, x: float, y: float) -> int | None:
        c = self.clusters()
        if not len(c.counts):
            return None
        d = np.hypot(c.x - x, c.y - y)
        best = int(np.argmin(d))
        return best if d[best] <= c.radius(best) + 3 else None

    # --- painting --------------------------------------------------------------------------
    def _colours(self) -> tuple[QColor, QColor, QColor]:
        dark = self.palette().window().color().lightness() < 128
        if dark:
            return QColor("#1b2a3a"), QColor("#3a3f36"), QColor("#8a8f84")
        return QColor("#cfe0ee"), QColor("#f3efe3"), QColor("#9a8f7a")

    def level(self) -> Level | None:
        """The coarsest basemap level whose grid is at most two pixels at this scale (the
        outline is off by a pixel at most: finer would only cost paint time)."""
        if not self.levels:
            return None
        for lv in self.levels:
            if lv.grid * self.scale <= 2.0:
                return lv
        return self.levels[-1]

    def paint_basemap(self, p: QPainter) -> None:
        water, land, border = self._colours()
        p.fillRect(self.rect(), water)
        lv = self.level()
        if lv is None:
            return
        x0, y0 = self.world_at(0, 0)
        x1, y1 = self.world_at(self.width(), self.height())
        b = lv.boxes
        shown = np.nonzero((b[:, 2] >= x0) & (b[:, 0] <= x1) & (b[:, 3] >= y0) & (b[:, 1] <= y1))[0]
        t = QTransform()
        t.translate(
            self.width() / 2 - self.cx * self.scale, self.height() / 2 - self.cy * self.scale
        )
        t.scale(self.scale, self.scale)
        p.save()
        p.setTransform(t)
        pen = QPen(border, 1.0)
        pen.setCosmetic(True)
        p.setPen(pen)
        p.setBrush(land)
        for n in shown.tolist():
            p.drawPolygon(lv.polygons[n])
        p.restore()

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.paint_basemap(p)
        if len(self.px):
            stops = self._paint_track(p)
            self._paint_points(p)
            self._paint_stops(p, stops)  # the numbers on top: the order is the point
        p.end()

    def _paint_track(self, p: QPainter) -> list[QPointF]:
        """The line through a subject's sightings in time order; returns the stops."""
        if len(self.track) < 1:
            return []
        stops = [self.screen_of(self.px[i], self.py[i]) for i in self.track.tolist()]
        pen = QPen(TRACK_COLOUR, 2.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolyline(QPolygonF(stops))
        return stops

    def _paint_stops(self, p: QPainter, stops: list[QPointF]) -> None:
        """Each stop's number in time order, beside it (up to ``NUMBERED``)."""
        if not stops or len(stops) > NUMBERED:
            return
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.8, 6.0))
        font.setBold(True)
        p.setFont(font)
        locale = QLocale()  # the user's digits, as everywhere
        for n, stop in enumerate(stops):
            at = stop + QPointF(9, -9)
            box = QRectF(at.x() - 9, at.y() - 8, 18, 16)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(TRACK_COLOUR)
            p.drawRoundedRect(box, 4, 4)
            p.setPen(QColor("white"))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, locale.toString(n + 1))

    def _paint_points(self, p: QPainter) -> None:
        c = self.clusters()
        single = np.nonzero(c.counts == 1)[0]
        if len(single):
            # the member of each single cluster: sort by cluster once, then look up
            order = np.argsort(c.which, kind="stable")
            start = np.searchsorted(c.which[order], single)
            first = c.members[order[start]]
            outline = QPen(QColor("white"), 11.0)
            outline.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(outline)
            p.drawPoints(
                QPolygonF([QPointF(x, y) for x, y in zip(c.x[single], c.y[single], strict=True)])
            )
            kinds = self.kinds[first]
            for kind in np.nonzero(np.bincount(kinds))[0].tolist():  # (unique: imports numpy.ma)
                at = single[kinds == kind]
                pen = QPen(KIND_COLOURS.get(int(kind), KIND_COLOURS[2]), 8.0)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                p.setPen(pen)
                p.drawPoints(
                    QPolygonF([QPointF(x, y) for x, y in zip(c.x[at], c.y[at], strict=True)])
                )
        many = np.nonzero(c.counts > 1)[0]
        if not len(many):
            return
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        p.setPen(self.palette().highlightedText().color())
        locale = QLocale()
        for n, count, x, y in zip(
            many.tolist(),
            c.counts[many].tolist(),
            np.rint(c.x[many]).astype(int).tolist(),
            np.rint(c.y[many]).astype(int).tolist(),
            strict=True,
        ):
            # whole pixels: the raster engine caches a glyph per sub-pixel offset it meets
            r = round(c.radius(n))
            p.drawPixmap(x - r - 2, y - r - 2, self._bubble(r))
            box = QRect(x - r, y - r, 2 * r, 2 * r)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, locale.toString(count))

    def _bubble(self, radius: int) -> QPixmap:
        """A bubble of ``radius`` pixels, drawn once (an antialiased ellipse costs ~20 times
        more to paint than its picture)."""
        fill = self.palette().highlight().color()
        key = (radius, fill.rgba())
        sprite = self._sprites.get(key)
        if sprite is None:
            side = 2 * radius + 4
            sprite = QPixmap(side, side)
            sprite.fill(Qt.GlobalColor.transparent)
            q = QPainter(sprite)
            q.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            fill.setAlpha(215)
            q.setPen(QPen(QColor("white"), 2.0))
            q.setBrush(fill)
            q.drawEllipse(QRectF(2, 2, 2 * radius, 2 * radius))
            q.end()
            self._sprites[key] = sprite
        return sprite

    # --- mouse and keys --------------------------------------------------------------------
    def click_at(self, x: float, y: float) -> None:
        """A dot: open its item; a bubble: zoom to its items, or list them if they cannot
        split (one place, or zoomed in fully)."""
        hit = self.cluster_at(x, y)
        if hit is None:
            return
        c = self.clusters()
        members = c.items_of(hit)
        if len(members) == 1:
            self.item_clicked.emit(int(self.ids[members[0]]))
            return
        mx, my = self.px[members], self.py[members]
        spread = max(float(mx.max() - mx.min()), float(my.max() - my.min()))
        if spread * MAX_SCALE < CELL_PX or self.scale >= MAX_SCALE:
            self.items_chosen.emit([int(i) for i in self.ids[members]])
            return
        scale = 0.6 * min(self.width(), self.height()) / spread if spread > 0 else MAX_SCALE
        cx, cy = (float(mx.min()) + float(mx.max())) / 2, (float(my.min()) + float(my.max())) / 2
        self.set_view(cx, cy, max(scale, self.scale * 2))

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(1.5**steps, event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        step = 80.0
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(2.0)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(0.5)
        elif key == Qt.Key.Key_Left:
            self.pan(step, 0)
        elif key == Qt.Key.Key_Right:
            self.pan(-step, 0)
        elif key == Qt.Key.Key_Up:
            self.pan(0, step)
        elif key == Qt.Key.Key_Down:
            self.pan(0, -step)
        elif key == Qt.Key.Key_Home:
            self.fit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._press_centre = (self.cx, self.cy)
            self._dragged = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._press is not None:
            dx, dy = pos.x() - self._press.x(), pos.y() - self._press.y()
            if abs(dx) + abs(dy) > 4:
                self._dragged = True
            if self._dragged:
                cx, cy = self._press_centre
                self.set_view(cx - dx / self.scale, cy - dy / self.scale, self.scale)
            return
        hit = self.cluster_at(pos.x(), pos.y())
        if hit is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.tip(hit), self)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and not self._dragged:
            self.click_at(event.position().x(), event.position().y())
        self._press = None

    def tip(self, cluster: int) -> str:
        members = self.clusters().items_of(cluster)
        if self.describe is not None:
            return self.describe(members)
        return self.tr("{0} items").format(len(members))
