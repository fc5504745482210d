"""custos init | recover | verify"""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.common import ask_password, emit_json, err, out, run_job, signed_in, target_label
from cli.common import target as vault_target
from cli.workstation_cmd import say_enrolled
from service.opener import init_agency_vault, init_vault, recover
from vault import workstations
from vault.errors import IntegrityFault, UserError
from vault.fsutil import atomic_write
from vault.jobs import CancelToken
from vault.session import check_new_vault, check_vault
from vault.verify import VerifyJob, VerifyReport


@click.command()
@click.option("--admin", required=True, help="Name of the first user (holds every role).")
@click.option(
    "--recovery-identity-out",
    type=click.Path(dir_okay=False),
    help="Write the new recovery identity here (hand it to the agency's escrow).",
)
@click.option("--recovery-recipient", help="Use an existing agency recovery recipient (age1...).")
@click.option(
    "--workstation",
    help="On an agency server: the name this machine is enrolled under as the vault's first "
    "workstation (default: its host name).",
)
@click.pass_context
def init(
    ctx: click.Context,
    admin: str,
    recovery_identity_out: str | None,
    recovery_recipient: str | None,
    workstation: str | None,
) -> None:
    """Create a new vault with its first administrator (on an agency server, also enrol this
    machine as its first workstation)."""
    if recovery_identity_out and recovery_recipient:
        raise UserError("give either --recovery-identity-out or --recovery-recipient, not both")
    target = Path(recovery_identity_out) if recovery_identity_out else None
    if target and os.path.lexists(target):
        raise UserError(f"{target}: already exists; not overwritten")
    where = vault_target(ctx)
    if isinstance(where, Path) and workstation is not None:
        raise UserError(
            "--workstation is for an agency server; on a local vault enrol with "
            "'custos workstation enrol NAME'"
        )
    station = None
    if not isinstance(where, Path):
        station = workstations.check_name(workstation or workstations.default_name())
    check_new_vault(where)  # before asking for a password
    # CUSTOS_NEW_PASSWORD as for every new password; CUSTOS_PASSWORD for older scripts
    password = ask_password(f"Password for {admin}", "CUSTOS_NEW_PASSWORD", True, "CUSTOS_PASSWORD")
    enrolled = None
    if station is None:
        session, identity = init_vault(where, admin, password, recovery_recipient)
    else:
        assert not isinstance(where, Path)
        session, identity, enrolled = init_agency_vault(
            where, admin, password, station, recovery_recipient
        )
        key = workstations.key_path(session.config.vault_id)
    session.close()
    out.print(f"vault created at {target_label(where)}", markup=False)
    if enrolled is not None:
        say_enrolled(enrolled, key)
    if identity is not None:
        text = (
            f"# Custos recovery identity for the vault at {target_label(where)}\n"
            f"# public key: {identity.recipient}\n{identity}\n"
        )
        if target:
            try:
                atomic_write(target, text.encode(), mode=0o600, overwrite=False)
            except FileExistsError:
                raise UserError(f"{target}: already exists; not overwritten") from None
            out.print(f"recovery identity written to {target}", markup=False)
        else:
            out.print(text, markup=False)
        err.print(
            "[yellow]Hand the recovery identity to your agency's escrow now and keep no other "
            "copy on this machine: it opens the whole vault.[/]"
        )


@click.command(name="recover")
@click.option("--identity", "identity_file", required=True, type=click.Path(dir_okay=False))
@click.option("--admin", required=True, help="Administrator whose password is (re)set.")
@click.pass_context
def recover_cmd(ctx: click.Context, identity_file: str, admin: str) -> None:
    """Reopen the vault with the escrowed recovery identity and set a new admin password."""
    try:
        text = Path(identity_file).read_text()
    except OSError as exc:
        raise UserError(f"{identity_file}: cannot read: {exc.strerror}") from None
    where = vault_target(ctx)
    check_vault(where)  # before asking for a password
    password = ask_password(f"New password for {admin}", "CUSTOS_NEW_PASSWORD", confirm=True)
    session = recover(where, text, admin, password)
    session.close()
    out.print(f"{admin} has a new password and the admin role", markup=False)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--head", "heads", multiple=True, metavar="SEQ:HASH", help="A head pinned outside the vault."
)
@click.pass_context
def verify(ctx: click.Context, as_json: bool, heads: tuple[str, ...]) -> None:
    """Decrypt and re-hash every blob, check every row and audit link; exit 5 on any problem.

    --head SEQ:HASH (repeatable): a head pinned outside the vault (``custos audit head``
    printed it earlier); the log must still hold it unchanged."""
    from cli.common import ctrl_c_cancels
    from vault.audit import Head

    pinned = [Head.parse(h) for h in heads]
    with signed_in(ctx) as session:
        token = CancelToken()
        job = VerifyJob(session, token, pinned)
        with ctrl_c_cancels(token):
            report = run_job(job.run, "verifying")
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "items": report.items,
                "blobs": report.blobs,
                "audit_entries": report.audit_entries,
                "bytes": report.bytes,
                "checked_at": report.checked_at,
                "cancelled": report.cancelled,
                "problems": [{"where": p.where, "what": p.what} for p in report.problems],
            }
        )
    else:
        say_verified(report, "checked")
    if report.cancelled:
        from vault.errors import Cancelled

        raise Cancelled("verify cancelled before the end; the vault was not fully checked")
    if report.problems:
        raise IntegrityFault(
            f"the vault at {session.backend.label} has {len(report.problems)} problem(s)"
        )


def say_verified(report: VerifyReport, lead: str) -> None:
    """A verify's report: each problem on a line, then what was checked (``lead`` first)."""
    for p in report.problems:
        out.print(f"PROBLEM {p}", markup=False)
    out.print(
        f"{lead} {report.items} items in {report.blobs} blobs ({report.bytes} bytes) and "
        f"{report.audit_entries} audit entries: "
        + ("OK" if report.ok else f"{len(report.problems)} problem(s)"),
        markup=False,
    )


def register(group: click.Group) -> None:
    group.add_command(init)
    group.add_command(recover_cmd)
    group.add_command(verify)
