"""Rotating keys (admin): the workstation's Ed25519 signing key, and the vault key.

**The signing key.**
The rotation is one audit entry signed by the outgoing key and naming the incoming one, committed
in the same transaction as the new private key. Verify starts from the first key (``vault.toml``)
and follows each rotation along the chain, so old entries keep verifying and a crash leaves
either the old key in force or the new one, never a gap. Partners need our new key card.

**The vault key** (``rotate_vault_key``; also run by disabling a user and changing a password,
so an old ``vault.toml`` plus an old password opens nothing current). With the vault to itself
(no other process may have it open), a new key K' replaces K in five steps:

1. ``rotation.pending``: the new vault recipient (never K': the user being disabled holds K);
   durable before anything else is written.
2. ``custos.db.rekey``: ``sqlcipher_export`` of the database under K''s database key, plus the
   blob-name key (names never change), the old age identity (bundles sealed to it still open) and
   the ``keys.vault_rotated`` entry; fsynced, journal mode DELETE (one self-contained file).
3. ``vault.toml.rekey``: the new vault recipient, the recovery copy of K', every enabled user's slot
   resealed to K' (without their passwords), MACs under K'; fsynced.
   Up to here a cancel (or a crash) rolls back: the ``.rekey`` files and the marker are removed.
4. The point of no return: ``vault.toml.rekey`` replaces ``vault.toml`` (one rename).
5. ``custos.db.rekey`` replaces ``custos.db`` (the old WAL removed first: its pages are under the
   old key); every blob's and every pack's age header is re-wrapped to the new vault recipient
   and the recovery recipient, the payload bytes copied unchanged (new file in ``tmp/``,
   ``syncfs`` per batch, rename); the marker goes last.

The next unlock or recover that finds the marker compares its recipient with ``vault.toml``'s:
the same, and the rotation is finished (steps 5); else it is rolled back.

On an agency server the same calls rotate by ``vault.serverrotation`` (one PostgreSQL
transaction re-seals every sealed value; the objects are re-wrapped after it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import sessionmaker

from vault import agefmt, keys
from vault.audit import ENTRY_COLUMNS, ROTATED, ChainChecker
from vault.backend import DB_FILE
from vault.backend import sqlcipher_engine as _engine
from vault.blobs import BlobStore
from vault.config import FILENAME, VaultConfig
from vault.errors import IntegrityFault, UserError, VaultUnavailable
from vault.fsutil import atomic_write, fsync_dir, syncfs
from vault.jobs import CancelToken, Emit, Progress, ignore
from vault.models import AuditEntry, Meta, User, audit_target, row_digest
from vault.sealing import SealFault
from vault.session import (
    BLOB_NAME_KEY,
    KEPT_SUBKEYS,
    PREVIOUS_IDENTITIES,
    VAULT_FILE_KEY,
    Session,
    kept_meta,
    requires,
)

PENDING = "rotation.pending"
NEW_DB = DB_FILE + ".rekey"
NEW_CONFIG = FILENAME + ".rekey"
VAULT_ROTATED = "keys.vault_rotated"
# Folders of files keyed under a vault subkey that are only caches (matching's gallery cache):
# removed by a rotation, rebuilt on demand under the new key.
KEY_BOUND_CACHES = ("cache",)
_BATCH = 64


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


@dataclasses.dataclass(frozen=True)
class VaultRotation:
    """What a vault-key rotation did (no key in it)."""

    old_recipient: str
    new_recipient: str
    slots: int  # users' slots resealed to the new key
    blobs: int  # blob headers re-wrapped
    note: str = (
        "partners need our new key card (custos agency card --out FILE); bundles sealed to the "
        "old recipient still open here"
    )


class VaultRotationJob:
    """A vault-key rotation as a job: ``Progress`` events (items: the database, then blobs);
    ``cancel`` is honoured until the point of no return (the new ``vault.toml``)."""

    def __init__(
        self,
        session: Session,
        reason: str,
        cancel: CancelToken | None = None,
        trigger: str = "request",
        name: str = "",
    ) -> None:
        self.session = session
        self.reason = reason
        self.cancel = cancel or CancelToken()
        self.trigger = trigger
        self.name = name

    def run(self, emit: Emit) -> VaultRotation:
        if self.trigger == "request":
            self.session.require("keys.manage", target="rotate_vault_key")
        return rotate(self.session, self.reason, emit, self.cancel, self.trigger, self.name)


@requires("keys.manage")
def rotate_vault_key(
    session: Session, reason: str, emit: Emit = ignore, cancel: CancelToken | None = None
) -> VaultRotation:
    """A new vault key: database re-keyed, blob headers re-wrapped, slots resealed, audited."""
    return rotate(session, reason, emit, cancel or CancelToken())


def check_alone(session: Session) -> None:
    """``VaultUnavailable`` unless this process is the only one with the vault open (a face
    checks before asking for anything; ``rotate`` checks again, holding the lock)."""
    if not session.hold_alone():
        raise _in_use(session)
    session.share_lock()


def _in_use(session: Session) -> VaultUnavailable:
    if not session.backend.local:
        return VaultUnavailable(
            f"{session.backend.label}: another Custos process has the vault open (on this or "
            "another workstation); close it first (rotating the vault key needs the vault to "
            "itself)"
        )
    return VaultUnavailable(
        f"{session.folder}: another Custos process has the vault open; close it first (rotating "
        "the vault key needs the vault to itself)"
    )


def rotate(
    session: Session,
    reason: str,
    emit: Emit = ignore,
    cancel: CancelToken | None = None,
    trigger: str = "request",
    name: str = "",
) -> VaultRotation:
    """Rotate the vault key (callers check permissions: see ``VaultRotationJob``); on an agency
    server by ``vault.serverrotation``."""
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("say why the vault key is rotated (--reason TEXT)")
    token = cancel or CancelToken()
    with session.write_lock:
        if not session.hold_alone():
            raise _in_use(session)
        try:
            if not session.backend.local:
                return _rotate_server(session, reason, emit, token, trigger, name)
            return _rotate(session, reason, emit, token, trigger, name)
        finally:
            session.share_lock()


def _rotate_server(
    session: Session, reason: str, emit: Emit, cancel: CancelToken, trigger: str, name: str
) -> VaultRotation:
    from vault import serverrotation

    done, rewrapped = serverrotation.rotate(session, reason, emit, cancel, trigger, name)
    session.after_rotation()
    return VaultRotation(done.old_recipient, done.new_recipient, done.slots, rewrapped)


def _rotate(
    session: Session, reason: str, emit: Emit, cancel: CancelToken, trigger: str, name: str
) -> VaultRotation:
    folder = session.folder
    old_key, new_key = session.vault_key_for_rotation(), keys.new_vault_key()
    old_identity, new_identity = keys.vault_identity(old_key), keys.vault_identity(new_key)
    config = VaultConfig.load(folder)
    session._check_file(config)
    new_recipient = str(new_identity.recipient)
    total = len(_stored_files(session.blobs)) + 1
    emit(Progress(0, total, "items", "re-keying the database"))
    _clear(folder)
    # The marker names the new recipient only, never K': before the point of no return a crash
    # rolls back (K opens everything); after it, every slot and the recovery copy in the new
    # vault.toml give K'. A copy of K' sealed to the old identity would hand the new key to the
    # very user being disabled, who holds K.
    marker = {"format": 1, "new_vault_recipient": new_recipient}
    atomic_write(folder / PENDING, json.dumps(marker).encode())
    try:
        cancel.check()
        with session.db() as db:
            keep = enabled_slots(session, db)
            previous = db.get(Meta, PREVIOUS_IDENTITIES)
        new_config = new_vault_file(config, keep, new_key)
        details = rotation_details(reason, trigger, name, config, new_config)
        _export_database(
            session,
            new_key,
            {
                BLOB_NAME_KEY: session.blobs.name_key,
                PREVIOUS_IDENTITIES: (previous.value if previous else b"") + old_identity.secret,
                **{kept_meta(p): session.subkey(p) for p in KEPT_SUBKEYS},
            },
            details,
        )
        cancel.check()
        new_config.save(folder, NEW_CONFIG)
        cancel.check()
    except BaseException:
        _clear(folder)
        raise
    # The point of no return: from this rename on, only finishing is possible.
    session.engine.dispose()
    os.replace(folder / NEW_CONFIG, folder / FILENAME)
    fsync_dir(folder)
    session._use_vault_key(new_key, new_config)
    blobs = finish(session, new_key, emit, total)
    session.after_rotation()
    return VaultRotation(config.vault_recipient, new_recipient, len(new_config.slots), blobs)


def new_vault_file(config: VaultConfig, keep: set[str], new_key: bytes) -> VaultConfig:
    """The vault file under ``new_key``: its recipient, the recovery copy of the new key, the
    slots of ``keep`` (the enabled users') resealed to it (their passwords unchanged), MACs."""
    slots = {}
    for slot_id, raw in config.slots.items():
        slot = keys.Slot.decode(raw)
        if slot_id in keep and slot is not None:
            slots[slot_id] = slot.resealed(new_key).encode()
    recovery = agefmt.Recipient.parse(config.recovery_recipient)
    new_config = dataclasses.replace(
        config,
        vault_recipient=str(keys.vault_identity(new_key).recipient),
        recovery_wrapped_key=agefmt.encrypt_bytes(new_key, [recovery]),
        slots=slots,
        auth={},
    )
    new_config.seal(keys.subkey(new_key, VAULT_FILE_KEY))
    return new_config


def rotation_details(
    reason: str, trigger: str, name: str, old: VaultConfig, new: VaultConfig
) -> dict[str, Any]:
    """The ``keys.vault_rotated`` entry's details."""
    details: dict[str, Any] = {
        "reason": reason,
        "trigger": trigger,
        "old_recipient": old.vault_recipient,
        "new_recipient": new.vault_recipient,
        "slots": len(new.slots),
    }
    if name:
        details["name"] = name
    return details


# Entries read per fetch by the rotation's pass over the chain (``enabled_slots``).
_CHAIN_BATCH = 2000
USERS_PREFIX = User.__tablename__ + ":"  # the audit target of a ``users`` row


def enabled_slots(session: Session, db: Any) -> set[str]:
    """The slots of the users who are not disabled (a rotation reseals those only), and whose
    ``users`` row is as their last audit entry recorded it. ``disabled`` and ``slot`` are plain
    columns on a server: an operator who put back a disabled user's row (and the vault file
    with their slot, whose MACs hold under the old key) must not get that slot resealed to the
    new key. A user left out signs in no more (an admin sets a new password); verify names the
    edited row.

    Which entry is a user's last is read from the chain, so the chain must be whole and intact
    first, as verify checks it (``recorded_users``): else deleting the ``user.disabled`` entry,
    or changing its plain ``action`` column, would make an earlier entry the last."""
    recorded = recorded_users(session, db)
    users = db.scalars(select(User).where(User.disabled.is_(False), User.slot.is_not(None)))
    return {u.slot for u in users if recorded.get(audit_target(u)) == row_digest(u)}


def recorded_users(session: Session, db: Any) -> dict[str, str]:
    """Each user's last recorded digest (``users:<id>`` -> digest), from any entry naming them,
    read in one streamed pass over the whole chain checked as verify checks it (``ChainChecker``:
    every entry's hash recomputed from its fields and linked to the one before, up to the head;
    who may sign what), with the head this workstation pinned still in it with its hash. The
    signatures checked are those of every entry that names a user's row (where the digests
    come from) and of every hand-over of a key or a right (``audit.HANDOVERS``: whose keys the
    others are checked under); the rest (items, cases: the bulk of a large log) decide nothing
    the rotation keeps, and are hashed and linked only. Not the pin: on a server a desk pins
    at sign-in whatever head it finds, so entries before the pin are not known to be signed.
    Any fault refuses the rotation in one line (``IntegrityFault``: "verify first").

    Cost: a rotation reads the whole audit log once (one query, fetched in batches of
    ``_CHAIN_BATCH``; memory bounded by the number of users): about a canonical JSON and a
    SHA-256 per entry, two Ed25519 checks per entry naming a user or handing over a key
    (``benchmarks/bench_rotation_chain.py``; figures in docs/PERFORMANCE.md)."""
    where = session.backend.label

    def refused(what: str) -> IntegrityFault:
        return IntegrityFault(
            f"{where}: verify first: {' '.join(what.split())}; not rotating the vault key"
        )

    if not session.history_kept(db):
        raise refused(
            "the audit log no longer holds the last entry this workstation saw (cut back or "
            "rolled back)"
        )
    checker = ChainChecker(session.chain_root_public, signs=_names_a_user)
    recorded: dict[str, str] = {}
    query = select(*ENTRY_COLUMNS).order_by(AuditEntry.seq)
    try:
        for entry in db.execute(query.execution_options(yield_per=_CHAIN_BATCH)):
            for seq, what in checker.check(entry):
                raise refused(
                    "the audit log is not one contiguous chain of intact, signed entries "
                    f"(audit #{seq} {what})"
                )
            if _names_a_user(entry):
                try:
                    digest = json.loads(entry.details).get("digest")
                except (ValueError, AttributeError):
                    digest = None  # (hashed and signed as it is: a record of no row)
                if isinstance(digest, str):
                    recorded[entry.target] = digest
    except SealFault as fault:
        raise refused(f"audit #{fault.row}: its {fault.column} {fault.what}") from None
    return recorded


def _names_a_user(entry: Any) -> bool:
    return str(entry.target).startswith(USERS_PREFIX)


def _export_database(
    session: Session, new_key: bytes, meta: dict[str, bytes], details: dict[str, Any]
) -> None:
    """The whole database under the new key in ``custos.db.rekey``, with the rotation's meta rows
    and its audit entry; one self-contained file (journal mode DELETE), fsynced."""
    folder = session.folder
    target = folder / NEW_DB
    db_key = f"x'{keys.subkey(new_key, 'database').hex()}'"
    with session.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("ATTACH DATABASE ? AS rekey KEY ?", (str(target), db_key))
        try:
            raw.execute("SELECT sqlcipher_export('rekey')")
            version = raw.execute("PRAGMA main.user_version").fetchone()[0]
            raw.execute(f"PRAGMA rekey.user_version = {int(version)}")
        finally:
            raw.execute("DETACH DATABASE rekey")
    engine = _engine(target, keys.subkey(new_key, "database"))
    try:
        with sessionmaker(engine, expire_on_commit=False)() as db, db.begin():
            for key, value in meta.items():
                db.merge(Meta(key=key, value=value))
            session.audit(db, VAULT_ROTATED, target="vault", **details)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    finally:
        engine.dispose()
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(folder)


def _clear(folder: Path) -> None:
    """Remove what a rotation that did not reach its point of no return left (roll back)."""
    for name in (NEW_CONFIG, NEW_DB, *(NEW_DB + s for s in ("-wal", "-shm", "-journal")), PENDING):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    fsync_dir(folder)


def pending(folder: Path) -> bool:
    return (folder / PENDING).exists()


def settle_files(folder: Path, config: VaultConfig, vault_key: bytes) -> bool:
    """At opening, with the vault to ourselves: roll back a rotation interrupted before its point
    of no return, or put its database in place if it was past it. True when the blob headers
    still need re-wrapping (``finish``)."""
    try:
        marker = json.loads((folder / PENDING).read_text("utf-8"))
        new_recipient = str(marker["new_vault_recipient"])
    except (OSError, ValueError, KeyError, TypeError):
        new_recipient = ""
    if new_recipient != config.vault_recipient:
        _clear(folder)  # vault.toml is the old one: the rotation never happened
        return False
    _database_in_place(folder, vault_key)
    return True


def _database_in_place(folder: Path, vault_key: bytes) -> None:
    new = folder / NEW_DB
    if not new.exists():
        return
    engine = _engine(new, keys.subkey(vault_key, "database"))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError:
        raise IntegrityFault(
            f"{new}: the re-keyed database of an interrupted key rotation does not open with "
            "the vault's key; not opening the vault (restore it from a backup)"
        ) from None
    finally:
        engine.dispose()
    # The old database's WAL holds pages under the old key: never let them meet the new file.
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            (folder / (DB_FILE + suffix)).unlink()
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            (folder / (NEW_DB + suffix)).unlink()
    os.replace(new, folder / DB_FILE)
    fsync_dir(folder)


def finish(session: Session, vault_key: bytes, emit: Emit = ignore, total: int = 0) -> int:
    """Past the point of no return: the database in place, every blob header re-wrapped to the
    current recipients, caches keyed under the old key removed, then the marker. Returns the
    number of headers re-wrapped."""
    folder = session.folder
    _database_in_place(folder, vault_key)
    with session.db() as db:
        session._load_key_meta(db)
    current = keys.vault_identity(vault_key)
    older = session.age_identities[1:]
    store = session.blobs
    names = _stored_files(store)
    total = total or len(names) + 1
    done, rewrapped = 1, 0
    for start in range(0, len(names), _BATCH):
        moves: list[tuple[Path, Path]] = []
        try:
            for target in names[start : start + _BATCH]:
                tmp = _rewrapped(target, current, older, store.recipients, store.tmp)
                if tmp is not None:
                    moves.append((tmp, target))
            if moves:
                syncfs(folder)
                for tmp, target in moves:
                    os.replace(tmp, target)
                rewrapped += len(moves)
                moves = []
        finally:
            for tmp, _ in moves:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
        done += len(names[start : start + _BATCH])
        emit(Progress(done, total, "items", "re-wrapping blob headers"))
    for cache in KEY_BOUND_CACHES:
        shutil.rmtree(folder / cache, ignore_errors=True)
    syncfs(folder)
    (folder / PENDING).unlink(missing_ok=True)
    fsync_dir(folder)
    return rewrapped


def _stored_files(store: BlobStore) -> list[Path]:
    """Every blob file and every pack (a pack's header is re-wrapped like a blob's)."""
    blobs = [store.path(name) for name in store.stored_names()]
    return blobs + [Path(store.pack_path(pack)) for pack in store.stored_packs()]


def _rewrapped(
    path: Path,
    current: agefmt.Identity,
    older: tuple[agefmt.Identity, ...],
    recipients: list[agefmt.Recipient],
    tmp_folder: Path,
) -> Path | None:
    """A copy of the blob at ``path`` in ``tmp/`` with a header for ``recipients`` and the same
    payload bytes; None when its header is already the current key's (or opens with no key we
    hold: a damaged blob stays as it is, for verify to name)."""
    with open(path, "rb") as fh:
        file_key = agefmt.key_to_rewrap(fh, current, older)
        if file_key is None:
            return None
        offset = fh.tell()
        size = os.fstat(fh.fileno()).st_size
        tmp = tmp_folder / uuid.uuid4().hex
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, agefmt.header_for(file_key, recipients))
            _copy_range(fh.fileno(), fd, offset, size - offset)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return tmp


def _copy_range(src: int, dst: int, offset: int, count: int) -> None:
    """The payload bytes as they are, copied by the kernel where it can."""
    while count > 0:
        try:
            n = os.copy_file_range(src, dst, count, offset)
        except OSError:
            n = 0
        if n == 0:
            os.lseek(src, offset, os.SEEK_SET)
            while count > 0:
                chunk = os.read(src, min(count, 1 << 20))
                if not chunk:
                    raise OSError(f"blob shorter than its size while re-wrapping ({count} left)")
                os.write(dst, chunk)
                count -= len(chunk)
                offset += len(chunk)
            return
        count -= n
        offset += n
