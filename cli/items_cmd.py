"""custos items list | show | export | annotate | correct, and custos custody"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.common import emit_json, out, safe, signed_in
from vault import items as core


@click.group()
def items() -> None:
    """Evidence items of a case."""


@items.command("list")
@click.option("--case", "case_ref", required=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--hits", is_flag=True, help="With each item's hash-set hits (known-bad first).")
@click.pass_context
def list_(ctx: click.Context, case_ref: str, as_json: bool, hits: bool) -> None:
    """List a case's items with size, SHA-256 and exhibit."""
    found_hits: dict[int, list[Any]] = {}
    with signed_in(ctx) as session:
        found = core.list_items(session, case_ref)
        if hits:
            from matching.hashhits import case_hits

            found_hits = case_hits(session, case_ref)
    if as_json:
        rows = [i.as_dict() for i in found]
        if hits:
            for row in rows:
                row["hits"] = [h.brief() for h in found_hits.get(row["id"], [])]
        emit_json(rows)
        return
    for i in found:
        line = f"{i.id}\t{i.size}\t{i.sha256}\t{safe(i.exhibit or '-')}\t{safe(i.name)}"
        if hits:
            line += "\t" + (", ".join(_hit(h) for h in found_hits.get(i.id, [])) or "-")
        out.print(line, markup=False)
    if hits and found and all(i.md5 is None for i in found):
        out.print(
            f"case {safe(case_ref)} keeps SHA-256 only (made with --no-hash-sets): "
            "looked up by SHA-256",
            markup=False,
        )


def _hit(h: Any) -> str:
    category = "" if h.category is None else f" category {h.category}"
    return f"{h.kind} {safe(h.set)}{category} ({h.algorithm})"


@items.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, item_id: int, as_json: bool) -> None:
    """Show an item's record and hashes."""
    with signed_in(ctx) as session:
        info = core.get_item(session, item_id)
    if as_json:
        emit_json(info.as_dict())
        return
    width = max(len(k) for k in info.as_dict())
    out.print(
        "\n".join(
            f"{k.ljust(width)}  {safe(v) if v is not None else '-'}"
            for k, v in info.as_dict().items()
        ),
        markup=False,
    )


@items.command("export")
@click.argument("item_id", type=int)
@click.option("--to", "target", required=True, type=click.Path(path_type=Path))
@click.pass_context
def export(ctx: click.Context, item_id: int, target: Path) -> None:
    """Write a checked copy of the original bytes (recorded in the item's custody)."""
    with signed_in(ctx) as session:
        written = core.export_copy(session, item_id, target)
    out.print(f"item {item_id} written to {safe(written)}", markup=False)


@items.command("annotate")
@click.argument("item_id", type=int)
@click.option("--note", required=True)
@click.pass_context
def annotate(ctx: click.Context, item_id: int, note: str) -> None:
    """Add a note to an item's custody record."""
    with signed_in(ctx) as session:
        ev = core.annotate(session, item_id, note)
    out.print(f"custody event {ev.id} added to item {item_id}", markup=False)


@items.command("correct")
@click.argument("item_id", type=int)
@click.option("--field", required=True, type=click.Choice(core.CORRECTABLE))
@click.option("--value", required=True)
@click.option("--reason", required=True)
@click.pass_context
def correct(ctx: click.Context, item_id: int, field: str, value: str, reason: str) -> None:
    """Correct a custody field; the original stays on record, the correction is a new event."""
    with signed_in(ctx) as session:
        ev = core.correct(session, item_id, field, value, reason)
    out.print(f"correction recorded as custody event {ev.id}", markup=False)


@click.command()
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def custody(ctx: click.Context, item_id: int, as_json: bool) -> None:
    """An item's chain of custody, oldest first."""
    with signed_in(ctx) as session:
        events = core.custody(session, item_id)
    if as_json:
        emit_json([e.as_dict() for e in events])
        return
    for e in events:
        details = ", ".join(f"{k}={safe(v)}" for k, v in e.details.items())
        out.print(f"{e.at}  {e.kind:<11} {safe(e.actor)}  {details}", markup=False)


def register(group: click.Group) -> None:
    group.add_command(items)
    group.add_command(custody)
