"""An item's PDQ hashes against the PDQ entries of the active hash sets (``items similar``).

A PDQ set is an ordinary hash set (``hashsets``, ``hashset_entries``) whose entries have the
algorithm ``pdq`` (code 4, the hash's 32 bytes): imported from a list of PDQ hashes
(``--format pdq``) or from VICS media with a ``PDQ`` field, shared and verified like any set.
Those entries are never looked up exactly (``hashhits`` looks up file digests only): here each
of the item's PDQ hashes of quality >= ``MIN_QUALITY`` is compared by Hamming distance with every
PDQ entry of every active set (numpy popcount, ``hashsets.READ_ROWS`` entries per database
visit: ``hashsets.stored_pages``), and
each set within ``distance`` is reported once, with its closest entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from matching.hashparse import ALGORITHMS
from matching.hashsets import stored_pages
from matching.models import ENTRY_KEY, HashSet, HashSetCategory
from vault import sealing
from vault.backend import driver_sql
from vault.jobs import CancelToken
from vault.session import Session


@dataclass(frozen=True)
class SetMatch:
    """The queried item is within ``distance`` bits of a PDQ entry of an active set."""

    kind: str  # "<set kind> near-duplicate", e.g. "known-bad near-duplicate"
    set: str
    set_kind: str
    category: int | None
    hash: str  # the set's entry, 64 hex digits
    distance: int
    frame_time: float | None  # the queried item's frame (video)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pdq_set_matches(
    session: Session, codes: np.ndarray, times: list[float | None], distance: int
) -> list[SetMatch]:
    """``codes`` ((n, 32) uint8: the item's PDQ hashes, already filtered by quality) against
    every active set's PDQ entries; one match per set, its closest entry, closest first."""
    per_set: dict[int, tuple[int, bytes, int]] = {}  # set id -> (distance, key, query row)
    within, named = closest_entries(session, codes, distance)
    for (set_id, qi), (d, key) in within.items():
        if set_id not in per_set or d < per_set[set_id][0]:
            per_set[set_id] = (d, key, qi)
    found = [
        set_match(session, set_id, named[set_id], key, d, times[qi])
        for set_id, (d, key, qi) in per_set.items()
    ]
    found.sort(key=match_order)
    return found


def match_order(m: SetMatch) -> tuple[int, int, str]:
    """Known-bad first, then informational, then known-good; closest first within each."""
    order = {"known-bad": 0, "info": 1, "known-good": 2}
    return (order.get(m.set_kind, 3), m.distance, m.set)


def closest_entries(
    session: Session, codes: np.ndarray, distance: int
) -> tuple[dict[tuple[int, int], tuple[int, bytes]], dict[int, tuple[str, str]]]:
    """For every (active set, query row) within ``distance``: (distance, key) of the set's
    closest PDQ entry; and each active set's (name, kind). Read page by page (``stored_pages``)."""
    if len(codes) == 0:
        return {}, {}
    code = ALGORITHMS["pdq"][0]
    queries = np.ascontiguousarray(codes, np.uint8).reshape(-1, 32).view(np.uint64)
    with session.db() as db:
        sets = db.execute(
            HashSet.__table__.select()
            .with_only_columns(HashSet.id, HashSet.name, HashSet.kind)
            .where(HashSet.state == "active")
        ).all()
        sealer = sealing.digest_sealer(db, ENTRY_KEY)
    best: dict[tuple[int, int], tuple[int, bytes]] = {}  # the closest entry's stored key
    for set_id, _, _ in sets:
        for rows in stored_pages(session, set_id, code, CancelToken(), categories=False):
            keys = [r[0] for r in rows]  # as stored (sealed on a server)
            plain = keys if sealer is None else [sealer.open(k) for k in keys]
            words = np.frombuffer(b"".join(k[1:] for k in plain), np.uint8).view(np.uint64)
            words = words.reshape(-1, 4)
            for qi, q in enumerate(queries):
                d = np.bitwise_count(words ^ q).sum(axis=1, dtype=np.int32)
                i = int(np.argmin(d))
                had = best.get((set_id, qi))
                if d[i] <= distance and (had is None or d[i] < had[0]):
                    best[(set_id, qi)] = (int(d[i]), keys[i])
    return best, {s_id: (name, kind) for s_id, name, kind in sets}


def set_match(
    session: Session,
    set_id: int,
    named: tuple[str, str],
    key: bytes,
    distance: int,
    frame_time: float | None,
) -> SetMatch:
    """A ``SetMatch`` for one entry of a set (``key`` as stored), with the entry's category."""
    with session.db() as db:
        conn = db.connection()
        sealer = sealing.digest_sealer(conn, ENTRY_KEY)
        plain = key if sealer is None else sealer.open(key)
        category = conn.exec_driver_sql(
            driver_sql(
                conn,
                f"SELECT category FROM {HashSetCategory.__tablename__} "
                "WHERE set_id = ? AND key = ?",
            ),
            (set_id, key),
        ).scalar()
    name, kind = named
    return SetMatch(
        f"{kind} near-duplicate", name, kind, category, plain[1:].hex(), distance, frame_time
    )
