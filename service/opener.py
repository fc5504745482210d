"""The one way to open a vault: every layer's tables registered explicitly, never by the side
effect of an import.

The CLI, the GUI, the installed app, the benchmarks and the tests all open vaults here, so
``verify`` checks the same tables whichever face runs it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from exchange.leftovers import sweep
from exchange.models import LAYER as EXCHANGE
from matching.hashsets import check_entries as check_hash_set_entries
from matching.ingested import DERIVE as PDQ_OF_PHOTOS
from matching.ingested import on_acquired as matching_acquired
from matching.ingested import on_copied as matching_copied
from matching.models import LAYER as MATCHING
from vault import session as _session
from vault import signin, workstations
from vault.agefmt import Identity
from vault.backend import Server
from vault.errors import AuthenticationFailed, DiskFull, disk_full
from vault.keys import Derivation, KdfParams
from vault.schema import VAULT, Schema
from vault.session import Session

# New evidence (ingest, bundle import) is looked up in the active hash sets inside the
# transaction that records it, and an ingested photo's PDQ hash (computed from the bytes ingest
# reads anyway) recorded with it: the vault layer calls the hooks, the opener says whose they are.
# ``verify`` recomputes every hash set's entries digest (the layer's ``checks``), wired here
# for the same reason.
SCHEMA = Schema(
    (
        VAULT,
        dataclasses.replace(
            MATCHING,
            on_acquired=matching_acquired,
            on_copied=matching_copied,
            checks=(check_hash_set_entries,),
            derive=PDQ_OF_PHOTOS,
        ),
        EXCHANGE,
    )
)


def local_folder(where: Path | Server) -> Path:
    """The folder on this machine a vault works in: the vault's own, or this workstation's
    folder for an agency server (``tmp/``, the sign-in ledger, caches)."""
    if isinstance(where, Server):
        from vault.backend import server_folder
        from vault.server.address import parse

        return server_folder(parse(where.url))
    return where


def unlock(
    where: Path | Server, user: str, password: str, ahead: Derivation | None = None
) -> Session:
    """Open the vault as ``user``; wrong name, wrong password and disabled user fail alike.

    ``where``: the vault's folder, or an agency server (``vault.backend.Server``: the
    ``--server`` URL and the credentials the face was given).

    ``ahead``: the user's key derivation, if the caller started it early (the CLI does); its
    answer is not looked at before the sign-in throttle has let the attempt through.

    Failed sign-ins are counted per typed name outside the database and slowed (``signin``):
    ``SignInThrottled`` (exit 3, "wait N s") while the name must wait; the next successful
    sign-in audits them."""
    folder = local_folder(where)
    config = _session.check_vault(where) if isinstance(where, Server) else None
    if config is not None and ahead is None and signin.is_text(user, password):
        # A server's derivation settings come with its vault_file row, so no face can start
        # the derivation before this: start it now, on a thread (Argon2id releases the GIL),
        # while the throttle is asked and the vault opened; looked at only once let through.
        ahead = Derivation(password, user, config.salt, config.kdf)
    with _full_disk_said(folder):
        attempt = signin.attempt(folder, user, config)
    if not signin.is_text(user, password):  # counted like any guess
        raise AuthenticationFailed("unknown user or wrong password")
    try:
        with _full_disk_said(folder):
            session = _session.unlock(where, user, password, SCHEMA, ahead)
    except AuthenticationFailed:
        raise  # a guess: it stays counted
    except BaseException:
        signin.undo(attempt)  # the vault busy, damaged, a full disk: no guess was made
        raise
    _signed_in(session, user, attempt)
    sweep(folder / "tmp")  # what killed bundle imports left in clear, even with the vault shared
    return session


@contextlib.contextmanager
def _full_disk_said(folder: Path) -> Iterator[None]:
    """Opening writes (settling a crash, the WAL): on a full disk SQLite fails, which the
    session reports as a damaged database. Say what it is: ``DiskFull``."""
    try:
        yield
    except Exception as exc:
        if disk_full(exc, folder):
            raise DiskFull(folder) from None
        raise


def init_vault(
    where: Path | Server,
    admin: str,
    password: str,
    recovery_recipient: str | None = None,
    kdf: KdfParams | None = None,
) -> tuple[Session, Identity | None]:
    """Create a vault (in a folder, or the agency vault on an empty server); returns the admin's
    session and the new recovery identity (if made here)."""
    with _full_disk_said(local_folder(where)):
        return _session.init_vault(where, admin, password, SCHEMA, recovery_recipient, kdf)


def init_agency_vault(
    where: Server,
    admin: str,
    password: str,
    workstation: str,
    recovery_recipient: str | None = None,
    kdf: KdfParams | None = None,
) -> tuple[Session, Identity | None, workstations.Enrolled]:
    """``init`` on an empty agency server: the agency vault, and the machine this runs on
    enrolled as its first workstation ``workstation`` (its own signing key and PostgreSQL
    login), and the vault's shared key revoked: every desk that writes to an agency vault is
    one an admin enrolled (``custos workstation enrol NAME`` on that desk). The name is checked
    before anything is made."""
    name = workstations.check_name(workstation)
    session, identity = init_vault(where, admin, password, recovery_recipient, kdf)
    try:
        enrolled = workstations.enrol(session, name)
        workstations.revoke(session, workstations.SHARED)
    except BaseException:
        session.close()
        raise
    return session, identity, enrolled


def recover(where: Path | Server, identity_text: str, admin: str, password: str) -> Session:
    """Reopen a vault with the escrowed recovery identity and give ``admin`` a new password."""
    with _full_disk_said(local_folder(where)):
        session = _session.recover(where, identity_text, admin, password, SCHEMA)
    _signed_in(session, admin, None)
    return session


def _signed_in(session: Session, user: str, attempt: signin.Attempt | None) -> None:
    """Audit the failed sign-ins recorded since the last success; reset ``user``'s counter."""
    try:
        with _full_disk_said(session.folder):
            signin.succeeded(session, user, attempt)
    except BaseException:
        session.close()
        raise
