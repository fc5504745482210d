"""custos user add | roles | list | passwd | disable | signins"""

from __future__ import annotations

import click

from cli.common import ask_password, emit_json, out, run_job, safe, signed_in
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


@user.command("signins")
@click.option("--json", "as_json", is_flag=True)
@click.option("--last", type=int, default=50, show_default=True, help="The last N entries.")
@click.pass_context
def signins(ctx: click.Context, as_json: bool, last: int) -> None:
    """Failed sign-ins (admin), newest first, as audited at the sign-in after them; and the
    audit head to write down."""
    from dataclasses import asdict

    from vault.signin import security_overview

    with signed_in(ctx) as session:
        found = security_overview(session, limit=last)
    if as_json:
        emit_json(asdict(found) | {"head": str(found.head)})
        return
    for f in found.failed:
        name = "(names not kept)" if f.name is None else safe(f.name)
        then = "  then signed in" if f.then_signed_in else ""
        refused = f"  ({f.refused} refused while waiting)" if f.refused else ""
        out.print(
            f"#{f.seq}  {f.recorded}  {name}  {f.failures} failed  {f.first} .. {f.last}"
            f"{refused}{then}",
            markup=False,
        )
    for reason in found.damaged:
        out.print(f"record of failed sign-ins replaced: {safe(reason)}", markup=False)
    if not found.failed:
        out.print("no failed sign-ins recorded", markup=False)
    out.print(f"audit head {found.head}", markup=False)
    out.print(
        "write this down or send it to someone outside the agency; "
        f"`custos verify --head {found.head}` checks against it later",
        markup=False,
    )


def register(group: click.Group) -> None:
    group.add_command(user)
