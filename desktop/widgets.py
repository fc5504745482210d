"""Small widgets shared by the matching and exchange pages."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QListWidgetItem, QWidget


def partner_and_purpose() -> tuple[QComboBox, QComboBox]:
    """The two choices every export starts with: a partner (filled by the caller from the
    directory, read on the runner), and a purpose."""
    from exchange.directory import PURPOSES

    partner = QComboBox()
    purpose = QComboBox()
    for name in PURPOSES:
        purpose.addItem(name, name)
    return partner, purpose


class CaseBox(QComboBox):
    """The cases the user may read; ``chosen(reference)`` when the choice changes."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumContentsLength(12)
        self._wanted: str | None = None
        self.currentIndexChanged.connect(self._changed)

    def reload(self, cases: list[Any]) -> None:
        keep = self._wanted or self.currentData()
        self._wanted = None
        self.blockSignals(True)
        self.clear()
        for c in cases:
            self.addItem(f"{c.reference} — {c.title}" if c.title else c.reference, c.reference)
        index = self.findData(keep) if keep is not None else -1
        self.setCurrentIndex(max(index, 0) if self.count() else -1)
        self.blockSignals(False)
        if self.currentData() != keep:
            self._changed(self.currentIndex())

    def select(self, reference: str) -> bool:
        """Choose ``reference``; one not listed yet is chosen when the list arrives."""
        index = self.findData(reference)
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self._wanted = reference
        return index >= 0

    def reference(self) -> str | None:
        return self.currentData()

    def _changed(self, _index: int) -> None:
        self.chosen.emit(self.currentData() or "")


class Picture(QLabel):
    """An image from bytes, scaled to fit a box, or a line of text when there is none."""

    def __init__(self, empty: str, width: int = 300, height: int = 300) -> None:
        super().__init__(empty)
        self.empty = empty
        self.box = (width, height)
        self.image: QImage | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(width // 2, height // 2)
        self.setFrameShape(QLabel.Shape.StyledPanel)

    def show_bytes(self, data: bytes | None) -> None:
        image = QImage.fromData(data) if data else QImage()
        if image.isNull():
            self.image = None
            self.setPixmap(QPixmap())
            self.setText(self.empty)
            return
        self.image = image
        self.setPixmap(
            QPixmap.fromImage(image).scaled(
                *self.box,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )


class CheckList(QListWidget):
    """A list of checkable entries carrying a value each."""

    def set_entries(self, entries: list[tuple[str, Any]], checked: bool = False) -> None:
        self.clear()
        for text, value in entries:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.addItem(item)

    def set_checked(self, value: Any, checked: bool = True) -> None:
        for n in range(self.count()):
            item = self.item(n)
            if item.data(Qt.ItemDataRole.UserRole) == value:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def checked(self) -> list[Any]:
        return [
            self.item(n).data(Qt.ItemDataRole.UserRole)
            for n in range(self.count())
            if self.item(n).checkState() == Qt.CheckState.Checked
        ]
