"""Handling labels on items and cases. Every change is an audited row update."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange.models import CaseLabel, ItemLabel
from matching.tlp import DEFAULT, parse_tlp
from vault.cases import find_case
from vault.errors import UserError
from vault.models import Item
from vault.session import Session, now, requires


@dataclass(frozen=True)
class Label:
    tlp: str
    origin: str | None  # partner the item came from
    onward: bool  # False: received without onward sharing; only goes back to ``origin``
    inherited: bool  # the case default (or AMBER), not set on the item


def labels_for(db: DbSession, items: list[Item]) -> dict[int, Label]:
    """The effective label of each item: its own, else its case's default, else AMBER."""
    ids = [i.id for i in items]
    own = {r.item_id: r for r in db.scalars(select(ItemLabel).where(ItemLabel.item_id.in_(ids)))}
    case_ids = {i.case_id for i in items}
    q = select(CaseLabel).where(CaseLabel.case_id.in_(case_ids))
    defaults = {r.case_id: r.tlp for r in db.scalars(q)}
    found: dict[int, Label] = {}
    for item in items:
        row = own.get(item.id)
        if row is not None:
            found[item.id] = Label(row.tlp, row.origin, row.onward, False)
        else:
            found[item.id] = Label(defaults.get(item.case_id, DEFAULT), None, True, True)
    return found


@requires("exchange.label")
def set_item_labels(session: Session, item_ids: list[int], tlp: str) -> int:
    """Label items. A partner's label on a received item cannot be lowered here."""
    label = parse_tlp(tlp)
    with session.transaction() as db:
        for item_id in item_ids:
            if db.get(Item, item_id) is None:
                raise UserError(f"no item with id {item_id}")
            row = db.get(ItemLabel, item_id)
            if row is not None and row.origin is not None:
                raise UserError(
                    f"item {item_id} was received from {row.origin} labelled {row.tlp}; "
                    "its label is the sender's and cannot be changed here"
                )
            if row is None:
                row = ItemLabel(item_id=item_id, origin=None, onward=True)
                db.add(row)
            row.tlp, row.set_by, row.set_at = label, session.user, now()
            session.audit(db, "label.set", row, item=item_id, tlp=label)
    return len(item_ids)


@requires("exchange.label")
def set_case_label(session: Session, case_reference: str, tlp: str) -> None:
    label = parse_tlp(tlp)
    with session.transaction() as db:
        case = find_case(db, case_reference)
        row = db.get(CaseLabel, case.id) or CaseLabel(case_id=case.id)
        row.tlp, row.set_by, row.set_at = label, session.user, now()
        db.add(row)
        session.audit(db, "label.case_set", row, case=case_reference, tlp=label)


@requires("case.read")
def item_labels(session: Session, case_reference: str) -> list[tuple[Item, Label]]:
    with session.db() as db:
        case = find_case(db, case_reference)
        items = list(db.scalars(select(Item).where(Item.case_id == case.id).order_by(Item.id)))
        labels = labels_for(db, items)
        return [(i, labels[i.id]) for i in items]
