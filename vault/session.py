"""Opening a vault: init, unlock, recover; and the authenticated ``Session`` every call takes.

A ``Session`` is who is acting on which unlocked vault. Core functions take it first, check the
permission with ``@requires`` (a refusal is audited) and record what they change with ``audit``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import URL, create_engine, event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from vault import agefmt, keys, migrations, sealing, workstations
from vault.audit import KEY_REFUSED, REFUSED, AuditLog, Refusal, advance_head_file, appended
from vault.blobs import BlobStore
from vault.config import VaultConfig, is_vault
from vault.errors import (
    AuthenticationFailed,
    IntegrityFault,
    PermissionDenied,
    UserError,
    VaultUnavailable,
)
from vault.keys import KdfParams
from vault.models import (
    AuditEntry,
    Base,
    Blob,
    Meta,
    User,
    audit_target,
    column_digests,
    row_state,
    state_digest,
)
from vault.permissions import ALL_ROLES, PERMISSIONS, Role, allowed
from vault.schema import Schema, quoted

DB_FILE = "custos.db"
VAULT_FILE_KEY = "vault-file"  # subkey of the MACs in vault.toml
_SEALED = "vault_file_sealed"  # meta row: this vault's vault.toml carries MACs (never stripped)
LOCK_FILE = "lock"
# Meta rows a vault-key rotation writes (the values are encrypted with the database): the blob-name
# key in force since the vault was made, so names never change, and the vault's earlier age
# identities (32-byte secrets, oldest first), so bundles sealed to an old recipient still open.
BLOB_NAME_KEY = "blob_name_key"
PREVIOUS_IDENTITIES = "previous_age_identities"


def now() -> str:
    """UTC time as ISO 8601 with microseconds: the one timestamp format of the vault."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


# How long a statement waits for another process's write transaction before giving up. An
# ingest batch commits in well under a second; a verify or a bulk import commits in batches too.
BUSY_TIMEOUT_MS = 60_000


def _engine(path: Path, db_key: bytes) -> Engine:
    url = URL.create("sqlite+pysqlcipher", password=f"x'{db_key.hex()}'", database=str(path))
    engine = create_engine(url, poolclass=None, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in (
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "journal_mode=WAL",
            "synchronous=FULL",
            "temp_store=MEMORY",
            "foreign_keys=ON",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    return engine


def _begin_immediate(db: DbSession) -> None:
    """Take the database's write lock before the transaction reads anything.

    Another process may have the vault open. The driver begins a transaction only at the first
    write, so a transaction that read the audit head and then wrote could append after a head
    another process had just moved (or fail, its snapshot stale): two writers must never
    both append after the same head. BEGIN IMMEDIATE waits here, under busy_timeout, instead.
    Reads stay outside transactions and never block the other process (WAL).
    """
    conn = db.connection()
    if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class VaultLock:
    """``<vault>/lock``: shared by every process that has the vault open, exclusive only for
    the clean-ups that must know no other process is mid-write (emptying ``tmp/``, removing
    orphan blobs). Two processes work on one vault at once (an officer's batch ingest in the
    CLI while an analyst reviews in the GUI); the database serialises their writes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        self.exclusive = False

    def acquire(self) -> None:
        """Exclusive if no one else has the vault open, else shared (waits out an opening or a
        closing process, which holds it exclusively for a moment)."""
        if self.try_exclusive():
            return
        deadline = time.monotonic() + 30
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                self.exclusive = False
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.release()
                    raise VaultUnavailable(
                        f"{self.folder}: the vault is held by another Custos process"
                    ) from None
                time.sleep(0.02)

    def to_exclusive(self) -> bool:
        """From shared to exclusive if no other process has the vault open; else stay shared
        (Linux drops a shared flock whose conversion fails: it is taken again)."""
        if self.exclusive or self.try_exclusive():
            return True
        fcntl.flock(self.fd, fcntl.LOCK_SH)
        return False

    def try_exclusive(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.exclusive = True
        return True

    def share(self) -> None:
        if self.exclusive:
            fcntl.flock(self.fd, fcntl.LOCK_SH)
            self.exclusive = False

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _clean_tmp(folder: Path) -> None:
    """Empty ``tmp/``, but for the files a live process holds locked: a command line's large
    files being staged before its unlock (``vault.stageahead``; never plaintext)."""
    tmp = folder / "tmp"
    for attempt in range(3):
        try:
            if tmp.is_symlink():
                tmp.unlink()
            elif tmp.exists():
                for entry in os.scandir(tmp):
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    elif not _held(entry.path):
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(entry.path)
            break
        except OSError:
            # "Directory not empty": an ingest worker of a process killed a moment ago was
            # still finishing a temp file (it dies with its parent: see vault.storework).
            if attempt == 2:
                raise
            time.sleep(0.05)
    tmp.mkdir(mode=0o700, exist_ok=True)


def _held(path: str) -> bool:
    """Whether another process holds ``path`` locked (``flock``)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class SeqRanges:
    """A set of audit seqs kept as sorted, merged ranges (a session appends runs of entries)."""

    def __init__(self) -> None:
        self._ranges: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def add(self, first: int, last: int) -> None:
        with self._lock:
            merged = [*self._ranges, (first, last)]
            merged.sort()
            out: list[tuple[int, int]] = []
            for a, b in merged:
                if out and a <= out[-1][1] + 1:
                    out[-1] = (out[-1][0], max(out[-1][1], b))
                else:
                    out.append((a, b))
            self._ranges = out

    def __contains__(self, seq: object) -> bool:
        with self._lock:
            return isinstance(seq, int) and any(a <= seq <= b for a, b in self._ranges)


_OWN_SUBKEYS = frozenset({"database", "blob-names", "age-identity", VAULT_FILE_KEY})


class Session:
    """An unlocked vault and the user acting on it."""

    def __init__(
        self,
        folder: Path,
        config: VaultConfig,
        vault_key: bytes,
        lock: VaultLock,
        user: str,
        schema: Schema,
    ) -> None:
        self.folder = folder
        self.schema = schema
        self._lock = lock
        self._use_vault_key(vault_key, config)
        # One lock for all database work of this session, reads included: SQLCipher crashed
        # (segfault in do_execute) when two threads ran statements at once, each on its own
        # connection. Serialising costs little on a workstation and rules that out.
        self.write_lock = threading.RLock()
        self.user = user
        self.roles: frozenset[Role] = frozenset()
        self._audit: AuditLog | None = None
        self._signing: Ed25519PrivateKey | None = None  # loaded from the database at start
        # This machine's enrolled key for the vault (``vault.workstations``); None: the shared key
        self._station: workstations.Station | None = None
        # The database is behind the code (until ``migrate``): no workstations table yet, so no
        # enrolled key and no revocation to check (entries a revision or a recovery signs then).
        self._old_schema = False
        self._user_keys: keys.UserKeys | None = None  # the acting user's own (their slot)
        self._user_signing: Ed25519PrivateKey | None = None  # signs this session's entries
        # Database sessions in use on any thread; close() waits for them, so a GUI lock or sign
        # out never pulls the SQLCipher connection from under a worker thread.
        self._in_use = 0
        self._closed = False
        self._users = threading.Condition()
        # Objects kept for the life of this session (galleries of large watchlists, their
        # index): on the session, so they go when it closes and never outlive the vault key.
        self._cached: dict[str, Any] = {}
        self._cached_lock = threading.Lock()
        # The audit entries this session committed: the live view (vault.changes) reports only
        # what others wrote.
        self.own_entries = SeqRanges()

    def _use_vault_key(self, vault_key: bytes, config: VaultConfig) -> None:
        """Work under ``vault_key`` from now on: the database, blob headers and vault.toml MACs
        (at opening, and when a vault-key rotation has replaced the key)."""
        self._vault_key = vault_key
        self.config = config
        self.engine = _engine(self.folder / DB_FILE, keys.subkey(vault_key, "database"))
        self._dbs = sessionmaker(self.engine, expire_on_commit=False)
        identity = keys.vault_identity(vault_key)
        recipients = [identity.recipient, agefmt.Recipient.parse(config.recovery_recipient)]
        self.blobs = BlobStore(
            self.folder, keys.subkey(vault_key, "blob-names"), recipients, identity
        )
        self.blobs.locate = self._locate
        self._previous: tuple[agefmt.Identity, ...] = ()

    def _locate(self, name: str) -> tuple[str, int, int] | None:
        """Where a packed object is (pack, offset, size); None for a blob of its own."""
        with self.db() as db:
            row = db.execute(
                select(Blob.pack, Blob.pack_offset, Blob.size).where(Blob.name == name)
            ).first()
        return (row[0], row[1], row[2]) if row is not None and row[0] else None

    def _load_key_meta(self, db: DbSession) -> None:
        """The blob-name key and earlier identities a vault-key rotation left in the database."""
        name_key = db.get(Meta, BLOB_NAME_KEY)
        previous = db.get(Meta, PREVIOUS_IDENTITIES)
        raw = previous.value if previous is not None else b""
        self._previous = tuple(
            agefmt.Identity(raw[i : i + keys.KEY_BYTES]) for i in range(0, len(raw), keys.KEY_BYTES)
        )
        self.blobs.use_keys(
            name_key.value if name_key is not None else keys.subkey(self._vault_key, "blob-names"),
            self.age_identities,
        )

    # --- opening -------------------------------------------------------------------------
    def schema_behind(self) -> bool:
        """Whether the database's revision is not the code's head (one SELECT).

        ``VaultUnavailable`` for a revision this Custos does not know (a newer one's)."""
        with self.write_lock, self.engine.connect() as conn:
            revision = migrations.revision_of(conn)
        if revision is not None and not migrations.known(revision):
            raise VaultUnavailable(
                f"{self.folder}: the vault's database was changed by a newer Custos "
                f"(schema {quoted(revision)}); update Custos"
            )
        return revision != migrations.HEAD

    def migrate(self) -> None:
        """Bring the database to the head revision (``vault.migrate``); the vault held alone."""
        from vault import migrate

        with self.write_lock, self.engine.connect() as conn:
            migrate.upgrade(conn, self, self.config.format)
        self._old_schema = False
        self._new_audit_log()

    def _start(self) -> None:
        """Load the signing key and the user's roles; refuse a disabled or unknown user, and a
        slot that is not this user's (its keys must be the ones the user row records)."""
        hostile: IntegrityFault | None = None
        with self.db() as db:
            key = db.get(Meta, "signing_key")
            if key is None:
                raise VaultUnavailable(f"{self.folder}: the vault database is damaged")
            try:
                self._station = None if self._old_schema else workstations.load(self, db)
            except IntegrityFault as exc:
                hostile = exc
            self.use_signing_key(Ed25519PrivateKey.from_private_bytes(key.value))
            self._load_key_meta(db)
            # Columns, not the entity: this runs before the schema is brought to head.
            user = db.execute(
                select(User.name, User.disabled, User.signing_public, User.roles).where(
                    sealing.equals(db, User.name, self.user)
                )
            ).first()
            # the name as unsealed: a blind index copied to another row on a server finds it
            if user is None or user.name != self.user or user.disabled:
                raise AuthenticationFailed("unknown user or wrong password")
            own = self._user_keys
            if own is None or user.signing_public != own.public_hex:
                raise AuthenticationFailed("unknown user or wrong password")
            self.roles = frozenset(Role(r) for r in user.roles.split(",") if r)
        if hostile is not None:  # the user is known now: their refusal goes into the log
            self._record_refusal(Refusal(hostile.message, "", "vault"), KEY_REFUSED)
            raise hostile

    def cached(self, key: str, make: Callable[[], T]) -> T:
        """The session's object under ``key``, made by ``make`` on first use."""
        with self._cached_lock:
            if key not in self._cached:
                self._cached[key] = make()
            return self._cached[key]

    def drop_cached(self, key: str) -> None:
        with self._cached_lock:
            self._cached.pop(key, None)

    def use_signing_key(self, key: Ed25519PrivateKey) -> None:
        """The vault's shared key (signs bundles and cards, and the entries of a process with
        no enrolled key of its own) from now on."""
        self._signing = key
        self._new_audit_log()

    @property
    def workstation(self) -> workstations.Station | None:
        """The enrolled workstation this session writes as; None: the vault's shared key."""
        return self._station

    def use_workstation(self, station: workstations.Station | None) -> None:
        self._station = station
        self._new_audit_log()

    def _new_audit_log(self) -> None:
        if self._signing is None or self._user_signing is None:
            return
        st = self._station
        key, name = (st.key, st.name) if st is not None else (self._signing, "")
        check = None if self._old_schema else lambda db: workstations.check_writer(db, name)
        self._audit = AuditLog(key, self._user_signing, name, check)

    def use_user_keys(self, user: keys.UserKeys) -> None:
        """The acting user's own keys (after unlock, or a change of their own password)."""
        self._user_keys = user
        self._sign_as(user.signing)

    def _sign_as(self, key: Ed25519PrivateKey) -> None:
        self._user_signing = key
        self._new_audit_log()

    # --- vault-key rotation (vault.rotation) ------------------------------------------------
    def hold_alone(self) -> bool:
        """The vault to this process alone (exclusive lock), or False if another has it open."""
        return self._lock.to_exclusive()

    def share_lock(self) -> None:
        self._lock.share()

    def vault_key_for_rotation(self) -> bytes:
        """The vault key, for ``vault.rotation`` only (which replaces it)."""
        return self._vault_key

    def after_rotation(self) -> None:
        """The vault key was replaced: drop what was made under the old one, pin the head."""
        with self._cached_lock:
            self._cached.clear()
        with contextlib.suppress(OSError), self._file_lock(), self.db() as db:
            advance_head_file(self.folder, db)

    def close(self, timeout: float = 60.0) -> None:
        """Refuse new database work, wait for work in flight, then release the vault."""
        with self._users:
            self._closed = True
            idle = self._users.wait_for(lambda: self._in_use == 0, timeout=timeout)
        # No commit of this process can follow, and holding the lock exclusively means no other
        # process has the vault open: blobs moved in by cancelled or failed jobs can go.
        if idle and self._lock.fd >= 0 and self._lock.try_exclusive():
            with contextlib.suppress(Exception), self.write_lock, self._dbs() as db:
                self.blobs.settle(db)
        self.engine.dispose()
        with self._cached_lock:
            self._cached.clear()
        self._lock.release()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- database and audit --------------------------------------------------------------
    @contextlib.contextmanager
    def _database(self) -> Iterator[DbSession]:
        with self._users:
            if self._closed:
                raise VaultUnavailable(f"{self.folder}: the vault was locked or closed")
            self._in_use += 1
        try:
            with self.write_lock, self._dbs() as db:
                yield db
        finally:
            with self._users:
                self._in_use -= 1
                self._users.notify_all()

    @contextlib.contextmanager
    def db(self) -> Iterator[DbSession]:
        """A read-mostly database session (no transaction is committed)."""
        with self._database() as db:
            yield db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[DbSession]:
        """One atomic write: rows and their audit entries commit together or not at all.

        A write this workstation may no longer make is rolled back and its refusal recorded."""
        try:
            with self.write_lock, self._database() as db, db.begin():
                _begin_immediate(db)
                yield db
                written = appended(db)
        except Refusal as refused:
            self._record_refusal(refused)
            raise
        if written is not None:
            self.own_entries.add(*written)
        try:
            with self._file_lock(), self.db() as db:
                advance_head_file(self.folder, db)
        except OSError:
            # The work is committed; failing now would report it lost. The pin only lags (verify
            # accepts a pinned head older than the log) and is written by the next transaction.
            pass

    def audit(
        self,
        db: DbSession,
        action: str,
        row: Base | None = None,
        target: str = "",
        **details: Any,
    ) -> None:
        """Append an audit entry; with ``row``, record its digest so verify can check the row."""
        assert self._audit is not None
        if row is not None:
            # Flush only a row that is new or changed since the last flush (its id and column
            # defaults are set by the flush); an already flushed row needs none, which lets
            # batches add their audit entries without one round trip each.
            state = inspect(row)
            if not state.persistent or state.modified:
                db.flush()
            target = audit_target(row)
            values = row_state(row)
            details["digest"] = state_digest(values)
            details["columns"] = column_digests(values)
        self._audit.append(db, now(), self.user, action, target, details)

    def _record_refusal(self, refused: Refusal, action: str = REFUSED) -> None:
        """``workstation.refused`` (or ``.key_refused``: this machine's key file), outside the
        refused transaction and past the check that refused it (see ``vault.workstations`` for
        whose signatures it carries and why)."""
        assert self._audit is not None
        log = self._audit.unchecked()
        details = {"workstation": refused.workstation, "refused": refused.action}
        if action != REFUSED:
            details = {"problem": refused.message}
        with self.write_lock, self._database() as db, db.begin():
            _begin_immediate(db)
            log.append(db, now(), self.user, action, refused.target, details)
        with contextlib.suppress(OSError), self._file_lock(), self.db() as db:
            advance_head_file(self.folder, db)

    def claim_write(self, db: DbSession, action: str) -> None:
        """Refuse now, before the transaction changes anything, if this workstation may not
        write (``AuditLog.claim``)."""
        assert self._audit is not None
        self._audit.claim(db, action)

    def audit_many(self, db: DbSession, entries: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Append (action, target, details) entries at once (one INSERT); each still signed.

        For batches whose rows went in by bulk INSERT: ``details`` carry the row digests
        (``values_digest``) that ``audit(db, action, row)`` would have recorded.
        """
        assert self._audit is not None
        self._audit.extend(db, now(), self.user, entries)

    def wait_for_change(self, stop: threading.Event, seconds: float) -> None:
        """Sleep up to ``seconds`` or until ``stop``; the live view looks at the head after it.

        A local vault has nothing to wake it sooner: another process's commit is seen at the
        next look (``vault.changes`` looks four times a second)."""
        stop.wait(seconds)

    # --- permissions ---------------------------------------------------------------------
    def may(self, permission: str) -> bool:
        return allowed(self.roles, permission)

    def require(self, permission: str, target: str = "") -> None:
        if self.may(permission):
            return
        roles, what = PERMISSIONS[permission]
        with self.transaction() as db:
            self.audit(db, "permission.refused", target=target, permission=permission)
        needs = " or ".join(sorted(r.value for r in roles))
        raise PermissionDenied(f"user {self.user!r} may not {what} (needs role {needs})")

    def signing_key(self) -> Ed25519PrivateKey:
        """The workstation's private Ed25519 key (exchange signs bundles and key cards)."""
        if self._signing is None:
            raise VaultUnavailable(f"{self.folder}: the vault is not unlocked")
        return self._signing

    def subkey(self, purpose: str) -> bytes:
        """A vault subkey for a purpose of its own (``keys.subkey``); never one the vault itself
        uses (database, blob names, age identity)."""
        if purpose in _OWN_SUBKEYS:
            raise ValueError(f"subkey {purpose!r} is the vault's own")
        return keys.subkey(self._vault_key, purpose)

    @property
    def age_identity(self) -> agefmt.Identity:
        """The vault's own age identity (exchange decrypts bundles sent to this agency)."""
        return keys.vault_identity(self._vault_key)

    @property
    def age_identities(self) -> tuple[agefmt.Identity, ...]:
        """The current identity, then those the vault had before its key was rotated (newest
        first): a bundle a partner sealed to our old recipient still opens."""
        return (self.age_identity, *reversed(self._previous))

    @property
    def signing_public(self) -> Ed25519PublicKey:
        """The workstation's current public key (signs new audit entries, bundles, cards)."""
        return self.signing_key().public_key()

    @property
    def chain_root_public(self) -> Ed25519PublicKey:
        """The key that signed the audit chain's first entry (``vault.toml``); rotations to later
        keys are themselves signed entries of the chain, so verify follows them from here."""
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.config.signing_public))

    def set_password(self, name: str, password: str) -> tuple[str, keys.UserKeys]:
        """Write a new key slot for ``name`` holding new keys of their own; returns the slot id
        (stored in the user row) and the keys (their public half goes into the row and the
        audit entry). New keys each time: an old slot's password must open nothing current."""
        user = keys.UserKeys.generate()
        with self._config_file() as config:
            kdf = self._kdf_checked(config)
            user_key = keys.password_key(password, name, config.salt, kdf)
            slot = keys.slot_id(user_key)
            config.slots[slot] = keys.Slot.make(
                user, user_key, slot, config.vault_id, self._vault_key
            ).encode()
        return slot, user

    def _kdf_checked(self, config: VaultConfig) -> KdfParams:
        """The file's KDF parameters, refused below the floor or below those the vault was
        created with (its first entry, signed by the first admin)."""
        kdf = config.kdf
        created = self._created_kdf()
        if kdf.below(keys.KDF_FLOOR) or (created is not None and kdf.below(created)):
            raise IntegrityFault(
                f"{self.folder / 'vault.toml'}: key derivation parameters weaker than this vault "
                f"was created with ({kdf.memory_kib} KiB, {kdf.iterations} passes); "
                "no password slot is written under them"
            )
        return kdf

    def _created_kdf(self) -> KdfParams | None:
        with self.db() as db:  # the column alone: this runs before a schema upgrade too
            first = db.scalar(select(AuditEntry.details).where(AuditEntry.seq == 1))
        if first is None:
            return None
        try:
            m, t, p = (int(x) for x in json.loads(first)["kdf"].split("/"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return KdfParams(m, t, p)

    def drop_slot(self, slot: str | None) -> None:
        if slot:
            with self._config_file() as config:
                config.slots.pop(slot, None)

    @contextlib.contextmanager
    def _config_file(self) -> Iterator[VaultConfig]:
        """``vault.toml`` re-read, changed and saved under a lock of its own: another process
        with the vault open may have added or dropped a slot since this session read it."""
        with self._file_lock():
            config = VaultConfig.load(self.folder)
            self._check_file(config)
            yield config
            config.seal(keys.subkey(self._vault_key, VAULT_FILE_KEY))
            config.save(self.folder)
            self.config = config

    def vault_file_changes(self) -> list[str]:
        """The fields of ``vault.toml`` as it is on disk now whose MAC does not match (verify)."""
        try:
            config = VaultConfig.load(self.folder)
        except VaultUnavailable:
            return ["the whole file (unreadable)"]
        changed = config.changed_fields(keys.subkey(self._vault_key, VAULT_FILE_KEY))
        created = self._created_kdf()
        if "kdf" not in changed and created is not None and config.kdf.below(created):
            changed.append("kdf (weaker than the vault was created with)")
        return changed

    def _check_file(self, config: VaultConfig) -> None:
        """Refuse a ``vault.toml`` changed by someone without the vault key, naming the field.

        A vault made before the file carried MACs gets them now; from then on the database
        records that it has them, so stripping the ``[auth]`` table is refused too."""
        key = keys.subkey(self._vault_key, VAULT_FILE_KEY)
        if not config.auth:
            with self.db() as db:
                sealed = db.get(Meta, _SEALED) is not None
            if not sealed:
                config.seal(key)
                config.save(self.folder)
                with self.transaction() as db:
                    db.merge(Meta(key=_SEALED, value=b"1"))
                return
        changed = config.changed_fields(key)
        if changed:
            raise IntegrityFault(
                f"{self.folder / 'vault.toml'}: changed outside Custos ({', '.join(changed)}); "
                "not opening the vault (restore the file from a backup)"
            )

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Excludes other processes while a plain file of the vault is read and rewritten
        (``vault.toml``, ``audit.head``). fcntl record locks on ``lock``, not flock: this
        process already holds ``lock`` with flock, and the two kinds do not interact on Linux."""
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


P = ParamSpec("P")
T = TypeVar("T")


def requires(
    permission: str,
) -> Callable[[Callable[Concatenate[Session, P], T]], Callable[Concatenate[Session, P], T]]:
    """Check ``permission`` for the acting user before the call; audit a refusal."""

    def decorate(fn: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Session, P], T]:
        @functools.wraps(fn)
        def wrapper(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
            session.require(permission, target=fn.__name__)
            return fn(session, *args, **kwargs)

        return wrapper

    return decorate


def init_vault(
    folder: Path,
    admin: str,
    password: str,
    schema: Schema,
    recovery_recipient: str | None = None,
    kdf: KdfParams | None = None,
) -> tuple[Session, agefmt.Identity | None]:
    """Create a vault; returns the admin's session and the new recovery identity (if made here)."""
    check_new_vault(folder)
    _check_new_password(password)
    recovery: agefmt.Identity | None = None
    if recovery_recipient:
        try:
            recipient = agefmt.Recipient.parse(recovery_recipient)
        except agefmt.AgeError:
            raise UserError(f"{recovery_recipient!r} is not an age recipient (age1...)") from None
    else:
        recovery = agefmt.Identity.generate()
        recipient = recovery.recipient
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if kdf is not None and kdf.below(keys.KDF_FLOOR):
        raise UserError("key derivation parameters below the floor (8 MiB, 1 pass)")
    vault_key = keys.new_vault_key()
    signing = Ed25519PrivateKey.generate()
    recovery_signing = Ed25519PrivateKey.generate()
    config = VaultConfig(
        vault_id=uuid.uuid4().hex,
        salt=os.urandom(16),
        kdf=kdf or KdfParams(),
        vault_recipient=str(keys.vault_identity(vault_key).recipient),
        recovery_recipient=str(recipient),
        recovery_wrapped_key=agefmt.encrypt_bytes(vault_key, [recipient]),
        signing_public=signing.public_key().public_bytes_raw().hex(),
        recovery_signing_key=agefmt.encrypt_bytes(
            recovery_signing.private_bytes_raw(), [recipient]
        ),
    )
    (folder / "blobs").mkdir(mode=0o700)
    _clean_tmp(folder)
    lock = VaultLock(folder)
    lock.acquire()
    config.seal(keys.subkey(vault_key, VAULT_FILE_KEY))
    config.save(folder)  # slots are added to the file as it is on disk
    session = Session(folder, config, vault_key, lock, admin, schema)
    # The models' tables, stamped at the head revision: what the revisions build from empty
    # (tests/vault/test_migrations.py), without importing Alembic or running each revision. One
    # transaction (the driver would commit each CREATE on its own: one sync per statement).
    with session.engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        Base.metadata.create_all(conn, tables=schema.tables)
        migrations.stamp_head(conn)
        conn.commit()
    with session.transaction() as db:
        db.add(Meta(key="signing_key", value=signing.private_bytes_raw()))
        db.add(Meta(key=_SEALED, value=b"1"))
    lock.share()
    slot, admin_keys = session.set_password(admin, password)
    session.roles = frozenset(ALL_ROLES)
    session.use_signing_key(signing)
    session.use_user_keys(admin_keys)
    k = config.kdf
    with session.transaction() as db:
        user = User(
            name=admin,
            roles=",".join(sorted(ALL_ROLES)),
            created_at=now(),
            slot=slot,
            signing_public=admin_keys.public_hex,
        )
        db.add(user)
        session.audit(
            db,
            "vault.created",
            target="vault",
            vault_id=config.vault_id,
            admin_public=admin_keys.public_hex,
            recovery_public=recovery_signing.public_key().public_bytes_raw().hex(),
            kdf=f"{k.memory_kib}/{k.iterations}/{k.lanes}",
        )
        session.audit(
            db,
            "user.added",
            user,
            name=admin,
            roles=user.roles,
            signing_public=admin_keys.public_hex,
        )
    return session, recovery


def check_new_vault(folder: Path) -> None:
    """``UserError`` unless a vault can be made at ``folder`` (a face checks before prompting)."""
    if is_vault(folder):
        raise UserError(f"{folder}: a vault already exists here")
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder}: the folder is not empty; choose an empty or new folder")


def _check_new_password(password: str) -> None:
    if len(password) < 8:
        raise UserError("the password is too short (at least 8 characters)")


def check_vault(folder: Path) -> VaultConfig:
    """The vault's settings; ``VaultUnavailable`` if there is no vault of a known format here.

    Cheap (reads ``vault.toml``): a face calls it before asking for a user and password.
    """
    if not folder.exists():
        raise VaultUnavailable(f"{folder}: no vault here (run 'custos init' first)")
    return VaultConfig.load(folder)


def _open(folder: Path) -> tuple[VaultConfig, VaultLock]:
    config = check_vault(folder)
    lock = VaultLock(folder)
    lock.acquire()
    try:
        if lock.exclusive:  # no other process is writing: what is in tmp/ is left over
            _clean_tmp(folder)
        else:
            (folder / "tmp").mkdir(mode=0o700, exist_ok=True)
    except BaseException:
        lock.release()
        raise
    return config, lock


def _settle_rotation(folder: Path, config: VaultConfig, vault_key: bytes, lock: VaultLock) -> bool:
    """A vault-key rotation interrupted by a crash is rolled back or finished before anything
    else (``vault.rotation``); True when its blob headers remain to be re-wrapped."""
    from vault import rotation

    if not rotation.pending(folder):
        return False
    if not lock.exclusive:
        raise VaultUnavailable(
            f"{folder}: an interrupted vault-key rotation is being finished by another Custos "
            "process; try again when it is done"
        )
    try:
        return rotation.settle_files(folder, config, vault_key)
    except BaseException:
        lock.release()
        raise


def _schema_checked(session: Session, lock: VaultLock) -> bool:
    """Whether the database is behind the code (one SELECT of its revision); refused in one line
    if so while another process holds the vault (an older Custos: it cannot be migrated now)."""
    behind = session._old_schema = session.schema_behind()
    if behind and not lock.exclusive:
        raise VaultUnavailable(
            f"{session.folder}: the vault is open in an older Custos that cannot use it with this "
            "one; close it there and try again"
        )
    return behind


def _catch_up(session: Session, lock: VaultLock, behind: bool) -> None:
    """With the vault held alone and the user known (the format-3 step signs an audit entry):
    the schema revisions (Alembic, imported only when ``behind``), the rest of a format
    upgrade, orphans of a crash if marked; then the vault is shared."""
    if not lock.exclusive:
        return
    from vault.upgrade import finish

    if behind:
        session.migrate()
    finish(session)
    with session.db() as db:
        session.blobs.settle(db)
    lock.share()


def _session(
    folder: Path,
    config: VaultConfig,
    vault_key: bytes,
    lock: VaultLock,
    user: str,
    schema: Schema,
    own: keys.UserKeys,
) -> Session:
    rewrap = _settle_rotation(folder, config, vault_key, lock)
    session = Session(folder, config, vault_key, lock, user, schema)
    session._user_keys = own
    session._user_signing = own.signing
    try:
        session._check_file(config)  # before anything is written under this file's keys
        if rewrap:
            from vault import rotation

            rotation.finish(session, vault_key)
        behind = _schema_checked(session, lock)
        session._start()
        _catch_up(session, lock, behind)
    except DatabaseError:
        session.close()
        raise VaultUnavailable(f"{folder}: the vault database cannot be read (damaged)") from None
    except BaseException:
        session.close()
        raise
    return session


def unlock(
    folder: Path,
    user: str,
    password: str,
    schema: Schema,
    ahead: keys.Derivation | None = None,
) -> Session:
    """Open the vault as ``user``. Wrong name, wrong password and disabled user fail alike.

    Faces and tests call ``service.opener.unlock``, which passes every layer's ``schema``."""
    config, lock = _open(folder)
    try:
        user_key = keys.password_key(password, user, config.salt, config.kdf, ahead)
        slot = keys.slot_id(user_key)
        raw = config.slots.get(slot)
        parsed = keys.Slot.decode(raw) if raw else None
        opened = parsed.open(user_key, slot, config.vault_id) if parsed else None
        if opened is None:
            raise AuthenticationFailed("unknown user or wrong password")
        own, vault_key = opened
    except BaseException:
        lock.release()
        raise
    return _session(folder, config, vault_key, lock, user, schema, own)


def recover(folder: Path, identity_text: str, admin: str, password: str, schema: Schema) -> Session:
    """Reopen a vault with the escrowed recovery identity and give ``admin`` a new password."""
    _check_new_password(password)
    config, lock = _open(folder)
    try:
        identity = agefmt.Identity.parse(identity_text)
        vault_key = agefmt.decrypt_bytes(config.recovery_wrapped_key, identity)
        recovery_key = Ed25519PrivateKey.from_private_bytes(
            agefmt.decrypt_bytes(config.recovery_signing_key, identity)
        )
    except (agefmt.AgeError, ValueError):
        lock.release()
        raise AuthenticationFailed("the recovery identity does not open this vault") from None
    try:
        rewrap = _settle_rotation(folder, config, vault_key, lock)
    except BaseException:
        lock.release()
        raise
    session = Session(folder, config, vault_key, lock, admin, schema)
    try:
        session._check_file(config)
        behind = _schema_checked(session, lock)
        if rewrap:
            from vault import rotation

            rotation.finish(session, vault_key)
        with session.db() as db:
            key = db.get(Meta, "signing_key")
            assert key is not None
            signing = Ed25519PrivateKey.from_private_bytes(key.value)
            session._station = None if behind else workstations.load(session, db)
        # The recovery entry is signed by the recovery key: proof that whoever made it held the
        # escrowed identity, which no user's password gives.
        session._sign_as(recovery_key)
        session.use_signing_key(signing)
        with session.transaction() as db:
            user = db.scalar(select(User).where(sealing.equals(db, User.name, admin)))
            if user is None or user.name != admin:
                user = User(name=admin, roles="", created_at=now())
                db.add(user)
            session.drop_slot(user.slot)
            user.slot, own = session.set_password(admin, password)
            user.signing_public = own.public_hex
            user.disabled = False
            user.roles = ",".join(sorted({*filter(None, user.roles.split(",")), Role.ADMIN.value}))
            session.audit(
                db,
                "vault.recovered",
                user,
                name=admin,
                roles=user.roles,
                signing_public=own.public_hex,
            )
        session.use_user_keys(own)
        session._start()
        _catch_up(session, lock, behind)
    except BaseException:
        session.close()
        raise
    return session
