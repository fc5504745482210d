"""custos hashset import | from-case | list | show | disable | enable | delete | match | alerts |
ack | export | import-bundle"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import (
    ctrl_c_cancels,
    emit_json,
    encrypt_option,
    list_refused,
    out,
    problem_lines,
    run_cancellable,
    run_job,
    safe,
    signed_in,
    warn,
)
from exchange.directory import PURPOSES
from exchange.errors import BundleRejected, PolicyRefused
from matching.hashparse import FORMATS
from matching.hashsets import KINDS
from vault.jobs import CancelToken


@click.group()
def hashset() -> None:
    """Known-file hash sets (NSRL, Project VIC / CAID, agency lists) and their hits."""


@hashset.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", required=True, help="Name of the new set.")
@click.option("--kind", required=True, type=click.Choice(KINDS), help="What a hit means.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="Default: told from the file's content."
)
@click.option("--source", help="Agency or release it came from (NSRL: read from the file).")
@click.pass_context
def import_(
    ctx: click.Context, file: Path, name: str, kind: str, fmt: str | None, source: str | None
) -> None:
    """Import a hash-set file, all or nothing."""
    from matching.hashsets import ImportJob

    with signed_in(ctx) as session:
        job = ImportJob(session, file, name, kind, fmt, source)
        info = run_cancellable(job, "importing", "import cancelled; nothing imported")
    counts = ", ".join(f"{n:,} {a.upper()}" for a, n in sorted(info.counts.items()))
    out.print(
        f"hash set {safe(info.name)} imported ({info.kind}, {info.format}): {counts}",
        markup=False,
    )


@hashset.command("from-case")
@click.option("--case", "case_ref", required=True)
@click.option("--name", required=True, help="Name of the new set.")
@click.option("--kind", default="known-bad", show_default=True, type=click.Choice(KINDS))
@click.option(
    "--items",
    "item_ids",
    type=int,
    multiple=True,
    help="Item id (repeatable; default: items with an acknowledged known-bad hit).",
)
@click.option("--source", help="Source recorded on the set (default: 'case REF').")
@click.pass_context
def from_case(
    ctx: click.Context,
    case_ref: str,
    name: str,
    kind: str,
    item_ids: tuple[int, ...],
    source: str | None,
) -> None:
    """Make a set of a case's confirmed items (to share with 'hashset export')."""
    from matching.hsfromcase import from_case as core_from_case

    with signed_in(ctx) as session:
        info = core_from_case(session, case_ref, name, kind, list(item_ids) or None, source)
    counts = ", ".join(f"{n:,} {a.upper()}" for a, n in sorted(info.counts.items()))
    out.print(
        f"hash set {safe(info.name)} made from {safe(info.file_name)} ({info.kind}): {counts}",
        markup=False,
    )


@hashset.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--deleted", is_flag=True, help="Include deleted sets.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool, deleted: bool) -> None:
    """The vault's hash sets."""
    from matching.hashsets import list_sets

    with signed_in(ctx) as session:
        found = list_sets(session, include_deleted=deleted)
    if as_json:
        emit_json([s.as_dict() for s in found])
        return
    for s in found:
        out.print(
            f"{safe(s.name)}\t{s.kind}\t{s.state}\t{s.entries}\t{s.format}\t"
            f"{safe(s.source or '-')}",
            markup=False,
        )


@hashset.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """A set's record: kind, source, state, entries per algorithm, who imported it."""
    from exchange.hsimport import origin
    from matching.hashsets import show_set

    with signed_in(ctx) as session:
        info = show_set(session, name)
        came = origin(session, name)
    values = info.as_dict()
    if came is not None:
        values["received_from"] = came.partner
        values["origin"] = came.as_dict()
    if as_json:
        emit_json(values)
        return
    values["counts"] = ", ".join(f"{a}={n}" for a, n in sorted(info.counts.items()))
    if came is not None:
        onward = "allowed" if came.onward else "not allowed"
        values["origin"] = (
            f"bundle {came.bundle_id} from {came.partner} (their set {came.sender_name!r}), "
            f"agreement {came.agreement if came.agreement is not None else '-'}, "
            f"TLP:{came.label}, onward sharing {onward}"
        )
    width = max(len(k) for k in values)
    for k, v in values.items():
        out.print(f"{k.ljust(width)}  {safe(v) if v is not None else '-'}", markup=False)


def _change(ctx: click.Context, name: str, what: str) -> None:
    from matching import hashsets

    change = {
        "disabled": hashsets.disable_set,
        "enabled": hashsets.enable_set,
        "deleted": hashsets.delete_set,
    }[what]
    with signed_in(ctx) as session:
        info = change(session, name)
    note = "; evidence and recorded hits are kept" if what == "deleted" else ""
    out.print(f"hash set {safe(info.name)} {what}{note}", markup=False)


@hashset.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Stop matching against a set (its entries and hits stay)."""
    _change(ctx, name, "disabled")


@hashset.command("enable")
@click.argument("name")
@click.pass_context
def enable(ctx: click.Context, name: str) -> None:
    """Match against a disabled set again."""
    _change(ctx, name, "enabled")


@hashset.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Remove a set's entries (never evidence; the hits recorded against it stay)."""
    _change(ctx, name, "deleted")


@hashset.command("match")
@click.option("--case", "case_ref", required=True)
@click.pass_context
def match(ctx: click.Context, case_ref: str) -> None:
    """Re-check every item of a case against every active set."""
    from matching.hashhits import MatchJob

    with signed_in(ctx) as session:
        job = MatchJob(session, case_ref)
        r = run_cancellable(job, "matching", "matching cancelled; hits found so far are kept")
    if r.sha256_only:
        out.print(
            f"case {safe(r.case)} keeps SHA-256 only (made with --no-hash-sets): looked up by "
            "SHA-256; MD5 and SHA-1 entries cannot match it",
            markup=False,
        )
    sets = ", ".join(safe(s) for s in r.sets) or "none active"
    out.print(
        f"checked {r.items} item(s) against {len(r.sets)} set(s) ({sets}): {r.hits} new hit(s), "
        f"{r.alerts} known-bad alert(s), {r.known} hit(s) recorded before",
        markup=False,
    )


@hashset.command("alerts")
@click.option("--case", "case_ref", help="Only this case.")
@click.option("--all", "everything", is_flag=True, help="Acknowledged ones too.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def alerts(ctx: click.Context, case_ref: str | None, everything: bool, as_json: bool) -> None:
    """Known-bad hits not acknowledged yet."""
    from matching.hashhits import alerts as core_alerts

    with signed_in(ctx) as session:
        found = core_alerts(session, case_ref, acknowledged=everything)
    if as_json:
        emit_json([h.as_dict() for h in found])
        return
    for h in found:
        cat = "-" if h.category is None else str(h.category)
        seen = f"\tacknowledged by {safe(h.acknowledged['by'])}" if h.acknowledged else ""
        out.print(
            f"{h.id}\tcase {safe(h.case)}\titem {h.item}\t{safe(h.set)}\tcategory {cat}\t"
            f"{h.algorithm} {h.digest}{seen}",
            markup=False,
        )


@hashset.command("ack")
@click.argument("hit_id", type=int)
@click.option("--reason", required=True)
@click.pass_context
def ack(ctx: click.Context, hit_id: int, reason: str) -> None:
    """Acknowledge a known-bad hit (the alert), with a reason."""
    from matching.hashhits import acknowledge

    with signed_in(ctx) as session:
        hit = acknowledge(session, hit_id, reason)
    out.print(f"alert {hit.id} (item {hit.item}, {safe(hit.set)}) acknowledged", markup=False)


@hashset.command("export")
@click.argument("name")
@click.option("--to", "partner", required=True, help="Partner agency (see 'partner list').")
@click.option("--out", "target", required=True, type=click.Path(path_type=Path))
@click.option("--purpose", default="intelligence", show_default=True, type=click.Choice(PURPOSES))
@click.option("--label", help="TLP label of the set (default AMBER; a partner's set keeps theirs).")
@click.option(
    "--vics",
    "vics_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the set as VICS JSON, for a partner without Custos.",
)
@encrypt_option
@click.pass_context
def export(
    ctx: click.Context,
    name: str,
    partner: str,
    target: Path,
    purpose: str,
    label: str | None,
    vics_out: Path | None,
    encrypt: bool,
) -> None:
    """Send a hash set to a partner as a signed bundle (liaison)."""
    from exchange.hsexport import HashSetExportJob

    with signed_in(ctx) as session:
        token = CancelToken()
        job = HashSetExportJob(
            session, name, partner, target, purpose, label, vics_out, token, encrypt
        )
        try:
            with ctrl_c_cancels(token):
                res = run_job(job.run, "exporting", unit="sets")
        except PolicyRefused as exc:
            list_refused(exc.grouped)
            raise PolicyRefused(exc.summary, []) from None
    out.print(f"hash-set bundle {res.bundle_id} written to {res.path}", markup=False)
    out.print(f"hash set {safe(res.name)}: {res.entries} entries, TLP:{res.label}", markup=False)
    out.print(f"bundle hash (sha256 of tagmanifest): {res.sha256}", markup=False)
    if res.vics is not None:
        out.print(f"VICS JSON written to {res.vics}", markup=False)


@hashset.command("import-bundle")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as", "as_name", help="Name of the new set (default: '<name> (<agency>)').")
@click.pass_context
def import_bundle(ctx: click.Context, path: Path, as_name: str | None) -> None:
    """Verify a partner's hash-set bundle (folder or .tar.age) and store the set, disabled."""
    from exchange.hsimport import HashSetImportJob

    with signed_in(ctx) as session:
        token = CancelToken()
        job = HashSetImportJob(session, path, as_name, token)
        try:
            with ctrl_c_cancels(token):
                res = run_job(job.run, "importing", unit="entries")
        except BundleRejected as exc:
            if len(exc.problems) > 1:  # one problem is in full on the error line already
                problem_lines(exc.problems)
            raise
    out.print(
        f"hash set {safe(res.name)} ({res.kind}, {res.entries} entries, TLP:{res.label}) "
        f"received from {safe(res.sender)}, disabled: an analyst enables it with "
        f"'custos hashset enable'",
        markup=False,
    )
    for warning in res.warnings:
        warn(warning)


def register(group: click.Group) -> None:
    group.add_command(hashset)
