"""Traffic Light Protocol 2.0 handling labels, shared by matching and exchange."""

from __future__ import annotations

from vault.errors import UserError

TLP = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


def parse_tlp(value: str) -> str:
    """Accept ``TLP:AMBER`` or ``amber``; return the canonical ``AMBER``."""
    key = value.strip().upper().removeprefix("TLP:")
    if key not in TLP:
        raise UserError(f"{value!r} is not a TLP 2.0 label (one of {', '.join(TLP)})")
    return key


def strictest(labels: list[str]) -> str:
    return max(labels, key=TLP.index) if labels else "CLEAR"
