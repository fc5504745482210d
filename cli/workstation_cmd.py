"""custos workstation enrol NAME | list | revoke NAME"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import emit_json, out, signed_in
from vault import workstations


@click.group()
def workstation() -> None:
    """Workstations that write to the vault, each with a signing key of its own (admin)."""


@workstation.command("enrol")
@click.argument("name")
@click.pass_context
def enrol(ctx: click.Context, name: str) -> None:
    """Enrol this machine as workstation NAME (run it on that machine, as an admin)."""
    with signed_in(ctx) as session:
        done = workstations.enrol(session, name)
        path = workstations.key_path(session.config.vault_id)
    say_enrolled(done, path)


def say_enrolled(done: workstations.Enrolled, path: Path) -> None:
    """What an enrolment tells the admin: the key's fingerprint and place, and on a server the
    workstation's own PostgreSQL login and S3 key (their secrets shown this once)."""
    out.print(f"enrolled workstation {done.name} (key {done.fingerprint})", markup=False)
    out.print(f"its key is kept at {path} (this user's alone)", markup=False)
    login = done.login
    if login is not None:
        out.print(
            f"its PostgreSQL login: user {login.user}, password {login.password} "
            "(shown this once and kept nowhere: give it to this workstation now)",
            markup=False,
        )
    key = done.store_key
    if key is not None and not isinstance(key, str):
        out.print(
            f"its S3 key: access key {key.access_key}, secret {key.secret_key} "
            "(shown this once and kept nowhere; it may read, write and list the vault's bucket, "
            "not delete its objects)",
            markup=False,
        )
    elif key is not None:
        out.print(f"its S3 key was not made: {key}", markup=False)
    if login is not None:
        out.print("on this workstation from now on use:", markup=False)
        out.print(f"  --server {login.url}", markup=False)
        out.print("  PGPASSWORD set to that password", markup=False)
        if key is not None and not isinstance(key, str):
            out.print(
                "  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set to that S3 key", markup=False
            )


@workstation.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every workstation: name, key fingerprint, enrolled by and when, revoked."""
    with signed_in(ctx) as session:
        found = workstations.listing(session)
    if as_json:
        emit_json([w.__dict__ for w in found])
        return
    for w in found:
        state = f"revoked by {w.revoked_by} at {(w.revoked_at or '')[:19]}" if w.revoked_at else ""
        here = "*" if w.here else " "
        line = f"{here} {w.name}\t{w.fingerprint}\t{w.enrolled_by}\t{w.enrolled_at[:19]}\t{state}"
        out.print(line.rstrip(), markup=False)


@workstation.command("revoke")
@click.argument("name")
@click.pass_context
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke workstation NAME ('shared': the vault's shared key): its writes are refused."""
    with signed_in(ctx) as session:
        done = workstations.revoke(session, name)
    out.print(f"revoked workstation {done.name}; its writes are refused from now on", markup=False)
    if done.store_problem is not None:
        out.print(f"its S3 key is still valid: {done.store_problem}", markup=False)


def register(group: click.Group) -> None:
    group.add_command(workstation)
