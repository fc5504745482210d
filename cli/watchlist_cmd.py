"""custos watchlist create | list | show | enrol | calibrate | index"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.common import (
    emit_json,
    listing_options,
    out,
    run_cancellable,
    safe,
    say_error,
    signed_in,
    warn,
)
from vault.errors import BatchIncomplete

if TYPE_CHECKING:
    from matching.watchlists import Listing


@click.group()
def watchlist() -> None:
    """Watchlists of subjects with reference photos (analyst)."""


@watchlist.command("create")
@click.argument("name")
@click.option("--second-review", is_flag=True, help="Confirmations need a second analyst.")
@click.option("--threshold", type=float, default=0.6, show_default=True, help="Alert threshold.")
@click.pass_context
def create(ctx: click.Context, name: str, second_review: bool, threshold: float) -> None:
    """Create an empty watchlist."""
    from matching.watchlists import create_watchlist

    with signed_in(ctx) as session:
        create_watchlist(session, name, second_review=second_review, threshold=threshold)
    out.print(f"watchlist {name} created", markup=False)


@watchlist.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Watchlists with their subject counts and alert thresholds."""
    from matching.watchlists import list_watchlists

    with signed_in(ctx) as session:
        found = list_watchlists(session)
    if as_json:
        emit_json(
            [
                w.__dict__ | {"subjects": len(w.subjects), "overdue_reviews": w.overdue_reviews}
                for w in found
            ]
        )
        return
    for w in found:
        overdue = f"\t{w.overdue_reviews} overdue for review" if w.overdue_reviews else ""
        out.print(
            f"{safe(w.name)}\t{len(w.subjects)} subjects\talert <= {w.alert_threshold:.4f}"
            + overdue,
            markup=False,
        )


@watchlist.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """Subjects, listing metadata and calibration of a watchlist."""
    from dataclasses import asdict

    from matching.watchlists import show_watchlist

    with signed_in(ctx) as session:
        w = show_watchlist(session, name)
    if as_json:
        emit_json(
            asdict(w)
            | {
                "overdue_reviews": w.overdue_reviews,
                "subjects": [
                    asdict(s) | {"review_overdue_since": s.review_overdue_since} for s in w.subjects
                ],
            }
        )
        return
    out.print(f"watchlist {safe(w.name)}: alert threshold {w.alert_threshold:.4f}", markup=False)
    if w.calibration:
        c = w.calibration
        out.print(
            f"calibrated on {c['folder']} ({c['images']} images): FPIR {c['fpir']:.4f} "
            f"(target {c['target_fpir']}), FNIR {c['fnir']:.4f}",
            markup=False,
        )
    for s in w.subjects:
        state = "  EXPIRED" if s.expired else ""
        if s.review_overdue_since:
            state += f"  review overdue since {s.review_overdue_since}"
        out.print(
            f"{safe(s.ref)}\t{s.references} refs\t{s.label}\t{safe(s.agency)}\t"
            f"review {safe(s.review_on)}\t{safe(s.reason)}{state}",
            markup=False,
        )
    if w.overdue_reviews:
        out.print(f"{w.overdue_reviews} listing(s) overdue for review", markup=False)


@watchlist.command("enrol")
@click.argument("name")
@click.option("--subject", "subject_ref", required=True, help="Subject id in the listing.")
@listing_options
@click.option("--face", "face_ids", type=int, multiple=True, help="Enrol a face found in a case.")
@click.argument("photos", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def enrol(
    ctx: click.Context,
    name: str,
    subject_ref: str,
    listing: Listing,
    face_ids: tuple[int, ...],
    photos: tuple[Path, ...],
) -> None:
    """Enrol reference photos (or found faces) for a subject."""
    from matching.watchlists import enrol as core_enrol

    with signed_in(ctx) as session:
        info, refused, warned = core_enrol(
            session, name, subject_ref, listing, list(photos), list(face_ids)
        )
    for path, why in refused:
        say_error(path, why.removeprefix(f"{Path(path).name}: "))
    for _path, why in warned:
        warn(f"{why} (enrolled)")
    out.print(f"subject {info.ref}: {info.references} reference(s)", markup=False)
    if refused:
        raise BatchIncomplete(f"{len(refused)} photo(s) refused (listed above)")


@watchlist.command("calibrate")
@click.argument("name")
@click.option("--on", "folder", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--fpir", type=float, default=0.01, show_default=True, help="Target FPIR.")
@click.pass_context
def calibrate(ctx: click.Context, name: str, folder: Path, fpir: float) -> None:
    """Set the alert threshold from a target FPIR on a labelled folder (see custos eval)."""
    from matching.measure import CalibrateJob

    with signed_in(ctx) as session:
        job = CalibrateJob(session, name, folder, fpir)
        cal = run_cancellable(
            job, "measuring on the labelled folder", "calibration cancelled; nothing recorded"
        )
    out.print(
        f"{name}: alert threshold {cal.threshold:.4f} (FPIR {cal.fpir:.4f} on "
        f"{cal.nonmated_searches} non-mated searches, FNIR {cal.fnir:.4f})",
        markup=False,
    )


@watchlist.command("index")
@click.pass_context
def index(ctx: click.Context) -> None:
    """Build the agency server's search index over every watchlist's references (admin/analyst;
    an agency server only: a local vault is searched on this workstation)."""
    from matching.servervectors import IndexJob

    with signed_in(ctx) as session:
        job = IndexJob(session)
        report = run_cancellable(
            job, "building the server's search index", "index build cancelled; no index left"
        )
    written = f"; {report.written:,} written now" if report.written else ""
    if report.blinded:
        written += f"; {report.blinded:,} vector id(s) indexed for look-up"
    if report.removed:
        written += f"; {report.removed:,} vector(s) no reference names removed"
    out.print(
        f"search index of {report.rows:,} reference vector(s){written} "
        f"({report.index_bytes / 2**20:.1f} MiB)",
        markup=False,
    )


def register(group: click.Group) -> None:
    group.add_command(watchlist)
