"""custos user add | roles | list | passwd | disable"""

from __future__ import annotations

import click

from cli.common import ask_password, emit_json, out, run_job, signed_in
from vault import users


@click.group()
def user() -> None:
    """Manage users and their roles (admin)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", "roles", multiple=True, required=True, help="admin, officer, analyst, liaison"
)
@click.pass_context
def add(ctx: click.Context, name: str, roles: tuple[str, ...]) -> None:
    """Add a user; the first password comes from CUSTOS_NEW_PASSWORD or a prompt."""
    with signed_in(ctx) as session:
        password = ask_password(f"Password for {name}", "CUSTOS_NEW_PASSWORD", confirm=True)
        info = users.add_user(session, name, list(roles), password)
    out.print(f"added {info.name} ({', '.join(info.roles)})", markup=False)


@user.command("roles")
@click.argument("name")
@click.option("--set", "roles", multiple=True, required=True, help="The complete new role list.")
@click.pass_context
def roles(ctx: click.Context, name: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles."""
    expanded = [r for value in roles for r in value.split(",") if r]
    with signed_in(ctx) as session:
        info = users.set_roles(session, name, expanded)
    out.print(f"{info.name}: {', '.join(info.roles)}", markup=False)


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List users, their roles and whether they are disabled."""
    with signed_in(ctx) as session:
        found = users.list_users(session)
    if as_json:
        emit_json([u.__dict__ for u in found])
        return
    for u in found:
        state = "  (disabled)" if u.disabled else ""
        out.print(f"{u.name}\t{','.join(u.roles)}{state}", markup=False)


@user.command("passwd")
@click.argument("name")
@click.pass_context
def passwd(ctx: click.Context, name: str) -> None:
    """Set a new password (your own, or anyone's as admin); rotates the vault key."""
    from vault.rotation import check_alone

    with signed_in(ctx) as session:
        check_alone(session)  # before the prompt: the rotation needs the vault to itself
        password = ask_password(f"New password for {name}", "CUSTOS_NEW_PASSWORD", confirm=True)
        run_job(
            lambda emit: users.change_password(session, name, password, emit),
            "rotating the vault key",
            unit="items",
        )
    out.print(f"password of {name} changed; vault key rotated", markup=False)


@user.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Disable a user: they can no longer unlock the vault; rotates the vault key."""
    with signed_in(ctx) as session:
        run_job(
            lambda emit: users.disable_user(session, name, emit),
            "rotating the vault key",
            unit="items",
        )
    out.print(f"{name} disabled; vault key rotated", markup=False)


def register(group: click.Group) -> None:
    group.add_command(user)
