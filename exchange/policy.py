"""Export policy: which items may go to a partner, under which agreement, and why not.

An item may leave only if one active agreement with the partner covers the purpose, every crime
area of the case (an agreement without areas covers all) and the item's label. AMBER+STRICT and
RED are never implied: the agreement must name them. An item received from a partner without
onward sharing may only go back to that partner. The decision lists every refused item.

Restriction follows content (:func:`restricted_content`): what a partner sent keeps the sender's
label and onward rule wherever the same bytes turn up again (an ordinary ingest of an exported
copy, into any case; a reference photo enrolled from it) and in what is derived from it (the crop
of a face found in it, a match result against a subject of a watchlist received without onward
sharing). Every export consults it, so the CLI and the GUI refuse alike, naming the partner and
the bundle the restriction comes from.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange.directory import AgreementInfo, agreements_with
from exchange.errors import PolicyRefused
from exchange.labels import Label, labels_for
from exchange.models import ItemLabel, WatchlistBundle
from matching.models import FaceRecord, Reference, Subject, Watchlist
from matching.tlp import RANK
from vault import sealing
from vault.models import Blob, Case, CustodyEvent, Item
from vault.session import Session

_CHUNK = 500  # hashes per IN (...) query


@dataclass(frozen=True)
class Provenance:
    """Content received from a partner: who sent it, in which bundle, under which rule.

    ``source`` names the received thing in words ("item 12 (case DE-3)", "reference photo 4 of
    watchlist 'W (BKA)'", "crop of face 7 of item 9, same content as item 12 (case DE-3)");
    ``item`` / ``watchlist`` are the received item's or watchlist's id (None for a derivation).
    """

    origin: str
    bundle_id: str
    tlp: str
    onward: bool  # the sender's agreement allowed onward sharing
    source: str
    item: int | None = None
    watchlist: int | None = None

    def onward_reason(self, own: bool = False) -> str:
        why = f"received from {self.origin} without onward sharing (bundle {self.bundle_id})"
        return why if own else f"same content as {self.source}, {why}"

    def label_reason(self, ag: AgreementInfo) -> str:
        return (
            f"same content as {self.source}, labelled {self.tlp} by {self.origin} "
            f"(bundle {self.bundle_id}): not allowed by agreement {ag.id} "
            f"(allows {', '.join(ag.labels)})"
        )


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    todo = sorted(set(values))
    for n in range(0, len(todo), _CHUNK):
        yield todo[n : n + _CHUNK]


def _received_items(db: DbSession, shas: Iterable[str]) -> dict[str, list[Provenance]]:
    """Items received in a bundle, by content hash, with their sender's label and rule."""
    rows: list[Any] = []
    for chunk in _chunks(shas):
        rows += db.execute(
            select(Item.id, Item.sha256, Case.reference, ItemLabel)
            .join(ItemLabel, ItemLabel.item_id == Item.id)
            .join(Case, Case.id == Item.case_id)
            .where(ItemLabel.origin.is_not(None), sealing.among(db, Item.sha256, chunk))
        ).all()
    bundles: dict[int, str] = {}
    for n in range(0, len(rows), _CHUNK):
        ids = [r[0] for r in rows[n : n + _CHUNK]]
        q = select(CustodyEvent.item_id, CustodyEvent.details).where(
            CustodyEvent.item_id.in_(ids), CustodyEvent.kind == "acquired"
        )
        for item_id, details in db.execute(q):
            bundles.setdefault(item_id, str(json.loads(details or "{}").get("bundle_id", "?")))
    found: dict[str, list[Provenance]] = {}
    for item_id, sha, case, label in rows:
        found.setdefault(sha, []).append(
            Provenance(
                str(label.origin),
                bundles.get(item_id, "?"),
                label.tlp,
                label.onward,
                f"item {item_id} (case {case})",
                item=item_id,
            )
        )
    return found


def _received_references(db: DbSession, shas: Iterable[str]) -> dict[str, list[Provenance]]:
    """Reference photos and crops of watchlists received in a bundle, by content hash."""
    found: dict[str, list[Provenance]] = {}
    for chunk in _chunks(shas):
        q = (
            select(Blob.sha256, Reference.id, Subject.label, Watchlist, WatchlistBundle)
            .join(
                Reference, (Reference.photo_blob == Blob.name) | (Reference.crop_blob == Blob.name)
            )
            .join(Subject, Subject.id == Reference.subject_id)
            .join(Watchlist, Watchlist.id == Subject.watchlist_id)
            .join(
                WatchlistBundle,
                (WatchlistBundle.watchlist_id == Watchlist.id)
                & (WatchlistBundle.direction == "in"),
            )
            .where(sealing.among(db, Blob.sha256, chunk))
        )
        for sha, ref_id, tlp, wl, bundle in db.execute(q):
            found.setdefault(sha, []).append(
                Provenance(
                    bundle.partner,
                    bundle.bundle_id,
                    tlp,
                    bundle.onward,
                    f"reference photo {ref_id} of watchlist {wl.name!r}",
                    watchlist=wl.id,
                )
            )
    return found


def _received(db: DbSession, shas: Iterable[str]) -> dict[str, list[Provenance]]:
    found = _received_items(db, shas)
    for sha, more in _received_references(db, shas).items():
        found.setdefault(sha, []).extend(more)
    return found


def received_contents(db: DbSession, shas: Iterable[str]) -> dict[str, list[Provenance]]:
    """Every received content each hash is, or is derived from (see :class:`Provenance`): the
    same bytes as a received item or reference photo, or the crop of a face found in such an
    item (or in a local copy of one). Hashes with nothing received are left out."""
    shas = set(shas)
    found = _received(db, shas)
    crops: list[tuple[str, int, int, str]] = []
    for chunk in _chunks(shas):
        crops += db.execute(
            select(Blob.sha256, FaceRecord.id, Item.id, Item.sha256)
            .join(FaceRecord, FaceRecord.crop_blob == Blob.name)
            .join(Item, Item.id == FaceRecord.item_id)
            .where(sealing.among(db, Blob.sha256, chunk))
        ).all()
    parents = _received(db, {c[3] for c in crops})
    for sha, face, item, parent in crops:
        for p in parents.get(parent, []):
            of = f"crop of face {face} of item {item}"
            if p.item != item:
                of += f", same content as {p.source}"
            derived = dataclasses.replace(p, source=of, item=None, watchlist=None)
            found.setdefault(sha, []).append(derived)
    return found


def restricted_content(db: DbSession, sha256: str) -> list[Provenance]:
    """What restricts content with this SHA-256: each received copy it is or derives from,
    with the sender's label and onward rule (empty: nothing received)."""
    return received_contents(db, [sha256]).get(sha256, [])


def provenance_reasons(
    found: Iterable[Provenance],
    partner: str,
    ag: AgreementInfo,
    own_item: int | None = None,
    own_watchlist: int | None = None,
) -> list[str]:
    """Why content with this provenance may not go to ``partner`` under ``ag``: a sender's
    label the agreement does not list, or no onward sharing to anyone but the sender. The
    received item or watchlist being exported itself (``own_*``) is named without "same as"
    and its label is checked as its own."""
    reasons: list[str] = []
    for p in found:
        own = (p.item is not None and p.item == own_item) or (
            p.watchlist is not None and p.watchlist == own_watchlist
        )
        if not p.onward and p.origin != partner:
            reasons.append(p.onward_reason(own))
        if not own and p.tlp not in ag.labels:
            reasons.append(p.label_reason(ag))
    return list(dict.fromkeys(reasons))


def strictest(label: Label, found: Iterable[Provenance]) -> Label:
    """The item's label, raised to the strictest label its received copies carry."""
    tlp = max([label.tlp, *(p.tlp for p in found)], key=RANK.__getitem__)
    return label if tlp == label.tlp else dataclasses.replace(label, tlp=tlp, inherited=False)


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


def _item_reasons(
    item: Item, label: Label, found: list[Provenance], partner: str, ag: AgreementInfo
) -> list[str]:
    reasons = []
    if label.tlp not in ag.labels:
        reasons.append(
            f"label {label.tlp} is not allowed by agreement {ag.id} (allows {', '.join(ag.labels)})"
        )
    # a received item's own rule is among ``found`` (named with its bundle)
    return reasons + provenance_reasons(found, partner, ag, own_item=item.id)


def covering_agreements(
    db: DbSession, partner: str, purpose: str, areas: set[str] | None, what: str = ""
) -> tuple[list[AgreementInfo], str]:
    """The active agreements with ``partner`` for ``purpose`` that cover material of crime
    ``areas`` (an agreement limited to crime areas covers only material of those), or ([], why
    none does). ``areas`` None: ``what`` records no crime areas (a watchlist, a hash set)."""
    active = [a for a in agreements_with(db, partner) if a.active() and a.purpose == purpose]
    if not active:
        return [], f"no active agreement with {partner} for purpose {purpose}"
    wanted = areas or set()
    covering = [a for a in active if not a.crime_areas or (wanted and wanted <= set(a.crime_areas))]
    if covering:
        return covering, ""
    if areas is None:
        return [], f"the agreements with {partner} are limited to crime areas; {what} has none"
    shown = ", ".join(sorted(areas)) or "none recorded"
    return [], f"the agreements with {partner} do not cover the case's crime areas ({shown})"


def check_export(
    db: DbSession, partner: str, purpose: str, case: Case, items: list[Item]
) -> Decision:
    """The decision on exporting ``items`` of ``case`` to ``partner`` for ``purpose``: the
    best covering agreement and every refused item; labels raised to what was received."""
    own = labels_for(db, items)
    received = received_contents(db, [i.sha256 for i in items])
    found = {i.id: received.get(i.sha256, []) for i in items}
    labels = {i.id: strictest(own[i.id], found[i.id]) for i in items}
    covering, why = covering_agreements(db, partner, purpose, set(json.loads(case.crime_areas)))
    if not covering:
        return Decision(None, labels, [Refusal(i.id, i.name, (why,)) for i in items])
    best: Decision | None = None
    for ag in covering:
        refusals = [
            Refusal(i.id, i.name, tuple(r))
            for i in items
            if (r := _item_reasons(i, own[i.id], found[i.id], partner, ag))
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


def redacted_in_place(
    db: DbSession, items: list[Item], decision: Decision
) -> tuple[list[Item], Decision]:
    """Under an agreement that demands redacted copies (``AgreementInfo.redacted``): each photo
    and video goes as its newest redacted copy (``matching.redaction``), carrying the original's
    decided label; one without a copy is refused, saying how to make one. Copies already
    selected, and items that are neither photos nor videos, go as they are."""
    from matching.mediakind import media_kind

    ag = decision.agreement
    if ag is None or not ag.redacted:
        return items, decision
    ids = [i.id for i in items]
    copies: dict[int, int] = {}
    made: set[int] = set()  # items that are redacted copies themselves
    for n in range(0, len(ids), _CHUNK):
        chunk = ids[n : n + _CHUNK]
        for e in db.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.item_id.in_(chunk), CustodyEvent.kind.in_(("redacted", "acquired")))
            .order_by(CustodyEvent.id)
        ):
            details = json.loads(e.details)
            if e.kind == "redacted":
                copies[e.item_id] = int(details["copy"])
            elif details.get("how") == "redacted":
                made.add(e.item_id)
    chosen: dict[int, Item] = {}
    labels = dict(decision.labels)
    refusals = list(decision.refusals)
    for item in items:
        if item.id in made or media_kind(item.name) is None:
            chosen.setdefault(item.id, item)
        elif item.id in copies:
            copy = db.get(Item, copies[item.id])
            assert copy is not None
            labels[copy.id] = decision.labels[item.id]
            chosen.setdefault(copy.id, copy)
        else:
            chosen.setdefault(item.id, item)  # refused: listed, so a preview names it
            refusals.append(
                Refusal(
                    item.id,
                    item.name,
                    (
                        f"agreement {ag.id} demands redacted copies and this item has none "
                        f"(make one: custos redact {item.id})",
                    ),
                )
            )
    return list(chosen.values()), Decision(ag, labels, refusals)
