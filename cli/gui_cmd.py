"""custos gui: open the desktop workstation (the GUI is loaded only by this command)."""

from __future__ import annotations

import importlib

import click

from cli.common import server_url, target


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
    obj = ctx.find_root().obj or {}
    folder = vault or obj.get("vault")
    server = None
    if not vault and server_url(obj):
        server = target(ctx)  # the URL checked, the server's credentials asked for here
    # Qt is imported by desktop/ only, and only here: the rest of the CLI never loads it.
    app = importlib.import_module("desktop.app")
    code = app.main(["--vault", folder] if folder and server is None else [], server=server)
    ctx.exit(code)


def register(group: click.Group) -> None:
    group.add_command(gui)
