"""What every command shares: the vault path, signing in, progress bars, Ctrl-C, output."""

from __future__ import annotations

import contextlib
import json
import os
import signal
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

from vault.errors import Cancelled
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


def ask_password(prompt: str, env: str, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True))


def sign_in(ctx: click.Context) -> Session:
    from service.opener import unlock

    user = os.environ.get("CUSTOS_USER") or click.prompt("User", err=True)
    password = ask_password("Password", "CUSTOS_PASSWORD")
    return unlock(vault_path(ctx), user, password)


@contextlib.contextmanager
def signed_in(ctx: click.Context) -> Iterator[Session]:
    session = sign_in(ctx)
    try:
        yield session
    finally:
        session.close()


def say_error(subject: str, message: str = "") -> None:
    """One red line on stderr; the text is never read as markup (file names may hold [ ])."""
    text = f"{subject}: {message}" if message else subject
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


def run_cancellable(job: Any, title: str, stopped: str, unit: str = "items") -> Any:
    """Run a core job (``job.run``, ``job.cancel``) with a progress bar; Ctrl-C sets its token
    and the job's ``Cancelled`` becomes one line, ``stopped`` (exit 130)."""
    with ctrl_c_cancels(job.cancel):
        try:
            return run_job(job.run, title, unit)
        except Cancelled:
            raise Cancelled(stopped) from None
