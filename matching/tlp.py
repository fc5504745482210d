"""Traffic Light Protocol 2.0 handling labels (https://www.first.org/tlp/), open to closed.

The one parser of TLP labels, shared by matching (watchlist subjects) and exchange (items, cases,
bundles, agreements). Labels are kept canonical: ``AMBER``, not ``TLP:amber``.
"""

from __future__ import annotations

from vault.errors import UserError

LABELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
RANK = {label: i for i, label in enumerate(LABELS)}
DEFAULT = "AMBER"
"""The label of an item with none of its own and no case default."""


def parse_tlp(value: str) -> str:
    """Accept ``TLP:AMBER``, ``amber`` or TLP 1.0's ``WHITE``; return the canonical ``AMBER``."""
    key = value.strip().upper().removeprefix("TLP:")
    if key == "WHITE":  # TLP 1.0 name, still seen in partner systems
        key = "CLEAR"
    if key not in RANK:
        raise UserError(f"unknown TLP label {value!r} (known: {', '.join(LABELS)})")
    return key


def parse_tlps(text: str) -> list[str]:
    """A comma-separated list of labels, canonical, without repeats, open to closed."""
    found = sorted({parse_tlp(t) for t in text.split(",") if t.strip()}, key=RANK.__getitem__)
    if not found:
        raise UserError("give at least one TLP label")
    return found


def highest(labels: list[str]) -> str:
    """The most restrictive of ``labels`` (``DEFAULT`` for none)."""
    return max(labels, key=RANK.__getitem__) if labels else DEFAULT
