"""A face gallery: a list model whose thumbnails are loaded lazily, off the GUI thread.

The view (a ``QListView`` in icon mode with uniform item sizes) asks only for the visible rows;
a missing thumbnail is queued, and queued faces are read through the core (``face_crop``) in
batches on a worker, scaled there, and kept in a bounded in-memory cache shared by every gallery
of the page. Scrolling thousands of faces costs a placeholder per new row and one batch per
screenful.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView

THUMB = 112
BATCH = 48
CACHE = 4000
WANTED = 4 * BATCH  # requests kept waiting at most (the newest)
FACE_ROLE = Qt.ItemDataRole.UserRole + 10
Index = QModelIndex | QPersistentModelIndex


def load_thumbnails(
    session: Any, face_ids: list[int], size: int = THUMB
) -> dict[int, QImage | str]:
    """On a worker: each crop through the core, decoded and scaled (QImage is thread-safe)."""
    from matching.facelist import face_crop
    from vault.errors import CustosError

    found: dict[int, QImage | str] = {}
    for face_id in face_ids:
        try:
            image = QImage.fromData(face_crop(session, face_id))
        except CustosError:
            continue
        if not image.isNull():
            found[face_id] = image.scaled(
                size,
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
    return found


Loader = Callable[[Any, list[int]], dict[int, "QImage | str"]]


class ThumbnailCache(QObject):
    """Id -> QPixmap (LRU), filled by batched background loads; ``loaded`` lists new ids.

    ``loader(session, ids)`` runs on a worker and answers each id with a decoded ``QImage``, or
    a one-line reason why it has none (kept in ``errors``: a placeholder tile), or leaves it out
    (nothing to show yet: not asked for again until ``forget``). Face crops by default; the
    Evidence grid loads item thumbnails through the same cache."""

    loaded = Signal(list)

    def __init__(
        self,
        session: Any,
        runner: Any,
        parent: QObject | None = None,
        loader: Loader = load_thumbnails,
        capacity: int = CACHE,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = runner
        self.loader = loader
        self.capacity = capacity
        self.pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self.errors: dict[int, str] = {}
        self._absent: set[int] = set()
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._in_flight: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._flush)
        self.placeholder = QPixmap(THUMB, THUMB)
        self.placeholder.fill(QColor(128, 128, 128, 60))

    def get(self, key: int) -> QPixmap | None:
        pixmap = self.pixmaps.get(key)
        if pixmap is not None:
            self.pixmaps.move_to_end(key)
            return pixmap
        if key not in self._in_flight and key not in self.errors and key not in self._absent:
            self._wanted[key] = None
            self._wanted.move_to_end(key, last=False)  # the newest request first
            while len(self._wanted) > WANTED:  # scrolled past long ago: asked again if shown
                self._wanted.popitem()
            self._timer.start()
        return None

    def forget(self, keys: list[int]) -> None:
        """Ask for these again when next shown (their thumbnails were just made)."""
        for key in keys:
            self._absent.discard(key)
            self.errors.pop(key, None)

    def clear(self) -> None:
        self.pixmaps.clear()
        self.errors.clear()
        self._absent.clear()
        self._wanted.clear()

    @property
    def pending(self) -> int:
        return len(self._wanted) + len(self._in_flight)

    def _flush(self) -> None:
        if self._in_flight or not self._wanted:
            return  # one batch at a time: the runner stays free for the user's jobs
        batch = [self._wanted.popitem(last=False)[0] for _ in range(min(BATCH, len(self._wanted)))]
        self._in_flight.update(batch)
        bridge = self.runner.call(self.loader, self.session, batch)
        bridge.setProperty("batch", batch)
        bridge.finished.connect(self._arrived)
        bridge.failed.connect(self._failed)

    def _arrived(self, images: dict[int, QImage | str]) -> None:
        batch = self.sender().property("batch")
        self._in_flight.difference_update(batch)
        for key, image in images.items():
            if isinstance(image, str):
                self.errors[key] = image
            else:
                self.pixmaps[key] = QPixmap.fromImage(image)
        self._absent.update(k for k in batch if k not in images)
        while len(self.pixmaps) > self.capacity:
            self.pixmaps.popitem(last=False)
        self.loaded.emit(list(images))
        self._timer.start()

    def _failed(self, _message: str) -> None:
        self._in_flight.difference_update(self.sender().property("batch"))
        self._timer.start()


def seconds(value: float | None) -> str:
    return QLocale().toString(float(value or 0.0), "f", 1)


def caption(face: Any) -> str:
    """Two short lines under a thumbnail: where from, and its quality (and time for a track)."""
    q = face.quality
    quality = QCoreApplication.translate("Faces", "eyes {0} px · sharp {1} · {2}").format(
        QLocale().toString(float(q.get("inter_eye_px", 0.0)), "f", 0),
        QLocale().toString(float(q.get("sharpness", 0.0)), "f", 0),
        face.found_by(),
    )
    if face.kind == "track":
        where = QCoreApplication.translate("Faces", "track {0}–{1} s").format(
            seconds(face.start), seconds(face.end)
        )
    else:
        where = face.item_name.rsplit("/", 1)[-1]
    if getattr(face, "discarded", None):
        where = QCoreApplication.translate("Faces", "discarded: {0}").format(where)
    return f"{where}\n{quality}"


def quality_text(quality: dict[str, float], found_by: str | None = None) -> str:
    """A face's measured quality in words, and which detector found it (gallery, review)."""
    loc = QLocale()
    text = QCoreApplication.translate(
        "Faces", "{0} px between the eyes, sharpness {1}, turned {2}°, brightness {3}"
    ).format(
        loc.toString(float(quality.get("inter_eye_px", 0.0)), "f", 0),
        loc.toString(float(quality.get("sharpness", 0.0)), "f", 0),
        loc.toString(float(quality.get("yaw_deg", 0.0)), "f", 0),
        loc.toString(float(quality.get("brightness", 0.0)), "f", 0),
    )
    if found_by:
        text += "\n" + QCoreApplication.translate("Faces", "Found by: {0}").format(found_by)
    return text


def tooltip(face: Any) -> str:
    lines = [QCoreApplication.translate("Faces", "Face {0} in {1}").format(face.id, face.item_name)]
    if face.kind == "track":
        lines.append(
            QCoreApplication.translate(
                "Faces", "Video track from {0} s to {1} s (best frame at {2} s)"
            ).format(seconds(face.start), seconds(face.end), seconds(face.frame_time))
        )
    lines.append(quality_text(face.quality, face.found_by()))
    if face.captured_at:
        lines.append(QCoreApplication.translate("Faces", "Captured: {0}").format(face.captured_at))
    if getattr(face, "drawn_by", None):
        lines.append(
            QCoreApplication.translate("Faces", "Drawn by hand by {0}").format(face.drawn_by)
        )
    if getattr(face, "discarded", None):
        lines.append(
            QCoreApplication.translate("Faces", "Discarded as a false detection: {0}").format(
                face.discarded
            )
        )
    return "\n".join(lines)


class FaceGalleryModel(QAbstractListModel):
    def __init__(self, cache: ThumbnailCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.faces: list[Any] = []
        self._rows: dict[int, int] = {}
        cache.loaded.connect(self._thumbs_loaded)

    def set_faces(self, faces: list[Any]) -> None:
        self.beginResetModel()
        self.faces = list(faces)
        self._rows = {f.id: n for n, f in enumerate(self.faces)}
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.faces)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        face = self.faces[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return caption(face)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.cache.get(face.id) or self.cache.placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(face)
        if role == FACE_ROLE:
            return face
        return None

    def _thumbs_loaded(self, ids: list[int]) -> None:
        rows = sorted(self._rows[i] for i in ids if i in self._rows)
        if rows:
            self.dataChanged.emit(
                self.index(rows[0]), self.index(rows[-1]), [Qt.ItemDataRole.DecorationRole]
            )


def gallery_view(model: FaceGalleryModel) -> QListView:
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(200)
    view.setIconSize(QSize(THUMB, THUMB))
    view.setGridSize(QSize(THUMB + 76, THUMB + 48))
    view.setWordWrap(True)
    view.setSpacing(4)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setModel(model)
    return view


def selected_faces(view: QListView) -> list[Any]:
    rows = sorted(i.row() for i in view.selectionModel().selectedIndexes())
    model = view.model()
    return [model.index(r, 0).data(FACE_ROLE) for r in rows]
