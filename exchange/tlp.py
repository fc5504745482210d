"""Traffic Light Protocol 2.0 labels (https://www.first.org/tlp/), ordered from open to closed."""

from __future__ import annotations

from matching.labels import RANK
from matching.labels import TLP as LABELS
from matching.labels import parse_tlp as parse_label
from vault.errors import UserError

DEFAULT = "AMBER"
__all__ = ["DEFAULT", "LABELS", "RANK", "highest", "parse_label", "parse_labels"]


def parse_labels(text: str) -> list[str]:
    found = sorted({parse_label(t) for t in text.split(",") if t.strip()}, key=RANK.__getitem__)
    if not found:
        raise UserError("give at least one TLP label")
    return found


def highest(labels: list[str]) -> str:
    return max(labels, key=RANK.__getitem__) if labels else DEFAULT
