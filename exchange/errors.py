"""Exchange errors: subclasses of the vault's typed errors, so the exit codes stay documented."""

from __future__ import annotations

from vault.errors import IntegrityFault, PermissionDenied


class PolicyRefused(PermissionDenied):
    """An export the agreements do not allow; ``refusals`` name each item and why (exit 4).

    The message is the ``summary`` (what is refused, counted per item) followed by every
    refusal; ``grouped`` holds each refused item with its reasons, for a face that lists them
    under the summary instead (then it prints ``summary`` alone, and each reason once)."""

    def __init__(
        self,
        summary: str,
        refusals: list[str],
        grouped: list[tuple[str, list[str]]] | None = None,
    ) -> None:
        super().__init__(f"{summary}: " + "; ".join(refusals) if refusals else summary)
        self.summary = summary
        self.refusals = refusals
        self.grouped = grouped if grouped is not None else [(r, []) for r in refusals]


class BundleRejected(IntegrityFault):
    """A bundle failed verification; ``problems`` lists every finding, not the first (exit 5)."""

    def __init__(self, subject: str, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{subject}: bundle refused ({count}): " + "; ".join(problems))
        self.problems = problems
