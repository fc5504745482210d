"""What every command shares: the vault path, signing in, progress bars, Ctrl-C, output."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import time
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
from vault.printable import safe

if TYPE_CHECKING:
    from vault.backend import Server
    from vault.server.address import Credentials
    from vault.session import Session

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")


# One ``--encrypt`` for every outgoing bundle (evidence, watchlist, hash set).
encrypt_option = click.option(
    "--encrypt",
    is_flag=True,
    help="Write one file, OUT.tar.age, encrypted to the partner's recipient (no clear copy).",
)


# The listing of a watchlist subject, the same options wherever a subject is listed
# (``watchlist enrol``, ``cluster name``); the command gets one ``listing``.
_LISTING_OPTIONS = (
    click.option("--reason", required=True, help="Reason for the listing."),
    click.option("--agency", required=True, help="Issuing agency."),
    click.option("--label", default="TLP:AMBER", show_default=True, help="TLP 2.0 label."),
    click.option("--review-on", required=True, help="Review date (YYYY-MM-DD)."),
    click.option("--expires-on", help="Expiry date (YYYY-MM-DD); expired listings stop matching."),
)


def listing_options(command: Callable[..., T]) -> Callable[..., T]:
    """Add the listing options to ``command``, which receives them as ``listing`` (a
    ``matching.watchlists.Listing``, imported only when the command runs)."""

    @functools.wraps(command)
    def with_listing(
        *args: Any,
        reason: str,
        agency: str,
        label: str,
        review_on: str,
        expires_on: str | None,
        **kwargs: Any,
    ) -> T:
        from matching.watchlists import Listing

        listing = Listing(reason, agency, label, review_on, expires_on)
        return command(*args, listing=listing, **kwargs)

    decorated: Callable[..., T] = with_listing
    for option in reversed(_LISTING_OPTIONS):
        decorated = option(decorated)
    return decorated


def default_vault() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("custos", appauthor=False)) / "vault"


def vault_path(ctx: click.Context) -> Path:
    return vault_of(ctx.find_root().obj or {})


def vault_of(obj: dict[str, Any]) -> Path:
    """The vault folder of a run, from click's context object (``--vault``), else the
    environment, else the default."""
    given = obj.get("vault") or os.environ.get("CUSTOS_VAULT")
    return Path(given).expanduser() if given else default_vault()


def server_url(obj: dict[str, Any]) -> str | None:
    """The agency server a run names (``--server``, else CUSTOS_SERVER), or None."""
    return obj.get("server") or os.environ.get("CUSTOS_SERVER") or None


def server_credentials(user: str) -> Credentials:
    """The server's credentials for this run: PGPASSWORD, AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, else prompts; never stored."""
    from vault.server import address as addr

    return addr.Credentials(
        ask_password(f"PostgreSQL password for {user}", addr.ENV_PASSWORD),
        ask_password("S3 access key", addr.ENV_ACCESS_KEY),
        ask_password("S3 secret key", addr.ENV_SECRET_KEY),
    )


def target(ctx: click.Context) -> Path | Server:
    """Where the run's vault is: its folder (``--vault``), or the agency server (``--server``),
    the URL checked and the credentials asked for once per run."""
    obj = ctx.find_root().obj or {}
    url = server_url(obj)
    if not url:
        return vault_of(obj)
    if "target" not in obj:
        from vault.backend import Server
        from vault.server.address import parse

        where = parse(url)  # a bad URL: one line, before asking anything
        obj["target"] = Server(url, server_credentials(where.user))
    server: Server = obj["target"]
    return server


def target_label(where: Path | Server) -> str:
    """A vault's place as output names it (a server by its URL, which holds no secret)."""
    return str(where) if isinstance(where, Path) else f"the agency server {where.url}"


def _can_prompt(what: str, env: str) -> None:
    """Refuse with one line (exit 2) where no one can answer a prompt (cron, CI, a pipe)."""
    if not sys.stdin.isatty():
        from vault.errors import UserError

        raise UserError(f"no terminal to ask for {what}: set {env}")


def ask_password(prompt: str, env: str, confirm: bool = False, *fallback: str) -> str:
    """The password from ``env`` (else from the first of ``fallback`` set), else a prompt.

    ``cli.main`` took the variables out of the environment at start (``StartUp.secrets``); run
    without it, a variable is popped from the environment here. Either way no child process
    started afterwards inherits it."""
    from cli.startup import startup

    ctx = click.get_current_context(silent=True)
    given = startup(ctx) if ctx is not None else None
    values = []
    for name in (env, *fallback):  # all taken, the one used and the ones not
        value = given.take_secret(name) if given is not None else None
        values.append(os.environ.pop(name, None) if value is None else value)
    value = next((v for v in values if v is not None), None)
    if value is not None:
        return value
    _can_prompt("a password", env)
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True))


def sign_in(ctx: click.Context, where: Path | Server | None = None) -> Session:
    """The run's user signed in to the run's vault (or to ``where``: ``server push`` signs in
    to the local vault it moves)."""
    from service.opener import unlock
    from vault.session import check_vault

    where = target(ctx) if where is None else where
    check_vault(where)  # no vault there: say so before asking anything
    user = os.environ.get("CUSTOS_USER")
    if not user:
        _can_prompt("the user name", "CUSTOS_USER")
        user = click.prompt("User", err=True)
    password = ask_password("Password", "CUSTOS_PASSWORD")
    from cli.startup import startup

    session = unlock(where, user, password, startup(ctx).take_derivation())
    for warning in session.warnings:
        warn(warning)
    return session


@contextlib.contextmanager
def signed_in(ctx: click.Context) -> Iterator[Session]:
    session = sign_in(ctx)
    said = len(session.warnings)
    try:
        yield session
    finally:
        for warning in session.warnings[said:]:  # met on the way (a pack read unbounded)
            warn(warning)
        session.close()


def say_error(subject: str, message: str = "") -> None:
    """One red line on stderr; the text is never read as markup (file names may hold [ ]),
    and control characters in it are shown escaped (``safe``)."""
    text = safe(f"{subject}: {message}" if message else subject)
    err.print("[red]error[/]: ", end="")
    err.print(safe(text), markup=False)


def warn(message: str) -> None:
    """A warning the core gave (not a refusal: the work was done), one line on stderr."""
    err.print(f"warning: {safe(message)}", markup=False)


def list_refused(grouped: list[tuple[str, list[str]]]) -> None:
    """What a policy refused, on stderr: each item (or subject) once, its reasons indented
    under it, each once (``PolicyRefused.grouped``)."""
    for subject, reasons in grouped:
        err.print(f"  - {safe(subject)}" + (":" if reasons else ""), markup=False)
        for reason in reasons:
            err.print(f"      {safe(reason)}", markup=False)


def problem_lines(problems: list[str]) -> None:
    """Each finding of a refused bundle on its own line, escaped (after the one error line)."""
    for line in problems:
        err.print(f"  - {safe(line)}", markup=False)


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
        shown = [0.0]  # when the bar was last updated

        def emit(event: Event) -> None:
            if isinstance(event, ProgressEvent):
                # The bar redraws ten times a second: an ingest of small files reports
                # thousands of files a second, each update costing more than the file's record.
                if quiet:
                    return
                at = time.monotonic()
                if at - shown[0] >= 0.05 or (event.total and event.done >= event.total):
                    shown[0] = at
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
