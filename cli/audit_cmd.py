"""custos audit [--json] | audit head"""

from __future__ import annotations

import click

from cli.common import emit_json, out, signed_in
from vault.actions import sentence
from vault.history import head as audit_head
from vault.history import list_audit


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--action", help="Only actions starting with this (e.g. item. or permission.).")
@click.option("--last", type=int, default=0, help="Only the last N entries.")
@click.pass_context
def audit(ctx: click.Context, as_json: bool, action: str | None, last: int) -> None:
    """The audit log (admin), oldest first."""
    if ctx.invoked_subcommand:
        return
    with signed_in(ctx) as session:
        entries = list_audit(session, action=action, limit=last)
    if as_json:
        emit_json([e.as_dict() for e in entries])
        return
    for e in entries:
        details = ", ".join(f"{k}={v}" for k, v in e.readable.items())
        out.print(
            f"#{e.seq}  {e.at}  {e.actor:<12} {sentence(e.action)} ({e.action})  {e.target}"
            + (f"  {details}" if details else "")
            + f"  [workstation {e.workstation}]",
            markup=False,
        )


@audit.command("head")
@click.pass_context
def head(ctx: click.Context) -> None:
    """Print the audit head (sequence number and hash) so an outside party can pin it."""
    with signed_in(ctx) as session:
        h = audit_head(session)
        key = session.signing_public.public_bytes_raw().hex()
    out.print(f"{h.seq} {h.hash}", markup=False)
    out.print(f"signed by workstation key {key}", markup=False)


def register(group: click.Group) -> None:
    group.add_command(audit)
