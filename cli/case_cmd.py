"""custos case create | list | show | overview"""

from __future__ import annotations

import click

from cli.common import emit_json, out, safe, signed_in
from vault import cases
from vault.actions import sentence


@click.group()
def case() -> None:
    """Create and list cases."""


@case.command(
    "create",
    help=f"Create a case. REFERENCE: {cases.REFERENCE_RULE}.",
)
@click.argument("reference")
@click.option("--title", required=True)
@click.option("--crime", "crimes", multiple=True, help=f"One of: {', '.join(cases.CRIME_AREAS)}")
@click.option("--operation", help="Joint operation name.")
@click.option("--partner", "partners", multiple=True, help="Partner agency in the operation.")
@click.option(
    "--hash-sets/--no-hash-sets",
    default=True,
    show_default=True,
    help="Also compute SHA-1 and MD5 of every item, for matching against shared hash sets "
    "(SHA-256 is always computed; without them ingest is about twice as fast).",
)
@click.pass_context
def create(
    ctx: click.Context,
    reference: str,
    title: str,
    crimes: tuple[str, ...],
    operation: str | None,
    partners: tuple[str, ...],
    hash_sets: bool,
) -> None:
    with signed_in(ctx) as session:
        info = cases.create_case(
            session, reference, title, list(crimes), operation, list(partners), hash_sets
        )
    out.print(f"case {info.reference} created", markup=False)


@case.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List cases with their item counts."""
    with signed_in(ctx) as session:
        found = cases.list_cases(session)
    if as_json:
        emit_json([c.__dict__ for c in found])
        return
    for c in found:
        out.print(f"{c.reference}\t{c.items} items\t{safe(c.title)}", markup=False)


@case.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show one case."""
    with signed_in(ctx) as session:
        c = cases.get_case(session, reference)
    if as_json:
        emit_json(c.__dict__)
        return
    lines = [
        f"reference:   {c.reference}",
        f"title:       {safe(c.title)}",
        f"crime areas: {', '.join(c.crime_areas) or '-'}",
        f"operation:   {safe(c.operation or '-')}",
        f"partners:    {safe(', '.join(c.partners) or '-')}",
        f"items:       {c.items}",
        f"hashes:      SHA-256{', SHA-1, MD5 (hash sets)' if c.hash_sets else ' only'}",
        f"created:     {c.created_at} by {c.created_by}",
    ]
    out.print("\n".join(lines), markup=False)


@case.command("overview")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def overview(ctx: click.Context, reference: str, as_json: bool) -> None:
    """A case at a glance: items by kind, faces, review, alerts, partners, what changed."""
    from exchange.overview import case_overview

    with signed_in(ctx) as session:
        o = case_overview(session, reference)
    if as_json:
        emit_json(o.as_json())
        return
    kinds = ", ".join(f"{n} {k}" for k, n in o.kinds.items())
    hits = ", ".join(f"{n} {k}" for k, n in o.known_file_hits.items()) or "none"
    agreements = [
        f"  {safe(a.partner)}: {a.purpose}"
        + (f" ({safe(a.reference)})" if a.reference else "")
        + f" until {a.valid_until}{'' if a.current else ' (not in force)'}"
        for a in o.agreements
    ]
    verified = (
        f"{o.last_verified} ({o.verify_problems or 0} problems)" if o.last_verified else "never"
    )
    if o.last_viewed is None:
        changed = "first time you look at this case"
    else:
        what = "; ".join(f"{sentence(a)}: {n}" for a, n in o.changes.items())
        changed = f"{o.changed} audit entries since {o.last_viewed}" + (f": {what}" if what else "")
    lines = [
        f"case:           {o.reference}  {safe(o.title)}",
        f"items:          {o.items} ({kinds}), {o.size} bytes",
        f"faces:          {o.faces} found in {o.analysed} analysed items",
        f"review:         {o.waiting_review} candidates waiting",
        f"alerts:         {o.alerts} known-bad hits not acknowledged",
        f"known files:    {hits}",
        f"partners:       {safe(', '.join(o.partners) or '-')}",
        f"agreements:     {len(o.agreements)}",
        *agreements,
        f"last verified:  {verified}",
        f"changed:        {changed}",
    ]
    out.print("\n".join(lines), markup=False)


def register(group: click.Group) -> None:
    group.add_command(case)
