"""A case at a glance: the figures its overview page and ``custos case overview`` show.

Aggregate SQL only (counts, grouped), never an object per item: a case of 100,000 items answers
in well under a second. Items by kind come from their names' extensions (one column read, the
extensions grouped in Python); faces, candidates, alerts and changes are counts in the database.

"What changed since you last looked": opening the overview records a ``case.viewed`` audit entry
(target ``cases:<id>``) for the user; the audit entries touching the case after the user's last
one are counted, by action. Touching the case: the case row itself, and rows of the tables below
that belong to it (their ``<table>:<id>`` targets resolved through the primary key, so the count
costs one indexed look-up per new entry). A view is recorded only when something touched the
case since the user's last view (or never viewed), so looking again and again does not flood
the audit log.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session as DbSession

from exchange.models import Agreement, BundleRecord, Partner
from matching.mediakind import IMAGE_EXT, VIDEO_EXT
from matching.review import OPEN, decisions_of, status_of
from vault import sealing
from vault.cases import find_case
from vault.models import AuditEntry, Item
from vault.session import Session, requires

DOCUMENT_EXT = {
    ".pdf", ".doc", ".docx", ".odt", ".rtf", ".txt", ".md", ".csv", ".xls", ".xlsx", ".ods",
    ".ppt", ".pptx", ".odp", ".html", ".htm", ".xml", ".json", ".eml", ".msg", ".epub",
}  # fmt: skip
KINDS = ("photo", "video", "document", "other")
VIEWED = "case.viewed"


def kind_of_extension(ext: str) -> str:
    ext = ext.lower()
    if ext in IMAGE_EXT:
        return "photo"
    if ext in VIDEO_EXT:
        return "video"
    if ext in DOCUMENT_EXT:
        return "document"
    return "other"


@dataclass(frozen=True)
class AgreementBrief:
    partner: str
    purpose: str
    reference: str | None
    valid_until: str
    current: bool


@dataclass(frozen=True)
class CaseOverview:
    reference: str
    title: str
    items: int
    size: int  # bytes, all items
    kinds: dict[str, int]  # photo | video | document | other -> items
    analysed: int  # items whose faces were looked for
    faces: int
    waiting_review: int  # candidates with no final decision yet
    alerts: int  # known-bad hash-set hits not acknowledged
    known_file_hits: dict[str, int]  # hash-set kind -> hits
    partners: list[str]  # the joint operation's agencies and those bundles went to or came from
    agreements: list[AgreementBrief]
    last_verified: str | None  # when the vault was last verified (the whole vault, case included)
    verify_problems: int | None
    last_viewed: str | None  # when this user last opened the overview, before this time
    changes: dict[str, int] = field(default_factory=dict)  # audit action -> entries since then

    @property
    def changed(self) -> int:
        return sum(self.changes.values())

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["changed"] = self.changed
        return out


# --- the figures ------------------------------------------------------------------------------
def _name_tails(db: DbSession, case_id: int) -> Iterable[Any]:
    """(last 6 characters of the name, lower case; items; bytes) of the case's items."""
    if sealing.seals(db):  # a server holds names sealed: they are read and grouped here
        tails: Counter[str] = Counter()
        sizes: Counter[str] = Counter()
        for name, sz in db.execute(select(Item.name, Item.size).where(Item.case_id == case_id)):
            tail = str(name)[-6:].lower()
            tails[tail] += 1
            sizes[tail] += int(sz or 0)
        return [(t, n, sizes[t]) for t, n in tails.items()]
    # the extension is grouped in SQL on the last 6 characters (every known one fits), so
    # Python sees a few dozen rows, not one per item
    return db.execute(
        text(
            "SELECT lower(substr(name, -6)), count(*), coalesce(sum(size), 0) "
            "FROM items WHERE case_id = :c GROUP BY 1"
        ),
        {"c": case_id},
    )


def _kinds(db: DbSession, case_id: int) -> tuple[int, int, dict[str, int]]:
    by_ext: Counter[str] = Counter()
    total = size = 0
    for name, n, sz in _name_tails(db, case_id):
        tail = str(name)
        dot = tail.rfind(".")
        by_ext[tail[dot:] if dot >= 0 and "/" not in tail[dot:] else ""] += n
        total += n
        size += sz
    kinds = dict.fromkeys(KINDS, 0)
    for ext, n in by_ext.items():
        kinds[kind_of_extension(ext)] += n
    return total, size, kinds


def _scalar(db: DbSession, sql: str, **params: Any) -> int:
    return int(db.execute(text(sql), params).scalar() or 0)


def _waiting(db: DbSession, case_id: int) -> int:
    """Candidates of the case's searches still in the review queue (``matching.review.OPEN``)."""
    undecided = _scalar(
        db,
        "SELECT count(*) FROM candidates c JOIN search_runs r ON r.id = c.run_id "
        "WHERE r.case_id = :c AND NOT EXISTS "
        "(SELECT 1 FROM decisions d WHERE d.candidate_id = c.id)",
        c=case_id,
    )
    decided = {
        cid: bool(second)
        for cid, second in db.execute(
            text(
                "SELECT c.id, w.second_review FROM candidates c "
                "JOIN search_runs r ON r.id = c.run_id "
                "JOIN subjects s ON s.id = c.subject_id "
                "JOIN watchlists w ON w.id = s.watchlist_id "
                "WHERE r.case_id = :c AND EXISTS "
                "(SELECT 1 FROM decisions d WHERE d.candidate_id = c.id)"
            ),
            {"c": case_id},
        )
    }
    found = decisions_of(db, list(decided))
    return undecided + sum(status_of(found.get(c, []), s) in OPEN for c, s in decided.items())


def _partners(db: DbSession, case_id: int, joint: list[str]) -> list[str]:
    names = set(joint)
    names.update(
        str(p)
        for p in db.scalars(select(BundleRecord.partner).where(BundleRecord.case_id == case_id))
    )  # sealed on a server: the distinct names are taken here
    return sorted(names)


def _agreements(db: DbSession, partners: list[str], areas: list[str]) -> list[AgreementBrief]:
    """Agreements with the case's partners that cover its crime areas (none listed: all)."""
    if not partners:
        return []
    today = date.today().isoformat()
    found = []
    query = select(
        Partner.name,
        Agreement.purpose,
        Agreement.reference,
        Agreement.crime_areas,
        Agreement.valid_from,
        Agreement.valid_until,
        Agreement.id,
    ).join(Partner, Partner.id == Agreement.partner_id)
    rows = list(db.execute(query))
    rows.sort(key=lambda row: (row[0], row[-1]))  # by partner name (sealed on a server), id
    for name, purpose, reference, crime_areas, start, until, _ in rows:
        covers = json.loads(crime_areas or "[]")
        if name not in partners or (covers and areas and not set(covers) & set(areas)):
            continue
        found.append(AgreementBrief(name, purpose, reference, until, start <= today <= until))
    return found


# Tables whose audit targets ``<table>:<id>`` belong to a case, and how to tell: SQL given the
# id (``:i``) and the case (``:c``).
_OWNED = {
    "items": "SELECT 1 FROM items WHERE id = :i AND case_id = :c",
    "custody_events": "SELECT 1 FROM custody_events e JOIN items i ON i.id = e.item_id "
    "WHERE e.id = :i AND i.case_id = :c",
    "media_info": "SELECT 1 FROM items WHERE id = :i AND case_id = :c",
    "faces": "SELECT 1 FROM faces WHERE id = :i AND case_id = :c",
    "pdq_hashes": "SELECT 1 FROM pdq_hashes WHERE id = :i AND case_id = :c",
    "hashset_hits": "SELECT 1 FROM hashset_hits WHERE id = :i AND case_id = :c",
    "hashset_acks": "SELECT 1 FROM hashset_acks k JOIN hashset_hits h ON h.id = k.hit_id "
    "WHERE k.id = :i AND h.case_id = :c",
    "search_runs": "SELECT 1 FROM search_runs WHERE id = :i AND case_id = :c",
    "candidates": "SELECT 1 FROM candidates x JOIN search_runs r ON r.id = x.run_id "
    "WHERE x.id = :i AND r.case_id = :c",
    "decisions": "SELECT 1 FROM decisions d JOIN candidates x ON x.id = d.candidate_id "
    "JOIN search_runs r ON r.id = x.run_id WHERE d.id = :i AND r.case_id = :c",
    "exchange_bundles": "SELECT 1 FROM exchange_bundles WHERE id = :i AND case_id = :c",
    "exchange_item_labels": "SELECT 1 FROM items WHERE id = :i AND case_id = :c",
    "exchange_case_labels": "SELECT 1 WHERE :i = :c",
}


def _changes(db: DbSession, case_id: int, after: int) -> dict[str, int]:
    """Audit actions touching the case after entry ``after`` (views left out), with counts."""
    if sealing.seals(db):
        return _changes_sealed(db, case_id, after)
    owned = " OR ".join(
        f"(a.target LIKE '{table}:%' AND EXISTS ("
        + sql.replace(":i", f"CAST(substr(a.target, {len(table) + 2}) AS INTEGER)")
        + "))"
        for table, sql in _OWNED.items()
    )
    rows = db.execute(
        text(
            "SELECT a.action, count(*) FROM audit a WHERE a.seq > :s AND a.action != :v "
            f"AND (a.target = :t OR {owned}) GROUP BY a.action ORDER BY a.action"
        ),
        {"s": after, "v": VIEWED, "t": f"cases:{case_id}", "c": case_id},
    )
    return {str(action): int(n) for action, n in rows}


def _changes_sealed(db: DbSession, case_id: int, after: int) -> dict[str, int]:
    """``_changes`` where targets are sealed (a server): the entries after ``after`` are read
    and their targets opened here, then which rows are the case's is asked by id, per table."""
    wanted: dict[str, set[int]] = {}
    entries = []
    for action, target in db.execute(
        select(AuditEntry.action, AuditEntry.target).where(
            AuditEntry.seq > after, AuditEntry.action != VIEWED
        )
    ):
        table, _, key = str(target).partition(":")
        key = key.partition("..")[0]  # a batch entry's "items:FIRST..LAST": by its first item
        entries.append((str(action), str(target), table, key))
        if table in _OWNED and key.isdigit():
            wanted.setdefault(table, set()).add(int(key))
    owned = {
        (table, i)
        for table, ids in wanted.items()
        for i in ids
        if db.execute(text(_OWNED[table]), {"i": i, "c": case_id}).first() is not None
    }
    counts: Counter[str] = Counter()
    for action, target, table, key in entries:
        if target == f"cases:{case_id}" or (key.isdigit() and (table, int(key)) in owned):
            counts[action] += 1
    return dict(sorted(counts.items()))


def _last_viewed(db: DbSession, case_id: int, user: str) -> tuple[int, str] | None:
    target = f"cases:{case_id}"
    rows = db.execute(
        select(AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.target)
        .where(sealing.equals(db, AuditEntry.target, target), AuditEntry.action == VIEWED)
        .order_by(AuditEntry.seq.desc())
    )
    for seq, at, actor, found in rows:  # actor and target checked opened (sealed on a server)
        if actor == user and found == target:
            return int(seq), str(at)
    return None


def _last_verified(db: DbSession) -> tuple[str, int | None] | None:
    row = db.execute(
        select(AuditEntry.at, AuditEntry.details)
        .where(AuditEntry.action == "vault.verified")
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    problems = json.loads(row[1]).get("problems")
    return str(row[0]), problems if isinstance(problems, int) else None


@requires("case.read")
def case_overview(session: Session, case_reference: str, mark_viewed: bool = True) -> CaseOverview:
    """The case's figures; with ``mark_viewed``, record that this user looked (see above)."""
    with session.db() as db:
        case = find_case(db, case_reference)
        items, size, kinds = _kinds(db, case.id)
        joint = json.loads(case.partners)
        partners = _partners(db, case.id, joint)
        viewed = _last_viewed(db, case.id, session.user)
        changes = _changes(db, case.id, viewed[0]) if viewed else {}
        verified = _last_verified(db)
        overview = CaseOverview(
            reference=case.reference,
            title=case.title,
            items=items,
            size=size,
            kinds=kinds,
            analysed=_scalar(
                db,
                "SELECT count(*) FROM media_info m JOIN items i ON i.id = m.id "
                "WHERE i.case_id = :c",
                c=case.id,
            ),
            faces=_scalar(db, "SELECT count(*) FROM faces WHERE case_id = :c", c=case.id),
            waiting_review=_waiting(db, case.id),
            alerts=_scalar(
                db,
                "SELECT count(*) FROM hashset_hits h WHERE h.case_id = :c "
                "AND h.kind = 'known-bad' AND NOT EXISTS "
                "(SELECT 1 FROM hashset_acks k WHERE k.hit_id = h.id)",
                c=case.id,
            ),
            known_file_hits={
                str(kind): int(n)
                for kind, n in db.execute(
                    text(
                        "SELECT kind, count(*) FROM hashset_hits WHERE case_id = :c "
                        "GROUP BY kind ORDER BY kind"
                    ),
                    {"c": case.id},
                )
            },
            partners=partners,
            agreements=_agreements(db, partners, json.loads(case.crime_areas)),
            last_verified=verified[0] if verified else None,
            verify_problems=verified[1] if verified else None,
            last_viewed=viewed[1] if viewed else None,
            changes=changes,
        )
        case_id = case.id
    if mark_viewed and (viewed is None or changes):
        with session.transaction() as db:
            session.audit(db, VIEWED, target=f"cases:{case_id}", reference=case_reference)
    return overview
