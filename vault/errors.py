"""The typed errors of Custos, with stable exit codes.

Every error a user can cause is a ``CustosError`` whose message is one line naming what went wrong
and where. The faces (CLI, GUI) print that line; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


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


class Cancelled(CustosError):
    """The user cancelled a long job; what was finished before is kept."""

    exit_code = 130


class BatchIncomplete(CustosError):
    """A batch finished but some of its entries failed (each was reported on its own)."""

    exit_code = 1
