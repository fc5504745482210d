"""The bundles we sent and received, newest first (case bundles and watchlist bundles)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from exchange.models import BundleRecord, WatchlistBundle
from matching.models import Watchlist
from vault.models import Case
from vault.session import Session, requires


@dataclass(frozen=True)
class BundleInfo:
    direction: str  # "out" (sent) | "in" (received)
    kind: str  # "case" | "watchlist"
    bundle_id: str
    sha256: str  # hash of the bundle's tagmanifest (its identity)
    partner: str
    purpose: str
    subject: str  # the case reference, or the watchlist's name
    items: int  # items of a case bundle, subjects of a watchlist bundle
    key_fingerprint: str
    by: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@requires("exchange.bundle")
def list_bundles(session: Session) -> list[BundleInfo]:
    """Every bundle on record, newest first."""
    with session.db() as db:
        found = [
            BundleInfo(
                b.direction,
                "case",
                b.bundle_id,
                b.sha256,
                b.partner,
                b.purpose,
                ref,
                b.items,
                b.key_fingerprint,
                b.by,
                b.at,
            )
            for b, ref in db.execute(
                select(BundleRecord, Case.reference).join(Case, Case.id == BundleRecord.case_id)
            )
        ]
        found += [
            BundleInfo(
                w.direction,
                "watchlist",
                w.bundle_id,
                w.sha256,
                w.partner,
                w.purpose,
                name,
                w.subjects,
                w.key_fingerprint,
                w.by,
                w.at,
            )
            for w, name in db.execute(
                select(WatchlistBundle, Watchlist.name).join(
                    Watchlist, Watchlist.id == WatchlistBundle.watchlist_id
                )
            )
        ]
    return sorted(found, key=lambda b: (b.at, b.sha256), reverse=True)
