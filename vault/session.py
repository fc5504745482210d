"""Opening a vault: init, unlock, recover; and the authenticated ``Session`` every call takes.

A ``Session`` is who is acting on which unlocked vault. Core functions take it first, check the
permission with ``@requires`` (a refusal is audited) and record what they change with ``audit``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import inspect, literal, select
from sqlalchemy.exc import DatabaseError, DBAPIError
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from vault import agefmt, keys, migrations, sealing, workstations
from vault.audit import (
    KEY_REFUSED,
    REFUSED,
    AuditLog,
    Refusal,
    advance_head_file,
    appended,
    read_head_file,
)
from vault.backend import Backend, Lock, Server, connection_lost, open_backend
from vault.backend import clean_tmp as _clean_tmp
from vault.blobs import BlobStore, Row
from vault.config import VaultConfig
from vault.errors import (
    AuthenticationFailed,
    ConnectionLost,
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

VAULT_FILE_KEY = "vault-file"  # subkey of the MACs in vault.toml
_SEALED = "vault_file_sealed"  # meta row: this vault's vault.toml carries MACs (never stripped)
# Meta rows a vault-key rotation writes (the values are encrypted with the database): the blob-name
# key in force since the vault was made, so names never change, and the vault's earlier age
# identities (32-byte secrets, oldest first), so bundles sealed to an old recipient still open.
BLOB_NAME_KEY = "blob_name_key"
PREVIOUS_IDENTITIES = "previous_age_identities"
# Subkeys a rotation keeps as they were (meta ``subkey:<purpose>``, like the blob-name key): the
# workstation key files on every enrolled machine are sealed under the first, the workstations'
# PostgreSQL login roles are named with the second; neither file nor role name can follow a
# new vault key (the other machines are not there to be rewritten), and neither opens a record.
KEPT_SUBKEYS = ("workstation-key", "workstation-login")


def kept_meta(purpose: str) -> str:
    """The meta row that keeps ``purpose``'s subkey across vault-key rotations."""
    return "subkey:" + purpose


def now() -> str:
    """UTC time as ISO 8601 with microseconds: the one timestamp format of the vault."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


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
        backend: Backend,
        config: VaultConfig,
        vault_key: bytes,
        user: str,
        schema: Schema,
    ) -> None:
        self.backend = backend
        # A local working folder (tmp/, caches, the sign-in ledger): the vault's own folder, or
        # on an agency server this workstation's folder for it (``vault.backend``).
        self.folder = backend.folder
        self.schema = schema
        self._lock: Lock = backend.lock
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
        self._abandoned = ""  # why every later use is refused (``abandon``)
        self._users = threading.Condition()
        # Objects kept for the life of this session (galleries of large watchlists, their
        # index): on the session, so they go when it closes and never outlive the vault key.
        self._cached: dict[str, Any] = {}
        self._cached_lock = threading.Lock()
        # The audit entries this session committed: the live view (vault.changes) reports only
        # what others wrote.
        self.own_entries = SeqRanges()
        # What opening the vault could not do but did not need (one line each, for the face to
        # show): an interrupted rotation's re-wrap that failed, for instance; and what later
        # work met (an unsized pack's read): ``warn``, told to each ``on_warning`` listener.
        self.warnings: list[str] = []
        self._listeners: list[Callable[[str], None]] = []

    def _use_vault_key(self, vault_key: bytes, config: VaultConfig) -> None:
        """Work under ``vault_key`` from now on: the database, blob headers and vault.toml MACs
        (at opening, and when a vault-key rotation has replaced the key)."""
        self._vault_key = vault_key
        self.config = config
        self.engine = self.backend.engine(vault_key)
        self._dbs = sessionmaker(self.engine, expire_on_commit=False)
        identity = keys.vault_identity(vault_key)
        recipients = [identity.recipient, agefmt.Recipient.parse(config.recovery_recipient)]
        self.blobs = BlobStore(
            self.backend.store,
            self.folder / "tmp",
            keys.subkey(vault_key, "blob-names"),
            recipients,
            identity,
        )
        self.blobs.row_of = self._blob_row
        self.blobs.pack_size_of = self._pack_size
        self.blobs.warn = self.warn
        self._previous: tuple[agefmt.Identity, ...] = ()
        self._kept: dict[str, bytes] = {}  # KEPT_SUBKEYS as a rotation left them

    def _blob_row(self, name: str) -> Row | None:
        """Blob ``name``'s row: its pack (None for a blob of its own), offset in the pack,
        plaintext size and the pack's recorded size; None if no row names it. A database an
        upgrade has not brought to r0014 yet (r0004 reads blobs) has no pack sizes."""
        size = literal(None) if self._old_schema else Blob.pack_size
        with self.db() as db:
            row = db.execute(
                select(Blob.pack, Blob.pack_offset, Blob.size, size).where(Blob.name == name)
            ).first()
        return None if row is None else (row[0] or None, row[1] or 0, row[2], row[3])

    def _pack_size(self, pack: str) -> int | None:
        """Pack ``pack``'s recorded encrypted size (None: unrecorded, or no row names it)."""
        if self._old_schema:
            return None
        with self.db() as db:
            return db.scalar(select(Blob.pack_size).where(Blob.pack == pack).limit(1))

    def _load_key_meta(self, db: DbSession) -> None:
        """The blob-name key and earlier identities a vault-key rotation left in the database."""
        name_key = db.get(Meta, BLOB_NAME_KEY)
        previous = db.get(Meta, PREVIOUS_IDENTITIES)
        raw = previous.value if previous is not None else b""
        self._kept = {}
        for purpose in KEPT_SUBKEYS:
            kept = db.get(Meta, kept_meta(purpose))
            if kept is not None:
                self._kept[purpose] = kept.value
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
            self._load_key_meta(db)  # before the key file: its subkey may be a kept one
            try:
                self._station = None if self._old_schema else workstations.load(self, db)
            except IntegrityFault as exc:
                hostile = exc
            self.use_signing_key(Ed25519PrivateKey.from_private_bytes(key.value))
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
        """The vault key, for ``vault.rotation`` (which replaces it) and ``vault.push`` (which
        gives the server's engine its sealing keys) only."""
        return self._vault_key

    def after_rotation(self) -> None:
        """The vault key was replaced: drop what was made under the old one, pin the head."""
        with self._cached_lock:
            self._cached.clear()
        with contextlib.suppress(OSError):
            self.pin_head()

    def pin_head(self) -> None:
        """Pin the audit head outside the database (``audit.head``): in the vault's folder, or
        on an agency server in this workstation's own folder (``pin_folder``), where the
        server's operator cannot reach it. Only a head that extends the pinned one is pinned."""
        if self.backend.pins_head:
            # write_lock (inside db()) before the pin's lock, as every transaction that pins
            # at its end holds them: the other order deadlocks against it (a rotation on one
            # thread, a job pinning on another)
            with self.db() as db, self.backend.pin_lock():
                advance_head_file(self.pin_folder, db)

    def history_kept(self, db: DbSession) -> bool:
        """False if the database's chain no longer holds the head this workstation pinned (cut
        back, rolled back, restored from an older backup): its objects must not be taken for
        orphans then (they are the evidence of the history this workstation saw), and verify
        names the cut."""
        pinned = read_head_file(self.pin_folder) if self.backend.pins_head else None
        if pinned is None or pinned.seq <= 0:
            return True
        # The column alone (this runs before a schema upgrade too: see ``AuditEntry``).
        return db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == pinned.seq)) == (
            pinned.hash
        )

    @property
    def pin_folder(self) -> Path:
        """Where ``audit.head`` is: the vault's folder; on an agency server, this workstation's
        folder for this vault (per vault id: a vault made again at the same address starts with
        no pin)."""
        if self.backend.local:
            return self.folder
        name = hashlib.sha256(self.config.vault_id.encode()).hexdigest()[:32]
        folder = self.folder / "heads" / name
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder

    @property
    def place(self) -> str:
        """Where the vault is, as the faces name it: its folder, or the agency server's URL
        (``folder`` is this workstation's working folder for a server)."""
        address = getattr(self.backend, "address", None)
        return address.url() if address is not None else str(self.folder)

    @property
    def on_server(self) -> bool:
        """Whether the vault is on an agency server (other workstations share it)."""
        return not self.backend.local

    def close(self, timeout: float = 60.0) -> None:
        """Refuse new database work, wait for work in flight, then release the vault."""
        with self._users:
            self._closed = True
            idle = self._users.wait_for(lambda: self._in_use == 0, timeout=timeout)
        # No commit of this process can follow, and holding the lock exclusively means no other
        # process has the vault open: blobs moved in by cancelled or failed jobs can go.
        if idle and self._lock.held and self._lock.try_exclusive():
            with contextlib.suppress(Exception), self.write_lock, self._dbs() as db:
                if self.history_kept(db):
                    self.blobs.settle(db)
        self.engine.dispose()
        with self._cached_lock:
            self._cached.clear()
        self.backend.close()

    def warn(self, line: str) -> None:
        """One line for the user (``warnings``), told now to each ``on_warning`` listener, on
        the thread that met it (a job's worker): a face shows it as it comes."""
        self.warnings.append(line)
        for listener in list(self._listeners):
            listener(line)

    def on_warning(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener`` with each later warning (on the warning's thread); returns what
        stops that."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def abandon(self, why: str) -> None:
        """Refuse every later database use of this session with ``why`` (one line), at once and
        on every thread (those waiting for the write lock too), without waiting for work in
        flight: what the process holds may be wrong (a vault-key rotation whose commit cannot
        be told: the attached key may not be the one in force). ``close`` still releases it."""
        with self._users:
            self._closed = True
            self._abandoned = why

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- database and audit --------------------------------------------------------------
    @contextlib.contextmanager
    def _database(self, locked: bool = True) -> Iterator[DbSession]:
        with self._users:
            if self._closed:
                raise VaultUnavailable(
                    self._abandoned or f"{self.folder}: the vault was locked or closed"
                )
            self._in_use += 1
        try:
            with self.write_lock if locked else contextlib.nullcontext(), self._dbs() as db:
                if self._abandoned:  # while this thread waited for the lock
                    raise VaultUnavailable(self._abandoned)
                yield db
        except DBAPIError as exc:
            if not self.backend.local and connection_lost(exc):
                # The server restarted (or ended this session) mid-command: the transaction
                # was rolled back with its connection; one line, not a driver's traceback.
                raise ConnectionLost(self.backend.lost()) from None
            raise
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
    def db_alongside(self) -> Iterator[DbSession]:
        """On a server, ``db`` without waiting for this process's database work on other
        threads (``write_lock``, which is there for SQLCipher: two threads' statements at once
        crashed it; PostgreSQL connections are independent of each other). For statements
        whose answer does not depend on a transaction of this process in progress: ids taken
        from the sequences ahead of a batch's transaction (``acquisition.prepare_batch``). A
        local vault: ``db``."""
        with self._database(locked=self.backend.local) as db:
            yield db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[DbSession]:
        """One atomic write: rows and their audit entries commit together or not at all.

        A write this workstation may no longer make is rolled back and its refusal recorded."""
        try:
            with self.write_lock, self._database() as db, db.begin():
                self.backend.begin_write(db)
                yield db
                written = appended(db)
                if written is not None:
                    self.backend.announce(db, written[1])
        except Refusal as refused:
            self._record_refusal(refused)
            raise
        if written is not None:
            self.own_entries.add(*written)
        # The work is committed; failing now would report it lost. The pin only lags (verify
        # accepts a pinned head older than the log) and is written by the next transaction.
        with contextlib.suppress(OSError):
            self.pin_head()

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
            self.backend.begin_write(db)
            entry = log.append(db, now(), self.user, action, refused.target, details)
            self.backend.announce(db, entry.seq)
        with contextlib.suppress(OSError):
            self.pin_head()

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

    @property
    def notified(self) -> bool:
        """Whether others' commits wake ``wait_for_change`` (a server) or only time does."""
        return self.backend.notifies

    def watch_changes(self) -> None:
        """Be told of others' commits from now on (before the live view reads its first head)."""
        self.backend.listen()

    def wait_for_change(self, stop: threading.Event, seconds: float) -> bool:
        """Wait up to ``seconds``, until ``stop``, or (on a server) until another commit is
        announced (True); the live view looks at the head after it. A local vault has nothing
        to wake it sooner: another process's commit is seen at the next look."""
        return self.backend.wait_for_change(stop, seconds)

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
        return self._kept.get(purpose) or keys.subkey(self._vault_key, purpose)

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
                f"{self._file_label}: key derivation parameters weaker than this vault "
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
            config = self.backend.load_config()
            self._check_file(config)
            yield config
            config.seal(keys.subkey(self._vault_key, VAULT_FILE_KEY))
            self.backend.save_config(config)
            self.config = config

    def vault_file_changes(self) -> list[str]:
        """The fields of ``vault.toml`` as it is on disk now whose MAC does not match (verify)."""
        try:
            config = self.backend.load_config()
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
                self.backend.save_config(config)
                with self.transaction() as db:
                    db.merge(Meta(key=_SEALED, value=b"1"))
                return
        changed = config.changed_fields(key)
        if changed:
            raise IntegrityFault(
                f"{self._file_label}: changed outside Custos ({', '.join(changed)}); "
                "not opening the vault (restore the file from a backup)"
            )

    @property
    def _file_label(self) -> str:
        """The vault file as a refusal names it."""
        if self.backend.local:
            return str(self.folder / "vault.toml")
        return f"{self.backend.label}: the vault file (vault_file)"

    def _file_lock(self) -> contextlib.AbstractContextManager[None]:
        """Excludes other processes while the vault file (or ``audit.head``) is read and
        rewritten (``Backend.file_lock``)."""
        return self.backend.file_lock()


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
    where: Path | Server,
    admin: str,
    password: str,
    schema: Schema,
    recovery_recipient: str | None = None,
    kdf: KdfParams | None = None,
) -> tuple[Session, agefmt.Identity | None]:
    """Create a vault (a folder, or the agency vault on an empty server); returns the admin's
    session and the new recovery identity (if made here)."""
    backend = open_backend(where)
    try:
        return _init(backend, admin, password, schema, recovery_recipient, kdf)
    except BaseException:
        backend.close()
        raise


def _init(
    backend: Backend,
    admin: str,
    password: str,
    schema: Schema,
    recovery_recipient: str | None,
    kdf: KdfParams | None,
) -> tuple[Session, agefmt.Identity | None]:
    backend.check_new()
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
    backend.prepare_new()
    lock = backend.lock
    lock.acquire()
    config.seal(keys.subkey(vault_key, VAULT_FILE_KEY))
    if backend.local:
        backend.save_config(config)  # slots are added to the file as it is on disk
    session = Session(backend, config, vault_key, admin, schema)
    # The models' tables, stamped at the head revision: what the revisions build from empty
    # (tests/vault/test_migrations.py), without importing Alembic or running each revision, in
    # one transaction.
    backend.create_schema(session.engine, schema.tables)
    if not backend.local:
        backend.save_config(config)  # into the vault_file row the schema made
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


def check_new_vault(where: Path | Server) -> None:
    """``UserError`` unless a vault can be made at ``where`` (a face checks before prompting):
    an empty or new folder, or a server whose database and bucket are empty."""
    backend = open_backend(where)
    try:
        backend.check_new()
    finally:
        backend.close()


def _check_new_password(password: str) -> None:
    if len(password) < 8:
        raise UserError("the password is too short (at least 8 characters)")


def check_vault(where: Path | Server) -> VaultConfig:
    """The vault's settings; ``VaultUnavailable`` if there is no vault of a known format there.

    Cheap (reads ``vault.toml``, or the server's ``vault_file`` row): a face calls it before
    asking for a user and password.
    """
    backend = open_backend(where)
    try:
        return backend.load_config()
    finally:
        backend.close()


def _open(where: Path | Server) -> tuple[Backend, VaultConfig]:
    backend = open_backend(where)
    try:
        # A server's vault file is read under the lock: a vault-key rotation on another
        # workstation holds it alone (so this waits) and replaces the file in its transaction.
        config = backend.load_config() if backend.local else None
        lock = backend.lock
        lock.acquire()
        if config is None:
            config = backend.load_config()
        folder = backend.folder
        if lock.exclusive:  # no other process is writing: what is in tmp/ is left over
            _clean_tmp(folder)
        else:
            (folder / "tmp").mkdir(mode=0o700, exist_ok=True)
    except BaseException:
        backend.close()
        raise
    return backend, config


def _settle_rotation(backend: Backend, config: VaultConfig, vault_key: bytes) -> bool:
    """A vault-key rotation interrupted by a crash is rolled back or finished before anything
    else (``vault.rotation``); True when its blob headers remain to be re-wrapped. The back end
    is closed if that fails."""
    from vault import rotation

    folder = backend.folder
    try:
        if not rotation.pending(folder):
            return False
        if not backend.lock.exclusive:
            raise VaultUnavailable(
                f"{folder}: an interrupted vault-key rotation is being finished by another "
                "Custos process; try again when it is done"
            )
        return rotation.settle_files(folder, config, vault_key)
    except BaseException:
        backend.close()
        raise


def _new_session(
    backend: Backend, config: VaultConfig, vault_key: bytes, user: str, schema: Schema
) -> Session:
    """The session, or the back end closed (its lock and connections released) if the session
    cannot be made (an object store that does not answer)."""
    try:
        return Session(backend, config, vault_key, user, schema)
    except BaseException:
        backend.close()
        raise


def _schema_checked(session: Session, lock: Lock) -> bool:
    """Whether the database is behind the code (one SELECT of its revision); refused in one line
    if so while another process holds the vault (an older Custos: it cannot be migrated now)."""
    behind = session._old_schema = session.schema_behind()
    if behind and not lock.exclusive:
        raise VaultUnavailable(
            f"{session.folder}: the vault is open in an older Custos that cannot use it with this "
            "one; close it there and try again"
        )
    return behind


def _catch_up(session: Session, lock: Lock, behind: bool) -> None:
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
        if session.history_kept(db):
            session.blobs.settle(db)
    if not session.backend.local:
        from vault import serverrotation

        # a rotation's object re-wrap a crash interrupted: best-effort (a failing object or
        # store leaves the marker, the old identities still open those objects; the open goes on)
        try:
            serverrotation.resume(session)
        except (UserError, OSError) as exc:
            session.warn(str(exc).splitlines()[0])
    lock.share()


def _session(
    backend: Backend,
    config: VaultConfig,
    vault_key: bytes,
    user: str,
    schema: Schema,
    own: keys.UserKeys,
) -> Session:
    lock = backend.lock
    rewrap = _settle_rotation(backend, config, vault_key)
    session = _new_session(backend, config, vault_key, user, schema)
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
        if not backend.local:
            # The head this workstation sees now is pinned on it, outside the operator's reach:
            # a later verify names a chain cut back behind it (SECURITY.md, the server's threat
            # model). Locally each commit pins it already.
            with contextlib.suppress(OSError):
                session.pin_head()
    except DatabaseError:
        session.close()
        raise VaultUnavailable(
            f"{backend.label}: the vault database cannot be read (damaged)"
        ) from None
    except BaseException:
        session.close()
        raise
    return session


def unlock(
    where: Path | Server,
    user: str,
    password: str,
    schema: Schema,
    ahead: keys.Derivation | None = None,
) -> Session:
    """Open the vault as ``user``. Wrong name, wrong password and disabled user fail alike.

    Faces and tests call ``service.opener.unlock``, which passes every layer's ``schema``."""
    backend, config = _open(where)
    if ahead is not None and not backend.local:
        # the store's first request (its bucket checked) while the derivation runs on its thread
        with contextlib.suppress(UserError):  # a store that does not answer: said below
            backend.store  # noqa: B018
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
        backend.close()
        raise
    return _session(backend, config, vault_key, user, schema, own)


def recover(
    where: Path | Server, identity_text: str, admin: str, password: str, schema: Schema
) -> Session:
    """Reopen a vault with the escrowed recovery identity and give ``admin`` a new password."""
    _check_new_password(password)
    backend, config = _open(where)
    lock = backend.lock
    try:
        identity = agefmt.Identity.parse(identity_text)
        vault_key = agefmt.decrypt_bytes(config.recovery_wrapped_key, identity)
        recovery_key = Ed25519PrivateKey.from_private_bytes(
            agefmt.decrypt_bytes(config.recovery_signing_key, identity)
        )
    except (agefmt.AgeError, ValueError):
        backend.close()
        raise AuthenticationFailed("the recovery identity does not open this vault") from None
    rewrap = _settle_rotation(backend, config, vault_key)
    session = _new_session(backend, config, vault_key, admin, schema)
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
            session._load_key_meta(db)
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


def open_pushed(server: Server, source: Session) -> Session:
    """The user of ``source`` (a local vault ``vault.push`` has just copied to ``server``) on
    the server, with the same vault key and the user's own keys. The server's vault file is
    not read: the push writes it in this session's first transaction."""
    backend = open_backend(server)
    try:
        backend.lock.acquire()
        (backend.folder / "tmp").mkdir(mode=0o700, exist_ok=True)
        own = source._user_keys
        if own is None:
            raise AuthenticationFailed("unknown user or wrong password")
    except BaseException:
        backend.close()
        raise
    return _session(backend, source.config, source._vault_key, source.user, source.schema, own)
