"""One evidence item: a preview (image, or text / hex), its record, custody timeline and audit.

Opening the preview reads the item through the core, which records a "viewed" custody event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, Qt
from PySide6.QtGui import QFontDatabase, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.pages import call
from desktop.tablemodel import (
    Column,
    RecordModel,
    action_text,
    detail_lines,
    digits,
    filtered,
    setup_view,
    size,
    when,
)

PREVIEW_MAX = 64 << 20
TEXT_BYTES = 64 << 10
HEX_BYTES = 4 << 10

CUSTODY = (
    Column(QT_TRANSLATE_NOOP("Item", "When"), lambda e: e.at, when),
    Column(QT_TRANSLATE_NOOP("Item", "Event"), lambda e: action_text(f"custody.{e.kind}")),
    Column(QT_TRANSLATE_NOOP("Item", "By"), lambda e: e.actor),
    Column(
        QT_TRANSLATE_NOOP("Item", "Details"),
        lambda e: "; ".join(detail_lines(e.details)),
    ),
)
AUDIT = (
    Column(QT_TRANSLATE_NOOP("Item", "Seq"), lambda a: a.seq, digits, align_right=True),
    Column(QT_TRANSLATE_NOOP("Item", "When"), lambda a: a.at, when),
    Column(QT_TRANSLATE_NOOP("Item", "Action"), lambda a: a.action, action_text),
    Column(QT_TRANSLATE_NOOP("Item", "By"), lambda a: a.actor),
    Column(QT_TRANSLATE_NOOP("Item", "Target"), lambda a: a.target),
)


VIDEO_EXT = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".3gp", ".wmv", ".mpg", ".mpeg"}
VIDEO_MAX = 1 << 30


def is_video(name: str) -> bool:
    return Path(name).suffix.lower() in VIDEO_EXT


def video_frame(data: bytes, suffix: str) -> QImage | None:
    """One frame of a video: OpenCV reads files only, so the bytes go to a private temp file in
    RAM (/dev/shm when it exists), removed at once."""
    from matching.errors import MatchingError
    from matching.video import sample_frames
    from vault.fsutil import plain_copy

    with plain_copy([data], suffix) as path:
        try:
            _t, rgb = next(iter(sample_frames(str(path), fps=1.0)))
        except (MatchingError, StopIteration):
            return None
        h, w = rgb.shape[:2]
        buffer = rgb.tobytes()  # alive while QImage reads it; copy() owns the pixels
        return QImage(buffer, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def _load_preview(session: Any, item_id: int, name: str = "") -> tuple[QImage | None, bytes]:
    """On a worker: the item's bytes through the core, decoded as an image when they are one
    (a video shows one frame)."""
    from vault.items import read_item_bytes

    data = read_item_bytes(session, item_id)
    if is_video(name):
        frame = video_frame(data, Path(name).suffix)
        if frame is not None:
            return frame, b""
    raw = QByteArray(data)
    buffer = QBuffer(raw)  # both kept alive while the reader reads
    buffer.open(QBuffer.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)  # upright as detection sees it (EXIF orientation)
    image = reader.read()
    buffer.close()
    return (None if image.isNull() else image), data[:TEXT_BYTES]


def hex_dump(data: bytes) -> str:
    lines = []
    for off in range(0, min(len(data), HEX_BYTES), 16):
        chunk = data[off : off + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:08x}  {hexes:<47}  {text}")
    return "\n".join(lines)


def text_or_hex(data: bytes) -> tuple[str, bool]:
    """(preview, is_text): UTF-8 text without control characters, else a hex dump."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        return text, True
    return hex_dump(data), False


def _history(session: Any, item_id: int, with_audit: bool) -> tuple[list[Any], list[Any]]:
    """On a worker: the item's custody events and, for auditors, their audit entries."""
    from vault.items import custody

    events = custody(session, item_id)
    entries: list[Any] = []
    if with_audit:
        from vault.history import list_audit

        entries = list_audit(session, target=f"items:{item_id}")
        for e in events:
            entries += list_audit(session, target=f"custody_events:{e.id}")
    return events, sorted(entries, key=lambda a: a.seq)


class ItemDialog(QDialog):
    def __init__(self, session: Any, runner: Any, item_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        from vault.items import get_item

        self.session = session
        self.runner = runner
        self.item_id = item_id
        self.item: Any = None  # the core's record, once read
        self.image: QImage | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Item {0}").format(item_id))
        self.resize(860, 640)
        self.tabs = QTabWidget()
        self.preview = QLabel(self.tr("Loading preview..."))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("preview")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setVisible(False)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        holder = QWidget()
        hl = QVBoxLayout(holder)
        hl.addWidget(self.preview)
        hl.addWidget(self.text)
        scroll.setWidget(holder)
        self.tabs.addTab(scroll, self.tr("Preview"))
        self.custody_model = RecordModel(CUSTODY, "Item", self)
        self.tabs.addTab(self._table(self.custody_model), self.tr("Custody"))
        self.audit_model: RecordModel | None = None
        if session.may("audit.read"):
            self.audit_model = RecordModel(AUDIT, "Item", self)
            self.tabs.addTab(self._table(self.audit_model), self.tr("Audit"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.export_button = set_icon(QPushButton(self.tr("Export copy...")), "export")
        self.export_button.clicked.connect(self._ask_export)
        self.export_button.setVisible(session.may("item.export"))
        self.export_button.setEnabled(False)
        self.similar_button = set_icon(QPushButton(self.tr("Similar...")), "similar")
        self.similar_button.setToolTip(self.tr("Near-duplicates and other occurrences"))
        self.similar_button.clicked.connect(lambda _c=False: self.show_similar())
        self.similar_dialog: Any = None
        self.face_button = QPushButton(self.tr("Add missed face..."))
        self.face_button.setToolTip(self.tr("Draw a box around a face the detector missed"))
        self.face_button.clicked.connect(lambda _c=False: self.draw_face())
        self.face_button.setVisible(False)  # a photo the user may analyse, once shown
        self.redact_button = QPushButton(self.tr("Redact..."))
        self.redact_button.setToolTip(self.tr("A copy with faces blurred, as a new item"))
        self.redact_button.clicked.connect(lambda _c=False: self.redact())
        self.redact_button.setVisible(False)
        self.curate_dialog: Any = None
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.similar_button)
        bottom.addWidget(self.face_button)
        bottom.addWidget(self.redact_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(bottom)
        self.loaded = False  # preview shown and the history read after it
        self._previewed = False
        call(
            self,
            runner,
            get_item,
            session,
            item_id,
            done=self._item_read,
            failed=self._preview_failed,
        )

    def show_similar(self) -> Any:
        from desktop.pages.similar import SimilarDialog

        self.similar_dialog = SimilarDialog(self.session, self.runner, self.item_id, self)
        self.similar_dialog.show()
        return self.similar_dialog

    def _item_read(self, item: Any) -> None:
        self.item = item
        self.setWindowTitle(self.tr("Item {0}: {1}").format(item.id, item.name))
        self.tabs.insertTab(1, self._details(), self.tr("Record"))
        self.export_button.setEnabled(True)
        self.refresh_history()
        self._start_preview()

    def _details(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        i = self.item
        rows = (
            (self.tr("Case"), i.case),
            (self.tr("Name"), i.name),
            (self.tr("Size"), f"{size(i.size)} ({i.size})"),
            (self.tr("SHA-256"), i.sha256),
            (self.tr("SHA-1"), i.sha1 or "-"),
            (self.tr("MD5"), i.md5 or "-"),
            (self.tr("Exhibit number"), i.exhibit or ""),
            (self.tr("Seized from"), i.seized_from or ""),
            (self.tr("Seized at (place)"), i.seized_at or ""),
            (self.tr("Seized on"), i.seized_on or ""),
            (self.tr("Seized by"), i.seized_by or ""),
            (self.tr("Description"), i.description or ""),
            (self.tr("Original path"), i.original_path),
            (self.tr("Acquired by"), i.acquired_by),
            (self.tr("Acquired"), when(i.acquired_at)),
        )
        for label, value in rows:
            v = QLabel(value)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            v.setWordWrap(True)
            form.addRow(label, v)
        return w

    def _table(self, model: RecordModel) -> QTableView:
        view = QTableView()
        view.setModel(filtered(model, view))
        setup_view(view)
        return view

    def refresh_history(self) -> None:
        call(
            self,
            self.runner,
            _history,
            self.session,
            self.item_id,
            self.audit_model is not None,
            done=self._history,
            failed=self.message.setText,
            key="history",
        )

    def _history(self, found: tuple[list[Any], list[Any]]) -> None:
        events, entries = found
        self.custody_model.set_records(events)
        if self.audit_model is not None:
            self.audit_model.set_records(entries)
        if self._previewed:
            self.loaded = True

    # --- preview -------------------------------------------------------------------------
    def _start_preview(self) -> None:
        limit = VIDEO_MAX if is_video(self.item.name) else PREVIEW_MAX
        if self.item.size > limit:
            self.preview.setText(self.tr("Too large to preview here; export a copy to open it."))
            self._previewed = self.loaded = True
            return
        bridge = self.runner.call(
            _load_preview, self.session, self.item.id, self.item.name, writes=True
        )
        bridge.finished.connect(self._show_preview)
        bridge.failed.connect(self._preview_failed)

    def _show_preview(self, loaded: tuple[QImage | None, bytes]) -> None:
        self.image, head = loaded
        if self.image is not None:
            pixmap = QPixmap.fromImage(self.image)
            if pixmap.width() > 800 or pixmap.height() > 520:
                pixmap = pixmap.scaled(
                    800,
                    520,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            self.preview.setPixmap(pixmap)
            if is_video(self.item.name):
                self.preview.setToolTip(self.tr("Video: the first frame"))
            else:
                self.face_button.setVisible(self.session.may("match.run"))
            self.redact_button.setVisible(self.session.may("item.export"))
        else:
            text, is_text = text_or_hex(head)
            self.preview.setText(self.tr("Text") if is_text else self.tr("Binary (hex)"))
            self.text.setPlainText(text)
            self.text.setVisible(True)
        self._previewed = True
        self.refresh_history()  # the view was recorded as a custody event

    def _preview_failed(self, message: str) -> None:
        self.preview.setText(message)
        self._previewed = self.loaded = True

    # --- curation ------------------------------------------------------------------------
    def draw_face(self) -> Any:
        from desktop.pages.curate import DrawFaceDialog

        if self.image is None:
            return None
        self.curate_dialog = DrawFaceDialog(
            self.session, self.runner, self.item_id, self.image, self
        )
        self.curate_dialog.added.connect(
            lambda face: self._curated(self.tr("Face {0} added.").format(face))
        )
        self.curate_dialog.show()
        return self.curate_dialog

    def redact(self) -> Any:
        from desktop.pages.curate import RedactDialog

        self.curate_dialog = RedactDialog(self.session, self.runner, self.item, self)
        self.curate_dialog.redacted.connect(
            lambda r: self._curated(self.tr("Redacted copy: item {0} ({1})").format(r.item, r.name))
        )
        self.curate_dialog.show()
        return self.curate_dialog

    def _curated(self, text: str) -> None:
        self.message.setText(text)
        self.refresh_history()

    # --- export --------------------------------------------------------------------------
    def _ask_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export a copy to"))
        if folder:
            self.export_to(Path(folder))

    def export_to(self, target: Path) -> Any:
        from vault.items import export_copy

        self.export_button.setEnabled(False)
        self.message.setText(self.tr("Exporting..."))
        bridge = self.runner.call(export_copy, self.session, self.item.id, target, writes=True)
        bridge.finished.connect(self._exported)
        bridge.failed.connect(self._export_failed)
        return bridge

    def _exported(self, path: Path) -> None:
        self.export_button.setEnabled(True)
        self.message.setText(self.tr("Copy written to {0} (hash checked)").format(path))
        self.refresh_history()

    def _export_failed(self, message: str) -> None:
        self.export_button.setEnabled(True)
        self.message.setText(message)


class ItemsListDialog(QDialog):
    """A dialog listing records that name an item (``record.item``): alerts, occurrences.

    Subclasses set ``session``, ``runner``, ``view``, ``model`` and ``note``; a row opens its
    item, a failed call shows its line in ``note``."""

    session: Any
    runner: Any
    view: Any
    model: Any
    note: QLabel
    last_error: str | None = None
    item_dialog: Any = None

    def _failed(self, message: str) -> None:
        self.last_error = message
        self.note.setText(message)

    def selected(self) -> Any:
        index = self.view.currentIndex()
        return self.model.records[index.row()] if index.isValid() else None

    def open_item(self) -> Any:
        found = self.selected()
        if found is None:
            return None
        self.item_dialog = ItemDialog(self.session, self.runner, found.item, self)
        self.item_dialog.show()
        return self.item_dialog
