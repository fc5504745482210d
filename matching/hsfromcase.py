"""A hash set made of a case's confirmed items (``custos hashset from-case``), so a liaison
officer can share it (``hashset export``).

Which items: those named (``item_ids``), or else every item of the case with a known-bad hit
an analyst acknowledged (``hashset ack``: the alert confirmed). Each item gives its SHA-256, and
its SHA-1 and MD5 when the case computes them, with the category of its hits where one is known
(a known-bad hit's first). The set goes through the same insert as a file import
(``hashsets.store_parsed``), format ``case``; it remembers its origin: source ``case REF``
unless given, ``file_name`` ``case REF``, ``file_sha256`` the SHA-256 of the item list, and the
audit entry (``hashset.made_from_case``, privileged ``hashset.manage``) names the case and items.
Needs ``hashset.manage`` and ``case.read``.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from matching import hashparse
from matching.hashsets import (
    HashSetInfo,
    checked_kind,
    checked_name,
    live_set,
    set_info,
    store_parsed,
)
from matching.models import HashHit, HitAck
from vault.cases import find_case
from vault.errors import UserError
from vault.jobs import CancelToken, ignore
from vault.models import Item
from vault.session import Session

FORMAT = "case"


def from_case(
    session: Session,
    case_reference: str,
    name: str,
    kind: str = "known-bad",
    item_ids: list[int] | None = None,
    source: str | None = None,
) -> HashSetInfo:
    session.require("hashset.manage", target=f"hashset:{name}")
    session.require("case.read", target=f"case:{case_reference}")
    name, kind = checked_name(name), checked_kind(kind)
    with session.transaction() as db:
        case = find_case(db, case_reference)
        if live_set(db, name) is not None:
            raise UserError(f"a hash set named {name!r} exists already")
        hits = db.execute(
            select(HashHit, HitAck.id)
            .outerjoin(HitAck, HitAck.hit_id == HashHit.id)
            .where(HashHit.case_id == case.id)
            .order_by(HashHit.id)
        ).all()
        if item_ids:
            wanted = sorted(set(item_ids))
            rows = db.scalars(
                select(Item).where(Item.case_id == case.id, Item.id.in_(wanted)).order_by(Item.id)
            ).all()
            missing = sorted(set(wanted) - {r.id for r in rows})
            if missing:
                shown = ", ".join(str(i) for i in missing)
                raise UserError(f"case {case_reference}: no item {shown} in it; no set made")
        else:
            confirmed = sorted(
                {h.item_id for h, ack in hits if h.kind == "known-bad" and ack is not None}
            )
            if not confirmed:
                raise UserError(
                    f"case {case_reference} has no confirmed known-bad item (acknowledge its "
                    "alerts with 'custos hashset ack', or name items with --items); no set made"
                )
            rows = db.scalars(select(Item).where(Item.id.in_(confirmed)).order_by(Item.id)).all()
        category: dict[int, int] = {}
        order = {"known-bad": 0, "info": 1, "known-good": 2}
        for h, _ in sorted(hits, key=lambda r: (order.get(r[0].kind, 3), r[0].id)):
            if h.category is not None:
                category.setdefault(h.item_id, h.category)
        got = hashparse.Collected()
        listed = []
        for item in rows:
            cat = category.get(item.id, hashparse.NO_CATEGORY)
            for algorithm, value in (
                ("sha256", item.sha256),
                ("sha1", item.sha1),
                ("md5", item.md5),
            ):
                if value:
                    got.digests[algorithm] += bytes.fromhex(value)
                    got.categories[algorithm].append(cat)
            listed.append({"item": item.id, "sha256": item.sha256})
        parsed = hashparse.parsed_from(f"case {case_reference}", FORMAT, got)
        manifest = json.dumps({"case": case.reference, "items": listed}, sort_keys=True)
        file_sha = hashlib.sha256(manifest.encode()).hexdigest()
        origin = source.strip() if source and source.strip() else f"case {case.reference}"
        if len(origin) > 200 or not origin.isprintable():
            raise UserError("the source must be at most 200 printable characters")
        row = store_parsed(
            session, db, name, kind, origin, FORMAT, parsed, f"case {case.reference}",
            file_sha, "active", CancelToken(), ignore,
        )  # fmt: skip
        counts = {d.algorithm: len(d) for d in parsed.sets}
        session.audit(
            db,
            "hashset.made_from_case",
            row,
            name=name,
            kind=kind,
            source=origin,
            format=FORMAT,
            case=case.reference,
            items=[r.id for r in rows],
            counts=counts,
            entries_digest=row.entries_digest,
            file_sha256=file_sha,
        )
        return set_info(row)
