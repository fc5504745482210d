"""custos agency set | card | export-identity"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import out, signed_in
from exchange import directory
from exchange.cards import grouped
from vault.errors import UserError


@click.group()
def agency() -> None:
    """Who we are, and our public key card for partners."""


@agency.command("set")
@click.option("--name", required=True, help="Agency name as partners know it.")
@click.option("--country", required=True, help="ISO 3166 two-letter country code.")
@click.option("--contact", default="", help="Contact point (desk, e-mail, phone).")
@click.pass_context
def set_(ctx: click.Context, name: str, country: str, contact: str) -> None:
    """Set our agency's name, country and contact (once per vault)."""
    with signed_in(ctx) as session:
        directory.set_agency(session, name, country, contact)
    out.print(f"agency set: {name} ({country.upper()})", markup=False)


@agency.command("card")
@click.option("--out", "target", required=True, type=click.Path(path_type=Path))
@click.pass_context
def card(ctx: click.Context, target: Path) -> None:
    """Write our signed public key card; read the fingerprints to the partner out of band."""
    if target.exists():
        raise UserError(f"{target}: already exists; not overwritten")
    with signed_in(ctx) as session:
        info = directory.save_our_card(session, target)
    out.print(f"key card written to {target}", markup=False)
    out.print(f"signing key fingerprint:   {grouped(info.fingerprint)}", markup=False)
    out.print(f"recipient fingerprint:     {grouped(info.recipient_fingerprint)}", markup=False)


@agency.command("export-identity")
@click.option("--out", "target", required=True, type=click.Path(path_type=Path))
@click.pass_context
def export_identity(ctx: click.Context, target: Path) -> None:
    """Write our agency's age identity (admin): `age -d -i FILE bundle.tar.age` then opens a
    bundle sent to us without Custos. It opens this vault's blobs too: keep it like the
    recovery identity. Never overwrites a file; each export is in the audit log."""
    from exchange.identity import export_identity as write_identity

    with signed_in(ctx) as session:
        recipient = write_identity(session, target)
    out.print(f"age identity written to {target} (public key {recipient})", markup=False)


def register(group: click.Group) -> None:
    group.add_command(agency)
