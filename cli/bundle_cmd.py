"""custos bundle export | verify | import

The exchange layer is imported inside each command, not here, so that ``bundle verify`` finds
its payload already hashing (``exchange.prehash``, started by ``cli.main``) while it imports.
"""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path

import click

from cli.common import (
    ctrl_c_cancels,
    emit_json,
    encrypt_option,
    list_refused,
    out,
    problem_lines,
    run_job,
    safe,
    signed_in,
    warn,
)
from exchange.constants import PURPOSES
from exchange.errors import PolicyRefused
from vault.jobs import CancelToken


@click.group()
def bundle() -> None:
    """Signed evidence bundles for partner agencies (BagIt + CASE/UCO + Ed25519)."""


@bundle.command("export")
@click.option("--case", "case_ref", required=True)
@click.option("--to", "partner", required=True, help="Partner agency (see 'partner list').")
@click.option("--purpose", required=True, type=click.Choice(PURPOSES))
@click.option("--items", "item_ids", multiple=True, type=int, help="Item id (repeat; default all).")
@encrypt_option
@click.option("--matches", is_flag=True, help="Include face search results and review decisions.")
@click.option("--out", "target", type=click.Path(path_type=Path), help="Where to write it.")
@click.option("--dry-run", is_flag=True, help="Only show the policy's decision on each item.")
@click.pass_context
def export(
    ctx: click.Context,
    case_ref: str,
    partner: str,
    purpose: str,
    item_ids: tuple[int, ...],
    encrypt: bool,
    matches: bool,
    target: Path | None,
    dry_run: bool,
) -> None:
    """Export evidence the agreements allow as a signed bundle."""
    from exchange.export import ExportJob, preview_export
    from vault.errors import UserError

    if dry_run:
        with signed_in(ctx) as session:
            preview = preview_export(session, case_ref, partner, purpose, list(item_ids), matches)
        for v in preview.verdicts:
            state = "allowed" if v.allowed else f"REFUSED: {v.reason}"
            out.print(f"item {v.item}\tTLP:{v.label}\t{v.name}\t{state}", markup=False)
        refused = [v for v in preview.verdicts if not v.allowed]
        if refused:
            raise PolicyRefused(
                f"export to {partner} would be refused for {len(refused)} of "
                f"{len(preview.verdicts)} item(s); nothing written",
                [],  # each reason is on its item's line above
            )
        ag = preview.agreement
        assert ag is not None  # allowed: an agreement covers it
        out.print(f"allowed under agreement {ag.id} until {ag.valid_until}", markup=False)
        return
    if target is None:
        raise UserError("give --out PATH (or --dry-run to only check the policy)")
    with signed_in(ctx) as session:
        token = CancelToken()
        job = ExportJob(
            session,
            case_ref,
            partner,
            purpose,
            target,
            item_ids=list(item_ids),
            encrypt=encrypt,
            matches=matches,
            cancel=token,
        )
        try:
            with ctrl_c_cancels(token):
                res = run_job(job.run, "exporting")
        except PolicyRefused as exc:
            list_refused(exc.grouped)  # then the summary alone: each reason is printed once
            raise PolicyRefused(exc.summary, []) from None
    out.print(f"bundle {res.bundle_id} written to {res.path}", markup=False)
    out.print(f"{res.items} item(s), highest label TLP:{res.label}", markup=False)
    out.print(f"bundle hash (sha256 of tagmanifest): {res.sha256}", markup=False)


@bundle.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Check a bundle's signature, hashes and paths without importing it."""
    from cli.startup import startup

    # The payload may already be hashing in a child process (started by ``cli.main`` before the
    # imports and the unlock); its digests are used only for files still unchanged.
    with startup(ctx).take_prehash(path) or contextlib.nullcontext() as ahead:
        # Imports make many objects and no garbage: no collection while they run, and frozen
        # after, so that no later collection (the interpreter's exit runs several) scans them.
        gc.disable()
        try:
            from exchange.bundles import verify_bundle
            from exchange.errors import BundleRejected
        finally:
            gc.freeze()
            gc.enable()

        digest = ahead.digest if ahead is not None else None
        with signed_in(ctx) as session:
            report = run_job(lambda emit: verify_bundle(session, path, emit, digest), "verifying")
    if as_json:
        emit_json(report.as_dict())
    elif report.ok:
        out.print(
            f"bundle {safe(report.bundle_id)} from {safe(report.sender)} is intact: "
            f"{report.files} files, "
            f"{report.bytes} bytes, key {report.fingerprint} ({report.key_status})",
            markup=False,
        )
    if not as_json:
        for warning in report.warnings:
            warn(warning)
    if not report.ok:
        if not as_json and len(report.problems) > 1:  # one is in full on the error line
            problem_lines(report.problems)
        raise BundleRejected(path.name, report.problems)


@bundle.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--case", "case_ref", required=True)
@click.pass_context
def import_(ctx: click.Context, path: Path, case_ref: str) -> None:
    """Verify a bundle completely, then store all its items in one step (or none)."""
    from exchange.bundles import ImportJob
    from exchange.errors import BundleRejected

    with signed_in(ctx) as session:
        token = CancelToken()
        job = ImportJob(session, path, case_ref, token)
        try:
            with ctrl_c_cancels(token):
                res = run_job(job.run, "importing")
        except BundleRejected as exc:
            if len(exc.problems) > 1:  # one problem is in full on the error line already
                problem_lines(exc.problems)
            raise
    out.print(
        f"bundle {safe(res.bundle_id)} from {safe(res.sender)}: {len(res.items)} item(s) "
        f"imported into case {safe(case_ref)}",
        markup=False,
    )
    for warning in res.warnings:
        warn(warning)


def register(group: click.Group) -> None:
    group.add_command(bundle)
