"""Curating faces in the GUI: a box drawn with the mouse around a missed face, and a redacted
copy of a photo or video with the faces to keep ticked. The core decides and records
(``matching.curation``, ``matching.redaction``); these dialogs only ask and show."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRubberBand,
    QVBoxLayout,
    QWidget,
)

from desktop.jobs import JobDialog
from desktop.pages import call

SHOWN = QSize(800, 520)  # the largest the photo is shown at


class BoxPicker(QLabel):
    """A photo on which the user drags a box with the mouse; ``box()`` is in image pixels."""

    changed = Signal()

    def __init__(self, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = image
        pixmap = QPixmap.fromImage(image)
        if pixmap.width() > SHOWN.width() or pixmap.height() > SHOWN.height():
            pixmap = pixmap.scaled(
                SHOWN,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.scale = image.width() / max(1, pixmap.width())
        self.setPixmap(pixmap)
        self.setFixedSize(pixmap.size())
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.band = QRubberBand(QRubberBand.Shape.Rectangle, self)
        self._origin: QPoint | None = None
        self.shown = QRect()  # the box as drawn, in the shown pixmap's pixels

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._origin = event.position().toPoint()
        self.band.setGeometry(QRect(self._origin, QSize()))
        self.band.show()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._origin is not None:
            self.band.setGeometry(QRect(self._origin, event.position().toPoint()).normalized())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._origin is None:
            return
        self.shown = QRect(self._origin, event.position().toPoint()).normalized()
        self._origin = None
        self.band.setGeometry(self.shown)
        self.changed.emit()

    def box(self) -> tuple[int, int, int, int] | None:
        """``x, y, w, h`` in the photo's own pixels, or None before a box is drawn."""
        if self.shown.isNull():
            return None
        s = self.scale
        r = self.shown
        return (round(r.x() * s), round(r.y() * s), round(r.width() * s), round(r.height() * s))


class DrawFaceDialog(QDialog):
    """Draw a box around a face the detector missed; the core encodes it and marks it as drawn
    by this user (``matching.curation.draw_face``)."""

    added = Signal(int)  # the new face's id

    def __init__(
        self, session: Any, runner: Any, item_id: int, image: QImage, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.item_id = session, runner, item_id
        self.face_id: int | None = None
        self.setWindowTitle(self.tr("Add a missed face to item {0}").format(item_id))
        self.picker = BoxPicker(image, self)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("missed by the detector"))
        self.message = QLabel(self.tr("Drag a box around the face with the mouse."))
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Add face"))
        self.ok.setEnabled(False)
        self.picker.changed.connect(self._drawn)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def _drawn(self) -> None:
        box = self.picker.box()
        self.ok.setEnabled(box is not None)
        if box is not None:
            self.message.setText(self.tr("Box: x {0}, y {1}, {2} x {3} pixels").format(*box))

    def submit(self) -> Any:
        from matching.curation import draw_face

        box = self.picker.box()
        if box is None:
            return None
        self.ok.setEnabled(False)
        self.message.setText(self.tr("Encoding the face..."))
        return call(
            self,
            self.runner,
            draw_face,
            self.session,
            self.item_id,
            box,
            self.reason.text(),
            done=self._done,
            failed=self._failed,
            writes=True,
        )

    def _done(self, face_id: int) -> None:
        self.face_id = face_id
        self.added.emit(face_id)
        self.accept()

    def _failed(self, message: str) -> None:
        self.ok.setEnabled(True)
        self.message.setText(message)


def name_group(
    session: Any, case: str, face_ids: list[int], watchlist: str, subject: str, listing: Any
) -> tuple[Any, list[tuple[str, str]], list[tuple[str, str]]]:
    """On a worker: name a cluster as a subject (``matching.curation.name_cluster``); answers
    as enrolment does (the subject, the faces the quality gate refused, its warnings) for the
    enrol dialog."""
    from matching.curation import name_cluster
    from matching.watchlists import show_watchlist

    subject_id, refused, warned = name_cluster(session, case, face_ids, watchlist, subject, listing)
    info = next(s for s in show_watchlist(session, watchlist).subjects if s.id == subject_id)
    return info, refused, warned


def _item_faces(session: Any, case: str, item_id: int) -> list[Any]:
    """On a worker: the item's faces that can be blurred (not discarded)."""
    from matching.facelist import list_faces

    return [f for f in list_faces(session, case) if f.item == item_id and not f.discarded]


class RedactDialog(QDialog):
    """A redacted copy of a photo or video: every face blurred except those ticked to keep; the
    copy is a new item derived from this one (``matching.redaction.RedactJob``: a job with
    progress and Cancel)."""

    redacted = Signal(object)  # the RedactResult

    def __init__(self, session: Any, runner: Any, item: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner, self.item = session, runner, item
        self.result: Any = None
        self.job_dialog: JobDialog | None = None
        self.setWindowTitle(self.tr("Redact {0}").format(item.name))
        self.setMinimumWidth(460)
        self.faces = QListWidget()
        self.message = QLabel(self.tr("Loading the faces..."))
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Redact"))
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Faces to keep visible (all others are blurred):")))
        layout.addWidget(self.faces, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        call(
            self,
            runner,
            _item_faces,
            session,
            item.case,
            item.id,
            done=self._faces,
            failed=self.message.setText,
        )

    def _faces(self, faces: list[Any]) -> None:
        for f in faces:
            where = (
                self.tr("{0:.1f}-{1:.1f} s").format(f.start, f.end)
                if f.kind == "track"
                else self.tr("box {0}").format(",".join(map(str, f.box)))
            )
            row = QListWidgetItem(self.tr("Face {0} ({1})").format(f.id, where))
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Unchecked)
            row.setData(Qt.ItemDataRole.UserRole, f.id)
            self.faces.addItem(row)
        self.message.setText(
            self.tr("{0} faces found; the copy is a new item, the original never changes.").format(
                len(faces)
            )
        )
        self.ok.setEnabled(True)

    def kept(self) -> list[int]:
        rows = (self.faces.item(n) for n in range(self.faces.count()))
        return [
            int(r.data(Qt.ItemDataRole.UserRole))
            for r in rows
            if r.checkState() == Qt.CheckState.Checked
        ]

    def submit(self) -> JobDialog:
        from matching.redaction import RedactJob
        from vault.jobs import CancelToken

        keep = self.kept()
        job = RedactJob(self.session, self.item.id, keep, not keep, CancelToken())
        bridge = self.runner.start(job)
        self.ok.setEnabled(False)
        self.job_dialog = JobDialog(
            bridge, self.tr("Redacting {0}").format(self.item.name), self._describe, self
        )
        bridge.finished.connect(self._done)
        bridge.failed.connect(self._failed)
        self.job_dialog.show()
        return self.job_dialog

    def _describe(self, result: Any) -> str:
        return self.tr("Item {0} ({1}): {2} faces blurred, {3} kept.").format(
            result.item, result.name, result.blurred, len(result.kept)
        )

    def _done(self, result: Any) -> None:
        self.result = result
        self.message.setText(self._describe(result))
        self.redacted.emit(result)
        self.ok.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.ok.setEnabled(True)
        self.message.setText(message)
