"""The ``custos`` command: one group, one file per command group, one error handler.

Exit codes (stable, documented in the README): 0 ok; 1 a batch finished with failures;
2 user error; 3 authentication failed; 4 permission refused; 5 integrity fault;
6 vault unavailable (missing, not a vault, newer format, in use); 130 cancelled.
"""

from __future__ import annotations

import sys

import click

from cli import (
    agency_cmd,
    audit_cmd,
    bundle_cmd,
    case_cmd,
    faces_cmd,
    gui_cmd,
    ingest_cmd,
    items_cmd,
    label_cmd,
    partner_cmd,
    search_cmd,
    user_cmd,
    vault_cmd,
    watchlist_cmd,
)
from cli.common import err, say_error
from vault.errors import CustosError

VERSION = "0.1.0"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--vault",
    "vault",
    type=click.Path(file_okay=False),
    help="Vault folder (default: CUSTOS_VAULT, else the user's data folder).",
)
@click.version_option(VERSION, prog_name="custos")
@click.pass_context
def cli(ctx: click.Context, vault: str | None) -> None:
    """Custos: encrypted evidence vault, face matching and partner exchange."""
    ctx.obj = {"vault": vault}


for module in (
    vault_cmd,
    user_cmd,
    case_cmd,
    ingest_cmd,
    items_cmd,
    audit_cmd,
    faces_cmd,
    watchlist_cmd,
    search_cmd,
    agency_cmd,
    partner_cmd,
    label_cmd,
    bundle_cmd,
    gui_cmd,
):
    module.register(cli)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except CustosError as exc:
        say_error(exc.message)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("[yellow]aborted[/]")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
