"""custos hashset import | list | show | disable | enable | delete | match | alerts | ack"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import emit_json, out, run_cancellable, safe, signed_in
from matching.hashparse import FORMATS
from matching.hashsets import KINDS


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
    from matching.hashsets import show_set

    with signed_in(ctx) as session:
        info = show_set(session, name)
    values = info.as_dict()
    if as_json:
        emit_json(values)
        return
    values["counts"] = ", ".join(f"{a}={n}" for a, n in sorted(info.counts.items()))
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


def register(group: click.Group) -> None:
    group.add_command(hashset)
