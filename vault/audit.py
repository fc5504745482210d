"""The audit log: append-only, hash-chained, every entry signed twice.

Entry hash = SHA-256(prev_hash || canonical JSON of seq, at, actor, action, target, details, and
``workstation`` when it is not ""); ``signature`` = Ed25519(hash) by the key of the workstation
the entry names (``vault.workstations``: "" is the vault's shared key, kept in the database),
``user_signature`` = Ed25519(hash) by the acting user's own key (reachable only through that
user's password, see ``vault.keys``). The shared key sits in the database, so anyone with the
vault key could re-sign the chain with it; nobody can make another user's signature, nor another
enrolled workstation's. Verify keeps each user's and each workstation's public key as the chain
records them and checks every entry against them (``ChainChecker``).

The head (seq, hash) is also written to ``audit.head`` after each commit so truncating the chain
from the end is caught, and so an outside party can pin it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session as DbSession

from vault import sealing
from vault.errors import PermissionDenied, UserError
from vault.fsutil import atomic_write
from vault.models import AuditEntry, canonical
from vault.permissions import ALL_ROLES, PERMISSIONS, Role

GENESIS = "0" * 64


class Refusal(PermissionDenied):
    """This workstation may not write to the vault (revoked, or not enrolled where that is
    required); raised inside the transaction, which is rolled back, and then recorded as
    ``workstation.refused`` by ``Session.transaction``."""

    def __init__(self, message: str, workstation: str, target: str) -> None:
        super().__init__(message)
        self.workstation = workstation
        self.target = target  # "workstations:ID", or "vault" for the shared key
        self.action = ""  # the action that was refused (set by ``AuditLog``)


HEX = frozenset("0123456789abcdef")
HEAD_FILE = "audit.head"
AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
_HEAD_KEY = "custos.audit_head"  # db.info slot: (transaction, Head) of the last appended entry
_FIRST_KEY = "custos.audit_first"  # db.info slot: (transaction, seq) of its first appended entry


def entry_hash(
    prev: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    target: str,
    details: str,
    workstation: str = "",
) -> str:
    fields = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
    }
    if workstation:  # entries of the shared key (all before workstations) hash as they always did
        fields["workstation"] = workstation
    return hashlib.sha256(prev.encode() + canonical(fields).encode()).hexdigest()


# Called once per transaction, when its first entry reads the head (inside the transaction's
# write lock): raises if this workstation may not write (``vault.workstations.check_writer``).
WriterCheck = Callable[[DbSession], None]


class AuditLog:
    """Appends entries inside the caller's transaction, signed by the workstation and the user.

    ``workstation``: the name the entries record ("" for the vault's shared key); ``check``:
    run once per transaction with the head read, so a revoked workstation's write is refused
    in the very transaction that would have written it."""

    def __init__(
        self,
        signing_key: Ed25519PrivateKey,
        user_key: Ed25519PrivateKey,
        workstation: str = "",
        check: WriterCheck | None = None,
    ) -> None:
        self._key = signing_key
        self._user_key = user_key
        self.workstation = workstation
        self._check = check

    def unchecked(self) -> AuditLog:
        """The same signers without the writer check (the record of a refused write)."""
        return AuditLog(self._key, self._user_key, self.workstation)

    def _head(self, db: DbSession, action: str) -> Head:
        # The head is read once per transaction and then carried in ``db.info``: a SELECT per
        # entry made a batch of n entries cost O(n) queries. The cache is tied to the current
        # transaction object, so after a commit or rollback the head is read again.
        txn = db.get_transaction()
        cached = db.info.get(_HEAD_KEY)
        if cached is not None and cached[0] is txn:
            return cached[1]
        if self._check is not None:
            try:
                self._check(db)
            except Refusal as refused:
                refused.action = action
                raise
        head = _first_head(db, txn)
        db.info[_HEAD_KEY] = (txn, head)
        return head

    def claim(self, db: DbSession, action: str) -> None:
        """Check now that this workstation may write (and read the head): for a transaction
        that changes what the check reads before its first entry (a revocation)."""
        self._head(db, action)

    def append(
        self, db: DbSession, at: str, actor: str, action: str, target: str, details: dict[str, Any]
    ) -> AuditEntry:
        txn = db.get_transaction()
        head = self._head(db, action)
        seq, prev = head.seq + 1, head.hash
        text = canonical(details)
        digest = entry_hash(prev, seq, at, actor, action, target, text, self.workstation)
        raw = bytes.fromhex(digest)
        signature = self._key.sign(raw).hex()
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            details=text,
            prev_hash=prev,
            hash=digest,
            signature=signature,
            user_signature=self._user_key.sign(raw).hex(),
        )
        if self.workstation:  # else the column's server default (see ``AuditEntry``)
            entry.workstation = self.workstation
        # No flush here: autoflush writes the entry before any query, and leaving it pending lets
        # a batch of entries go to the database as one multi-row INSERT.
        db.add(entry)
        db.info[_HEAD_KEY] = (txn, Head(seq, digest))
        return entry

    def extend(
        self,
        db: DbSession,
        at: str,
        actor: str,
        entries: Iterable[tuple[str, str, dict[str, Any]]],
    ) -> None:
        """Append (action, target, details) entries as one multi-row INSERT.

        The same chain, hashes and signatures as ``append`` one by one (one per entry), without
        an ORM object per entry: ingest of many small files spent more on those than on the
        signatures. Entries added earlier in the transaction with ``append`` are flushed first.
        """
        if db.new:
            db.flush()
        txn = db.get_transaction()
        entries = list(entries)
        head = self._head(db, entries[0][0] if entries else "")
        seq, prev = head.seq, head.hash
        sign, user_sign = self._key.sign, self._user_key.sign
        station = self.workstation
        rows = []
        for action, target, details in entries:
            seq += 1
            text = canonical(details)
            digest = entry_hash(prev, seq, at, actor, action, target, text, station)
            raw = bytes.fromhex(digest)
            rows.append(
                {
                    "seq": seq,
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "target": target,
                    "details": text,
                    "prev_hash": prev,
                    "hash": digest,
                    "signature": sign(raw).hex(),
                    "user_signature": user_sign(raw).hex(),
                }
            )
            if station:
                rows[-1]["workstation"] = station
            prev = digest
        if rows:
            # Core, only the columns given: the format-3 step writes here before the schema
            # is at head (``vault.upgrade``), when later columns do not exist yet. On a server
            # each value sealed to its entry's seq.
            db.execute(insert(AUDIT), sealing.insert_params(db, AuditEntry, rows) or rows)
            db.info[_HEAD_KEY] = (txn, Head(seq, prev))


def _first_head(db: DbSession, txn: Any) -> Head:
    """The head before this transaction's first entry (read once), noting where it starts."""
    head = read_head(db)
    db.info[_FIRST_KEY] = (txn, head.seq + 1)
    return head


def appended(db: DbSession) -> tuple[int, int] | None:
    """The (first, last) seq of the entries the current transaction appended, if any."""
    txn = db.get_transaction()
    first, last = db.info.get(_FIRST_KEY), db.info.get(_HEAD_KEY)
    if first is None or last is None or first[0] is not txn or last[0] is not txn:
        return None
    return (first[1], last[1].seq) if last[1].seq >= first[1] else None


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """``SEQ:HASH`` as ``custos audit head`` prints it; ``UserError`` otherwise."""
        seq, _, digest = text.strip().replace(" ", ":", 1).partition(":")
        if not (seq.isdigit() and len(digest) == 64 and all(c in HEX for c in digest)):
            raise UserError(f"{text!r} is not an audit head (SEQ:HASH, 64 hex digits)")
        return cls(int(seq), digest)


def read_head(db: DbSession) -> Head:
    # LIMIT 1: without it the driver fetched the whole table to return its first row.
    row = db.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return Head(row[0], row[1]) if row else Head(0, GENESIS)


def write_head_file(folder: Path, head: Head) -> None:
    atomic_write(folder / HEAD_FILE, f"{head.seq} {head.hash}\n".encode(), mode=0o644)


def advance_head_file(folder: Path, db: DbSession) -> None:
    """Pin the database's head in ``audit.head``, but only if it extends the pinned one.

    If entries up to the pinned head were removed (or replaced), the file keeps the old head, so
    later work cannot hide the removal from ``verify``.
    """
    head = read_head(db)
    pinned = read_head_file(folder)
    if pinned is not None:
        if pinned == head:
            return
        if head.seq < pinned.seq:
            return
        # The column alone (this runs before a schema upgrade too: see ``AuditEntry``).
        at = db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == pinned.seq))
        if pinned.seq and at != pinned.hash:
            return
    write_head_file(folder, head)


def read_head_file(folder: Path) -> Head | None:
    try:
        seq, digest = (folder / HEAD_FILE).read_text().split()
        head = Head(int(seq), digest)
    except (FileNotFoundError, ValueError):
        return None
    # A seq no audit row can have (the column is a signed 64-bit integer) is unreadable too:
    # queried with it, the database would raise instead of finding no row.
    return head if 0 <= head.seq < 2**63 else None


ROTATED = "keys.signing_rotated"


CREATED = "vault.created"
RECOVERED = "vault.recovered"
# Workstations (``vault.workstations``): the chain itself is their registry.
ENROLLED = "workstation.enrolled"
REVOKED = "workstation.revoked"
REFUSED = "workstation.refused"
KEY_REFUSED = "workstation.key_refused"  # this machine's key file was not safe to use
STORE_KEY_KEPT = "workstation.store_key_kept"  # revoked, but the store could not be told
SHARED = "shared"  # the name of the vault's shared key ("" in an entry's ``workstation``)
# Changes that only a holder of a permission may make: verify checks that the user who signed
# each one held it at that point of the chain (their roles as the chain itself records them).
PRIVILEGED: dict[str, str] = {
    "user.added": "user.manage",
    "user.roles": "user.manage",
    "user.disabled": "user.manage",
    "user.password": "user.manage",  # or the user themselves
    ROTATED: "keys.manage",
    "keys.vault_rotated": "keys.manage",
    "keys.identity_exported": "keys.manage",
    "agency.set": "exchange.manage",
    "agency.card": "exchange.manage",
    "partner.added": "exchange.manage",
    "partner.key_added": "exchange.manage",
    "partner.key_retired": "exchange.manage",
    "partner.key_revoked": "exchange.manage",
    "partner.recipient_changed": "exchange.manage",
    "agreement.added": "exchange.manage",
    "agreement.redaction": "exchange.manage",
    # A set decides what is hidden (known-good) and what alerts (known-bad).
    "hashset.imported": "hashset.manage",
    "hashset.made_from_case": "hashset.manage",
    "hashset.disabled": "hashset.manage",
    "hashset.enabled": "hashset.manage",
    "hashset.deleted": "hashset.manage",
    # A partner's set arrives disabled; only hashset.manage enables it (hashset.enabled).
    "hashset.received": "exchange.bundle",
    # An analyst's corrections of faces and clusters decide what is searched and who is named.
    "face.drawn": "match.run",
    "face.discarded": "match.run",
    "cluster.split": "match.run",
    "cluster.merged": "match.run",
    "cluster.named": "watchlist.manage",
    # The server's search index over every watchlist's reference vectors (matching.servervectors).
    "watchlist.indexed": "watchlist.manage",
    "watchlist.vectors_written": "watchlist.manage",
    # One entry for a batch of acquired items (vault.batchaudit): only an officer ingests.
    "items.acquired": "item.ingest",
    # A redacted copy is new evidence derived from an item (matching.redaction).
    "item.redacted": "item.export",
    ENROLLED: "workstation.manage",
    REVOKED: "workstation.manage",
    # A local vault moved into an agency server (vault.push): its first entry there.
    "vault.pushed": "vault.push",
    # A pack's size (the bound of its every read) recorded by verify (vault.verify).
    "blobs.pack_sized": "vault.verify",
}


@dataclass
class _Station:
    public: Ed25519PublicKey | None
    revoked: int = 0  # seq of the revocation entry


@dataclass
class _Signer:
    public: Ed25519PublicKey | None
    roles: frozenset[Role]
    disabled: bool = False


def _public(hex_text: Any) -> Ed25519PublicKey | None:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(str(hex_text)))
    except (ValueError, TypeError):
        return None


def _roles(text: Any) -> frozenset[Role]:
    known = {r.value for r in Role}
    return frozenset(Role(r) for r in str(text).split(",") if r in known)


# The entries that hand over a key or a right (``ChainChecker`` follows them to know who signs
# what): their signatures are always checked.
USER_CHANGES = ("user.added", "user.roles", "user.password", "user.disabled")
HANDOVERS = frozenset({CREATED, RECOVERED, ROTATED, ENROLLED, REVOKED, *USER_CHANGES})
# What ``ChainChecker.check`` reads of an entry, selected as plain rows (fewer objects for the
# collector than ORM entries): verify's pass and a vault-key rotation's (``rotation``).
ENTRY_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.target,
    AuditEntry.details,
    AuditEntry.prev_hash,
    AuditEntry.hash,
    AuditEntry.signature,
    AuditEntry.user_signature,
    AuditEntry.workstation,
)


class ChainChecker:
    """Checks the chain in pieces, so a caller can read a batch of entries, release the
    database, check them, and read the next (verify never holds the vault for the whole log).

    ``public`` is the vault's shared key of the first entry; a valid ``keys.signing_rotated`` entry
    (signed by the key in force) hands over to the key it names for the entries after it.

    Users: the first entry (``vault.created``) names the first admin's public key and the
    recovery key, and is signed by that admin. From there the chain itself says who each user
    is: ``user.added`` / ``user.password`` give a user's public key, ``user.roles`` their roles,
    ``user.disabled`` ends them. Every entry must carry its actor's signature under the key the
    chain gives them at that point, and a privileged change (``PRIVILEGED``) must come from a user
    who held the permission. ``vault.recovered`` is signed by the recovery key, which only the
    holder of the escrowed recovery identity can use.

    Workstations: an entry naming no workstation is signed by the vault's shared key (above);
    one naming a workstation by the key its ``workstation.enrolled`` entry gave (that entry is
    signed by the new key itself: proof its holder has it). After its ``workstation.revoked``
    entry a workstation signs nothing but the record of its own refused writes
    (``workstation.refused``, ``.key_refused``: they change nothing); the shared key is
    revoked the same way.
    """

    def __init__(
        self, public: Ed25519PublicKey, signs: Callable[[Any], bool] | None = None
    ) -> None:
        self.public = public
        # Which entries' signatures are checked: every one (verify), or those ``signs`` names
        # and every hand-over of a key or a right (``HANDOVERS``), whose signers the checker
        # follows (a rotation: ``rotation.recorded_users``). Hashes, links and who may sign
        # what are checked for every entry.
        self.signs = signs
        self.expected_seq = 1
        self.prev = GENESIS
        self.users: dict[str, _Signer] = {}
        self.recovery: Ed25519PublicKey | None = None
        self.stations: dict[str, _Station] = {}

    def check(self, e: Any) -> Iterator[tuple[int, str]]:
        """Yield (seq, problem) for a broken link, a wrong hash or a bad signature."""
        if e.seq != self.expected_seq:
            yield e.seq, f"entries {self.expected_seq}..{e.seq - 1} are missing"
        if e.prev_hash != self.prev:
            yield e.seq, "does not link to the entry before it"
        station = getattr(e, "workstation", "") or ""
        digest = entry_hash(
            e.prev_hash, e.seq, e.at, e.actor, e.action, e.target, e.details, station
        )
        intact = digest == e.hash
        if not intact:
            yield e.seq, "content does not match its hash (edited)"
        key, fault = self._station_key(e, station)
        if fault:
            yield e.seq, fault
        signed = self._signed(e)
        try:
            if key is None:
                raise ValueError
            if signed:
                key.verify(bytes.fromhex(e.signature), bytes.fromhex(e.hash))
            if e.action == ROTATED and intact:
                new = json.loads(e.details)["new_public"]
                self.public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(new))
        except (InvalidSignature, ValueError, KeyError, TypeError):
            whose = f"workstation {station!r}'s key" if station else "the workstation key"
            if key is not None or not fault:
                yield e.seq, f"signature is not valid for {whose}"
        if intact:
            yield from ((e.seq, what) for what in self._check_user(e))
        self.expected_seq, self.prev = e.seq + 1, e.hash

    def _signed(self, e: Any) -> bool:
        return self.signs is None or e.action in HANDOVERS or self.signs(e)

    def skip(self, seq: int, digest: str) -> None:
        """Go on after entry ``seq``, which could not be read (its sealed values do not open
        on the server: verify names it); the next entry must link to its ``digest``."""
        self.expected_seq, self.prev = seq + 1, digest

    def _station_key(self, e: Any, station: str) -> tuple[Ed25519PublicKey | None, str]:
        """The key the entry's workstation signature must verify under, and a fault if that
        workstation may not sign it at this point of the chain."""
        name = station or SHARED
        known = self.stations.get(name)
        key: Ed25519PublicKey | None
        if not station:
            key = self.public
        elif known is None:
            details = _details(e.details) if e.action == ENROLLED else {}
            if details.get("name") == station:  # its own enrolment, signed by the new key
                return _public(details.get("public_key")), ""
            return None, (
                f"signed by workstation {station!r}, which is not enrolled at this point of "
                "the chain"
            )
        else:
            key = known.public
        if known is not None and known.revoked and e.action not in (REFUSED, KEY_REFUSED):
            return key, (
                f"signed by workstation {name!r} after its revocation (audit #{known.revoked})"
            )
        return key, ""

    def _check_user(self, e: Any) -> Iterator[str]:
        # Only the entries that say who holds which key or right are read (most are not: the
        # verify of a large vault parses each entry's details once already, for its rows).
        details = _details(e.details) if e.action in _READ else {}
        if e.seq == 1 and e.action == CREATED:
            admin = _public(details.get("admin_public"))
            self.users[e.actor] = _Signer(admin, frozenset(ALL_ROLES))
            self.recovery = _public(details.get("recovery_public"))
        if e.action == RECOVERED:
            key, who = self.recovery, "the recovery key"
        else:
            signer = self.users.get(e.actor)
            if signer is None:
                yield f"signed as {e.actor!r}, who is not a user at this point of the chain"
                return
            if signer.disabled:
                yield f"signed as {e.actor!r}, who was disabled before it"
            key, who = signer.public, f"user {e.actor!r}'s key"
        if key is None or (self._signed(e) and not _valid(key, e.user_signature or "", e.hash)):
            yield f"not signed with {who} (forged or re-signed)"
            return
        permission = PRIVILEGED.get(e.action)
        if permission and e.action != RECOVERED:
            # Users change their own password, which rotates the vault key as they do.
            own = details.get("name") == e.actor and (
                e.action == "user.password"
                or (e.action == "keys.vault_rotated" and details.get("trigger") == "user.password")
            )
            if not own and not (PERMISSIONS[permission][0] & self.users[e.actor].roles):
                yield f"{e.action} by {e.actor!r}, who did not hold {permission} at that point"
                return
        self._follow(e.action, details)
        if e.action == ENROLLED:
            name = str(details.get("name", ""))
            if name and name != SHARED and name not in self.stations:
                self.stations[name] = _Station(_public(details.get("public_key")))
        elif e.action == REVOKED:
            name = str(details.get("name", ""))
            if name == SHARED and name not in self.stations:
                self.stations[name] = _Station(self.public)
            if name in self.stations and not self.stations[name].revoked:
                self.stations[name].revoked = e.seq

    def _follow(self, action: str, details: dict[str, Any]) -> None:
        """Update who holds which key and roles after an entry that changes it."""
        name = str(details.get("name", ""))
        if action in ("user.added", RECOVERED):
            old = self.users.get(name)
            roles = _roles(details.get("roles", ""))
            public = _public(details.get("signing_public"))
            if public is None and old is not None:
                public = old.public
            self.users[name] = _Signer(public, roles)
        elif action == "user.roles" and name in self.users:
            self.users[name].roles = _roles(details.get("roles", ""))
        elif action == "user.password" and name in self.users:
            self.users[name].public = _public(details.get("signing_public"))
        elif action == "user.disabled" and name in self.users:
            self.users[name].disabled = True


# Actions whose details the checker reads: the first entry, recovery, and every change of a
# user's key, roles or state (which are all privileged).
# (A batch of acquired items names no user: its large details are not parsed here.)
_READ = frozenset({CREATED, RECOVERED, *PRIVILEGED}) - {"items.acquired"}


def _details(text: str) -> dict[str, Any]:
    try:
        details = json.loads(text)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _valid(key: Ed25519PublicKey, signature: str, digest: str) -> bool:
    try:
        key.verify(bytes.fromhex(signature), bytes.fromhex(digest))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def check_chain(db: DbSession, public: Ed25519PublicKey) -> Iterator[tuple[int, str]]:
    """Yield (seq, problem) for every broken link, wrong hash or bad signature."""
    checker = ChainChecker(public)
    for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000):
        yield from checker.check(e)


def count(db: DbSession) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0
