"""Typed errors of the matching layer.

Each error carries a one-line user message (``str(err)``) naming what failed and where; the CLI's
top-level handler prints it and maps the class to an exit code. Bugs are not wrapped: they stay
tracebacks.
"""

from __future__ import annotations

from vault.errors import UserError


class MatchingError(UserError):
    """Base class of every user-facing error raised by ``matching`` (a user error, exit 2)."""


class ImageError(MatchingError):
    """An image cannot be read completely (unsupported, damaged or truncated)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"cannot read image {name}: {reason}")
        self.name = name
        self.reason = reason


class VideoError(MatchingError):
    """A video cannot be opened or decoded."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"cannot read video {name}: {reason}")
        self.name = name
        self.reason = reason


class ModelMismatchError(MatchingError):
    """Embeddings of different models (or versions) were about to be compared."""

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(
            f"embeddings of model {found!r} cannot be compared with a gallery of model {expected!r}"
        )
        self.expected = expected
        self.found = found


class EvaluationError(MatchingError):
    """A labelled evaluation folder is missing files or malformed."""
