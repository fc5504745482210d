"""Our agency's age identity as a file, for the stock ``age`` tool.

Encrypted bundles (``bundle.tar.age``) are age files to our vault's own X25519 recipient (the one
on our key card). ``export_identity`` writes the matching identity so that
``age -d -i FILE bundle.tar.age`` opens one without Custos. That identity also opens every blob of
this vault: the file is written 0600, never over an existing file, and each export is audited.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from vault.errors import UserError
from vault.fsutil import atomic_write
from vault.session import Session, requires


@requires("keys.manage")
def export_identity(session: Session, target: Path) -> str:
    """Write the agency's age identity to ``target`` (0600, atomically); returns its recipient."""
    if target.exists() or target.is_symlink():
        raise UserError(f"{target}: already exists; not overwritten")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent}: no such folder")
    identity = session.age_identity
    recipient = str(identity.recipient)
    text = (
        "# Custos agency age identity: opens bundles sent to this agency and this vault's blobs.\n"
        "# Keep it like the recovery identity.\n"
        f"# public key: {recipient}\n{identity}\n"
    )
    written = False
    try:
        with session.transaction() as db:  # recorded and written together, or neither
            where = str(target.absolute())
            session.audit(
                db, "keys.identity_exported", target="vault", to=where, recipient=recipient
            )
            try:
                atomic_write(target, text.encode(), mode=0o600)
            except OSError as exc:
                raise UserError(f"{target}: cannot write: {exc.strerror}") from None
            written = True
    except BaseException:
        if written:  # the audit entry did not commit: the file goes too
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
        raise
    return recipient
