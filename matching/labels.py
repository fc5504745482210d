"""Traffic Light Protocol 2.0 handling labels (https://www.first.org/tlp/), open to closed.

Shared by matching (watchlist subjects) and exchange (items, bundles, agreements).
"""

from __future__ import annotations

from vault.errors import UserError

TLP = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
RANK = {label: i for i, label in enumerate(TLP)}


def parse_tlp(value: str) -> str:
    """Accept ``TLP:AMBER``, ``amber`` or TLP 1.0's ``WHITE``; return the canonical ``AMBER``."""
    key = value.strip().upper().removeprefix("TLP:")
    if key == "WHITE":  # TLP 1.0 name, still seen in partner systems
        key = "CLEAR"
    if key not in RANK:
        raise UserError(f"unknown TLP label {value!r} (known: {', '.join(TLP)})")
    return key
