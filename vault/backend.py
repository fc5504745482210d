"""Back ends: where a ``Session``'s records, stored objects, locks and vault file live.

The core (every service function, the audit chain, verify) is the same on both; a ``Session``
asks its ``Backend`` for:

``engine(vault_key)``   the SQLAlchemy engine of the records (the one place an engine is made)
``store``               the ``vault.objectstore`` store of blobs and packs
``folder``              a local working folder: ``tmp/`` (ingest writes each object there and
                        hands it to the store), the sign-in ledger, caches
``lock``                held (shared) while the vault is open; exclusive only for the clean-ups
                        that must know no other process, on any workstation, is mid-write
``begin_write(db)``     what a write transaction takes before it reads the audit head, so that
                        two writers never append after one head
``file_lock()``         excludes other processes (and threads) while the vault file is read and
                        rewritten
``load_config()``, ``save_config(config)``  the vault file (``vault.toml``'s content)
``pins_head``           whether each commit pins the audit head outside the database
``pin_lock()``          what excludes other processes and threads while that pin is rewritten
                        (``pin.lock`` in the folder of the pin, ``fsutil.exclusive``)
``announce(db, seq)``   inside a write transaction that appended entries up to ``seq``: tell
                        the other workstations (delivered only if it commits)
``listen()``, ``wait_for_change(stop, seconds)``  the live view's wake-up (``vault.changes``)
``notifies``            whether ``wait_for_change`` wakes on others' commits (else it sleeps)

``LocalBackend``: the embedded vault as it has always been: a SQLCipher file, a ``FolderStore``
on the vault folder, ``flock`` on ``<vault>/lock``, ``BEGIN IMMEDIATE``, ``vault.toml`` on disk
and the ``audit.head`` pin. Nothing wakes the live view: it looks four times a second.

``ServerBackend``: an agency server: PostgreSQL (``postgresql+psycopg``, TLS ``verify-full``
through ``vault.server.postgres.connect``) for the records, an ``S3Store`` for the objects,
PostgreSQL advisory locks in place of ``flock`` and of the file lock, ``pg_advisory_xact_lock``
in place of ``BEGIN IMMEDIATE``, the vault file in the ``vault_file`` row, the working folder
under the user's cache folder (one per server address), where the workstation also pins the
audit head it last saw (``Session.pin_folder``: the operator holds the database, not the desk).
Each commit that appends audit entries sends ``NOTIFY custos, '<new head seq>'`` (a number
only: nothing sealed leaves in it); the live view ``LISTEN``s on a connection of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from vault.config import VaultConfig, is_vault
from vault.errors import UserError, VaultUnavailable
from vault.fsutil import exclusive
from vault.keys import KdfParams, plausible

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session as DbSession

    from vault.objectstore import ObjectStore, S3Store
    from vault.s3iam import StoreKey
    from vault.server.address import Credentials, ServerAddress

DB_FILE = "custos.db"
LOCK_FILE = "lock"
# Each a file of its own, held by ``fsutil.exclusive`` (flock on its own descriptor, and a
# thread lock): fcntl record locks on one shared file were dropped for the whole process when
# any of its descriptors closed, and did not exclude threads.
FILES_LOCK = "files.lock"  # vault.toml (a local vault's)
PIN_LOCK = "pin.lock"  # audit.head, the pinned head
# How long a statement waits for another process's write transaction before giving up. An
# ingest batch commits in well under a second; a verify or a bulk import commits in batches too.
BUSY_TIMEOUT_MS = 60_000
# PostgreSQL advisory lock ids (64-bit; "Custos" in ASCII, then the lock's number).
VAULT_LOCK = 0x437573746F730001  # session level: shared while open, exclusive for clean-ups
AUDIT_LOCK = 0x437573746F730002  # transaction level: one audit append at a time
FILE_LOCK = 0x437573746F730003  # session level: the vault file's read-modify-write
# The channel a server's commits are announced on (``NOTIFY``), and how long the listener blocks
# at a time before it looks at its ``stop`` event again.
# What revoke says (and audits as workstation.store_key_kept) of a desk with no S3 key of its
# own in the store: enrolled before desks had one, or where the store could not make one.
NO_OWN_KEY = "it had no S3 key of its own: the key it was given still works; rotate it"
CHANNEL = "custos"
LISTEN_SLICE = 0.25
# A server connection closed after a plain read (the vault file) is kept this long for the next
# connection this process makes to the same database as the same login (``_Spare``).
SPARE_SECONDS = 5.0
# This workstation's note of the server vault's salt and Argon2id settings (``kdf_hint``).
KDF_NOTE = "kdf.json"


class Lock(Protocol):
    exclusive: bool

    def acquire(self) -> None: ...
    def to_exclusive(self) -> bool: ...
    def try_exclusive(self) -> bool: ...
    def share(self) -> None: ...
    def release(self) -> None: ...
    @property
    def held(self) -> bool: ...


class Backend(Protocol):
    folder: Path
    label: str
    local: bool
    pins_head: bool
    notifies: bool

    @property
    def store(self) -> ObjectStore: ...
    @property
    def lock(self) -> Lock: ...
    def engine(self, vault_key: bytes) -> Engine: ...
    def begin_write(self, db: DbSession) -> None: ...
    def announce(self, db: DbSession, seq: int) -> None: ...
    def lost(self) -> str: ...
    def open_login(self, db: DbSession, role: str) -> Login | None: ...
    def close_login(self, db: DbSession, role: str) -> None: ...
    def open_store_key(self, user: str) -> StoreKey | str | None: ...
    def close_store_key(self, user: str) -> str | None: ...
    def listen(self) -> None: ...
    def wait_for_change(self, stop: threading.Event, seconds: float) -> bool: ...
    def file_lock(self) -> contextlib.AbstractContextManager[None]: ...
    def pin_lock(self) -> contextlib.AbstractContextManager[None]: ...
    def load_config(self) -> VaultConfig: ...
    def save_config(self, config: VaultConfig) -> None: ...
    def check_new(self) -> None: ...
    def prepare_new(self) -> None: ...
    def create_schema(self, engine: Engine, tables: Any) -> None: ...
    def close(self) -> None: ...


# --- the embedded vault ---------------------------------------------------------------------
class VaultLock:
    """``<vault>/lock``: shared by every process that has the vault open, exclusive only for
    the clean-ups that must know no other process is mid-write (emptying ``tmp/``, removing
    orphan blobs). Two processes work on one vault at once (an officer's batch ingest in the
    CLI while an analyst reviews in the GUI); the database serialises their writes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        self.exclusive = False

    @property
    def held(self) -> bool:
        return self.fd >= 0

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


def sqlcipher_engine(path: Path, db_key: bytes) -> Engine:
    from sqlalchemy import URL, create_engine, event

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


def clean_tmp(folder: Path) -> None:
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


class LocalBackend:
    """The embedded vault: everything in one folder on this machine."""

    local = True
    pins_head = True
    notifies = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.label = str(folder)
        self._lock: VaultLock | None = None
        self._store: ObjectStore | None = None

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            from vault.objectstore import FolderStore

            self._store = FolderStore(self.folder)
        return self._store

    @property
    def lock(self) -> VaultLock:
        if self._lock is None:
            self._lock = VaultLock(self.folder)
        return self._lock

    def engine(self, vault_key: bytes) -> Engine:
        from vault import keys

        return sqlcipher_engine(self.folder / DB_FILE, keys.subkey(vault_key, "database"))

    def begin_write(self, db: DbSession) -> None:
        """Take the database's write lock before the transaction reads anything.

        Another process may have the vault open. The driver begins a transaction only at the
        first write, so a transaction that read the audit head and then wrote could append after
        a head another process had just moved (or fail, its snapshot stale): two writers must
        never both append after the same head. BEGIN IMMEDIATE waits here, under busy_timeout,
        instead. Reads stay outside transactions and never block the other process (WAL).
        """
        conn = db.connection()
        if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def announce(self, db: DbSession, seq: int) -> None:
        """Nothing to tell: other processes see the head move at their next look."""

    def lost(self) -> str:
        return f"{self.folder}: the vault database was closed under this command"

    def open_login(self, db: DbSession, role: str) -> Login | None:
        """A local vault has no logins."""
        return None

    def close_login(self, db: DbSession, role: str) -> None:
        pass

    def open_store_key(self, user: str) -> StoreKey | str | None:
        """A local vault has no object store keys."""
        return None

    def close_store_key(self, user: str) -> str | None:
        return None

    def listen(self) -> None:
        pass

    def wait_for_change(self, stop: threading.Event, seconds: float) -> bool:
        """Sleep up to ``seconds`` or until ``stop`` (False: nothing woke it)."""
        stop.wait(seconds)
        return False

    def file_lock(self) -> contextlib.AbstractContextManager[None]:
        """Excludes other processes and threads while ``vault.toml`` is read and rewritten
        (``files.lock``, a file of its own: ``fsutil.exclusive``)."""
        return exclusive(self.folder / FILES_LOCK)

    def pin_lock(self) -> contextlib.AbstractContextManager[None]:
        """Excludes other processes and threads while ``audit.head`` is read and rewritten."""
        return exclusive(self.folder / PIN_LOCK)

    def load_config(self) -> VaultConfig:
        if not self.folder.exists():
            raise VaultUnavailable(f"{self.folder}: no vault here (run 'custos init' first)")
        return VaultConfig.load(self.folder)

    def save_config(self, config: VaultConfig) -> None:
        config.save(self.folder)

    def check_new(self) -> None:
        if is_vault(self.folder):
            raise UserError(f"{self.folder}: a vault already exists here")
        if self.folder.exists() and any(self.folder.iterdir()):
            raise UserError(
                f"{self.folder}: the folder is not empty; choose an empty or new folder"
            )

    def prepare_new(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.folder / "blobs").mkdir(mode=0o700)
        clean_tmp(self.folder)

    def create_schema(self, engine: Engine, tables: Any) -> None:
        from vault import migrations
        from vault.models import Base

        # One transaction (the driver would commit each CREATE on its own: one sync each).
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            Base.metadata.create_all(conn, tables=tables)
            migrations.stamp_head(conn)
            conn.commit()

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()


# --- an agency server -----------------------------------------------------------------------
# The group role whose members (the workstations' logins) may read and write the vault's tables.
WORKSTATIONS_ROLE = "custos_workstations"


@dataclass(frozen=True)
class Login:
    """A workstation's PostgreSQL login, made at its enrolment: the password is shown to the
    admin once and kept nowhere (the server keeps only its SCRAM verifier)."""

    user: str
    password: str = field(repr=False)
    url: str  # the --server value naming this login


@dataclass(frozen=True)
class Server:
    """An agency server as a face names it: the ``--server`` URL and the credentials it was
    given for this run (held in memory only)."""

    url: str
    credentials: Credentials = field(repr=False)


def server_folder(address: ServerAddress) -> Path:
    """This workstation's working folder for a server (``tmp/``, sign-in ledger, caches): under
    the user's cache folder (``CUSTOS_CACHE_DIR`` overrides), one per server address."""
    root = os.environ.get("CUSTOS_CACHE_DIR")
    if not root:
        from platformdirs import user_cache_dir

        root = user_cache_dir("custos", appauthor=False)
    where = f"{address.host}:{address.port}/{address.database}|{address.s3.endpoint}"
    digest = hashlib.sha256(f"{where}/{address.s3.bucket}".encode()).hexdigest()[:24]
    folder = Path(root) / "servers" / digest
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "tmp").mkdir(mode=0o700, exist_ok=True)
    return folder


_SETTLE_WAIT = 10  # seconds a read of the vault file waits for a transaction still running


class ServerLock:
    """``VaultLock`` on PostgreSQL: a session-level advisory lock, held on a connection of its
    own for as long as the vault is open (shared), exclusive only when no other process on any
    workstation has the vault open."""

    def __init__(self, backend: ServerBackend) -> None:
        self._backend = backend
        self._conn: Any = None
        self.exclusive = False

    @property
    def held(self) -> bool:
        return self._conn is not None

    def _one(self, sql: str) -> Any:
        import psycopg

        try:
            return self._conn.execute(sql, (VAULT_LOCK,)).fetchone()[0]
        except psycopg.Error:
            self.release()
            raise VaultUnavailable(self._backend.lost()) from None

    def check(self) -> None:
        """Refuse, in one line, to write if the lock's connection was lost (PostgreSQL
        restarted or ended it): the shared hold went with it, so another process may since have
        taken the vault alone and removed, as orphans, objects this one uploaded for rows it has
        not committed yet. Run before every write transaction."""
        if self._conn is None:
            raise VaultUnavailable(self._backend.lost())
        self._one("SELECT %s::bigint")

    def acquire(self) -> None:
        self._conn = self._backend.raw_connection()
        if self.try_exclusive():
            return
        self._one("SELECT pg_advisory_lock_shared(%s)")
        self.exclusive = False

    def try_exclusive(self) -> bool:
        """Exclusive if no other session holds it (this session's own shared hold does not
        conflict with its exclusive one in PostgreSQL); never once the connection was lost."""
        if self.exclusive:
            return True
        if self._conn is None:
            return False
        try:
            self.exclusive = bool(self._one("SELECT pg_try_advisory_lock(%s)"))
        except VaultUnavailable:
            return False
        return self.exclusive

    def to_exclusive(self) -> bool:
        return self.try_exclusive()

    def share(self) -> None:
        if self.exclusive and self._conn is not None:
            self._one("SELECT pg_advisory_lock_shared(%s)")
            self._one("SELECT pg_advisory_unlock(%s)")
        self.exclusive = False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                # now, not when pgbouncer gets round to resetting the pooled server connection
                # after the close (a rotation right after another workstation closed would
                # still find the vault held)
                self._conn.execute("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(Exception):
                self._conn.close()  # ends the session: its advisory locks go with it
            self._conn = None
            self.exclusive = False


class Listener:
    """``LISTEN custos`` on a connection of its own (pgbouncer pools in session mode, so the
    connection stays one PostgreSQL session): the live view's thread blocks here until another
    workstation's commit is announced. A lost connection (the server restarted) is made again
    at the next wait; until then the wait sleeps, and the live view still looks at the head."""

    def __init__(self, backend: ServerBackend) -> None:
        self._backend = backend
        self._conn: Any = None
        self._guard = threading.Lock()

    def listen(self) -> bool:
        with self._guard:
            if self._conn is not None:
                return True
            try:
                conn = self._backend.raw_connection()
            except VaultUnavailable:
                return False
            try:
                conn.execute(f"LISTEN {CHANNEL}")
            except Exception:
                conn.close()
                return False
            self._conn = conn
            return True

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """True as soon as a commit is announced (all announcements waiting are taken); False
        after ``seconds``, at ``stop``, or if the server cannot be reached."""
        import psycopg

        deadline = time.monotonic() + seconds
        if not self.listen():
            stop.wait(seconds)
            return False
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                woke = any(True for _ in self._conn.notifies(timeout=min(left, LISTEN_SLICE)))
            except (psycopg.Error, AttributeError):  # the connection went (or was closed)
                self.close()
                stop.wait(max(0.0, deadline - time.monotonic()))
                return False
            if woke:
                return True
        return False

    def close(self) -> None:
        with self._guard:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None


class _Spare:
    """One idle server connection kept for reuse within a process (issue 12 "Speed"): signing
    in to a server read ``vault_file`` three times (the face's check before it asks for the
    password, the throttle's, the vault's own) and then took the vault lock, each on a
    connection of its own (a TLS handshake and a SCRAM exchange through pgbouncer: ~5 ms of
    the workstation's CPU and as much of the server's each). Now the connection a read is done
    with is kept and the next ``raw_connection`` to the same database as the same login takes
    it: one connection for the whole sign-in, which the vault lock then holds.

    Kept only ``SPARE_SECONDS`` (a face that checked and then waited for a password opens a
    fresh one), only idle and outside a transaction, and never once the server has said
    anything on it unasked (a connection ended by the server: a restart, a revocation's
    ``pg_terminate_backend``), which a zero-timeout poll of its socket sees."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._kept: tuple[tuple[str, str], Any, float] | None = None

    def keep(self, key: tuple[str, str], conn: Any) -> None:
        with self._guard:
            old, self._kept = self._kept, (key, conn, time.monotonic())
        if old is not None:
            _close_quietly(old[1])

    def take(self, key: tuple[str, str]) -> Any:
        with self._guard:
            kept, self._kept = self._kept, None
        if kept is None:
            return None
        kept_key, conn, since = kept
        if kept_key == key and time.monotonic() - since <= SPARE_SECONDS and _idle(conn):
            return conn
        _close_quietly(conn)
        return None


def _idle(conn: Any) -> bool:
    """Open, autocommit, no transaction, and nothing waiting to be read on its socket."""
    import select

    from psycopg.pq import TransactionStatus

    try:
        if conn.closed or not conn.autocommit:
            return False
        if conn.info.transaction_status != TransactionStatus.IDLE:
            return False
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except Exception:
        return False
    return not readable


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.close()


_SPARE = _Spare()


class ServerBackend:
    """An agency server: PostgreSQL for the records, an S3 store for the objects."""

    local = False
    pins_head = True  # in this workstation's own folder (``Session.pin_folder``)
    notifies = True

    def __init__(self, server: Server) -> None:
        from vault.server import address

        self.address = address.parse(server.url)
        self.credentials = server.credentials
        self.label = (
            f"the agency server {self.address.host}:{self.address.port}/{self.address.database}"
        )
        self.folder = server_folder(self.address)
        self._lock = ServerLock(self)
        self._store: S3Store | None = None
        self._engine: Engine | None = None
        self._listener = Listener(self)

    def raw_connection(self) -> Any:
        """A psycopg connection (autocommit), or one line saying why there is none: the one
        this process kept after its last read (``_Spare``), else a new one."""
        import psycopg

        from vault.server import postgres

        spare = _SPARE.take(self._spare_key)
        if spare is not None:
            return spare
        try:
            return postgres.connect(self.address, self.credentials.password)
        except psycopg.Error as exc:
            raise VaultUnavailable(postgres.problem(self.address, exc)) from None

    @property
    def _spare_key(self) -> tuple[str, str]:
        return (self.address.url(), self.credentials.password)

    def _done_with(self, conn: Any) -> None:
        """A connection used for plain reads in autocommit: kept for the next one."""
        if _idle(conn):
            _SPARE.keep(self._spare_key, conn)
        else:
            _close_quietly(conn)

    def lost(self) -> str:
        from vault.server import postgres

        return postgres.lost(self.address)

    def _transactional(self) -> Any:
        conn = self.raw_connection()
        conn.autocommit = False
        return conn

    @property
    def store(self) -> S3Store:
        if self._store is None:
            from vault.objectstore import S3Store, StoreUnavailable

            store = S3Store(self.address.s3, self.credentials)
            try:
                store.check_bucket()
            except StoreUnavailable as exc:
                store.close()
                raise VaultUnavailable(str(exc)) from None
            self._store = store
        return self._store

    @property
    def lock(self) -> ServerLock:
        return self._lock

    def engine(self, vault_key: bytes = b"") -> Engine:
        """The engine of the server's records: THE place a PostgreSQL engine is made (sealed
        columns attach here: ``sealing.attach(engine, vault_key)``, issue 12 item 2)."""
        if self._engine is None:
            from sqlalchemy import create_engine

            self._engine = create_engine(
                "postgresql+psycopg://",
                creator=self._transactional,
                pool_size=4,
                max_overflow=4,
                pool_pre_ping=True,
            )
        if vault_key:
            from vault import sealing

            sealing.attach(self._engine, vault_key)
        return self._engine

    def begin_write(self, db: DbSession) -> None:
        """One audit append at a time on the whole server: the transaction waits here for the
        one in progress on any workstation before it reads the audit head (released at its
        commit or rollback). Refused first if this process lost its hold on the vault."""
        self._lock.check()
        db.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK})")

    def announce(self, db: DbSession, seq: int) -> None:
        """``NOTIFY custos, '<seq>'`` in the transaction: PostgreSQL delivers it to every
        listening workstation at the commit, and never if the transaction rolls back. The
        payload is the new head's number: nothing sealed, nothing the audit row does not show."""
        db.connection().exec_driver_sql(f"NOTIFY {CHANNEL}, '{int(seq)}'")

    def open_login(self, db: DbSession, role: str) -> Login:
        """In the enrolment's transaction: a login role of the workstation's own (a random
        password; its SCRAM verifier made here, so the password never reaches the server or its
        log), member of ``WORKSTATIONS_ROLE``, which may read and write the vault's tables (and
        those later revisions make: default privileges). Needs the ``custos`` owner role with
        ``CREATEROLE`` (the admin's credentials); refused in one line otherwise."""
        import dataclasses
        import secrets

        import psycopg
        from psycopg import sql

        conn = db.connection()
        raw = conn.connection.driver_connection
        assert raw is not None
        password = secrets.token_urlsafe(24)
        verifier = raw.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        group, me = sql.Identifier(WORKSTATIONS_ROLE), sql.Identifier(role)
        privileges = "SELECT, INSERT, UPDATE, DELETE"
        statements = [
            sql.SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {n}) THEN "
                "CREATE ROLE {g} NOLOGIN; END IF; END $$"
            ).format(n=sql.Literal(WORKSTATIONS_ROLE), g=group),
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                me, sql.Literal(verifier.decode()), group
            ),
            sql.SQL(f"GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {{}}").format(group),
            sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(
                group
            ),
            sql.SQL(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {privileges} ON TABLES TO {{}}"
            ).format(group),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {}"
            ).format(group),
        ]
        try:
            for statement in statements:
                conn.exec_driver_sql(statement.as_string(raw))
        except Exception as exc:
            if isinstance(getattr(exc, "orig", None), psycopg.errors.InsufficientPrivilege):
                raise UserError(
                    f"{self.label}: {self.address.user} may not create a login for the "
                    "workstation; enrol it with the agency owner role's credentials (custos, "
                    "which has CREATEROLE)"
                ) from None
            raise
        url = dataclasses.replace(self.address, user=role).url()
        return Login(role, password, url)

    def close_login(self, db: DbSession, role: str) -> None:
        """In the revocation's transaction: the login may no longer log in (``NOLOGIN``) and
        its sessions are ended now, so the server itself refuses its next connection."""
        import psycopg
        from psycopg import sql

        conn = db.connection()
        raw = conn.connection.driver_connection
        found = conn.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = %(r)s", {"r": role}
        ).first()
        if found is None:  # enrolled where no login was made (the shared key, a pushed vault)
            return
        try:
            conn.exec_driver_sql(
                sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(role)).as_string(raw)
            )
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %(r)s",
                {"r": role},
            )
        except Exception as exc:
            if isinstance(getattr(exc, "orig", None), psycopg.errors.InsufficientPrivilege):
                raise UserError(
                    f"{self.label}: {self.address.user} may not close the workstation's login; "
                    "revoke it with the agency owner role's credentials (custos)"
                ) from None
            raise

    def open_store_key(self, user: str) -> StoreKey | str:
        """A workstation's own S3 key, made through the store's IAM API with this run's (the
        admin's) S3 key: IAM user ``user`` with the desk's policy (``vault.s3iam``). Where the
        store has no IAM API this key may use, the one line saying what the admin makes by hand
        instead. ``UserError`` (one line) when the store cannot be asked now."""
        from vault import s3iam, s3wire

        iam = s3iam.Iam(self.address.s3, self.credentials)
        try:
            return iam.make_key(user, self.address.s3.bucket)
        except s3iam.IamUnavailable as exc:
            return f"{exc}; {s3iam.by_hand(user, self.address.s3.bucket)}"
        except (s3iam.IamFailed, s3wire.S3Error) as exc:
            raise UserError(
                f"{self.label}: the workstation's own S3 key could not be made: {exc}"
            ) from None
        finally:
            iam.close()

    def close_store_key(self, user: str) -> str | None:
        """Workstation IAM user ``user`` removed from the store with its keys (its next request
        is refused by the store itself); None when done, else one line: what the admin removes
        by hand, or that the desk had no key of its own (enrolled before desks had one, or
        where none could be made): the key it was given, which still works, is to be rotated."""
        from vault import s3iam, s3wire

        iam = s3iam.Iam(self.address.s3, self.credentials, wait=s3iam.REVOKE_WAIT)
        try:
            if not iam.remove_user(user):
                return NO_OWN_KEY
        except (s3iam.IamUnavailable, s3iam.IamFailed, s3wire.S3Error) as exc:
            return (
                f"the store could not be told ({exc}): remove by hand the access keys of "
                f"user {user} in the store's identity system"
            )
        finally:
            iam.close()
        return None

    def listen(self) -> None:
        """Start listening now (before the live view reads the head it starts from)."""
        self._listener.listen()

    def wait_for_change(self, stop: threading.Event, seconds: float) -> bool:
        return self._listener.wait(stop, seconds)

    @contextlib.contextmanager
    def file_lock(self) -> Iterator[None]:
        conn = self.raw_connection()
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (FILE_LOCK,))
            yield
        finally:
            conn.close()  # releases the lock with the session

    def pin_lock(self) -> contextlib.AbstractContextManager[None]:
        """Excludes this workstation's other processes and threads while its ``audit.head`` for
        the server is read and rewritten: a lock file in its own folder (the pin is the
        workstation's, and taking it costs no connection to the server)."""
        return exclusive(self.folder / PIN_LOCK)

    def _read_file(self, settled: bool = False) -> str | None:
        """The vault file's text (None: no vault there). ``settled``: after a transaction that
        may still be running on the server (a COMMIT whose answer was lost), read it only once
        that transaction has ended: ``FOR SHARE`` waits for its row lock (at most
        ``_SETTLE_WAIT``; longer is an error, as if unreadable), then sees what it committed."""
        import psycopg

        conn = self.raw_connection()
        try:
            if settled:
                with conn.transaction():
                    conn.execute(f"SET LOCAL lock_timeout = '{_SETTLE_WAIT}s'")
                    row = conn.execute(
                        "SELECT content FROM vault_file WHERE id = 1 FOR SHARE"
                    ).fetchone()
            else:
                row = conn.execute("SELECT content FROM vault_file WHERE id = 1").fetchone()
        except psycopg.errors.UndefinedTable:
            conn.close()
            return None
        except psycopg.Error as exc:
            from vault.server import postgres

            conn.close()
            raise VaultUnavailable(postgres.problem(self.address, exc)) from None
        except BaseException:
            conn.close()
            raise
        self._done_with(conn)  # the sign-in reads it again and then takes the lock on it
        return None if row is None else str(row[0])

    def load_config(self, settled: bool = False) -> VaultConfig:
        text = self._read_file(settled)
        if text is None:
            raise VaultUnavailable(
                f"{self.label}: no agency vault there (run 'custos --server URL init' first)"
            )
        config = VaultConfig.parse(text, self.label, f"{self.label} (vault_file)")
        _note_kdf(self.folder, config)
        return config

    def save_config(self, config: VaultConfig) -> None:
        conn = self.raw_connection()
        try:
            conn.execute(
                "INSERT INTO vault_file (id, content) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content",
                (config.text(),),
            )
        finally:
            conn.close()

    def check_new(self, command: str = "init") -> None:
        """Refuse, in one line, a server whose database or bucket already holds anything
        (``command``: what needs it empty, as the line says: init, push)."""
        conn = self.raw_connection()
        try:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()[0]
        finally:
            conn.close()
        if tables:
            what = "an agency vault" if self._read_file() is not None else f"{tables} table(s)"
            raise UserError(
                f"{self.label}: the database already holds {what}; "
                f"{command} needs an empty database"
            )
        store = self.store
        for space in ("blobs", "packs"):
            if next(iter(store.names(space)), None) is not None:
                raise UserError(
                    f"{store.label}: the bucket already holds stored objects; "
                    f"{command} needs an empty bucket"
                )

    def prepare_new(self) -> None:
        clean_tmp(self.folder)
        # the bucket's first write made here (SeaweedFS grows a new bucket's volumes on it),
        # not in the first ingest's first upload, which waited for it (PERFORMANCE.md)
        self.store.prepare()

    def create_schema(self, engine: Engine, tables: Any) -> None:
        from vault import migrations
        from vault.models import Base

        with engine.begin() as conn:
            Base.metadata.create_all(conn, tables=tables)
            migrations.stamp_head(conn)

    def close(self) -> None:
        self._listener.close()
        self._lock.release()
        if self._engine is not None:
            self._engine.dispose()
        if self._store is not None:
            self._store.close()


def kdf_hint(url: str) -> tuple[bytes, KdfParams] | None:
    """The salt and Argon2id settings of the vault on the server ``url`` names, as this
    workstation noted them at its last sign-in there (``ServerBackend.load_config``), or None.

    The command line starts the key derivation with them before it has reached the server (as
    it does from a local vault's ``vault.toml``), so the derivation runs during the imports
    instead of after the first round trip. The derivation's key is used only if the server's
    vault file gives the same salt and settings (``keys.Derivation.take``): a stale note (the
    vault re-made) or a planted one costs one derivation, nothing else. Nothing secret is noted:
    the salt and the settings, which every login to the server may read."""
    import json

    from vault.server.address import parse

    try:
        note = json.loads((server_folder(parse(url)) / KDF_NOTE).read_text("utf-8"))
        params = KdfParams(int(note["memory_kib"]), int(note["iterations"]), int(note["lanes"]))
        salt = bytes.fromhex(note["salt"])
    except Exception:  # none yet, unreadable, a URL the command will refuse in one line
        return None
    # Settings no honest vault has, or that would keep the derivation for ever (the note is
    # written from the server's vault file before its MACs can be checked): as if absent.
    return (salt, params) if plausible(params) else None


def _note_kdf(folder: Path, config: VaultConfig) -> None:
    """Note the vault's salt and Argon2id settings for ``kdf_hint`` (written only when they
    changed; a failure to write costs the next command its head start, nothing more)."""
    import json

    from vault.fsutil import atomic_write

    k = config.kdf
    note = json.dumps(
        {
            "salt": config.salt.hex(),
            "memory_kib": k.memory_kib,
            "iterations": k.iterations,
            "lanes": k.lanes,
        },
        sort_keys=True,
    ).encode()
    path = folder / KDF_NOTE
    with contextlib.suppress(OSError):
        if path.read_bytes() == note:
            return
    with contextlib.suppress(OSError):
        atomic_write(path, note, mode=0o600)


# SQLSTATEs of a connection PostgreSQL (or pgbouncer) ended: class 08 (connection exception),
# admin_shutdown, crash_shutdown, cannot_connect_now.
LOST_STATES = ("08", "57P01", "57P02", "57P03")


def connection_lost(exc: BaseException) -> bool:
    """Whether a database error says the connection to the server is gone (not that a
    statement failed): the pool invalidated it, or the driver's error has no SQLSTATE (the
    socket closed) or one of ``LOST_STATES``."""
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", exc)
    module = type(orig).__module__
    if not module.startswith("psycopg"):
        return False
    state = getattr(orig, "sqlstate", None)
    if state is None:
        import psycopg

        return isinstance(orig, psycopg.OperationalError)
    return str(state).startswith(LOST_STATES)


def driver_sql(conn: Connection, statement: str) -> str:
    """A statement written with ``?`` placeholders (what the SQLite driver takes), for the
    connection's driver: psycopg takes ``%s``. For the few statements that go straight to the
    driver (bulk hash-set entries)."""
    return statement if conn.dialect.paramstyle == "qmark" else statement.replace("?", "%s")


def open_backend(where: Path | Server) -> Backend:
    """The back end a face names: a vault folder, or an agency server."""
    if isinstance(where, Server):
        return ServerBackend(where)
    return LocalBackend(where)
