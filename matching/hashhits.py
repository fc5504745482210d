"""Items looked up in the active hash sets: at ingest (the layer's ``on_acquired``, inside the
ingest's own transaction) and on demand over a case (``MatchJob``); hits, alerts, acknowledgements.

Lookup: per batch of items and per algorithm one indexed query on ``hashset_entries``'s primary
key (set, algorithm, digest) with the batch's digests, restricted to the active sets. An item of a
case made with ``--no-hash-sets`` has SHA-256 only, so only SHA-256 entries can match it.

Each hit is a row of ``hashset_hits`` (the set's name and kind as they were, the algorithm, the
digest, the category) and an audit entry in the same transaction. A hit in a known-bad set is an
alert until an analyst acknowledges it with a reason (``acknowledge``: a ``hashset_acks`` row).

Permissions: reading hits and alerts needs ``case.read``; ``MatchJob`` and ``acknowledge`` need
``hashset.match`` (analyst). The lookup at ingest runs under the ingest's own permission.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from matching.hashparse import ALGORITHMS
from matching.models import HashHit, HashSet, HashSetCategory, HashSetEntry, HitAck
from vault.acquisition import insert_rows
from vault.cases import find_case
from vault.errors import UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.models import Case, Item, column_digests, state_digest, values_state
from vault.schema import Acquired
from vault.session import Session, now, requires

QUERY_DIGESTS = 500  # digests per lookup query (SQLite's bound on variables is far above)
MATCH_ITEMS = 2_000  # items per transaction of a match job


@dataclass(frozen=True)
class Hit:
    id: int
    item: int
    case: str
    set: str
    kind: str
    category: int | None
    algorithm: str
    digest: str
    found_by: str
    at: str
    acknowledged: dict[str, str] | None = None  # by, at, reason

    @property
    def alert(self) -> bool:
        return self.kind == "known-bad"

    def brief(self) -> dict[str, Any]:
        """The hit as ``items list --hits --json`` shows it."""
        return {
            "id": self.id,
            "set": self.set,
            "kind": self.kind,
            "category": self.category,
            "algorithm": self.algorithm,
            "digest": self.digest,
            "alert": self.alert,
            "acknowledged": self.acknowledged is not None,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"alert": self.alert}


@dataclass
class MatchResult:
    case: str
    items: int = 0
    sets: list[str] = field(default_factory=list)
    hits: int = 0  # new hits recorded by this run
    alerts: int = 0  # of which known-bad
    known: int = 0  # hits recorded before (by ingest or an earlier run)
    sha256_only: bool = False  # the case was made with --no-hash-sets


def active_sets(db: DbSession) -> dict[int, tuple[str, str]]:
    """set id -> (name, kind) of every active set."""
    rows = db.execute(
        select(HashSet.id, HashSet.name, HashSet.kind).where(HashSet.state == "active")
    )
    return {r.id: (r.name, r.kind) for r in rows}


def _digests(item: Acquired) -> Iterator[tuple[str, str]]:
    yield "sha256", item.sha256
    if item.sha1:
        yield "sha1", item.sha1
    if item.md5:
        yield "md5", item.md5


def look_up(
    db: DbSession, sets: dict[int, tuple[str, str]], items: Sequence[Acquired]
) -> list[tuple[Acquired, int, str, str, int | None]]:
    """(item, set id, algorithm, digest hex, category) for every entry of an active set that
    one of ``items`` matches: one indexed query per ``QUERY_DIGESTS`` keys (every algorithm at
    once: a key is the algorithm's code byte then the digest), categories read for hits only."""
    if not sets or not items:
        return []
    wanted: dict[bytes, list[tuple[Acquired, str]]] = defaultdict(list)
    for item in items:
        for algorithm, hex_digest in _digests(item):
            try:
                key = bytes((ALGORITHMS[algorithm][0],)) + bytes.fromhex(hex_digest)
            except ValueError:
                continue  # not a digest (never written by ingest): cannot match
            wanted[key].append((item, algorithm))
    set_ids = sorted(sets)
    keys = list(wanted)
    hits: list[tuple[int, bytes]] = []
    for start in range(0, len(keys), QUERY_DIGESTS):
        part = keys[start : start + QUERY_DIGESTS]
        e = HashSetEntry
        hits += db.execute(select(e.set_id, e.key).where(e.set_id.in_(set_ids), e.key.in_(part)))
    categories: dict[tuple[int, bytes], int] = {}
    if hits:
        c = HashSetCategory
        for start in range(0, len(hits), QUERY_DIGESTS):
            part = list({k for _, k in hits[start : start + QUERY_DIGESTS]})
            q = select(c.set_id, c.key, c.category).where(c.set_id.in_(set_ids), c.key.in_(part))
            categories.update({(s_id, k): cat for s_id, k, cat in db.execute(q)})
    found = [
        (item, set_id, algorithm, key[1:].hex(), categories.get((set_id, key)))
        for set_id, key in hits
        for item, algorithm in wanted[key]
    ]
    found.sort(key=lambda f: (f[0].item_id, f[1], f[2]))
    return found


def record_hits(
    session: Session,
    db: DbSession,
    sets: dict[int, tuple[str, str]],
    found: list[tuple[Acquired, int, str, str, int | None]],
    found_by: str,
) -> list[int]:
    """Insert the hits and their audit entries (one bulk INSERT each); returns the hit ids."""
    if not found:
        return []
    at = now()
    rows = [
        {
            "item_id": item.item_id,
            "case_id": item.case_id,
            "set_id": set_id,
            "set_name": sets[set_id][0],
            "kind": sets[set_id][1],
            "algorithm": algorithm,
            "digest": digest,
            "category": category,
            "found_by": found_by,
            "actor": session.user,
            "at": at,
        }
        for item, set_id, algorithm, digest, category in found
    ]
    ids = insert_rows(db, HashHit, rows)
    target = HashHit.__tablename__ + ":"

    def entries() -> Iterator[tuple[str, str, dict[str, Any]]]:
        for row, hit_id in zip(rows, ids, strict=True):
            row["id"] = hit_id
            state = values_state(HashHit, row)
            yield (
                "hashset.alert" if row["kind"] == "known-bad" else "hashset.hit",
                f"{target}{hit_id}",
                {
                    "item": row["item_id"],
                    "set": row["set_name"],
                    "kind": row["kind"],
                    "algorithm": row["algorithm"],
                    "category": row["category"],
                    "found_by": found_by,
                    "digest": state_digest(state),
                    "columns": column_digests(state),
                },
            )

    session.audit_many(db, entries())
    return ids


def on_acquired(session: Session, db: DbSession, items: Sequence[Acquired]) -> None:
    """The matching layer's ``on_acquired``: new items looked up in every active set, hits
    recorded with them (same transaction). No active set: one small query, nothing else."""
    sets = active_sets(db)
    if sets:
        record_hits(session, db, sets, look_up(db, sets, items), "ingest")


class MatchJob:
    """Look every item of a case up in the active sets; record the hits not recorded yet.

    Items are taken ``MATCH_ITEMS`` at a time, each group looked up and its hits committed in
    one transaction (the vault is released between groups); the cancel token is checked
    between groups, so a cancelled run leaves the hits of the groups it finished, each audited.
    """

    def __init__(self, session: Session, case_reference: str, cancel: CancelToken | None = None):
        self.session = session
        self.case_reference = case_reference
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> MatchResult:
        s = self.session
        s.require("hashset.match", target=f"case:{self.case_reference}")
        with s.db() as db:
            case = find_case(db, self.case_reference)
            total = db.scalar(select(func.count()).where(Item.case_id == case.id)) or 0
            sets = active_sets(db)
        result = MatchResult(case.reference, sets=sorted(n for n, _ in sets.values()))
        result.sha256_only = not case.hash_sets
        emit(Progress(0, total, "items", f"{len(sets)} active hash sets"))
        last = 0
        while sets:
            self.cancel.check()
            with s.transaction() as db:
                rows = db.execute(
                    select(Item.id, Item.sha256, Item.sha1, Item.md5)
                    .where(Item.case_id == case.id, Item.id > last)
                    .order_by(Item.id)
                    .limit(MATCH_ITEMS)
                ).all()
                if not rows:
                    break
                last = rows[-1].id
                items = [
                    Acquired(r.id, case.id, r.sha256, r.sha1 or None, r.md5 or None) for r in rows
                ]
                found = look_up(db, sets, items)
                recorded = db.execute(
                    select(HashHit.item_id, HashHit.set_id, HashHit.algorithm).where(
                        HashHit.item_id.in_([r.id for r in rows])
                    )
                )
                have = {(i, s_id, a) for i, s_id, a in recorded}
                new = [f for f in found if (f[0].item_id, f[1], f[2]) not in have]
                record_hits(s, db, sets, new, "match")
            result.items += len(rows)
            result.known += len(found) - len(new)
            result.hits += len(new)
            result.alerts += sum(1 for f in new if sets[f[1]][1] == "known-bad")
            emit(Progress(result.items, total, "items", ""))
        with s.transaction() as db:
            s.audit(
                db,
                "hashset.matched",
                target=f"case:{case.reference}",
                sets=result.sets,
                items=result.items,
                hits=result.hits,
                alerts=result.alerts,
                sha256_only=result.sha256_only,
            )
        return result


def _hits(db: DbSession, where: Any) -> list[Hit]:
    q = (
        select(HashHit, Case.reference, HitAck)
        .join(Case, Case.id == HashHit.case_id)
        .outerjoin(HitAck, HitAck.hit_id == HashHit.id)
        .where(where)
        .order_by(HashHit.id)
    )
    found = []
    for hit, reference, ack in db.execute(q):
        acked = None if ack is None else {"by": ack.actor, "at": ack.at, "reason": ack.reason}
        found.append(
            Hit(
                id=hit.id,
                item=hit.item_id,
                case=reference,
                set=hit.set_name,
                kind=hit.kind,
                category=hit.category,
                algorithm=hit.algorithm,
                digest=hit.digest,
                found_by=hit.found_by,
                at=hit.at,
                acknowledged=acked,
            )
        )
    return found


@requires("case.read")
def case_hits(session: Session, case_reference: str) -> dict[int, list[Hit]]:
    """item id -> its hits (known-bad first), for every item of the case that has any."""
    with session.db() as db:
        case = find_case(db, case_reference)
        found = _hits(db, HashHit.case_id == case.id)
    by_item: dict[int, list[Hit]] = defaultdict(list)
    order = {"known-bad": 0, "info": 1, "known-good": 2}
    for hit in sorted(found, key=lambda h: (order.get(h.kind, 3), h.id)):
        by_item[hit.item].append(hit)
    return dict(by_item)


@requires("case.read")
def alerts(
    session: Session, case_reference: str | None = None, acknowledged: bool = False
) -> list[Hit]:
    """Known-bad hits not acknowledged yet (``acknowledged``: all of them), oldest first."""
    with session.db() as db:
        where = HashHit.kind == "known-bad"
        if case_reference is not None:
            where = where & (HashHit.case_id == find_case(db, case_reference).id)
        found = _hits(db, where)
    return [h for h in found if acknowledged or h.acknowledged is None]


@requires("hashset.match")
def acknowledge(session: Session, hit_id: int, reason: str) -> Hit:
    """Record that an analyst has seen a known-bad hit, with a reason (append-only)."""
    reason = reason.strip()
    if not reason:
        raise UserError("an acknowledgement needs a reason")
    with session.transaction() as db:
        hit = db.get(HashHit, hit_id)
        if hit is None:
            raise UserError(f"no hash-set hit with id {hit_id}")
        if hit.kind != "known-bad":
            raise UserError(f"hit {hit_id} is in a {hit.kind} set: only known-bad hits are alerts")
        if db.scalar(select(HitAck.id).where(HitAck.hit_id == hit_id)) is not None:
            raise UserError(f"hit {hit_id} is acknowledged already")
        ack = HitAck(hit_id=hit_id, reason=reason, actor=session.user, at=now())
        db.add(ack)
        session.audit(db, "hashset.acknowledged", ack, hit=hit_id, item=hit.item_id)
        db.flush()
        return _hits(db, HashHit.id == hit_id)[0]
