"""Accuracy of the whole pipeline on a labelled folder, and alert-threshold calibration.

Folder format (as ``../shared/faces``): ``identities.csv`` with ``image,identity,role`` (role
``enrol``, ``probe`` or ``distractor``) and ``pairs.csv`` with ``image_a,image_b,same``; image
paths are relative to the folder. Each photo contributes its largest face. Enrolment photos of one
identity form one subject. A photo where no face is found (or which cannot be read) counts against
the system: a missed probe, a pair judged "different" — never skipped.

1:N definitions (NIST IR 8271 style, candidate lists at any rank):

- rank1: fraction of mated probes whose best subject is their own.
- FNIR(T): fraction of mated probes whose own subject is not within distance T.
- FPIR(T): fraction of non-mated searches with any subject within T. Non-mated searches are the
  distractors, plus every mated probe searched with its own subject left out (so small folders
  still give a usable estimate).
- distractor_false_alerts: number of distractor photos with a candidate within the alert threshold.

Every distance is :func:`matching.distance.distances`, the kernel alert and investigative search
use, and a subject with several reference photos is scored by the rule search applies
(:data:`matching.search.SUBJECT_RULE`) through the same code
(:meth:`matching.search.Gallery.subject_distances`), so a threshold calibrated here decides the
same way in an alert search.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matching import distance
from matching.errors import EvaluationError
from matching.faces import MODEL_NAME
from matching.search import DEFAULT_ALERT_THRESHOLD, SUBJECT_RULE, Gallery
from vault.jobs import CancelToken, Emit, Progress, ignore

DEFAULT_VERIFY_THRESHOLD = 0.6
"""1:1 decision threshold (euclidean distance): ``face_recognition``'s default tolerance, at which
dlib reports 99.38% on LFW. Used for ``one_to_one.accuracy``."""

ROLES = ("enrol", "probe", "distractor")
Embedder = Callable[[list[Path]], tuple[dict[Path, np.ndarray | None], float]]


@dataclass(frozen=True)
class LabelledFolder:
    root: Path
    identities: list[tuple[str, str, str]]  # image, identity, role
    pairs: list[tuple[str, str, bool]]

    @property
    def images(self) -> list[str]:
        names = {row[0] for row in self.identities}
        names.update(p for a, b, _ in self.pairs for p in (a, b))
        return sorted(names)


def read_folder(folder: str | Path) -> LabelledFolder:
    """Parse and check ``identities.csv`` / ``pairs.csv``; every problem is listed in one error."""
    root = Path(folder)
    problems: list[str] = []
    identities: list[tuple[str, str, str]] = []
    pairs: list[tuple[str, str, bool]] = []
    for name, columns in (
        ("identities.csv", ("image", "identity", "role")),
        ("pairs.csv", ("image_a", "image_b", "same")),
    ):
        path = root / name
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or any(c not in reader.fieldnames for c in columns):
                problems.append(f"{path}: header must be {','.join(columns)}")
                continue
            for line, row in enumerate(reader, start=2):
                vals = [(row.get(c) or "").strip() for c in columns]
                if not all(vals):
                    problems.append(f"{path}:{line}: empty field")
                elif name == "identities.csv":
                    if vals[2] not in ROLES:
                        problems.append(f"{path}:{line}: role {vals[2]!r} not in {ROLES}")
                    else:
                        identities.append((vals[0], vals[1], vals[2]))
                elif vals[2] not in ("0", "1"):
                    problems.append(f"{path}:{line}: same must be 0 or 1")
                else:
                    pairs.append((vals[0], vals[1], vals[2] == "1"))
    result = LabelledFolder(root, identities, pairs)
    if not problems:
        problems += [
            f"{root / n}: image missing" for n in result.images if not (root / n).is_file()
        ]
    if problems:
        raise EvaluationError(f"bad evaluation folder {root}: " + "; ".join(problems))
    return result


def embed_with_custos(
    paths: list[Path],
    workers: int | None = None,
    *,
    emit: Emit = ignore,
    cancel: CancelToken | None = None,
) -> tuple[dict[Path, np.ndarray | None], float]:
    """Largest face's embedding per photo (None when none is found), and the wall seconds of
    detect+encode (worker start-up excluded). ``Progress`` per photo; a set ``cancel`` token
    stops between photos and raises ``Cancelled``."""
    from matching.parallel import DetectPool

    token = cancel or CancelToken()
    out: dict[Path, np.ndarray | None] = {}
    emit(Progress(0, len(paths), "images", "starting the face engine"))
    with DetectPool(workers) as pool:
        pool.warm_up()
        start = time.perf_counter()
        for res in pool.run(paths, with_crops=False, cancel=lambda: token.cancelled):
            faces = sorted(res.faces, key=lambda f: f.box.width * f.box.height, reverse=True)
            out[Path(res.key)] = faces[0].embedding if faces else None
            emit(Progress(len(out), len(paths), "images", Path(res.key).name))
        seconds = time.perf_counter() - start
    token.check()
    return out, seconds


# -- metrics --------------------------------------------------------------------------------------


def _accuracy(gen: np.ndarray, imp: np.ndarray, t: float) -> float:
    total = len(gen) + len(imp)
    return float((np.sum(gen <= t) + np.sum(imp > t)) / total) if total else 0.0


def _best_threshold(gen: np.ndarray, imp: np.ndarray) -> float:
    values = np.unique(np.concatenate([gen, imp]))
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return DEFAULT_VERIFY_THRESHOLD
    cands = np.concatenate([[values[0] - 1e-3], (values[:-1] + values[1:]) / 2, [values[-1]]])
    accs = np.array([_accuracy(gen, imp, float(t)) for t in cands])
    best = np.flatnonzero(accs == accs.max())
    return float(cands[best[len(best) // 2]])


def _rate_below(scores: np.ndarray, limit: float) -> float:
    return float(np.mean(scores < limit)) if len(scores) else 0.0


def _threshold_at(nonmated: np.ndarray, rate: float) -> float:
    """Smallest non-mated distance that must stay rejected so that at most ``rate`` are accepted:
    accepting ``d < limit`` keeps the false-accept rate <= ``rate``."""
    srt = np.sort(nonmated)
    allowed = math.floor(rate * len(srt) + 1e-9)
    return float(srt[allowed]) if allowed < len(srt) else math.inf


def _eer(gen: np.ndarray, imp: np.ndarray) -> float:
    if not len(gen) or not len(imp):
        return 0.0
    ts = np.unique(np.concatenate([gen, imp, [-1.0]]))
    ts = ts[np.isfinite(ts)]
    far = np.array([np.mean(imp <= t) for t in ts])
    frr = np.array([np.mean(gen > t) for t in ts])
    i = int(np.argmin(np.abs(far - frr)))
    return float((far[i] + frr[i]) / 2)


@dataclass
class EvalReport:
    """Everything measured; :meth:`summary` is the published dict."""

    images: int
    faces_not_found: list[str]
    seconds: float
    threshold: float
    alert_threshold: float
    genuine: np.ndarray
    impostor: np.ndarray
    mated: np.ndarray  # distance to own subject per mated probe (inf when missed)
    rank1_hits: np.ndarray
    nonmated: np.ndarray  # best distance per non-mated search
    distractor_best: np.ndarray
    model: str = MODEL_NAME
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        g, i = self.genuine, self.impostor
        nm_limit = _threshold_at(self.nonmated, 0.01)
        return {
            "images": self.images,
            "faces_not_found": len(self.faces_not_found),
            "images_per_second": round(self.images / self.seconds, 3) if self.seconds else 0.0,
            "one_to_one": {
                "accuracy": round(_accuracy(g, i, self.threshold), 4),
                "best_threshold": round(_best_threshold(g, i), 4),
                "tar_at_far_1pct": round(_rate_below(g, _threshold_at(i, 0.01)), 4),
                "tar_at_far_0_1pct": round(_rate_below(g, _threshold_at(i, 0.001)), 4),
                "eer": round(_eer(g, i), 4),
            },
            "one_to_many": {
                "rank1": round(float(np.mean(self.rank1_hits)), 4) if len(self.mated) else 0.0,
                "fnir_at_fpir_1pct": round(1.0 - _rate_below(self.mated, nm_limit), 4),
                "distractor_false_alerts": int(
                    np.sum(self.distractor_best <= self.alert_threshold)
                ),
                "subject_rule": SUBJECT_RULE,
            },
        }


def _subject_distances(
    probe: np.ndarray | None, subjects: Mapping[str, list[np.ndarray]]
) -> dict[str, float]:
    """Each subject's score for ``probe`` by the rule search applies (``SUBJECT_RULE``), through
    the code search runs (:meth:`Gallery.subject_distances`); inf for a subject it cannot score
    (no probe face, or no reference enrolled)."""
    out = dict.fromkeys(subjects, math.inf)
    owners = [sid for sid, refs in subjects.items() for _ in refs]
    if probe is None or not owners:
        return out
    gallery = Gallery(np.stack([r for rs in subjects.values() for r in rs]), owners)
    out.update(gallery.subject_distances(probe)[0])
    return out


def score_folder(
    folder: LabelledFolder,
    embeddings: Mapping[Path, np.ndarray | None],
    seconds: float,
    *,
    threshold: float = DEFAULT_VERIFY_THRESHOLD,
    alert_threshold: float = DEFAULT_ALERT_THRESHOLD,
) -> EvalReport:
    """Score precomputed embeddings (so other pipelines can be compared on equal terms)."""

    def emb(name: str) -> np.ndarray | None:
        return embeddings.get(folder.root / name)

    not_found = [n for n in folder.images if emb(n) is None]
    subjects: dict[str, list[np.ndarray]] = {}
    for image, identity, role in folder.identities:
        if role == "enrol":
            e = emb(image)
            subjects.setdefault(identity, [])
            if e is not None:
                subjects[identity].append(e)
    mated: list[float] = []
    hits: list[bool] = []
    nonmated: list[float] = []
    distractor: list[float] = []
    for image, identity, role in folder.identities:
        if role == "enrol":
            continue
        dists = _subject_distances(emb(image), subjects)
        if role == "probe" and identity in subjects:
            own = dists[identity]
            others = [d for s, d in dists.items() if s != identity]
            mated.append(own)
            hits.append(math.isfinite(own) and all(own < d for d in others))
            nonmated.append(min(others, default=math.inf))
        else:  # distractor, or a probe of an identity nobody enrolled
            best = min(dists.values(), default=math.inf)
            nonmated.append(best)
            if role == "distractor":
                distractor.append(best)
    gen: list[float] = []
    imp: list[float] = []
    for a, b, same in folder.pairs:
        ea, eb = emb(a), emb(b)
        d = math.inf if ea is None or eb is None else float(distance.distances(ea, eb)[0, 0])
        (gen if same else imp).append(d)
    return EvalReport(
        images=len(folder.images),
        faces_not_found=not_found,
        seconds=seconds,
        threshold=threshold,
        alert_threshold=alert_threshold,
        genuine=np.array(gen, np.float64),
        impostor=np.array(imp, np.float64),
        mated=np.array(mated, np.float64),
        rank1_hits=np.array(hits, bool),
        nonmated=np.array(nonmated, np.float64),
        distractor_best=np.array(distractor, np.float64),
    )


def evaluate_report(
    folder: str | Path,
    *,
    threshold: float = DEFAULT_VERIFY_THRESHOLD,
    alert_threshold: float = DEFAULT_ALERT_THRESHOLD,
    embedder: Embedder | None = None,
) -> EvalReport:
    """Detect, encode and score a labelled folder; see the module docstring."""
    data = read_folder(folder)
    paths = [data.root / n for n in data.images]
    embeddings, seconds = (embedder or embed_with_custos)(paths)
    return score_folder(
        data, embeddings, seconds, threshold=threshold, alert_threshold=alert_threshold
    )


def evaluate(
    folder: str | Path,
    *,
    threshold: float = DEFAULT_VERIFY_THRESHOLD,
    alert_threshold: float = DEFAULT_ALERT_THRESHOLD,
    embedder: Embedder | None = None,
) -> dict[str, Any]:
    """The ``custos eval`` result: ``images``, ``faces_not_found``, ``images_per_second``,
    ``one_to_one`` {accuracy, best_threshold, tar_at_far_1pct, tar_at_far_0_1pct, eer},
    ``one_to_many`` {rank1, fnir_at_fpir_1pct, distractor_false_alerts}."""
    return evaluate_report(
        folder, threshold=threshold, alert_threshold=alert_threshold, embedder=embedder
    ).summary()


@dataclass(frozen=True)
class Calibration:
    """An alert threshold and the data it came from (to be recorded with the watchlist)."""

    threshold: float
    target_fpir: float
    fpir: float
    fnir: float
    nonmated_searches: int
    mated_searches: int
    folder: str
    images: int
    model: str = MODEL_NAME
    subject_rule: str = SUBJECT_RULE  # how subjects were scored (as every search scores them)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def calibrate_from_report(report: EvalReport, target_fpir: float, folder: str) -> Calibration:
    nm = report.nonmated
    if not len(nm) or not np.isfinite(nm).any():
        raise EvaluationError(f"cannot calibrate on {folder}: no non-mated searches with a face")
    limit = _threshold_at(nm, target_fpir)
    finite = nm[np.isfinite(nm)]
    if not math.isfinite(limit):
        limit = float(finite.max()) + 1e-3
    threshold = math.floor((limit - 1e-6) * 1e4) / 1e4  # strictly below the limit, 4 decimals
    return Calibration(
        threshold=threshold,
        target_fpir=target_fpir,
        fpir=float(np.mean(nm <= threshold)),
        fnir=float(np.mean(~(report.mated <= threshold))) if len(report.mated) else 0.0,
        nonmated_searches=len(nm),
        mated_searches=len(report.mated),
        folder=folder,
        images=report.images,
        model=report.model,
    )
