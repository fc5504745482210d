"""custos keys rotate-signing | rotate-vault"""

from __future__ import annotations

import click

from cli.common import out, run_cancellable, signed_in


@click.group()
def keys() -> None:
    """Workstation keys (admin)."""


@keys.command("rotate-signing")
@click.pass_context
def rotate_signing(ctx: click.Context) -> None:
    """Replace the workstation's signing key; old audit entries keep verifying."""
    from vault.rotation import rotate_signing_key

    with signed_in(ctx) as session:
        new_public = rotate_signing_key(session)
    out.print(f"new workstation key {new_public}", markup=False)
    out.print("send partners a new key card: custos agency card --out FILE", markup=False)


@keys.command("rotate-vault")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
@click.pass_context
def rotate_vault(ctx: click.Context, reason: str) -> None:
    """Replace the vault key: database re-keyed, blob headers re-wrapped, slots resealed.

    Old copies of vault.toml then open nothing current. Needs the vault to itself."""
    from vault.rotation import VaultRotationJob, check_alone

    with signed_in(ctx) as session:
        check_alone(session)
        job = VaultRotationJob(session, reason)
        done = run_cancellable(job, "rotating the vault key", "vault-key rotation cancelled")
    out.print(f"new vault recipient {done.new_recipient}", markup=False)
    out.print(f"{done.slots} user slot(s) resealed, {done.blobs} blob header(s) re-wrapped")
    out.print(done.note, markup=False)


def register(group: click.Group) -> None:
    group.add_command(keys)
