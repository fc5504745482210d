"""custos watchlist export | import  (watchlists shared with partner agencies as signed bundles)"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import (
    ctrl_c_cancels,
    encrypt_option,
    list_refused,
    out,
    problem_lines,
    run_job,
    safe,
    say_error,
    signed_in,
    warn,
)
from exchange.directory import PURPOSES
from exchange.errors import BundleRejected, PolicyRefused
from vault.errors import BatchIncomplete
from vault.jobs import CancelToken


@click.command("export")
@click.argument("name")
@click.option("--to", "partner", required=True, help="Partner agency (see 'partner list').")
@click.option("--purpose", default="intelligence", show_default=True, type=click.Choice(PURPOSES))
@click.option("--out", "target", required=True, type=click.Path(path_type=Path))
@click.option(
    "--nist",
    "nist_out",
    type=click.Path(path_type=Path),
    help="Also write the face images as an ANSI/NIST-ITL 1-2011 transaction (.eft).",
)
@encrypt_option
@click.pass_context
def export(
    ctx: click.Context,
    name: str,
    partner: str,
    purpose: str,
    target: Path,
    nist_out: Path | None,
    encrypt: bool,
) -> None:
    """Send a watchlist to a partner as a signed bundle (liaison)."""
    from exchange.wlexport import WatchlistExportJob

    with signed_in(ctx) as session:
        token = CancelToken()
        job = WatchlistExportJob(
            session, name, partner, target, purpose, nist_out, token, encrypt=encrypt
        )
        try:
            with ctrl_c_cancels(token):
                res = run_job(job.run, "exporting", unit="references")
        except PolicyRefused as exc:
            list_refused(exc.grouped)  # then the summary alone: each reason is printed once
            raise PolicyRefused(exc.summary, []) from None
    out.print(f"watchlist bundle {res.bundle_id} written to {res.path}", markup=False)
    out.print(
        f"{res.subjects} subject(s), {res.references} reference photo(s), "
        f"highest label TLP:{res.label}",
        markup=False,
    )
    out.print(f"bundle hash (sha256 of tagmanifest): {res.sha256}", markup=False)
    if res.skipped_expired:
        shown = ", ".join(map(safe, res.skipped_expired))
        out.print(f"expired listings not shared: {shown}", markup=False)
    if res.nist is not None:
        out.print(f"ANSI/NIST-ITL transaction written to {res.nist}", markup=False)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as", "as_name", help="Name of the new watchlist (default: '<name> (<agency>)').")
@click.pass_context
def import_(ctx: click.Context, path: Path, as_name: str | None) -> None:
    """Verify a watchlist bundle (folder or .tar.age) and enrol its photos here.

    Embeddings are computed locally; an encrypted bundle is opened with this agency's key.
    """
    from exchange.wlimport import WatchlistImportJob

    with signed_in(ctx) as session:
        token = CancelToken()
        job = WatchlistImportJob(session, path, as_name, token)
        try:
            with ctrl_c_cancels(token):
                res = run_job(job.run, "importing", unit="references")
        except BundleRejected as exc:
            if len(exc.problems) > 1:  # one problem is in full on the error line already
                problem_lines(exc.problems)
            raise
    for photo, why in res.refused:
        say_error(photo, why)
    out.print(
        f"watchlist {safe(res.watchlist)} from {safe(res.sender)}: {res.subjects} subject(s), "
        f"{res.references} reference(s) enrolled",
        markup=False,
    )
    for warning in res.warnings:
        warn(warning)
    if res.refused:
        raise BatchIncomplete(
            f"{len(res.refused)} photo(s) refused by the local quality rules (listed above)"
        )


def register(group: click.Group) -> None:
    wl = group.commands["watchlist"]
    assert isinstance(wl, click.Group)
    wl.add_command(export)
    wl.add_command(import_)
