"""The ``custos`` command: one group, one file per command group, one error handler.

Exit codes (stable, documented in the README): 0 ok; 1 a batch finished with failures;
2 user error; 3 authentication failed; 4 permission refused; 5 integrity fault;
6 vault unavailable (missing, not a vault, newer format, in use); 130 cancelled.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from cli.common import err, say_error, vault_of
from cli.startup import StartUp, take_secrets
from vault.errors import CustosError, DiskFull, disk_full

VERSION = "0.1.0"

# Command name -> the modules that register it, imported on first use so that `custos gui` and
# `custos --version` do not pay for importing every layer (the GUI must start in < 1.5 s).
COMMANDS: dict[str, tuple[str, ...]] = {
    "init": ("vault_cmd",),
    "recover": ("vault_cmd",),
    "verify": ("vault_cmd",),
    "user": ("user_cmd",),
    "case": ("case_cmd",),
    "ingest": ("ingest_cmd",),
    "items": ("items_cmd", "pdq_cmd"),
    "custody": ("items_cmd",),
    "audit": ("audit_cmd",),
    "faces": ("faces_cmd",),
    "cluster": ("cluster_cmd",),
    "redact": ("redact_cmd",),
    "pdq": ("pdq_cmd",),
    "watchlist": ("watchlist_cmd", "watchlist_exchange_cmd"),
    "search": ("search_cmd",),
    "review": ("search_cmd",),
    "eval": ("search_cmd",),
    "agency": ("agency_cmd",),
    "partner": ("partner_cmd",),
    "agreement": ("partner_cmd",),
    "label": ("label_cmd",),
    "bundle": ("bundle_cmd",),
    "gui": ("gui_cmd",),
    "keys": ("keys_cmd",),
    "hashset": ("hashset_cmd",),
    "report": ("report_cmd",),
    "timeline": ("report_cmd",),
    "map": ("report_cmd",),
    "thumbs": ("thumbs_cmd",),
    "server": ("server_cmd",),
    "workstation": ("workstation_cmd",),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are first looked up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module in COMMANDS.get(cmd_name, ()):
            if module not in self._loaded:
                self._loaded.add(module)
                importlib.import_module(f"cli.{module}").register(self)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--vault",
    "vault",
    type=click.Path(file_okay=False),
    help="Vault folder (default: CUSTOS_VAULT, else the user's data folder).",
)
@click.option(
    "--server",
    "server",
    metavar="URL",
    help="Work on the agency server at URL instead of a vault folder (default: CUSTOS_SERVER; "
    "credentials from PGPASSWORD, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or prompts).",
)
@click.version_option(VERSION, prog_name="custos")
@click.pass_context
def cli(ctx: click.Context, vault: str | None, server: str | None) -> None:
    """Custos: encrypted evidence vault, face matching and partner exchange."""
    if vault and server:
        from vault.errors import UserError

        raise UserError("give either --vault or --server, not both")
    obj = ctx.ensure_object(dict)
    obj["vault"] = vault
    obj["server"] = server


def _on_server(argv: list[str]) -> bool:
    """Whether a command line works on an agency server (``--server``, or CUSTOS_SERVER)."""
    return bool(os.environ.get("CUSTOS_SERVER")) or any(
        a == "--server" or a.startswith("--server=") for a in argv
    )


def _derive_ahead(argv: list[str], startup: StartUp) -> None:
    """For scripts (user and password in the environment): start the Argon2id derivation now,
    on a thread, so it overlaps the import of the command's modules. Any problem (no vault here,
    a damaged vault.toml) is left for the command itself to report."""
    user, password = os.environ.get("CUSTOS_USER"), startup.secrets.get("CUSTOS_PASSWORD")
    if not (user and password) or not argv or argv[0] in ("init", "recover", "eval", "gui"):
        return
    try:
        user.encode("utf-8"), password.encode("utf-8")
    except UnicodeEncodeError:  # not text: the command refuses it in one line
        return
    from vault import keys

    if _on_server(argv):
        # The settings are in the server's database: started with this workstation's note of
        # them (used only if the server's vault file gives the same), else left to the unlock.
        from vault.backend import kdf_hint

        url = _server_url(argv)
        hint = kdf_hint(url) if url else None
        if hint is not None:
            startup.derivation = keys.Derivation(password, user, *hint)
        return
    from vault.config import VaultConfig

    try:
        config = VaultConfig.load(_vault_folder(argv))
    except Exception:  # reported by the command, which loads it again
        return
    startup.derivation = keys.Derivation(password, user, config.salt, config.kdf)


def _server_url(argv: list[str]) -> str | None:
    """The server a command line names (``--server``, else CUSTOS_SERVER), as ``_vault_folder``."""
    given = os.environ.get("CUSTOS_SERVER")
    for i, arg in enumerate(argv[:-1]):
        if arg == "--server":
            given = argv[i + 1]
    return next((a.split("=", 1)[1] for a in argv if a.startswith("--server=")), given)


def _vault_folder(argv: list[str]) -> Path:
    """The vault a command line names (``--vault``, else CUSTOS_VAULT, else the default)."""
    from cli.common import default_vault

    given = os.environ.get("CUSTOS_VAULT")
    for i, arg in enumerate(argv[:-1]):
        if arg == "--vault":
            given = argv[i + 1]
    given = next((a.split("=", 1)[1] for a in argv if a.startswith("--vault=")), given)
    return Path(given).expanduser() if given else default_vault()


def _command(argv: list[str]) -> str:
    """The command a command line runs (its first word that is not an option or its value)."""
    words = [
        a
        for i, a in enumerate(argv)
        if not a.startswith("-") and argv[i - 1 : i] not in (["--vault"], ["--server"])
    ]
    return words[0] if words else ""


def _stage_ahead(argv: list[str], startup: StartUp) -> None:
    """``ingest`` of large files: start encrypting them into the vault's ``tmp/`` in a child
    process now, before the imports and the unlock (``vault.stageahead``); the ingest takes
    what it made for the same files. Anything unusual (no vault there) is left to the command."""
    if _command(argv) != "ingest" or _on_server(argv):
        return
    from vault import stageahead
    from vault.config import VaultConfig

    paths = stageahead.candidates(argv[argv.index("ingest") + 1 :])
    if not paths:
        return
    try:
        folder = _vault_folder(argv)
        VaultConfig.load(folder)  # a vault of a known format (its keys are checked at unlock)
    except Exception:
        return
    import atexit

    startup.staged = stageahead.StageAhead(folder, paths)
    atexit.register(startup.staged.close)


def _hash_ahead(argv: list[str], startup: StartUp) -> None:
    """``bundle verify FOLDER``: start hashing the payload in a child process now, before the
    imports and the unlock (``exchange.prehash``); the command takes it if the path matches."""
    for i in range(len(argv) - 2):
        if argv[i : i + 2] == ["bundle", "verify"]:
            paths = [a for a in argv[i + 2 :] if not a.startswith("-")]
            if paths:
                import atexit

                from exchange.constants import MAX_BYTES, MAX_FILES
                from exchange.prehash import Prehash

                startup.prehash = Prehash(Path(paths[0]), MAX_FILES, MAX_BYTES)
                atexit.register(startup.prehash.close)
            return


def main() -> None:
    startup = StartUp(secrets=take_secrets())  # before any child process is started
    _hash_ahead(sys.argv[1:], startup)  # first: it forks, and must while this is the only thread
    _stage_ahead(sys.argv[1:], startup)  # forks too
    _derive_ahead(sys.argv[1:], startup)
    obj: dict[str, Any] = {"startup": startup}
    try:
        cli.main(standalone_mode=False, obj=obj)
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
    except Exception as exc:  # a write of the command failed: one line if the disk is full
        if not disk_full(exc, vault_of(obj)):
            raise
        full = DiskFull(vault_of(obj))
        say_error(full.message)
        sys.exit(full.exit_code)


def run() -> NoReturn:
    """The ``custos`` program: ``main``, then leave without tearing the interpreter down.

    A command that imported SQLAlchemy, the models and the crypto libraries spent 0.3-0.9 s
    (measured under load) after its last line of output freeing modules one by one, time the
    user waits for nothing: everything the command wrote is closed and durable by then. The
    ``atexit`` handlers still run (children started ahead are stopped) and the standard streams
    are flushed; then ``os._exit``. ``main`` itself exits normally (tests call it in-process),
    and so does ``custos gui``.
    """
    if _command(sys.argv[1:]) == "gui":  # Qt saves its settings as it is torn down
        main()
        sys.exit(0)
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
