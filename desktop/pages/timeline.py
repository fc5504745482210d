"""The case's items on a time axis: capture times (EXIF, MP4, else the file time, marked).

One core call (``matching.timeline.timeline``, with ``subject`` for one person's sightings) and
the case's review outcomes (``matching.review.list_review``) on a worker, which also turns the
times into a sorted numpy array with each item's kind and outcomes as codes. Filters are numpy
masks; the axis (``desktop.timeaxis``) bins only what is in view, so 100,000 items zoom smoothly.
Below the axis, the items in view in time order, with the time as recorded, its zone and source.

Items are placed by their UTC instant; a time recorded without an offset ("not recorded") is
placed as if it were UTC, as the core sorts it (the list says so). Time runs left to right in
Arabic too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from PySide6.QtCore import QDateTime, QLocale, QTimeZone
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.casepage import CaseSubjectPage
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import kind_icon
from desktop.tablemodel import Column, RecordModel, number
from desktop.timeaxis import TimeAxis

LISTED = 500  # rows of the list under the axis (the items in view, earliest first)
KINDS = {"image": 0, "video": 1}  # anything else (not analysed): 2
OUTCOMES = ("pending", "awaiting second review", "confirmed", "inconclusive", "rejected")
NO_CANDIDATE = 1 << len(OUTCOMES)  # an item with no candidate at all

SOURCE_TEXT = {
    "exif": QT_TRANSLATE_NOOP("Timeline", "EXIF"),
    "mp4": QT_TRANSLATE_NOOP("Timeline", "MP4 metadata"),
    "file-modified": QT_TRANSLATE_NOOP("Timeline", "file time (modified, at ingest)"),
    "none": QT_TRANSLATE_NOOP("Timeline", "no time"),
}
KIND_TEXT = {
    "image": QT_TRANSLATE_NOOP("Timeline", "photo"),
    "video": QT_TRANSLATE_NOOP("Timeline", "video"),
    None: QT_TRANSLATE_NOOP("Timeline", "not analysed"),
}
OUTCOME_TEXT = {
    "pending": QT_TRANSLATE_NOOP("Timeline", "pending"),
    "awaiting second review": QT_TRANSLATE_NOOP("Timeline", "awaiting second review"),
    "confirmed": QT_TRANSLATE_NOOP("Timeline", "confirmed"),
    "inconclusive": QT_TRANSLATE_NOOP("Timeline", "inconclusive"),
    "rejected": QT_TRANSLATE_NOOP("Timeline", "rejected"),
}


def _t(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("Timeline", text)


@dataclass
class Loaded:
    """What the worker prepared: entries placed in time first, then those with no time."""

    reference: str
    subject: str | None
    entries: list[Any]
    times: np.ndarray  # UTC seconds of entries[:len(times)], sorted
    kinds: np.ndarray  # per placed entry: KINDS code
    outcomes: np.ndarray  # per placed entry: bit i = OUTCOMES[i]; NO_CANDIDATE
    ids: np.ndarray
    subjects: list[str] = field(default_factory=list)
    statuses: dict[int, list[str]] = field(default_factory=dict)  # item -> outcomes

    @property
    def unplaced(self) -> int:
        return len(self.entries) - len(self.times)


def _instant(text: str | None) -> float | None:
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)  # as the core sorts it
    return stamp.timestamp()


def load_timeline(session: Any, reference: str, subject: str | None = None) -> Loaded:
    """On a worker: the case's timeline (or ``subject``'s sightings) as arrays for the axis."""
    from matching.review import list_review
    from matching.timeline import timeline

    entries = timeline(session, reference, subject)
    statuses: dict[int, list[str]] = {}
    subjects: set[str] = set()
    if subject is None:
        for r in list_review(session, reference):
            subjects.add(r.subject)
            if r.item is not None:
                statuses.setdefault(r.item, []).append(r.status)
    else:
        subjects.add(subject)
        for e in entries:
            statuses[e.item] = [s.status for s in e.sightings]
    instants = [_instant(e.time) for e in entries]
    placed = [n for n, t in enumerate(instants) if t is not None]
    ordered = [entries[n] for n in placed] + [
        e for t, e in zip(instants, entries, strict=True) if t is None
    ]
    times = np.array([instants[n] for n in placed], dtype=np.float64)
    bits = {s: 1 << i for i, s in enumerate(OUTCOMES)}
    outcomes = np.array(
        [
            sum({bits.get(s, 0) for s in statuses.get(entries[n].item, [])}) or NO_CANDIDATE
            for n in placed
        ],
        dtype=np.int32,
    )
    return Loaded(
        reference,
        subject,
        ordered,
        times,
        np.array([KINDS.get(entries[n].kind or "", 2) for n in placed], dtype=np.int8),
        outcomes,
        np.array([entries[n].item for n in placed], dtype=np.int64),
        sorted(subjects),
        statuses,
    )


@dataclass(frozen=True)
class Row:
    t: float | None
    entry: Any
    outcomes: str


class TimelinePage(CaseSubjectPage):
    fetch = load_timeline

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, "timeline", parent)
        self.loaded: Loaded | None = None
        self.shown = np.zeros(0, dtype=np.int64)  # indexes into loaded.entries on the axis
        self.kind = QComboBox()
        self.kind.setObjectName("timeline_kind")
        for text, code in (
            (self.tr("Every kind"), -1),
            (self.tr("Photos"), 0),
            (self.tr("Videos"), 1),
            (self.tr("Not analysed"), 2),
        ):
            self.kind.addItem(text, code)
        self.outcome = QComboBox()
        self.outcome.setObjectName("timeline_outcome")
        self.outcome.addItem(self.tr("Any review outcome"), 0)
        for n, key in enumerate(OUTCOMES):
            self.outcome.addItem(_t(OUTCOME_TEXT[key]), 1 << n)
        self.outcome.addItem(self.tr("No candidate"), NO_CANDIDATE)
        self.zone = QComboBox()
        self.zone.setObjectName("timeline_zone")
        self.zone.addItem(self.tr("UTC"), "UTC")
        local = QTimeZone.systemTimeZone()
        local_id = bytes(local.id().data()).decode()
        if local.isValid() and local_id not in ("UTC", "Etc/UTC"):
            self.zone.addItem(self.tr("Local ({0})").format(local_id), local_id)
        for box in (self.kind, self.outcome):
            box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.zone.currentIndexChanged.connect(lambda _i: self._zone_changed())
        top = QHBoxLayout()
        for caption, box in (
            (self.tr("Case"), self.cases),
            (self.tr("Subject"), self.subject),
            (self.tr("Kind"), self.kind),
            (self.tr("Review"), self.outcome),
            (self.tr("Time zone"), self.zone),
        ):
            top.addWidget(QLabel(caption))
            top.addWidget(box)
        top.addStretch(1)

        self.axis = TimeAxis()
        self.axis.item_clicked.connect(self.open_item)
        self.axis.range_changed.connect(lambda _a, _b: self._range_changed())
        self.range_label = QLabel()
        self.range_label.setObjectName("timeline_range")
        self.note = QLabel(
            self.tr("Time runs left to right. A bar counts the items of its moment: click to zoom.")
        )
        self.note.setStyleSheet("color: palette(placeholder-text);")
        controls = self.zoom_controls(self.axis.zoom, self.axis.fit)
        controls.addWidget(self.range_label, 1)

        self.model = RecordModel(self._columns(), "Timeline", self)
        self.view, self.count_label, split = self.split_with_list(self.axis, self.model, (2, 3))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self._show_range()

    def _columns(self) -> list[Column]:
        return [
            Column(QT_TRANSLATE_NOOP("Timeline", "Time"), lambda r: r.t, self.time_text, width=18),
            Column(
                QT_TRANSLATE_NOOP("Timeline", "As recorded"),
                lambda r: r.entry,
                self.recorded_text,
                width=24,
            ),
            Column(
                QT_TRANSLATE_NOOP("Timeline", "Source"),
                lambda r: _t(SOURCE_TEXT[r.entry.source]),
                width=16,
            ),
            Column(
                QT_TRANSLATE_NOOP("Timeline", "Kind"),
                lambda r: _t(KIND_TEXT.get(r.entry.kind, "")),
                icon=lambda r: kind_icon(r.entry.kind),
            ),
            Column(QT_TRANSLATE_NOOP("Timeline", "Name"), lambda r: r.entry.name, width=30),
            Column(QT_TRANSLATE_NOOP("Timeline", "Faces"), lambda r: r.entry.faces, number),
            Column(QT_TRANSLATE_NOOP("Timeline", "Review"), lambda r: r.outcomes),
        ]

    # --- showing ---------------------------------------------------------------------------
    def _show(self, loaded: Loaded | None) -> None:
        new_case = (
            loaded is None or self.loaded is None or self.loaded.reference != loaded.reference
        )
        self.loaded = loaded
        if loaded is not None and loaded.subject is None:
            self.reload_subjects(loaded.subjects)
        self.apply_filters(fit=new_case or (loaded is not None and loaded.subject is not None))

    def apply_filters(self, fit: bool = False) -> None:
        """The axis shows the placed items the kind and review filters keep (numpy masks)."""
        loaded = self.loaded
        if loaded is None:
            self.shown = np.zeros(0, dtype=np.int64)
            self.axis.set_items(np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, np.int8))
            self.fill_list()
            return
        keep = np.ones(len(loaded.times), dtype=bool)
        kind = self.kind.currentData()
        if kind is not None and kind >= 0:
            keep &= loaded.kinds == kind
        outcome = self.outcome.currentData()
        if outcome:
            keep &= (loaded.outcomes & outcome) != 0
        self.shown = np.nonzero(keep)[0]
        self.axis.set_items(loaded.times[keep], loaded.ids[keep], loaded.kinds[keep])
        if fit:
            self.axis.fit()
        self.fill_list()

    def _zone_changed(self) -> None:
        name = self.zone.currentData() or "UTC"
        zone = QTimeZone.utc() if name == "UTC" else QTimeZone(name.encode())
        self.axis.set_zone(zone if zone.isValid() else QTimeZone.utc())
        self._show_range()
        self.model.layoutChanged.emit()

    def _range_changed(self) -> None:
        self._show_range()
        self.list_later()

    def _show_range(self) -> None:
        locale = QLocale()
        zone = self.axis.zone
        a = QDateTime.fromSecsSinceEpoch(int(self.axis.t0), zone)
        b = QDateTime.fromSecsSinceEpoch(int(self.axis.t1), zone)
        form = QLocale.FormatType.ShortFormat
        self.range_label.setText(
            self.tr("{0} – {1} (time zone: {2})").format(
                locale.toString(a, form), locale.toString(b, form), self.zone.currentText()
            )
        )

    def fill_list(self) -> None:
        """The items in view, earliest first (the first LISTED), and what is in view."""
        loaded = self.loaded
        if loaded is None:
            self.model.set_records([])
            self.count_label.setText(self.tr("No case chosen."))
            return
        lo, hi = self.axis.visible()
        rows = [self._row(int(self.shown[n])) for n in range(lo, min(hi, lo + LISTED))]
        self.model.set_records(rows)
        text = self.tr("{0} items in view of {1} on the time line.").format(
            number(hi - lo), number(len(self.shown))
        )
        if hi - lo > LISTED:
            text += " " + self.tr("The first {0} are listed.").format(number(LISTED))
        if loaded.unplaced:
            text += " " + self.tr("{0} items have no time and are not placed.").format(
                number(loaded.unplaced)
            )
        self.count_label.setText(text)

    def _row(self, n: int) -> Row:
        assert self.loaded is not None
        entry = self.loaded.entries[n]
        found = self.loaded.statuses.get(entry.item, [])
        outcomes = ", ".join(_t(OUTCOME_TEXT.get(s, s)) for s in sorted(set(found)))
        return Row(float(self.loaded.times[n]), entry, outcomes)

    def time_text(self, t: float | None) -> str:
        if t is None:
            return ""
        dt = QDateTime.fromSecsSinceEpoch(int(t), self.axis.zone)
        return QLocale().toString(dt, QLocale.FormatType.ShortFormat)

    def recorded_text(self, entry: Any) -> str:
        if not entry.time:
            return ""
        zone = entry.zone if entry.zone != "not recorded" else self.tr("zone not recorded")
        return f"\u2068{entry.time}\u2069 ({zone})"

    def item_of(self, record: Any) -> int:
        return int(record.entry.item)
