"""custos keys rotate-signing"""

from __future__ import annotations

import click

from cli.common import out, signed_in


@click.group()
def keys() -> None:
    """Workstation keys (admin)."""


@keys.command("rotate-signing")
@click.pass_context
def rotate_signing(ctx: click.Context) -> None:
    """Replace the workstation's signing key; old audit entries keep verifying."""
    from vault.rotation import rotate_signing_key

    with signed_in(ctx) as session:
        new_public = rotate_signing_key(session)
    out.print(f"new workstation key {new_public}", markup=False)
    out.print("send partners a new key card: custos agency card --out FILE", markup=False)


def register(group: click.Group) -> None:
    group.add_command(keys)
