"""custos search | review list | review decide | eval"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from cli.common import emit_json, out, run_cancellable, safe, signed_in


@click.command()
@click.option("--case", "case_ref", help="Search every face of this case.")
@click.option("--photo", type=click.Path(dir_okay=False, path_type=Path), help="A probe photo.")
@click.option("--watchlist", "watchlists", multiple=True, required=True)
@click.option(
    "--mode",
    type=click.Choice(["investigative", "alert"]),
    default="investigative",
    show_default=True,
)
@click.option("--top", type=int, default=10, show_default=True, help="Candidates per face.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(
    ctx: click.Context,
    case_ref: str | None,
    photo: Path | None,
    watchlists: tuple[str, ...],
    mode: str,
    top: int,
    as_json: bool,
) -> None:
    """1:N search against watchlists. Candidates are leads for review, not identifications."""
    from matching.searching import SearchJob

    with signed_in(ctx) as session:
        job = SearchJob(session, list(watchlists), case_ref, photo, mode, top)
        outcome = run_cancellable(
            job, "searching", "search cancelled; runs finished before are kept whole"
        )
    if as_json:
        emit_json(
            {
                "runs": outcome.run_ids,
                "probes": outcome.probes,
                "candidates": [asdict(c) for c in outcome.candidates],
                "already_pending": outcome.already_pending,
            }
        )
        return
    for c in outcome.candidates:
        out.print(
            f"candidate {c.id}\tface {c.face if c.face is not None else '-'}\t#{c.rank} "
            f"{safe(c.subject)} ({safe(c.watchlist)})\tdistance {c.distance:.4f}"
            f"\tthreshold {c.threshold:.4f}"
            f"\t{c.label}\tPENDING REVIEW{' (already queued)' if c.already_pending else ''}",
            markup=False,
        )
    pending = (
        f", {outcome.already_pending} already pending review (not queued again)"
        if outcome.already_pending
        else ""
    )
    out.print(
        f"{outcome.probes} probe face(s), {len(outcome.queued)} candidate(s) to review" + pending,
        markup=False,
    )


@click.group()
def review() -> None:
    """Review candidates: nothing is an identification until an analyst confirms it."""


@review.command("list")
@click.option("--case", "case_ref", required=True)
@click.option("--status", help="pending, confirmed, rejected, inconclusive, ...")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def review_list(ctx: click.Context, case_ref: str, status: str | None, as_json: bool) -> None:
    """Candidates of a case's searches with their review status."""
    from matching.review import list_review

    with signed_in(ctx) as session:
        found = list_review(session, case_ref, status)
    if as_json:
        emit_json([asdict(r) for r in found])
        return
    for r in found:
        out.print(
            f"candidate {r.candidate}\tface {r.face}\titem {r.item}\t{safe(r.subject)} "
            f"({safe(r.watchlist)})"
            f"\tdistance {r.distance:.4f}\t{r.status.upper()}",
            markup=False,
        )


# The three outcomes of a review are one option group: at most one may be given.
OUTCOMES = {"confirm": "confirmed", "reject": "rejected", "inconclusive": "inconclusive"}


def one_outcome(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --confirm / --reject / --inconclusive as one group and pass ``decision`` (or None);
    two different outcomes are a user error (exit 2), never "the last one wins"."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from vault.errors import UserError

        given = [flag for flag in OUTCOMES if kwargs.pop(flag)]
        if len(given) > 1:
            shown = " and ".join(f"--{flag}" for flag in given)
            raise UserError(f"review decide: {shown} contradict each other; give one outcome")
        return command(*args, decision=OUTCOMES[given[0]] if given else None, **kwargs)

    for flag, outcome in reversed(OUTCOMES.items()):
        wrapper = click.option(f"--{flag}", flag, is_flag=True, help=f"Outcome: {outcome}.")(
            wrapper
        )
    return wrapper


@review.command("decide")
@click.argument("candidate", type=int)
@one_outcome
@click.option("--reason", required=True)
@click.pass_context
def decide(ctx: click.Context, candidate: int, decision: str | None, reason: str) -> None:
    """Record a decision with its reason (audited, and a custody event on the item)."""
    from matching.review import decide as core_decide
    from vault.errors import UserError

    if decision is None:
        raise UserError("give one of --confirm, --reject or --inconclusive")
    with signed_in(ctx) as session:
        status = core_decide(session, candidate, decision, reason)
    out.print(f"candidate {candidate}: {status}", markup=False)


@click.command(name="eval")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def eval_cmd(folder: Path, as_json: bool) -> None:
    """Measure 1:1 and 1:N accuracy on a labelled folder (identities.csv, pairs.csv)."""
    from matching.measure import EvaluateJob

    report = run_cancellable(EvaluateJob(folder), "measuring", "evaluation cancelled")
    result = report.summary()
    if as_json:
        emit_json(result)
        return
    o, m = result["one_to_one"], result["one_to_many"]
    lines = [
        f"images                     {result['images']}",
        f"faces not found            {result['faces_not_found']}",
        f"images per second          {result['images_per_second']}",
        f"1:1 accuracy               {o['accuracy']}",
        f"1:1 best threshold         {o['best_threshold']}",
        f"1:1 TAR at FAR 1%          {o['tar_at_far_1pct']}",
        f"1:1 TAR at FAR 0.1%        {o['tar_at_far_0_1pct']}",
        f"1:1 EER                    {o['eer']}",
        f"1:N rank-1                 {m['rank1']}",
        f"1:N FNIR at FPIR 1%        {m['fnir_at_fpir_1pct']}",
        f"distractor false alerts    {m['distractor_false_alerts']}",
    ]
    out.print("\n".join(lines), markup=False)


def register(group: click.Group) -> None:
    group.add_command(search)
    group.add_command(review)
    group.add_command(eval_cmd)
