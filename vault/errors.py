"""The typed errors of Custos, with stable exit codes.

Every error a user can cause is a ``CustosError`` whose message is one line naming what went wrong
and where. The faces (CLI, GUI) print that line; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class CustosError(Exception):
    """Base of every error a user can cause. ``exit_code`` is stable and documented."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserError(CustosError):
    """Bad input: a missing file, an unknown case, an invalid value."""

    exit_code = 2


class AuthenticationFailed(CustosError):
    """Wrong user name or password, or a disabled user. Deliberately does not say which."""

    exit_code = 3


class PermissionDenied(CustosError):
    """The acting user's roles do not allow the operation (the refusal is audited)."""

    exit_code = 4


class IntegrityFault(CustosError):
    """Stored data failed authentication or does not match its records."""

    exit_code = 5


class VaultUnavailable(CustosError):
    """The folder is not a vault, is of a newer format, or is in use by another process."""

    exit_code = 6


class ConnectionLost(VaultUnavailable):
    """The connection to the agency server was lost mid-command (its transaction was rolled
    back, unless the loss came as it committed: ``vault.serverrotation`` checks)."""


class Cancelled(CustosError):
    """The user cancelled a long job; what was finished before is kept."""

    exit_code = 130


class BatchIncomplete(CustosError):
    """A batch finished but some of its entries failed (each was reported on its own)."""

    exit_code = 1


class DiskFull(UserError):
    """The disk holding the vault is full: SQLite's SQLITE_FULL ("database or disk is full") or
    ENOSPC from a file write. Said as such, never as a damaged database."""

    def __init__(self, folder: object) -> None:
        super().__init__(f"{folder}: the vault's disk is full; free space and try again")


_SQLITE_FULL = 13
_SQLITE_DRIVERS = {"sqlite3", "sqlcipher3", "pysqlcipher3"}
_LOW = 1 << 20  # bytes free under which an I/O error is taken for a full disk


def disk_full(exc: BaseException | None, folder: Path | None = None) -> bool:
    """Whether ``exc``, or an error it was raised from or while handling, says the disk is full.

    Looks through SQLAlchemy's wrapper (``orig``) at the SQLite driver's error (sqlite3 or
    sqlcipher3: the result code where the driver gives it, else SQLite's fixed message). SQLite
    often says only "disk I/O error" when its WAL index cannot grow: with ``folder`` given, that
    counts as a full disk when the file system holding ``folder`` has (almost) no space left."""
    seen: set[int] = set()
    io_error = False
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for err in (exc, getattr(exc, "orig", None)):
            if isinstance(err, OSError) and err.errno == errno.ENOSPC:
                return True
            if err is not None and type(err).__module__.split(".")[0] in _SQLITE_DRIVERS:
                if getattr(err, "sqlite_errorcode", None) == _SQLITE_FULL:
                    return True
                if "database or disk is full" in str(err):
                    return True
                io_error = io_error or "disk I/O error" in str(err)
        exc = exc.__cause__ or exc.__context__
    return io_error and folder is not None and _free_bytes(folder) < _LOW


def _free_bytes(folder: Path) -> int:
    """Bytes an unprivileged writer may still use on the file system of ``folder`` (or of its
    nearest existing parent); a large number when it cannot be told."""
    for place in (folder, *folder.parents):
        try:
            st = os.statvfs(place)
        except OSError:
            continue
        return st.f_bavail * st.f_frsize
    return 1 << 62
