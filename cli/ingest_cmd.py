"""custos ingest"""

from __future__ import annotations

import gc
from pathlib import Path

import click

from cli.common import ctrl_c_cancels, out, run_job, signed_in
from cli.startup import startup
from vault.errors import BatchIncomplete, Cancelled
from vault.ingest import CustodyForm, IngestJob
from vault.jobs import CancelToken


@click.command()
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--exhibit", help="Exhibit number.")
@click.option("--seized-from", help="Person or organisation the evidence was seized from.")
@click.option("--seized-at", help="Place of seizure.")
@click.option(
    "--seized-on",
    help="Time of seizure (ISO 8601: 2026-03-01 or 2026-03-01T14:30); not later than now.",
)
@click.option("--seized-by", help="Officer who seized it.")
@click.option("--description")
@click.option(
    "--again",
    is_flag=True,
    help="Store files the case already holds (same source path and SHA-256) as new items; "
    "by default they are skipped, so running an interrupted ingest again resumes it.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def ingest(
    ctx: click.Context,
    case_ref: str,
    exhibit: str | None,
    seized_from: str | None,
    seized_at: str | None,
    seized_on: str | None,
    seized_by: str | None,
    description: str | None,
    again: bool,
    paths: tuple[Path, ...],
) -> None:
    """Ingest files and folders (recursively) into a case, with their custody record."""
    form = CustodyForm(exhibit, seized_from, seized_at, seized_on, seized_by, description)
    staged = startup(ctx).take_staged()  # large files encrypted while this command started
    with signed_in(ctx) as session:
        # What start-up and the sign-in made (modules, SQLAlchemy's tables, the session: some
        # 170,000 objects) frozen out of the collector: a batch's thousands of rows start
        # collections, and each older-generation one scanned all of those again (on a server
        # ~40% of making a batch's sealed rows: PERFORMANCE.md, branch ``srvsmall4``).
        gc.freeze()
        token = CancelToken()
        job = IngestJob(session, case_ref, list(paths), form, token, again, staged)
        with ctrl_c_cancels(token):
            result = run_job(job.run, "ingesting")
    out.print(f"saved {len(result.saved)} item(s) to case {case_ref}", markup=False)
    if result.skipped:
        out.print(
            f"skipped {len(result.skipped)} file(s) already in the case (same path and SHA-256; "
            "--again stores them again)",
            markup=False,
        )
    if result.cancelled:
        raise Cancelled(f"ingest cancelled; {len(result.saved)} item(s) saved before it stopped")
    if result.failed:
        raise BatchIncomplete(f"{len(result.failed)} file(s) could not be ingested (listed above)")


def register(group: click.Group) -> None:
    group.add_command(ingest)
