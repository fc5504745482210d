"""Faces of a case: detection (a cancellable job), the gallery, clusters, search and enrolment.

The matching core (numpy, dlib, OpenCV) is imported when this page is first shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.gallery import FaceGalleryModel, ThumbnailCache, gallery_view, selected_faces
from desktop.icons import set_icon
from desktop.jobs import JobDialog
from desktop.pages import Page
from desktop.tablemodel import number
from desktop.widgets import CaseBox


class FacesPage(Page):
    detected = Signal(object)  # the DetectResult, once the faces are shown again
    faces_loaded = Signal(str)

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.case_ref: str | None = None
        self.job_dialog: JobDialog | None = None
        self.cluster_dialog: ClusterDialog | None = None
        self.search_dialog: Any = None
        self.enrol_dialog: Any = None
        self._generation = 0
        self.cache = ThumbnailCache(session, runner, self)
        self.model = FaceGalleryModel(self.cache, self)
        self.view = gallery_view(self.model)
        self.view.setObjectName("face_gallery")
        self.cases = CaseBox()
        self.cases.chosen.connect(self._case_chosen)
        self.detect_button = set_icon(QPushButton(self.tr("Detect faces")), "detect")
        self.detect_button.clicked.connect(self.detect)
        self.hard_faces = QCheckBox(self.tr("Small and blurred faces too"))
        self.hard_faces.setChecked(True)
        self.hard_faces.setToolTip(
            self.tr(
                "Where no well-sized face is found, look again on an enlarged copy and with a "
                "second, slower detector (about 2 s per photo without a face)."
            )
        )
        self.cluster_button = set_icon(QPushButton(self.tr("Cluster")), "cluster")
        self.cluster_button.clicked.connect(self.cluster)
        self.search_button = set_icon(QPushButton(self.tr("Search watchlists...")), "search")
        self.search_button.clicked.connect(self.open_search)
        self.enrol_button = set_icon(
            QPushButton(self.tr("Enrol selected as subject...")), "watchlists"
        )
        self.enrol_button.clicked.connect(lambda: self.enrol([f.id for f in self.selected()]))
        self.enrol_button.setVisible(session.may("watchlist.manage"))
        self.discard_button = QPushButton(self.tr("Discard..."))
        self.discard_button.setToolTip(self.tr("Mark the selected faces as false detections"))
        self.discard_button.clicked.connect(self._ask_discard)
        self.discard_button.setVisible(session.may("match.run"))
        self.count = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Case")))
        top.addWidget(self.cases, 1)
        top.addWidget(self.detect_button)
        top.addWidget(self.hard_faces)
        for b in (
            self.cluster_button,
            self.search_button,
            self.enrol_button,
            self.discard_button,
        ):
            top.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)

    def refresh(self) -> None:
        from vault.cases import list_cases

        self.call(list_cases, self.session, done=self._cases, key="cases")

    def _cases(self, cases: list[Any]) -> None:
        self.cases.reload(cases)
        self.load_faces()

    def show_case(self, reference: str) -> None:
        self.cases.select(reference)

    def _case_chosen(self, reference: str) -> None:
        self.case_ref = reference or None
        self.load_faces()

    def load_faces(self) -> None:
        from matching.facelist import list_faces

        self.case_ref = self.cases.reference()
        self._generation += 1
        if not self.case_ref:
            self.model.set_faces([])
            self._show_count()
            return
        self.count.setText(self.tr("Loading..."))
        bridge = self.runner.call(list_faces, self.session, self.case_ref)
        bridge.setProperty("load", (self._generation, self.case_ref))
        bridge.finished.connect(self._loaded)
        bridge.failed.connect(self.error)

    def _loaded(self, faces: list[Any]) -> None:
        generation, case = self.sender().property("load")
        if generation != self._generation:
            return
        self.model.set_faces(faces)
        self._show_count()
        self.faces_loaded.emit(case)

    def _show_count(self) -> None:
        faces = self.model.faces
        tracks = sum(1 for f in faces if f.kind == "track")
        self.count.setText(
            self.tr("{0} faces ({1} photos, {2} video tracks)").format(
                len(faces), len(faces) - tracks, tracks
            )
        )

    def selected(self) -> list[Any]:
        return selected_faces(self.view)

    # --- detection -----------------------------------------------------------------------
    def detect(self) -> JobDialog | None:
        from matching.casefaces import DetectJob
        from vault.jobs import CancelToken

        if not self.case_ref:
            self.error(self.tr("Choose a case first."))
            return None
        job = DetectJob(
            self.session, self.case_ref, 2.0, CancelToken(), hard_faces=self.hard_faces.isChecked()
        )
        bridge = self.runner.start(job)
        self.job_dialog = JobDialog(
            bridge,
            self.tr("Finding faces in {0}").format(self.case_ref),
            self._describe,
            self,
            progress=self._progress_text,
        )
        bridge.finished.connect(self._detected)
        bridge.failed.connect(self._detect_failed)
        self.job_dialog.show()
        return self.job_dialog

    def _progress_text(self, done: int, total: int, _message: str) -> str:
        return self.tr("Detecting faces: {0} of {1} photos").format(number(done), number(total))

    def _describe(self, result: Any) -> str:
        text = self.tr("{0} items analysed, {1} faces found, {2} failed.").format(
            result.items, result.faces, len(result.failed)
        )
        if result.cancelled:
            text = self.tr("Cancelled: ") + text + " " + self.tr("Analysed items are kept.")
        return text

    def _detect_failed(self, _message: str) -> None:
        self.load_faces()

    def _detected(self, result: Any) -> None:
        self.faces_loaded.connect(self._emit_detected)
        self._pending = result
        self.load_faces()

    def _emit_detected(self, _case: str) -> None:
        self.faces_loaded.disconnect(self._emit_detected)
        self.detected.emit(self._pending)

    # --- clusters, search, enrolment ------------------------------------------------------
    def cluster(self) -> JobDialog | None:
        from matching.facelist import ClusterJob

        if not self.case_ref:
            return None
        self.count.setText(self.tr("Grouping faces..."))
        bridge = self.runner.start(ClusterJob(self.session, self.case_ref))
        self.job_dialog = JobDialog(
            bridge, self.tr("Grouping the faces of {0}").format(self.case_ref), parent=self
        )
        bridge.finished.connect(self._clustered)
        bridge.failed.connect(self._cluster_failed)
        self.job_dialog.show()
        return self.job_dialog

    def _cluster_failed(self, _message: str) -> None:
        self._show_count()  # the job's dialog shows why (a refusal, or "cancelled by the user")

    def _clustered(self, result: Any) -> None:
        self._show_count()
        if self.job_dialog is not None:
            self.job_dialog.accept()
        self.cluster_dialog = ClusterDialog(result.groups, self, result.names)
        self.cluster_dialog.show()

    def open_search(self) -> Any:
        from desktop.pages.search import SearchDialog

        if not self.case_ref:
            self.error(self.tr("Choose a case first."))
            return None
        self.search_dialog = SearchDialog(self.session, self.runner, self.case_ref, self)
        self.search_dialog.show()
        return self.search_dialog

    def enrol(self, face_ids: list[int], name_group: bool = False) -> Any:
        """Enrol faces as a subject; ``name_group``: they are a cluster, named after it."""
        from desktop.pages.watchlists import EnrolDialog

        if not face_ids:
            self.error(self.tr("Select one or more faces of the same person first."))
            return None
        self.enrol_dialog = EnrolDialog(
            self.session,
            self.runner,
            face_ids=face_ids,
            parent=self,
            case_ref=self.case_ref if name_group else None,
        )
        self.enrol_dialog.show()
        return self.enrol_dialog

    # --- curation ------------------------------------------------------------------------
    def _ask_discard(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        faces = [f.id for f in self.selected()]
        if not faces:
            self.error(self.tr("Select the false detections first."))
            return
        reason, ok = QInputDialog.getText(
            self, self.tr("Discard faces"), self.tr("Why are these not faces?")
        )
        if ok:
            self.discard(faces, reason)

    def discard(self, face_ids: list[int], reason: str) -> Any:
        """Discard the faces (kept on record, never searched, clustered or redacted)."""
        from matching.curation import discard_face

        if not self.case_ref:
            return None
        case = self.case_ref
        return self.call(
            lambda: [discard_face(self.session, case, f, reason) for f in face_ids],
            done=lambda _r: self.load_faces(),
            writes=True,
        )

    def correct_clusters(self, kind: str, face_ids: list[int]) -> Any:
        """Split (these faces apart) or merge (their groups), then cluster again."""
        from matching.curation import merge, split

        if not self.case_ref:
            return None
        fn = split if kind == "split" else merge
        return self.call(
            fn, self.session, self.case_ref, face_ids, done=self._recluster, writes=True
        )

    def _recluster(self, _edit: Any) -> None:
        if self.cluster_dialog is not None:
            self.cluster_dialog.accept()
        self.cluster()


class ClusterDialog(QDialog):
    """Groups of faces of one unknown person; a group can be split, merged with others, or
    named as a subject of a watchlist (each correction recorded by the core)."""

    def __init__(
        self, groups: list[list[Any]], page: FacesPage, named: list[str | None] | None = None
    ) -> None:
        super().__init__(page)
        self.page = page
        self.groups = groups
        self.names = named or [None] * len(groups)
        self.setWindowTitle(self.tr("Clusters in {0}").format(page.case_ref))
        self.resize(900, 560)
        self.list = QListWidget()
        for n, group in enumerate(groups, 1):
            items = {f.item_name.rsplit("/", 1)[-1] for f in group}
            text = self.tr("Group {0}: {1} faces in {2} items").format(n, len(group), len(items))
            if self.names[n - 1]:
                text += " = " + str(self.names[n - 1])
            self.list.addItem(QListWidgetItem(text))
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.model = FaceGalleryModel(page.cache, self)
        self.view = gallery_view(self.model)
        self.list.currentRowChanged.connect(self._show_group)
        self.note = QLabel(
            self.tr("No face recurs in this case.")
            if not groups
            else self.tr("Faces that look alike, grouped; not an identification.")
        )
        self.enrol_button = set_icon(QPushButton(self.tr("Name as subject...")), "watchlists")
        self.enrol_button.clicked.connect(self.enrol_group)
        self.enrol_button.setEnabled(bool(groups))
        self.enrol_button.setVisible(page.session.may("watchlist.manage"))
        self.split_button = QPushButton(self.tr("Split selected faces"))
        self.split_button.setToolTip(self.tr("The selected faces are another person"))
        self.split_button.clicked.connect(self.split_selected)
        self.merge_button = QPushButton(self.tr("Merge selected groups"))
        self.merge_button.setToolTip(self.tr("The groups selected on the left are one person"))
        self.merge_button.clicked.connect(self.merge_selected)
        for b in (self.split_button, self.merge_button):
            b.setEnabled(bool(groups))
            b.setVisible(page.session.may("match.run"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        for b in (self.split_button, self.merge_button, self.enrol_button):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(self.view)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        if groups:
            self.list.setCurrentRow(0)

    def _show_group(self, row: int) -> None:
        self.model.set_faces(self.groups[row] if 0 <= row < len(self.groups) else [])

    def enrol_group(self) -> Any:
        row = self.list.currentRow()
        if not 0 <= row < len(self.groups):
            return None
        return self.page.enrol([f.id for f in self.groups[row]], name_group=True)

    def split_selected(self) -> Any:
        faces = [f.id for f in selected_faces(self.view)]
        if not faces:
            self.note.setText(self.tr("Select the faces to split off first."))
            return None
        return self.page.correct_clusters("split", faces)

    def merge_selected(self) -> Any:
        rows = sorted({i.row() for i in self.list.selectedIndexes()})
        if len(rows) < 2:
            self.note.setText(self.tr("Select two or more groups on the left first."))
            return None
        return self.page.correct_clusters("merge", [self.groups[r][0].id for r in rows])
