"""Measuring on a labelled folder as jobs: ``custos eval`` and watchlist calibration.

Both faces drive the same objects: ``run(emit)`` emits ``Progress`` per photo and stops with
``Cancelled`` between photos once the token is set. Calibration records nothing until the
measurement is complete: a cancelled or failed calibration leaves the watchlist as it was.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from matching.errors import EvaluationError
from matching.evaluate import (
    Calibration,
    Embedder,
    EvalReport,
    calibrate_from_report,
    embed_with_custos,
    evaluate_report,
)
from matching.watchlists import find_watchlist, set_calibration
from vault.jobs import CancelToken, Emit
from vault.session import Session


class EvaluateJob:
    """Detect, encode and score a labelled folder (``custos eval``); needs no vault."""

    def __init__(
        self,
        folder: str | Path,
        cancel: CancelToken | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.cancel = cancel or CancelToken()
        self.embedder = embedder

    def run(self, emit: Emit) -> EvalReport:
        embedder = self.embedder or partial(embed_with_custos, emit=emit, cancel=self.cancel)
        report = evaluate_report(self.folder, embedder=embedder)
        self.cancel.check()
        return report


class CalibrateJob:
    """Set a watchlist's alert threshold from a target FPIR measured on a labelled folder:
    permission first, then the measurement, then one audited record."""

    def __init__(
        self,
        session: Session,
        watchlist: str,
        folder: str | Path,
        target_fpir: float = 0.01,
        cancel: CancelToken | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.session, self.watchlist = session, watchlist
        self.folder, self.target_fpir = Path(folder), target_fpir
        self.cancel = cancel or CancelToken()
        self.embedder = embedder

    def run(self, emit: Emit) -> Calibration:
        self.session.require("watchlist.manage", target=f"watchlist:{self.watchlist}")
        if not 0.0 <= self.target_fpir < 1.0:
            raise EvaluationError(f"target FPIR must be in [0, 1), got {self.target_fpir}")
        with self.session.db() as db:
            find_watchlist(db, self.watchlist)  # a wrong name fails before the measurement
        report = EvaluateJob(self.folder, self.cancel, self.embedder).run(emit)
        cal = calibrate_from_report(report, self.target_fpir, str(self.folder))
        self.cancel.check()  # the last moment to stop: after this the threshold is recorded
        set_calibration(self.session, self.watchlist, cal.threshold, cal.to_dict())
        return cal
