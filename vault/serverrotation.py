"""Vault-key rotation on an agency server (``vault.rotation`` runs it when the back end is not
local): a password change and disabling a user revoke there as they do in a local vault.

A local vault re-keys one SQLCipher file. On a server the key protects, instead, each sealed
value (``vault.sealing``: one subkey per column, the blind indexes, the deterministic AES-SIV
digests), the vault file (``vault_file`` row: slots, recovery copy, MACs) and the age headers of
the objects in S3. With the vault to itself (``VAULT_LOCK`` exclusive: no other workstation has
it open; another one's unlock waits on the shared lock until the rotation is done), K' replaces
K in two steps:

1. **One PostgreSQL transaction**: every sealed value of every table the schema declares is
   opened under K and sealed again under K' for the same table, column and row, the blind
   indexes recomputed (``sealing.resealed_tables`` / ``sealing.reseal``: streamed through a
   server-side cursor, constant memory); then, sealed under K', the blob-name key (names never
   change), the old age identity appended to ``previous_age_identities`` (objects not yet
   re-wrapped still open), the workstation subkeys kept (``session.KEPT_SUBKEYS``: the key
   files on other machines and the login role names stay valid), the ``rewrap_pending`` marker
   and the ``keys.vault_rotated`` audit entry; and the new vault file (new recipient, the
   enabled users' slots resealed to K' (``rotation.enabled_slots``: only users whose row is as
   their last audit entry recorded it; refused if the chain lost the head this workstation
   pinned or is not contiguous and linked), the recovery copy of K', MACs under K'). It commits
   whole or not at all: a crash or a failure before the commit leaves K in force everywhere.
   A connection lost as it commits is ambiguous (the server may have committed, its answer
   lost): the vault file read on a new connection says which key is in force, and the
   process goes on under that one; if it cannot be read, the process lets go of the vault
   (writes nothing more) and says to sign in again.
2. **Objects**, after the commit: each blob's and pack's age header re-wrapped to the new vault
   recipient and the recovery recipient (GET, new header in front of the same payload bytes,
   PUT of the same key: S3 replaces an object whole). An object whose header is already the
   new key's is skipped, so the job resumes where it stopped: the next unlock that holds the
   vault alone, or ``custos verify``, finishes it while the marker row is there. Until then
   the old identity (sealed under K', in the database) opens the objects not yet re-wrapped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import uuid
from typing import Any

from sqlalchemy import func, select, update

from vault import agefmt, keys, sealing
from vault.errors import (
    ConnectionLost,
    CustosError,
    UserError,
    VaultUnavailable,
)
from vault.jobs import CancelToken, Emit, Progress, ignore
from vault.models import Meta, VaultFile
from vault.objectstore import SPACES, ObjectStore
from vault.rotation import enabled_slots, new_vault_file, rotation_details
from vault.session import (
    BLOB_NAME_KEY,
    KEPT_SUBKEYS,
    PREVIOUS_IDENTITIES,
    VAULT_FILE_KEY,
    Session,
    kept_meta,
)

# Meta row: the objects' age headers still need re-wrapping to the current recipients (its
# value is the recipient they are re-wrapped to).
REWRAP_PENDING = "rewrap_pending"
VAULT_ROTATED = "keys.vault_rotated"
_BATCH = 2000


@dataclasses.dataclass(frozen=True)
class Rotated:
    old_recipient: str
    new_recipient: str
    slots: int


def rotate(
    session: Session, reason: str, emit: Emit, cancel: CancelToken, trigger: str, name: str
) -> tuple[Rotated, int]:
    """The server's rotation (the caller holds the session's write lock and the vault alone);
    returns what the transaction did and the number of object headers re-wrapped."""
    backend = session.backend
    old_key, new_key = session.vault_key_for_rotation(), keys.new_vault_key()
    old_identity, new_identity = keys.vault_identity(old_key), keys.vault_identity(new_key)
    new_recipient = str(new_identity.recipient)
    parts = sealing.resealed_tables(session.schema.tables)
    with session.db() as db:
        counts = [db.scalar(select(func.count()).select_from(p.table)) or 0 for p in parts]
    total, done = sum(counts) + 1, 0
    emit(Progress(0, total, "items", "sealing the records again under the new key"))

    def step(n: int) -> None:
        nonlocal done
        done += n
        emit(Progress(done, total, "items", "sealing the records again under the new key"))
        cancel.check()

    engine = session.engine
    with backend.file_lock():
        config = backend.load_config()
        session._check_file(config)
        kept = {purpose: session.subkey(purpose) for purpose in KEPT_SUBKEYS}
        try:
            with session.transaction() as db:
                # a workstation that may not write is refused (and that recorded) now, under K:
                # not after the records are under K'
                session.claim_write(db, VAULT_ROTATED)
                keep = enabled_slots(session, db)  # (refused unless the chain is whole)
                previous = db.get(Meta, PREVIOUS_IDENTITIES)
                earlier = previous.value if previous is not None else b""
                raw = db.connection().connection.driver_connection
                cancel.check()
                for part in parts:
                    sealing.reseal(raw, part, old_key, new_key, _BATCH, step)
                db.expunge_all()  # rows read before are sealed under K no more
                sealing.attach(engine, new_key)  # what the ORM writes from here is under K'
                meta = {
                    BLOB_NAME_KEY: session.blobs.name_key,
                    PREVIOUS_IDENTITIES: earlier + old_identity.secret,
                    REWRAP_PENDING: new_recipient.encode(),
                    **{kept_meta(p): value for p, value in kept.items()},
                }
                for key, value in meta.items():
                    db.merge(Meta(key=key, value=value))
                new_config = new_vault_file(config, keep, new_key)
                details = rotation_details(reason, trigger, name, config, new_config)
                session.audit(db, VAULT_ROTATED, target="vault", **details)
                db.execute(
                    update(VaultFile).where(VaultFile.id == 1).values(content=new_config.text())
                )
                cancel.check()
        except BaseException as exc:
            # Rolled back: K is still the key of everything. Unless the connection was lost:
            # the COMMIT may have been done on the server with its answer lost on the way.
            lost = isinstance(exc, ConnectionLost)
            if not (lost and _committed(session, new_recipient, new_key, exc)):
                sealing.attach(engine, old_key)
                raise
    # Committed: K' is the key of every record, of the vault file and of each slot.
    session._use_vault_key(new_key, new_config)
    with session.db() as db:
        session._load_key_meta(db)
    rewrapped = finish(session, emit, done)
    return Rotated(config.vault_recipient, new_recipient, len(new_config.slots)), rewrapped


def _committed(session: Session, new_recipient: str, new_key: bytes, lost: BaseException) -> bool:
    """After the connection was lost in the rotation's transaction: whether it committed all the
    same, by the vault file as it is now, read on a new connection (the new recipient, and MACs
    that check under K': nobody without K' can write that). Unknown (the server still out of
    reach): the process can choose neither key, so it holds the vault no more (its writes are
    refused), the session refuses every later read too (K' is attached, and may be the wrong
    key: the live view would report a seal fault) and it says, in one line, to sign in
    again."""
    backend: Any = session.backend
    try:
        config = backend.load_config(settled=True)  # waits for the transaction to end
    except CustosError:
        backend.lock.release()
        why = (
            f"{backend.label}: the connection was lost as the vault key rotation committed, and "
            "whether it did cannot be told: sign in again (the rotation is finished or undone "
            "by then)"
        )
        session.abandon(why)
        raise VaultUnavailable(why) from lost
    committed = config.vault_recipient == new_recipient and not config.changed_fields(
        keys.subkey(new_key, VAULT_FILE_KEY)
    )
    if committed:
        try:  # the re-wrap that follows needs the vault alone: the cut may have taken the lock
            backend.lock.check()
        except CustosError:
            backend.lock.release()
            why = (
                f"{backend.label}: the vault key rotation committed, but the connection holding "
                "the vault was lost with it: sign in again (the objects are re-wrapped then)"
            )
            session.abandon(why)  # (K' attached, the session's own key K: neither is used)
            raise VaultUnavailable(why) from lost
    return committed


def pending(session: Session) -> bool:
    """Whether a rotation committed before its objects were all re-wrapped (the marker row)."""
    with session.db() as db:
        return db.get(Meta, REWRAP_PENDING) is not None


class RewrapIncomplete(UserError):
    """Some objects could not be re-wrapped (missing, or the store failed for them): the others
    were, the marker stays and the next open that holds the vault alone (or verify) resumes."""

    def __init__(self, failed: list[tuple[str, str]]) -> None:
        key, why = failed[0]
        more = f" and {len(failed) - 1} other(s)" if len(failed) > 1 else ""
        super().__init__(
            f"the re-wrap of the rotated vault key is unfinished: {key} ({why}){more} could not "
            "be re-wrapped; the objects not re-wrapped still open with the earlier key, and the "
            "next open that holds the vault alone, or verify, tries again"
        )
        self.failed = failed


def may_rewrap(session: Session) -> bool:
    """Whether this session's workstation may write now (not revoked): re-wrapping re-writes
    every object, so a desk that may not write leaves it (no refusal recorded: it asked
    nothing)."""
    from vault.audit import Refusal
    from vault.workstations import check_writer

    station = session.workstation
    with session.db() as db:
        try:
            check_writer(db, station.name if station is not None else "")
        except Refusal:
            return False
    return True


def resume(session: Session, emit: Emit = ignore) -> int:
    """Finish the re-wrap of an interrupted rotation if there is one, this process holds the
    vault alone (an unlock that took it exclusively, or verify) and its workstation may write;
    returns the headers re-wrapped. Held shared (others have the vault open), it is left for
    later: the old identities open every object meanwhile. ``RewrapIncomplete`` (or the
    store's own error, ``StoreUnavailable``) when objects failed: the marker stays."""
    if session.backend.local or not pending(session) or not may_rewrap(session):
        return 0
    with session.write_lock:
        if not session.hold_alone():
            return 0
        try:
            return finish(session, emit)
        finally:
            session.share_lock()


def finish(session: Session, emit: Emit = ignore, done: int = 0) -> int:
    """Re-wrap every object's header to the current recipients (resumable: an object already
    re-wrapped is skipped), then remove the caches keyed under the old key and the marker.

    The listing is streamed (``store.names``), never held whole. An object that fails (missing
    since it was listed, or the store's error for it) is skipped and named: the rest goes on,
    the marker stays and ``RewrapIncomplete`` is raised at the end. A store that cannot list
    raises its own error (marker kept)."""
    store = session.backend.store
    current = keys.vault_identity(session.vault_key_for_rotation())
    older = session.age_identities[1:]
    recipients = session.blobs.recipients
    rewrapped = 0
    failed: list[tuple[str, str]] = []
    tmp = session.blobs.tmp
    n = 0
    for space in SPACES:
        for key in store.names(space):
            n += 1
            try:
                most = _most(session, key)
                # a pack's header keeps its length only where a row records the pack's size
                # (None: unsized, bounded by the store alone, its size recorded by verify)
                sized = key.startswith("packs/") and most is not None
                if rewrap_object(store, key, current, older, recipients, tmp, most, sized):
                    rewrapped += 1
            except (UserError, OSError) as exc:  # ObjectMissing, StoreUnavailable, a disk's
                failed.append((key, str(exc).rsplit(": ", 1)[-1] or type(exc).__name__))
            # the number of objects is not known ahead (the listing is streamed)
            emit(Progress(done + n, 0, "items", "re-wrapping the stored objects' headers"))
    if failed:
        raise RewrapIncomplete(failed)
    for cache in ("cache",):
        shutil.rmtree(session.folder / cache, ignore_errors=True)
    with session.transaction() as db:
        marker = db.get(Meta, REWRAP_PENDING)
        if marker is not None:
            db.delete(marker)
    return rewrapped


def _most(session: Session, key: str) -> int | None:
    """The most bytes the store may send for object ``key``: a blob's from its row's size, a
    pack's its recorded encrypted size (None: no row records one, bounded by the store alone,
    with the one warning of an unbounded pack read)."""
    space, _, name = key.partition("/")
    name = name.rpartition("/")[2]
    if space == "packs":
        size = session.blobs.pack_size_of(name)
        if size is None:
            session.blobs.unbounded(name)
        return size
    size = session.blobs.recorded_size(name)
    return None if size is None else agefmt.most_encrypted(size)


def rewrap_object(
    store: ObjectStore,
    key: str,
    current: agefmt.Identity,
    older: tuple[agefmt.Identity, ...],
    recipients: list[agefmt.Recipient],
    tmp_folder: Any,
    most: int | None = None,
    same_size: bool = False,
) -> bool:
    """The object under ``key`` with a header for ``recipients`` in front of the same payload
    bytes, put under the same key; False when its header is the current key's already (or
    opens with no key we hold: a damaged object stays as it is, for verify to name). ``most``:
    the bytes the store may send for it (``_most``).

    Streamed: the GET's blocks go straight into the one temp file the PUT sends, after the new
    header; memory holds a block (and the header's first bytes), never the object, and the
    GET stops at ``most``. An object whose header is current already costs no write.
    ``same_size`` (a pack: its encrypted size is recorded): a new header of another length is
    refused (``UserError``, the object left as it is); every header of a vault object wraps to
    two X25519 recipients, so none is."""
    chunks = store.get_chunks(key, most)
    try:
        head = bytearray()
        for block in chunks:  # the header (at most MAX_HEADER bytes): usually the first block
            head += block
            mac = head.find(b"\n--- ")
            if len(head) > agefmt.MAX_HEADER or (mac >= 0 and head.find(b"\n", mac + 1) >= 0):
                break
        src = io.BytesIO(head)
        file_key = agefmt.key_to_rewrap(src, current, older)
        if file_key is None:
            return False
        header = agefmt.header_for(file_key, recipients)
        start = src.tell()  # the old header's end: the payload nonce follows
        if same_size and len(header) != start:
            raise UserError(
                f"{key}: a new header of {len(header)} bytes for one of {start} would change "
                "its recorded size"
            )
        tmp = tmp_folder / uuid.uuid4().hex
        try:
            with open(tmp, "xb") as out:
                os.chmod(tmp, 0o600)
                out.write(header)
                out.write(memoryview(head)[start:])
                del head, src
                for block in chunks:
                    out.write(block)
            store.put(key, tmp)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # a GET left early: its connection closed, not read to the end
    return True
