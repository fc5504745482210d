"""custos server up | down | status | env | check | push"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from cli.common import emit_json, err, out, problem_lines, server_credentials
from vault.errors import BatchIncomplete, IntegrityFault, UserError
from vault.server import address as addr
from vault.server import trial
from vault.server.check import check as check_server

FOLDER = click.argument("folder", type=click.Path(path_type=Path))


@click.group()
def server() -> None:
    """The agency server: a trial one on this machine (up, down, status), or check one."""


def _say(line: str) -> None:
    err.print(line, markup=False)


def _connection_text(folder: Path, connection: trial.Connection) -> None:
    v = connection.versions
    url = connection.address.url()
    out.print(
        f"PostgreSQL {v.get('postgresql', '?')} with pgvector {v.get('pgvector', '?')} (TLS by "
        f"pgbouncer {v.get('pgbouncer', '?')}), SeaweedFS {v.get('seaweedfs', '?')} S3",
        markup=False,
    )
    out.print(
        f"CA certificate: {connection.address.ca_file} (SHA-256 {connection.ca_fingerprint})",
        markup=False,
    )
    out.print(f"--server {shlex.quote(url)}", markup=False)
    env_command = f"custos server env {shlex.quote(str(folder))}"
    out.print(
        f"credentials: {addr.ENV_PASSWORD}, {addr.ENV_ACCESS_KEY}, {addr.ENV_SECRET_KEY} "
        f'(else you are asked); on this machine: eval "$({env_command})"',
        markup=False,
    )


@server.command("up")
@FOLDER
@click.option(
    "--port-base",
    type=int,
    help=f"First of the {len(trial.PORT_NAMES)} loopback ports "
    f"(default {trial.DEFAULT_PORT_BASE}).",
)
def up(folder: Path, port_base: int | None) -> None:
    """Start a trial server in FOLDER (created on first use): PostgreSQL with pgvector and an
    S3 store, on 127.0.0.1 only; prints the --server value to use."""
    connection, already = trial.up(folder, port_base, say=_say)
    state = "already running" if already else "running"
    out.print(f"trial server {state} in {os.path.abspath(folder)}", markup=False)
    _connection_text(folder, connection)


@server.command("down")
@FOLDER
def down(folder: Path) -> None:
    """Stop the trial server in FOLDER (nothing to do if it is stopped)."""
    stopped = trial.down(folder)
    if stopped:
        out.print(f"stopped {', '.join(stopped)} in {os.path.abspath(folder)}", markup=False)
    else:
        out.print(f"trial server in {os.path.abspath(folder)} was not running", markup=False)


@server.command("status")
@FOLDER
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def status(folder: Path, as_json: bool) -> None:
    """Whether the trial server in FOLDER runs, and how to connect to it."""
    st = trial.status(folder)
    parts = {"PostgreSQL": st.postgresql, "pgbouncer": st.pgbouncer, "SeaweedFS": st.s3}
    if as_json:
        emit_json(
            {
                "folder": str(st.folder),
                "running": {k: v for k, v in parts.items()},
                "server": st.connection.address.url(),
                "ca_fingerprint": st.connection.ca_fingerprint,
                "versions": st.connection.versions,
            }
        )
        return
    said = ", ".join(f"{k} {'running' if v else 'stopped'}" for k, v in parts.items())
    out.print(f"trial server in {st.folder}: {said}", markup=False)
    _connection_text(folder, st.connection)


@server.command("env")
@FOLDER
def env(folder: Path) -> None:
    """Print export lines for the trial server's address and credentials (for eval, on the
    server's machine; the workstation keeps none of it)."""
    connection = trial.status(folder).connection
    values = {
        addr.ENV_URL: connection.address.url(),
        addr.ENV_PASSWORD: connection.credentials.password,
        addr.ENV_ACCESS_KEY: connection.credentials.access_key,
        addr.ENV_SECRET_KEY: connection.credentials.secret_key,
    }
    for name, value in values.items():
        click.echo(f"export {name}={shlex.quote(value)}")


@server.command("check")
@click.option(
    "--server",
    "url",
    help=f"The server's URL (default: --server before the command, else {addr.ENV_URL}).",
)
@click.pass_context
def check(ctx: click.Context, url: str | None) -> None:
    """Connect to the agency server (TLS, verified) and its S3 store; one line per problem."""
    from cli.common import server_url

    url = url or server_url(ctx.find_root().obj or {})
    if not url:
        raise UserError(f"no server given: use --server URL or set {addr.ENV_URL}")
    where = addr.parse(url)
    report = check_server(where, server_credentials(where.user))
    for line in report.found:
        out.print(line, markup=False)
    if not report.ok:
        problem_lines(report.problems)
        raise BatchIncomplete(f"server check: {len(report.problems)} problem(s)")


@server.command("push")
@click.option(
    "--vault",
    "folder",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The local vault to move into the server.",
)
@click.option(
    "--server",
    "url",
    help=f"The server's URL (default: --server before the command, else {addr.ENV_URL}).",
)
@click.pass_context
def push(ctx: click.Context, folder: Path, url: str | None) -> None:
    """Move the local vault at --vault (verified first, never changed) into an EMPTY agency
    server with its custody and audit history, then verify it on the server (exit 5 on any
    problem). An admin of the local vault signs in (CUSTOS_USER, CUSTOS_PASSWORD)."""
    from cli.common import ctrl_c_cancels, run_job, sign_in, target
    from cli.vault_cmd import say_verified
    from vault.backend import Server
    from vault.jobs import CancelToken
    from vault.push import PushJob

    if url:
        ctx.find_root().ensure_object(dict)["server"] = url
    where = target(ctx)
    if not isinstance(where, Server):
        raise UserError(f"no server given: use --server URL or set {addr.ENV_URL}")
    session = sign_in(ctx, folder)
    try:
        token = CancelToken()
        with ctrl_c_cancels(token):
            report = run_job(PushJob(session, where, token).run, "pushing", unit="items")
    finally:
        session.close()
    verified = report.verify
    assert verified is not None
    counts = ", ".join(f"{n} {t}" for t, n in report.counts.items() if n)
    out.print(
        f"pushed {folder} to {report.server}: {report.rows} rows ({counts}), "
        f"{report.objects} stored objects"
        + (" (an interrupted push resumed)" if report.resumed else ""),
        markup=False,
    )
    say_verified(verified, "verified on the server:")
    if not verified.ok:
        raise IntegrityFault(
            f"{report.server}: the pushed vault has {len(verified.problems)} problem(s)"
        )


def register(group: click.Group) -> None:
    group.add_command(server)
