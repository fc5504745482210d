"""What every command shares: the vault path, signing in, progress bars, Ctrl-C, output."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from vault.jobs import CancelToken, Event, Finished
from vault.jobs import Progress as ProgressEvent

if TYPE_CHECKING:
    from vault.session import Session

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")


def default_vault() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("custos", appauthor=False)) / "vault"


def vault_path(ctx: click.Context) -> Path:
    obj = ctx.find_root().obj or {}
    given = obj.get("vault") or os.environ.get("CUSTOS_VAULT")
    return Path(given).expanduser() if given else default_vault()


def _can_prompt(what: str, env: str) -> None:
    """Refuse with one line (exit 2) where no one can answer a prompt (cron, CI, a pipe)."""
    if not sys.stdin.isatty():
        from vault.errors import UserError

        raise UserError(f"no terminal to ask for {what}: set {env}")


def ask_password(prompt: str, env: str, confirm: bool = False, *fallback: str) -> str:
    """The password from ``env`` (else from the first of ``fallback`` set), else a prompt."""
    for name in (env, *fallback):
        value = os.environ.get(name)
        if value is not None:
            return value
    _can_prompt("a password", env)
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True))


def sign_in(ctx: click.Context) -> Session:
    from service.opener import unlock
    from vault.session import check_vault

    folder = vault_path(ctx)
    check_vault(folder)  # no vault there: say so before asking anything
    user = os.environ.get("CUSTOS_USER")
    if not user:
        _can_prompt("the user name", "CUSTOS_USER")
        user = click.prompt("User", err=True)
    password = ask_password("Password", "CUSTOS_PASSWORD")
    from cli.startup import startup

    return unlock(folder, user, password, startup(ctx).take_derivation())


@contextlib.contextmanager
def signed_in(ctx: click.Context) -> Iterator[Session]:
    session = sign_in(ctx)
    try:
        yield session
    finally:
        session.close()


# Characters that reorder what follows them on screen (a name could hide its real extension).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(value: object) -> str:
    """An outside string made safe to print: a seized file name, a title or a note from a bundle.

    Control characters (ESC, BEL, CR...), line and paragraph separators and bidirectional
    overrides are shown as visible escapes (``\\x1b``, ``\\u202e``), so a name cannot move the
    cursor, recolour or clear the terminal, or fake a line of output. Everything else (any
    script, spaces) is unchanged.
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(_escaped(c) for c in text)


def _escaped(c: str) -> str:
    if c not in _BIDI and unicodedata.category(c) not in ("Cc", "Cs", "Zl", "Zp"):
        return c
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def say_error(subject: str, message: str = "") -> None:
    """One red line on stderr; the text is never read as markup (file names may hold [ ]),
    and control characters in it are shown escaped (``shown``)."""
    text = shown(f"{subject}: {message}" if message else subject)
    err.print("[red]error[/]: ", end="")
    err.print(text, markup=False)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@contextlib.contextmanager
def ctrl_c_cancels(token: CancelToken) -> Iterator[None]:
    """First Ctrl-C asks the job to stop cleanly; a second one interrupts at once."""

    def handler(signum: int, frame: object) -> None:
        token.cancel()
        err.print("[yellow]cancelling: the file in flight is dropped, finished work is kept[/]")
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_job(run: Callable[[Callable[[Event], None]], T], title: str, unit: str = "bytes") -> T:
    """Run a core job with a rich progress bar; failures per entry print as one line each."""
    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    if unit == "bytes":
        columns += [DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()]
    else:
        columns += [MofNCompleteColumn(), TimeRemainingColumn()]
    quiet = not err.is_terminal
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task(title, total=None)

        def emit(event: Event) -> None:
            if isinstance(event, ProgressEvent):
                bar.update(task, completed=event.done, total=event.total or None)
            elif isinstance(event, Finished) and not event.ok:
                say_error(event.subject, event.message)

        return run(emit)
