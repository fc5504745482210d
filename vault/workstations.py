"""Workstations: every machine that writes to a vault signs its audit entries with a key of its own.

The registry is the audit chain (``workstation.enrolled`` gives a workstation's public key,
``workstation.revoked`` ends it: ``vault.audit.ChainChecker``); the ``workstations`` table is
the same registry as rows, audited like any other table, for the check every write makes.

**The shared key.** A vault has always had one Ed25519 key in its database (``meta``
``signing_key``), which every process holding the vault key can use. It stays the vault's
*shared* workstation, named ``shared``: entries it signs name no workstation (``""``), as all
entries did before workstations existed, so old vaults and their chains verify unchanged. On a
local vault a process with no enrolled key for the vault signs with it; once an admin revokes
``shared``, only enrolled workstations write (an agency vault made by ``custos init`` on a
server starts that way: ``service.opener.init_agency_vault``).

**A workstation's key** lives on that machine, never in the shared database:
``$XDG_DATA_HOME/custos/workstations/<vault id>.key`` (``~/.local/share/...``), mode 0600, owned
by the user. Its bytes::

    b"custos-workstation-key v1\\n"  (MAGIC, 26 bytes)
    nonce                            (12 bytes)
    ChaCha20-Poly1305(key = keys.subkey(vault key, "workstation-key"), nonce,
                      plaintext = canonical JSON {"name": NAME, "private": 64 hex},
                      associated data = MAGIC + vault id)

so a copy of the file without the vault key is useless, and another vault's file (or a damaged
one) does not open. A hostile file (readable by others, not a regular file, truncated, another
vault's, naming a workstation this vault never enrolled) refuses the vault in one line, and
once the user is known (their password checked) the refusal is audited as
``workstation.key_refused`` (signed by the shared key and the user; the file's key is not used).

**Revocation.** ``check_writer`` runs inside each write transaction, with the audit head read
(``vault.audit.AuditLog``): a revoked workstation's write is refused in the transaction that
would have made it, so racing the revocation cannot slip one in (the revocation and the write are
serialised by the same database write lock). The refusal is recorded afterwards as
``workstation.refused``, signed by the refused workstation's key and the user's: verify accepts
that one action from a revoked key and nothing else, and the entry changes no row, so trusting it
costs nothing; it is evidence of an attempt, authenticated by the user's signature only. On a
local vault the revoked machine still holds the vault key: revocation is an audit and policy
control there, not a cryptographic one (docs/SECURITY.md).

**On a server** enrolment also makes the workstation a PostgreSQL login and an S3 key of its own
(``vault.s3iam``: read, write, list, no deleting evidence), each shown once; revocation closes
the login and deletes the key in the store, both in the revocation's transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, Unmapped, mapped_column
from sqlalchemy.orm import Session as DbSession

from vault import sealing
from vault.audit import ENROLLED, REVOKED, SHARED, STORE_KEY_KEPT, Refusal
from vault.errors import IntegrityFault, UserError
from vault.fsutil import atomic_write
from vault.models import AuditEntry, Base, blind, blind_where, canonical, sealed

if TYPE_CHECKING:
    from vault.backend import Login
    from vault.s3iam import StoreKey
    from vault.session import Session

MAGIC = b"custos-workstation-key v1\n"
SUBKEY = "workstation-key"
ROLE_SUBKEY = "workstation-login"  # names the workstation's PostgreSQL login on a server
_NONCE = 12
_MAX_FILE = 4096
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NOT_ENROLLED = "this workstation is not enrolled; an admin runs custos workstation enrol NAME here"


class Workstation(Base):
    """An enrolled workstation (the shared key has a row only once it is revoked)."""

    __tablename__ = "workstations"
    __table_args__ = (
        Index("ix_workstations_name_bidx", "name_bidx", unique=True, **blind_where("name_bidx")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = sealed(String(64), unique=True)  # sealed on a server (vault.sealing)
    public_key: Mapped[str] = mapped_column(String(64))  # hex; "" for the shared key
    enrolled_at: Mapped[str] = mapped_column(String(40))
    enrolled_by: Mapped[str] = sealed(String(200))
    revoked_at: Mapped[str | None] = mapped_column(String(40), default=None)
    revoked_by: Mapped[str | None] = sealed(String(200), default=None)
    name_bidx: Unmapped[bytes | None] = blind("name")


def _by_name(db: DbSession, name: str) -> Workstation | None:
    """The workstation named ``name``, by the blind index on a server, its name re-checked as
    unsealed (an index copied onto another row finds nothing)."""
    row = db.scalar(select(Workstation).where(sealing.equals(db, Workstation.name, name)))
    return row if row is not None and row.name == name else None


def describe(v: Any, _: Any) -> str:
    """A row in a verify finding: "workstation 'desk-3'"."""
    from vault.schema import quoted

    return f"workstation {quoted(v['name'])}" if v.get("name") else f"workstation {v['_key']}"


@dataclass(frozen=True)
class Station:
    """The workstation this process writes as: its name and private key."""

    name: str
    key: Ed25519PrivateKey

    @property
    def public_hex(self) -> str:
        return self.key.public_key().public_bytes_raw().hex()


@dataclass(frozen=True)
class Listed:
    name: str
    fingerprint: str
    enrolled_by: str
    enrolled_at: str
    revoked_by: str | None
    revoked_at: str | None
    here: bool  # the workstation this process writes as


@dataclass(frozen=True)
class Enrolled(Listed):
    """What enrolment made: the workstation, and on a server its PostgreSQL login (the password
    is shown to the admin once and kept nowhere)."""

    login: Login | None = field(default=None, repr=False)
    # On a server: the workstation's own S3 key (its secret shown once, kept nowhere), or the
    # one line saying what the admin makes by hand where the store has no IAM API for Custos.
    store_key: StoreKey | str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Revoked(Listed):
    """What revocation did; ``store_problem``: the one line saying the store could not be told
    to remove the workstation's S3 key (audited as ``workstation.store_key_kept``)."""

    store_problem: str | None = None


def fingerprint(public_hex: str) -> str:
    """SHA-256 of the raw public key, first 16 bytes in groups of four hex digits."""
    try:
        digest = hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:32]
    except ValueError:
        return "?"
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


# --- the key file on this machine ------------------------------------------------------------
def key_dir() -> Path:
    """Where this user's workstation keys are (``$XDG_DATA_HOME/custos/workstations``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "custos" / "workstations"


def key_path(vault_id: str) -> Path:
    return key_dir() / f"{vault_id}.key"


def seal(station: Station, vault_id: str, subkey: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    plain = canonical({"name": station.name, "private": station.key.private_bytes_raw().hex()})
    return (
        MAGIC
        + nonce
        + ChaCha20Poly1305(subkey).encrypt(nonce, plain.encode(), MAGIC + vault_id.encode())
    )


def read_key_file(path: Path, vault_id: str, subkey: bytes) -> Station | None:
    """This machine's key for the vault; None if there is none; ``IntegrityFault`` (one line)
    for a file that is not safe or not this vault's."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a symbolic link (ELOOP), unreadable
        raise IntegrityFault(
            f"{path}: the workstation key file cannot be used ({exc.strerror})"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IntegrityFault(f"{path}: the workstation key file is not a regular file")
        if info.st_mode & 0o077 or info.st_uid != os.geteuid():
            raise IntegrityFault(
                f"{path}: the workstation key file may be read by others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); it must be the user's alone "
                "(chmod 600), and an admin should revoke this workstation and enrol it again"
            )
        data = os.read(fd, _MAX_FILE + 1)
    finally:
        os.close(fd)
    bad = IntegrityFault(
        f"{path}: not a workstation key of this vault (damaged, truncated or another vault's); "
        "remove it and have an admin enrol this machine again"
    )
    if len(data) > _MAX_FILE or not data.startswith(MAGIC):
        raise bad
    nonce, sealed = data[len(MAGIC) : len(MAGIC) + _NONCE], data[len(MAGIC) + _NONCE :]
    try:
        plain = ChaCha20Poly1305(subkey).decrypt(nonce, sealed, MAGIC + vault_id.encode())
        fields = json.loads(plain)
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(fields["private"]))
        name = str(fields["name"])
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise bad from None
    return Station(name, key)


def load(session: Session, db: DbSession) -> Station | None:
    """The enrolled key of this machine for the session's vault (None: the shared key), checked
    against the registry: a file naming a workstation the vault never enrolled with that key
    is refused in one line."""
    path = key_path(session.config.vault_id)
    station = read_key_file(path, session.config.vault_id, session.subkey(SUBKEY))
    if station is None:
        return None
    row = _by_name(db, station.name)
    if row is None or row.public_key != station.public_hex:
        raise IntegrityFault(
            f"{path}: names workstation {station.name!r}, which this vault has not enrolled "
            "with that key"
        )
    return station


# --- the check every write makes ------------------------------------------------------------
def check_writer(db: DbSession, name: str) -> None:
    """Raise ``Refusal`` unless workstation ``name`` ("" for the shared key) may write now."""
    row = _by_name(db, name or SHARED)
    if not name:
        if row is not None and row.revoked_at:
            raise Refusal(NOT_ENROLLED, "", "vault")
        return
    if row is None:
        raise Refusal(f"workstation {name!r} is not enrolled in this vault", name, "vault")
    if row.revoked_at:
        raise Refusal(
            f"workstation {name!r} was revoked by {row.revoked_by!r} at {row.revoked_at[:19]}; "
            "its writes are refused (an admin may enrol this machine under a new name)",
            name,
            f"workstations:{row.id}",
        )
    revoked = _revocation_in_chain(db, row.id)
    if revoked is not None:
        # The row says "not revoked" but the signed chain says it was: the row was edited
        # outside Custos (on a server ``revoked_at`` is plain: the operator needs no key).
        raise Refusal(
            f"workstation {name!r} was revoked (audit entry #{revoked}); its row was changed "
            "outside Custos since, and its writes are still refused",
            name,
            f"workstations:{row.id}",
        )


def _revocation_in_chain(db: DbSession, row_id: int) -> int | None:
    """The seq of the ``workstation.revoked`` entry of workstation row ``row_id``, if any.

    Selected by action (revocations are few) and the opened target compared here: not through
    the blind index ``target_bidx``, a plain column verify never checks, which the server's
    operator could clear to hide the entry."""
    target = f"workstations:{row_id}"
    found = db.execute(
        select(AuditEntry.seq, AuditEntry.target).where(AuditEntry.action == REVOKED)
    ).all()
    return next((seq for seq, got in found if got == target), None)


# --- enrol, revoke, list (admin) ------------------------------------------------------------
def default_name() -> str:
    """The name ``init`` enrols this machine under when none is given: its host name's first
    label, kept to the characters a workstation name allows."""
    import socket

    host = socket.gethostname().split(".")[0]
    name = re.sub(r"[^A-Za-z0-9._-]", "-", host).lstrip("._-")[:64]
    return name if name and name.lower() != SHARED else "workstation-1"


def check_name(name: str) -> str:
    """``name`` stripped, or a one-line refusal (before anything is made under it)."""
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise UserError(
            f"{name!r} is not a workstation name (1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit)"
        )
    if name.lower() == SHARED:
        raise UserError(f"{name!r} is the vault's shared key; choose another name")
    return name


def enrol(session: Session, name: str) -> Enrolled:
    """Enrol the machine this runs on as workstation ``name``: a new key, its public half in
    the registry (``workstation.enrolled``, signed by the new key and the admin), its private
    half sealed in this user's key file. Later entries of this session are signed by it."""
    from vault.session import now

    session.require("workstation.manage", target="workstations")
    name = check_name(name)
    path = key_path(session.config.vault_id)
    current = session.workstation
    with session.db() as db:
        taken = _by_name(db, name)
        mine = _by_name(db, current.name) if current is not None else None
    if taken is not None:
        raise UserError(
            f"workstation name {name!r} is taken (enrolled by {taken.enrolled_by!r} at "
            f"{taken.enrolled_at[:19]}); names are never reused: choose another"
        )
    if mine is not None and not mine.revoked_at:
        raise UserError(f"this machine is already enrolled in this vault as {mine.name!r}")
    station = Station(name, Ed25519PrivateKey.generate())
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    staged = folder / f".{path.name}.new"
    store_key: StoreKey | str | None = None
    atomic_write(staged, seal(station, session.config.vault_id, session.subkey(SUBKEY)), 0o600)
    try:
        # Before the transaction, which holds the server's audit lock (every desk's writes wait
        # for it): the store's IAM API may take seconds, or not answer. If the transaction
        # fails, the store's user is removed again below.
        store_key = session.backend.open_store_key(login_role(session, name))
        session.use_workstation(station)
        with session.transaction() as db:
            row = Workstation(
                name=name,
                public_key=station.public_hex,
                enrolled_at=now(),
                enrolled_by=session.user,
            )
            db.add(row)
            session.audit(db, ENROLLED, row, name=name, public_key=station.public_hex)
            login = session.backend.open_login(db, login_role(session, name))
    except BaseException:
        session.use_workstation(current)
        with contextlib.suppress(OSError):
            staged.unlink()
        if store_key is not None and not isinstance(store_key, str):
            session.backend.close_store_key(store_key.user)
        raise
    # Committed: the key goes into place (a crash before this leaves an enrolled workstation
    # without its key: revoke it and enrol again).
    os.replace(staged, path)
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return Enrolled(**_listed(row, session).__dict__, login=login, store_key=store_key)


def revoke(session: Session, name: str) -> Revoked:
    """Revoke workstation ``name`` (``shared``: the vault's shared key): from the next
    transaction on its writes are refused, and verify faults any entry it signs after this.

    On a server its S3 key is removed from the store in the revocation's transaction, before
    its commit (each request to the store waits at most ``s3iam.REVOKE_WAIT`` seconds: the
    transaction holds the audit lock every desk's writes wait for): a committed revocation
    never leaves a key the store still honours unless an entry ``workstation.store_key_kept``
    in the same transaction says so (the store could not be told: no answer, no IAM API; the
    desk had no key of its own); a commit that fails after the store removed the key
    leaves a desk the store refuses and the database does not yet (revoke again)."""
    from vault.session import now

    session.require("workstation.manage", target="workstations")
    name = name.strip()
    with session.transaction() as db:
        session.claim_write(db, REVOKED)  # before the row it reads changes (its own revocation)
        row = _by_name(db, name)
        if row is None and name.lower() == SHARED:
            first = db.get(AuditEntry, 1)
            row = Workstation(
                name=SHARED,
                public_key="",
                enrolled_at=first.at if first is not None else "",
                enrolled_by=first.actor if first is not None else "",
            )
            db.add(row)
        if row is None:
            raise UserError(f"no workstation {name!r} in this vault (custos workstation list)")
        if row.revoked_at:
            raise UserError(
                f"workstation {name!r} was already revoked by {row.revoked_by!r} at "
                f"{row.revoked_at[:19]}"
            )
        row.revoked_at, row.revoked_by = now(), session.user
        session.audit(db, REVOKED, row, name=row.name, public_key=row.public_key)
        close_server_login(session, db, row)
        problem = None
        if row.name != SHARED:  # the shared key is no workstation's: the store's key is the admin's
            problem = session.backend.close_store_key(login_role(session, row.name))
        if problem is not None:
            session.audit(db, STORE_KEY_KEPT, row, name=row.name, problem=problem)
    return Revoked(**_listed(row, session).__dict__, store_problem=problem)


def login_role(session: Session, name: str) -> str:
    """The PostgreSQL login role of workstation ``name`` on a server: a keyed digest of the
    name (the names are sealed there; the operator sees ``custos_ws_`` and 20 hex digits)."""
    digest = hmac.new(session.subkey(ROLE_SUBKEY), name.encode(), hashlib.sha256).hexdigest()
    return f"custos_ws_{digest[:20]}"


def close_server_login(session: Session, db: DbSession, row: Workstation) -> None:
    """On a server each workstation logs in to PostgreSQL as a role of its own: revocation
    makes it ``NOLOGIN`` and ends its sessions, in the revocation's transaction. A local vault
    has no logins: nothing to do."""
    session.backend.close_login(db, login_role(session, row.name))


def listing(session: Session) -> list[Listed]:
    """Every workstation of the vault, the shared key first (admin)."""
    session.require("workstation.manage", target="workstations")
    with session.db() as db:
        rows = list(db.scalars(select(Workstation).order_by(Workstation.id)))
        first = db.get(AuditEntry, 1)
    listed = [_listed(r, session) for r in rows]
    if not any(r.name == SHARED for r in rows):
        here = session.workstation is None
        listed.insert(
            0,
            Listed(
                SHARED,
                fingerprint(session.signing_public.public_bytes_raw().hex()),
                first.actor if first is not None else "",
                first.at if first is not None else "",
                None,
                None,
                here,
            ),
        )
    return listed


def _listed(row: Workstation, session: Session) -> Listed:
    current = session.workstation
    public = row.public_key or session.signing_public.public_bytes_raw().hex()
    here = (current.name == row.name) if current is not None else row.name == SHARED
    return Listed(
        row.name,
        fingerprint(public),
        row.enrolled_by,
        row.enrolled_at,
        row.revoked_by,
        row.revoked_at,
        here,
    )
