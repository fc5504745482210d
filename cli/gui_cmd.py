"""custos gui: open the desktop workstation (the GUI is loaded only by this command)."""

from __future__ import annotations

import importlib

import click


@click.command("gui")
@click.option(
    "--vault",
    "vault",
    type=click.Path(file_okay=False),
    help="Vault folder (default: CUSTOS_VAULT, else the user's data folder).",
)
@click.pass_context
def gui(ctx: click.Context, vault: str | None) -> None:
    """Open the desktop workstation (first start creates the vault)."""
    root = (ctx.find_root().obj or {}).get("vault")
    folder = vault or root
    # Qt is imported by desktop/ only, and only here: the rest of the CLI never loads it.
    app = importlib.import_module("desktop.app")
    code = app.main(["--vault", folder] if folder else [])
    ctx.exit(code)


def register(group: click.Group) -> None:
    group.add_command(gui)
