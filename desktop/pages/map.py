"""The case's items on a map that works with no network, and one subject's track.

Two core calls on workers: the offline basemap (``matching.basemap.load_basemap``, checked by
digest, then ``desktop.mapview.prepare_basemap``), once per process (``load_basemap_levels``
keeps it for every later Map page); the case's positions (``matching.places.case_map``, with
``subject`` for one person's sightings and track in time order), turned into numpy arrays for
the view. A basemap refused (altered, missing) is said in one
line and the items are still shown, on an empty sea. Items whose recorded position is no place
on Earth are left off, and the note above the map says how many (its tooltip says which).

Below the map, the items in view (or those of a bubble that cannot split) in time order, with the
time as recorded, its zone and source; a double-click opens one, as a click on a dot does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.casepage import CaseSubjectPage
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.mapview import MapView, project
from desktop.pages.timeline import KIND_TEXT, KINDS, SOURCE_TEXT
from desktop.tablemodel import Column, RecordModel, number

LISTED = 500  # rows of the list under the map


def _t(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("Timeline", text)


@dataclass
class Loaded:
    """What the worker prepared: the core's answer and its positions as arrays."""

    found: Any  # matching.places.CaseMap
    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    kinds: np.ndarray
    track: np.ndarray  # indexes into found.placed, in time order
    subjects: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return str(self.found.reference)

    @property
    def subject(self) -> str | None:
        return self.found.subject


def load_map(session: Any, reference: str, subject: str | None = None) -> Loaded:
    """On a worker: the case's positions (or ``subject``'s sightings) as arrays for the map."""
    from matching.places import case_map
    from matching.review import list_review

    found = case_map(session, reference, subject)
    placed = found.placed
    x, y = project(np.array([e.lon for e in placed]), np.array([e.lat for e in placed]))
    at = {e.item: n for n, e in enumerate(placed)}
    track = np.array([at[e.item] for e in found.track], dtype=np.int64)
    subjects = (
        sorted({r.subject for r in list_review(session, reference)})
        if subject is None
        else [subject]
    )
    return Loaded(
        found,
        x,
        y,
        np.array([e.item for e in placed], dtype=np.int64),
        np.array([KINDS.get(e.kind or "", 2) for e in placed], dtype=np.int8),
        track,
        subjects,
    )


def load_basemap_levels() -> Any:
    """On a worker: the verified basemap, projected and simplified for painting.

    Prepared once per process (loading, the digest check and the simplification take 1-4 s
    under load) and kept for every Map page after it, keyed by the archive's path, size, inode
    and modification time and the digest it must have: a changed or another file is loaded and
    checked again; what is kept was checked when it was read. A refusal is not kept.
    """
    from desktop.mapview import prepare_basemap
    from matching import basemap

    target = basemap.basemap_file()
    try:
        st = target.stat()
    except OSError:
        return prepare_basemap(basemap.load_basemap(target).rings)  # says what is missing
    key = (str(target), st.st_size, st.st_ino, st.st_mtime_ns, basemap.BASEMAP_SHA256)
    with _PREPARING:  # a second page waits for the first one's work instead of repeating it
        levels = _PREPARED.get(key)
        if levels is None:
            levels = prepare_basemap(basemap.load_basemap(target).rings)
            _PREPARED.clear()  # one basemap at a time (~50 MB of arrays)
            _PREPARED[key] = levels
        return levels


_PREPARED: dict[tuple[Any, ...], Any] = {}
_PREPARING = threading.Lock()


class MapPage(CaseSubjectPage):
    fetch = load_map

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, "map", parent)
        self.loaded: Loaded | None = None
        self.basemap_problem: str | None = None
        self.chosen: list[int] | None = None  # a bubble's items that share one place
        top = QHBoxLayout()
        for caption, box in ((self.tr("Case"), self.cases), (self.tr("Subject"), self.subject)):
            top.addWidget(QLabel(caption))
            top.addWidget(box)
        top.addStretch(1)

        self.view = MapView()
        self.view.describe = self.describe
        self.view.item_clicked.connect(self.open_item)
        self.view.items_chosen.connect(self._chosen)
        self.view.view_changed.connect(self._view_changed)
        controls = self.zoom_controls(self.view.zoom, self.view.fit)
        self.note = QLabel()
        self.note.setObjectName("map_note")
        self.note.setWordWrap(True)
        controls.addWidget(self.note, 1)
        self.help = QLabel(
            self.tr(
                "Drag to move, wheel or + and − to zoom. A bubble counts the items of its place: "
                "click it to zoom in. Click a dot to open its item."
            )
        )
        self.help.setStyleSheet("color: palette(placeholder-text);")
        self.help.setWordWrap(True)

        self.model = RecordModel(self._columns(), "Map", self)
        self.table, self.count_label, split = self.split_with_list(self.view, self.model, (3, 2))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addWidget(self.help)
        layout.addWidget(split, 1)
        self.call(load_basemap_levels, done=self._basemap, failed=self._no_basemap, key="basemap")

    def _columns(self) -> list[Column]:
        return [
            Column(
                QT_TRANSLATE_NOOP("Map", "Stop"),
                lambda r: r[0],
                lambda n: number(n) if n != "" else "",
                align_right=True,
                width=5,
            ),
            Column(QT_TRANSLATE_NOOP("Map", "Time"), lambda r: r[1], self.recorded_text, width=34),
            Column(
                QT_TRANSLATE_NOOP("Map", "Source"), lambda r: _t(SOURCE_TEXT[r[1].source]), width=16
            ),
            Column(QT_TRANSLATE_NOOP("Map", "Kind"), lambda r: _t(KIND_TEXT.get(r[1].kind, ""))),
            Column(QT_TRANSLATE_NOOP("Map", "Name"), lambda r: r[1].name, width=30),
            Column(
                QT_TRANSLATE_NOOP("Map", "Position"),
                lambda r: f"\u2066{r[1].lat:.5f}, {r[1].lon:.5f}\u2069",
                width=22,
            ),
        ]

    # --- loading ---------------------------------------------------------------------------
    def _basemap(self, levels: Any) -> None:
        self.basemap_problem = None
        self.view.set_basemap(levels)
        self._show_note()

    def _no_basemap(self, message: str) -> None:
        self.basemap_problem = message
        self._show_note()
        self.status.emit(message)

    # --- showing ---------------------------------------------------------------------------
    def _show(self, loaded: Loaded | None) -> None:
        refit = (
            loaded is None
            or self.loaded is None
            or (self.loaded.reference, self.loaded.subject) != (loaded.reference, loaded.subject)
        )
        self.loaded = loaded
        self.chosen = None
        if loaded is not None and loaded.subject is None:
            self.reload_subjects(loaded.subjects)
        if loaded is None:
            empty = np.zeros(0)
            self.view.set_points(empty, empty, empty.astype(np.int64), empty.astype(np.int8), empty)
        else:
            self.view.set_points(loaded.x, loaded.y, loaded.ids, loaded.kinds, loaded.track)
        if refit:
            self.view.fit()
        self._show_note()
        self.fill_list()

    def _show_note(self) -> None:
        parts: list[str] = []
        tip: list[str] = []
        if self.basemap_problem:
            parts.append(self.tr("No basemap: {0}").format(self.basemap_problem))
        found = self.loaded.found if self.loaded is not None else None
        if found is not None:
            if found.subject is not None:
                parts.append(
                    self.tr("Track of {0}: {1} sightings in time order.").format(
                        found.subject, number(len(found.track))
                    )
                )
                if found.untimed_sightings:
                    parts.append(
                        self.tr("{0} sightings have no time and are not on the track.").format(
                            number(found.untimed_sightings)
                        )
                    )
            if found.without_position:
                parts.append(
                    self.tr("{0} items have no position.").format(number(found.without_position))
                )
            if found.ignored:
                parts.append(
                    self.tr(
                        "{0} items have a position that cannot be right and are not shown."
                    ).format(number(len(found.ignored)))
                )
                tip = found.notes()
        self.note.setText(" ".join(parts))
        self.note.setToolTip("\n".join(tip))

    def _view_changed(self) -> None:
        self.chosen = None
        self.list_later()

    def _chosen(self, ids: list[int]) -> None:
        """A bubble whose items share one place: list just them."""
        self.chosen = ids
        self.fill_list()

    def fill_list(self) -> None:
        """The items in view (or chosen), in time order (the first LISTED)."""
        loaded = self.loaded
        if loaded is None:
            self.model.set_records([])
            self.count_label.setText(self.tr("No case chosen."))
            return
        if self.chosen is not None:
            wanted = set(self.chosen)
            shown = np.array(
                [n for n, i in enumerate(loaded.ids.tolist()) if i in wanted], dtype=np.int64
            )
            text = self.tr("{0} items at one place.").format(number(len(shown)))
        else:
            shown = self.view.visible()
            text = self.tr("{0} items in view of {1} on the map.").format(
                number(len(shown)), number(len(loaded.ids))
            )
        stops = {int(n): k + 1 for k, n in enumerate(loaded.track.tolist())}
        placed = loaded.found.placed
        rows = [(stops.get(int(n), ""), placed[int(n)]) for n in np.sort(shown)[:LISTED]]
        self.model.set_records(rows)
        if len(shown) > LISTED:
            text += " " + self.tr("The first {0} are listed.").format(number(LISTED))
        self.count_label.setText(text)

    def recorded_text(self, entry: Any) -> str:
        if not entry.time:
            return self.tr("no time")
        zone = entry.zone if entry.zone != "not recorded" else self.tr("zone not recorded")
        return f"\u2068{entry.time}\u2069 ({zone})"

    def describe(self, members: np.ndarray) -> str:
        """A dot's or bubble's tooltip: name, time with zone and source (the first few)."""
        if self.loaded is None:
            return ""
        placed = self.loaded.found.placed
        lines = []
        for n in np.sort(members)[:5].tolist():
            e = placed[n]
            lines.append(
                self.tr("{0}: {1}, {2}").format(
                    e.name, self.recorded_text(e), _t(SOURCE_TEXT[e.source])
                )
            )
        if len(members) > 5:
            lines.insert(0, self.tr("{0} items; the earliest:").format(number(len(members))))
        return "\n".join(lines)

    def item_of(self, record: Any) -> int:
        return int(record[1].item)
