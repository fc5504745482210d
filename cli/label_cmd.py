"""custos label set | case | list"""

from __future__ import annotations

import click

from cli.common import emit_json, out, safe, signed_in
from exchange import labels as core
from matching.tlp import LABELS


@click.group()
def label() -> None:
    """TLP 2.0 handling labels on items and cases (default AMBER)."""


@label.command("set")
@click.argument("item_ids", nargs=-1, type=int, required=True)
@click.option("--tlp", required=True, help=f"One of {', '.join(LABELS)}.")
@click.pass_context
def set_(ctx: click.Context, item_ids: tuple[int, ...], tlp: str) -> None:
    """Label items."""
    with signed_in(ctx) as session:
        n = core.set_item_labels(session, list(item_ids), tlp)
    out.print(f"{n} item(s) labelled TLP:{tlp.upper()}", markup=False)


@label.command("case")
@click.argument("reference")
@click.option("--tlp", required=True, help=f"One of {', '.join(LABELS)}.")
@click.pass_context
def case(ctx: click.Context, reference: str, tlp: str) -> None:
    """Set a case's default label (for its items without their own)."""
    with signed_in(ctx) as session:
        core.set_case_label(session, reference, tlp)
    out.print(f"case {reference} defaults to TLP:{tlp.upper()}", markup=False)


@label.command("list")
@click.option("--case", "reference", required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Each item's effective label and where it comes from."""
    with signed_in(ctx) as session:
        rows = core.item_labels(session, reference)
    if as_json:
        emit_json(
            [
                {
                    "item": i.id,
                    "name": i.name,
                    "tlp": lb.tlp,
                    "origin": lb.origin,
                    "onward": lb.onward,
                    "inherited": lb.inherited,
                }
                for i, lb in rows
            ]
        )
        return
    for i, lb in rows:
        onward = "" if lb.onward else ", no onward sharing"
        src = f"from {safe(lb.origin)}{onward}" if lb.origin else ""
        how = "case default" if lb.inherited else src
        out.print(f"{i.id}\tTLP:{lb.tlp}\t{how}\t{safe(i.name)}", markup=False)


def register(group: click.Group) -> None:
    group.add_command(label)
