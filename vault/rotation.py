"""Rotating the workstation's Ed25519 signing key (admin).

The rotation is one audit entry signed by the outgoing key and naming the incoming one, committed
in the same transaction as the new private key. Verify starts from the first key (``vault.toml``)
and follows each rotation along the chain, so old entries keep verifying and a crash leaves
either the old key in force or the new one, never a gap. Partners need our new key card.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vault.audit import ROTATED
from vault.errors import VaultUnavailable
from vault.models import Meta
from vault.session import Session, requires


@requires("keys.manage")
def rotate_signing_key(session: Session) -> str:
    """Make a new workstation key; returns its public key (hex) for out-of-band publication."""
    new = Ed25519PrivateKey.generate()
    new_public = new.public_key().public_bytes_raw().hex()
    old_public = session.signing_public.public_bytes_raw().hex()
    with session.transaction() as db:
        meta = db.get(Meta, "signing_key")
        if meta is None:
            raise VaultUnavailable(f"{session.folder}: the vault database is damaged")
        session.audit(db, ROTATED, target="vault", old_public=old_public, new_public=new_public)
        meta.value = new.private_bytes_raw()
        session.use_signing_key(new)
    return new_public
