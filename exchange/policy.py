"""Export policy: which items may go to a partner, under which agreement, and why not.

An item may leave only if one active agreement with the partner covers the purpose, every crime
area of the case (an agreement without areas covers all) and the item's label. AMBER+STRICT and
RED are never implied: the agreement must name them. An item received from a partner without
onward sharing may only go back to that partner. The decision lists every refused item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy.orm import Session as DbSession

from exchange.directory import AgreementInfo, agreements_with
from exchange.errors import PolicyRefused
from exchange.labels import Label, labels_for
from vault.models import Case, Item
from vault.session import Session


@dataclass(frozen=True)
class Refusal:
    """One refused item with every reason it is refused (each once)."""

    item: int
    name: str
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def subject(self) -> str:
        return f"item {self.item} ({self.name})"

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason}"


def by_item(refusals: list[Refusal]) -> list[Refusal]:
    """One refusal per item (first-seen order), its reasons merged without repeats."""
    merged: dict[int, Refusal] = {}
    for r in refusals:
        seen = merged.get(r.item)
        reasons = r.reasons if seen is None else seen.reasons + r.reasons
        merged[r.item] = Refusal(r.item, r.name, tuple(dict.fromkeys(reasons)))
    return list(merged.values())


@dataclass(frozen=True)
class Decision:
    agreement: AgreementInfo | None
    labels: dict[int, Label]
    refusals: list[Refusal]

    @property
    def allowed(self) -> bool:
        return self.agreement is not None and not self.refusals


def _item_reasons(item: Item, label: Label, partner: str, ag: AgreementInfo) -> list[str]:
    reasons = []
    if label.tlp not in ag.labels:
        reasons.append(
            f"label {label.tlp} is not allowed by agreement {ag.id} (allows {', '.join(ag.labels)})"
        )
    if label.origin is not None and label.origin != partner and not label.onward:
        reasons.append(f"received from {label.origin} without onward sharing")
    return reasons


def check_export(
    db: DbSession, partner: str, purpose: str, case: Case, items: list[Item]
) -> Decision:
    labels = labels_for(db, items)
    active = [a for a in agreements_with(db, partner) if a.active() and a.purpose == purpose]
    if not active:
        why = f"no active agreement with {partner} for purpose {purpose}"
        return Decision(None, labels, [Refusal(i.id, i.name, (why,)) for i in items])
    areas = set(json.loads(case.crime_areas))
    covering = [a for a in active if not a.crime_areas or (areas and areas <= set(a.crime_areas))]
    if not covering:
        shown = ", ".join(sorted(areas)) or "none recorded"
        why = f"the agreements with {partner} do not cover the case's crime areas ({shown})"
        return Decision(None, labels, [Refusal(i.id, i.name, (why,)) for i in items])
    best: Decision | None = None
    for ag in covering:
        refusals = [
            Refusal(i.id, i.name, tuple(r))
            for i in items
            if (r := _item_reasons(i, labels[i.id], partner, ag))
        ]
        if best is None or len(refusals) < len(best.refusals):
            best = Decision(ag, labels, refusals)
    assert best is not None
    return best


def refuse_export(
    session: Session,
    action: str,
    target: str,
    partner: str,
    purpose: str,
    refusals: list[str],
    summary: str,
    grouped: list[tuple[str, list[str]]] | None = None,
) -> NoReturn:
    """Audit a refused export with every reason, then raise it: nothing has been written.

    ``summary`` counts what is refused ("... refused for 1 of 15 item(s)"); ``grouped`` gives
    each refused thing with its reasons, for a face to list (default: one line each)."""
    with session.transaction() as db:
        session.audit(
            db, action, target=target, partner=partner, purpose=purpose, refusals=refusals
        )
    raise PolicyRefused(summary, refusals, grouped)
