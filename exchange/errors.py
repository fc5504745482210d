"""Exchange errors: subclasses of the vault's typed errors, so the exit codes stay documented."""

from __future__ import annotations

from vault.errors import IntegrityFault, PermissionDenied


class PolicyRefused(PermissionDenied):
    """An export the agreements do not allow; ``refusals`` name each item and why (exit 4)."""

    def __init__(self, message: str, refusals: list[str]) -> None:
        super().__init__(message)
        self.refusals = refusals


class BundleRejected(IntegrityFault):
    """A bundle failed verification; ``problems`` lists every finding, not the first (exit 5)."""

    def __init__(self, subject: str, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{subject}: bundle refused ({count}): " + "; ".join(problems))
        self.problems = problems
