"""Traffic Light Protocol 2.0 labels (https://www.first.org/tlp/), ordered from open to closed."""

from __future__ import annotations

from matching.labels import TLP as LABELS
from vault.errors import UserError

DEFAULT = "AMBER"
RANK = {label: i for i, label in enumerate(LABELS)}


def parse_label(text: str) -> str:
    key = text.strip().upper().removeprefix("TLP:")
    if key == "WHITE":  # TLP 1.0 name, still seen in partner systems
        key = "CLEAR"
    if key not in RANK:
        raise UserError(f"unknown TLP label {text!r} (known: {', '.join(LABELS)})")
    return key


def parse_labels(text: str) -> list[str]:
    found = sorted({parse_label(t) for t in text.split(",") if t.strip()}, key=RANK.__getitem__)
    if not found:
        raise UserError("give at least one TLP label")
    return found


def highest(labels: list[str]) -> str:
    return max(labels, key=RANK.__getitem__) if labels else DEFAULT
