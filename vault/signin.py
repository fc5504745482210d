"""Failed sign-ins: recorded without the vault key, slowed per user name, audited at the next
sign-in; and what an admin reads of them with the audit head to pin.

A wrong password (or an unknown name) opens nothing, so the attempt cannot go into the encrypted
database. It is recorded in ``<vault>/signin.json`` instead, under ``HMAC-SHA256(vault salt,
name)``: the file names nobody in clear (the typed name is kept only encrypted to the vault's own
age recipient, for the audit). Each name has a count of consecutive failures and the time of the
last; from the ``FREE_FAILURES``-th failure on, the next attempt with that name is refused until
``wait_after(failures)`` seconds have passed (``FIRST_WAIT`` doubling up to ``MAX_WAIT``).

Every attempt is counted as failed *before* its key derivation, then un-counted if it succeeds:
a process killed during the derivation has still used its guess, and two processes trying the
same name at once both see the other's attempt. The next successful sign-in, by anyone, appends
the failures not yet audited to the audit chain (``signin.failed``: the name as typed, bounded;
how many; first and last time; never the password) and resets the counter of the name that
signed in.

What this promises: guessing *through Custos* is slowed and seen. Whoever can write the vault
folder can delete this file, and whoever has a copy of the vault guesses offline at the cost of
Argon2id alone (docs/SECURITY.md).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import errno
import hashlib
import hmac
import json
import math
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vault import agefmt
from vault.audit import Head
from vault.config import VaultConfig
from vault.errors import AuthenticationFailed, DiskFull, VaultUnavailable, disk_full
from vault.fsutil import atomic_write, exclusive
from vault.history import head, list_audit
from vault.session import Session, check_vault, requires

LOCK_FILE = "signin.lock"  # held while the ledger is read and rewritten
FILENAME = "signin.json"
FORMAT = 1

# The schedule: attempts with a name after n consecutive failures wait wait_after(n) seconds.
FREE_FAILURES = 3  # failures that cost nothing (typos)
FIRST_WAIT = 1  # seconds after the FREE_FAILURES-th failure, doubling with each further one
MAX_WAIT = 60  # seconds, the most a name ever waits

MAX_NAME = 128  # characters of a typed name kept for the audit (the rest is cut)
MAX_NAMES = 200  # names the file keeps; beyond, the oldest audited ones go first
MAX_FILE = 512 * 1024  # bytes; a larger file is not read (it is not one this code wrote)
_MAX_NOTE = 200
_MAX_SEALED = 4096  # base64 of an age file of a cut name (about 1.4 KB at the most)

# The time of attempts, in seconds since the epoch (shared by processes, so not monotonic).
# Tests replace it to move time without waiting.
clock: Callable[[], float] = time.time

ACTION = "signin.failed"
DAMAGED = "signin.record_damaged"
TARGET = "sign-in"


class SignInThrottled(AuthenticationFailed):
    """Too many failed sign-ins with this name: the attempt was refused before any key
    derivation. Says nothing about whether the name exists (unknown names wait alike)."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"too many failed sign-ins for this name: wait {wait} s and try again")
        self.wait = wait


def wait_after(failures: int) -> int:
    """Seconds an attempt must wait after ``failures`` consecutive failures with its name."""
    if failures < FREE_FAILURES:
        return 0
    doublings = min(failures - FREE_FAILURES, MAX_WAIT.bit_length())
    return min(MAX_WAIT, FIRST_WAIT << doublings)


def name_key(salt: bytes, name: str) -> str:
    """The file's key for a typed name: reveals it only to someone who guesses it."""
    text = b"custos sign-in\0" + name.encode("utf-8", "surrogatepass")
    return hmac.new(salt, text, hashlib.sha256).hexdigest()


# --- the file ---------------------------------------------------------------------------------


@dataclass
class Record:
    """One typed name's failures. ``name``: the typed name (cut to ``MAX_NAME``) as an age file
    to the vault's own recipient, base64; readable only with the vault key."""

    name: str
    failures: int = 0  # consecutive, since the last successful sign-in with this name
    audited: int = 0  # how many of them are already in the audit log
    first: float = 0.0  # the first failure not yet audited
    last: float = 0.0  # the last attempt counted (the wait runs from here)
    refused: int = 0  # attempts refused while waiting, not yet audited


@dataclass
class Ledger:
    names: dict[str, Record] = field(default_factory=dict)
    damaged: str = ""  # why a file was found unusable and replaced; audited at the next sign-in
    dropped: int = 0  # unaudited failures of names the file could not keep (MAX_NAMES)


def _read(folder: Path) -> Ledger:
    """The file as it is; a file this code did not write (a link, a device, oversized, not its
    JSON) is not used: an empty ledger that says why, so the next sign-in audits it."""
    path = folder / FILENAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return Ledger()
    except OSError as exc:
        why = "a symbolic link" if exc.errno == errno.ELOOP else f"unreadable ({exc.strerror})"
        return Ledger(damaged=f"{FILENAME} was {why}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return Ledger(damaged=f"{FILENAME} was not a regular file")
        data = b""
        while len(data) <= MAX_FILE and (chunk := os.read(fd, MAX_FILE + 1 - len(data))):
            data += chunk
    except OSError as exc:
        return Ledger(damaged=f"{FILENAME} was unreadable ({exc.strerror})")
    finally:
        os.close(fd)
    if len(data) > MAX_FILE:
        return Ledger(damaged=f"{FILENAME} was larger than {MAX_FILE} bytes")
    try:
        return _parse(json.loads(data))
    except (ValueError, TypeError, KeyError, RecursionError):
        return Ledger(damaged=f"{FILENAME} was not a record of sign-ins (damaged or edited)")


def _count(value: Any) -> int:
    if type(value) is not int or not 0 <= value < 1 << 53:
        raise ValueError("count")
    return value


def _time(value: Any) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value < 1e11:
        raise ValueError("time")
    return float(value)


def _text(value: Any, limit: int) -> str:
    if type(value) is not str or len(value) > limit:
        raise ValueError("text")
    return value


def _parse(raw: Any) -> Ledger:
    if type(raw) is not dict or raw.get("format") != FORMAT or type(raw.get("names")) is not dict:
        raise ValueError("shape")
    if len(raw["names"]) > MAX_NAMES:
        raise ValueError("too many names")
    names = {}
    for key, rec in raw["names"].items():
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key) or type(rec) is not dict:
            raise ValueError("record")
        names[key] = Record(
            name=_text(rec["name"], _MAX_SEALED),
            failures=_count(rec["failures"]),
            audited=_count(rec["audited"]),
            first=_time(rec["first"]),
            last=_time(rec["last"]),
            refused=_count(rec["refused"]),
        )
    return Ledger(names, _text(raw.get("damaged", ""), _MAX_NOTE), _count(raw.get("dropped", 0)))


def _write(folder: Path, ledger: Ledger) -> None:
    """Replace the file (a temp name created ``O_EXCL|O_NOFOLLOW``, then renamed: a planted link
    is replaced, never followed). Cannot be written: refuse the sign-in, in one line; an attempt
    that cannot be counted must not be made."""
    raw = {
        "format": FORMAT,
        "names": {k: asdict(r) for k, r in ledger.names.items()},
        "damaged": ledger.damaged,
        "dropped": ledger.dropped,
    }
    try:
        atomic_write(folder / FILENAME, json.dumps(raw, sort_keys=True).encode(), mode=0o600)
    except OSError as exc:
        if disk_full(exc, folder):
            raise DiskFull(folder) from None
        raise VaultUnavailable(
            f"{folder / FILENAME}: failed sign-ins cannot be recorded ({exc.strerror}); "
            "move it away and sign in again"
        ) from None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[Ledger]:
    """The ledger read, to change and write back, with every other process and thread kept out
    (``signin.lock``, a lock file of its own: ``fsutil.exclusive``)."""
    lock = folder / LOCK_FILE
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(exclusive(lock))
        except OSError as exc:
            raise VaultUnavailable(f"{lock}: cannot be opened ({exc.strerror})") from None
        yield _read(folder)


def _evict(ledger: Ledger) -> None:
    """Keep at most ``MAX_NAMES``: drop the names longest untried, audited ones first, and count
    the failures of dropped names never audited (the audit then says how many were lost)."""
    excess = len(ledger.names) - MAX_NAMES
    if excess <= 0:
        return
    order = sorted(
        ledger.names,
        key=lambda k: (ledger.names[k].failures > ledger.names[k].audited, ledger.names[k].last),
    )
    for key in order[:excess]:
        rec = ledger.names.pop(key)
        ledger.dropped += max(0, rec.failures - rec.audited)


def _seal_name(name: str, config: VaultConfig) -> str:
    """The typed name, cut to ``MAX_NAME``, encrypted to the vault's own age recipient."""
    text = name[:MAX_NAME] + ("…" if len(name) > MAX_NAME else "")
    try:
        recipient = agefmt.Recipient.parse(config.vault_recipient)
        data = agefmt.encrypt_bytes(text.encode("utf-8", "backslashreplace"), [recipient])
    except agefmt.AgeError:
        return ""
    return base64.b64encode(data).decode()


def _open_name(sealed: str, session: Session) -> str:
    try:
        data = agefmt.decrypt_bytes(base64.b64decode(sealed, validate=True), session.age_identities)
        return data.decode("utf-8", "replace")[: MAX_NAME + 1]
    except (agefmt.AgeError, binascii.Error, ValueError):
        return "(unreadable)"


# --- at sign-in -------------------------------------------------------------------------------


@dataclass
class Attempt:
    """An attempt counted as failed until ``succeeded`` or ``undo``."""

    folder: Path
    key: str
    at: float
    before: Record | None  # the name's record before this attempt


def attempt(folder: Path, user: str, config: VaultConfig | None = None) -> Attempt:
    """Before the key derivation: refuse (``SignInThrottled``) while this name must wait; else
    count the attempt as failed, so it is counted even if the process dies before the answer.

    ``config``: the vault's settings when they are not ``folder``'s ``vault.toml`` (an agency
    server's; its workstation keeps the ledger in its own folder for the server)."""
    config = config if config is not None else check_vault(folder)
    key = name_key(config.salt, user)
    with _locked(folder) as ledger:
        now = clock()
        rec = ledger.names.get(key)
        if rec is not None:
            rec.last = min(rec.last, now)  # a clock put back (or a planted time) waits MAX_WAIT
            remaining = math.ceil(rec.last + wait_after(rec.failures) - now)
            if remaining > 0:
                rec.refused += 1
                _write(folder, ledger)
                raise SignInThrottled(remaining)
        before = copy.copy(rec)
        if rec is None:
            rec = ledger.names[key] = Record(name=_seal_name(user, config))
        if rec.failures == rec.audited:
            rec.first = now
        rec.failures += 1
        rec.last = now
        _evict(ledger)
        _write(folder, ledger)
    return Attempt(folder, key, now, before)


def is_text(*values: str) -> bool:
    """Whether every value is text (UTF-8): a name or password given as bytes that are not (an
    environment variable, a terminal in another encoding) matches no one, and is refused as a
    wrong password rather than fail in the key derivation."""
    try:
        for value in values:
            value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def undo(done: Attempt) -> None:
    """The attempt was no guess (the vault busy or damaged, a full disk): un-count it, unless
    another attempt with the name came since. Best effort: the caller is raising already."""
    with contextlib.suppress(Exception), _locked(done.folder) as ledger:
        rec = ledger.names.get(done.key)
        if rec is None or rec.last != done.at:
            return
        if done.before is None:
            del ledger.names[done.key]
        else:
            ledger.names[done.key] = done.before
        _write(done.folder, ledger)


def succeeded(session: Session, user: str, done: Attempt | None = None) -> None:
    """After a successful unlock (or a recovery) as ``user``: append every failure not yet
    audited, of every name, to the audit log; reset ``user``'s counter. ``done``: this sign-in's
    own attempt, counted as failed by ``attempt`` and so not one of them."""
    folder = session.folder
    own = name_key(session.config.salt, user)
    ledger = _read(folder)
    entries: list[tuple[str, str, dict[str, Any]]] = []
    if ledger.damaged:
        entries.append((DAMAGED, TARGET, {"reason": ledger.damaged}))
    for key, rec in ledger.names.items():
        failures = rec.failures - rec.audited - (1 if key == own and done else 0)
        last = done.before.last if key == own and done and done.before else rec.last
        if failures > 0 or rec.refused:
            details: dict[str, Any] = {
                "name": _open_name(rec.name, session),
                "failures": max(0, failures),
                "first": _iso(rec.first),
                "last": _iso(last),
            }
            if rec.refused:
                details["refused_while_waiting"] = rec.refused
            if key == own:
                details["then_signed_in"] = True
            entries.append((ACTION, TARGET, details))
    if ledger.dropped:
        entries.append(
            (ACTION, TARGET, {"name": None, "failures": ledger.dropped, "names_not_kept": True})
        )
    if entries:
        with session.transaction() as db:
            for action, target, details in entries:
                session.audit(db, action, target=target, **details)
    if not entries and own not in ledger.names:
        return
    # What was audited comes off the file as it is now: another process may have counted an
    # attempt meanwhile, which stays for the next sign-in.
    with _locked(folder) as now:
        for key, rec in ledger.names.items():
            current = now.names.get(key)
            if current is None:
                continue
            if key == own:
                del now.names[key]
                continue
            current.audited = min(current.failures, current.audited + rec.failures - rec.audited)
            current.refused = max(0, current.refused - rec.refused)
        if ledger.damaged == now.damaged:
            now.damaged = ""
        now.dropped = max(0, now.dropped - ledger.dropped)
        _write(folder, now)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


# --- what an admin reads ----------------------------------------------------------------------


@dataclass(frozen=True)
class FailedSignIn:
    """One ``signin.failed`` entry: failures with one typed name, as audited at ``recorded``."""

    seq: int
    recorded: str
    name: str | None  # as typed (escape before showing); None: names the file could not keep
    failures: int
    first: str
    last: str
    refused: int
    then_signed_in: bool


@dataclass(frozen=True)
class SecurityOverview:
    head: Head  # the audit head to write down: ``str(head)`` is ``SEQ:HASH``
    failed: list[FailedSignIn]  # newest first
    damaged: list[str]  # why the record of failures was found unusable, newest first


@requires("audit.read")
def security_overview(session: Session, limit: int = 50) -> SecurityOverview:
    """The current audit head and the latest ``limit`` failed sign-ins (admins)."""
    entries = list_audit(session, action="signin.", limit=0)
    failed = [
        FailedSignIn(
            e.seq,
            e.at,
            e.details.get("name"),
            int(e.details.get("failures", 0)),
            str(e.details.get("first", "")),
            str(e.details.get("last", "")),
            int(e.details.get("refused_while_waiting", 0)),
            bool(e.details.get("then_signed_in", False)),
        )
        for e in reversed(entries)
        if e.action == ACTION
    ]
    damaged = [str(e.details.get("reason", "")) for e in reversed(entries) if e.action == DAMAGED]
    return SecurityOverview(head(session), failed[:limit], damaged[:limit])
