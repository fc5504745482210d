"""Tables of the exchange layer: our agency, partners and their keys, agreements, labels, bundles.

Every table is ``@audited``: each insert or change goes through ``Session.audit(db, action, row)``
in the same transaction, so ``custos verify`` proves no row was edited behind the log's back.
Keys are never deleted: a rotated key is ``retired`` (still verifies the bundles it signed), a
compromised one ``revoked`` (verifies nothing any more).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import matching.models  # noqa: F401  (the watchlists table the watchlist bundles refer to)
from vault.models import Base, audited


@audited
class Agency(Base):
    """Who we are (one row, id 1)."""

    __tablename__ = "exchange_agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    contact: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


@audited
class Partner(Base):
    __tablename__ = "exchange_partners"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    contact: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(Text)  # age1... for bundles encrypted to them
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[str] = mapped_column(String(40))


@audited
class PartnerKey(Base):
    """A partner's Ed25519 verification key. status: active | retired | revoked."""

    __tablename__ = "exchange_partner_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("exchange_partners.id"))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the raw key
    public: Mapped[str] = mapped_column(String(64))  # raw key, hex
    status: Mapped[str] = mapped_column(String(10))
    added_at: Mapped[str] = mapped_column(String(40))
    changed_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


@audited
class Agreement(Base):
    __tablename__ = "exchange_agreements"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("exchange_partners.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)  # MLA request reference
    labels: Mapped[str] = mapped_column(Text)  # JSON list of TLP labels
    crime_areas: Mapped[str] = mapped_column(Text, default="[]")  # JSON list; empty = all
    onward: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[str] = mapped_column(String(10))  # ISO date, inclusive
    valid_until: Mapped[str] = mapped_column(String(10))  # ISO date, inclusive
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))


@audited
class ItemLabel(Base):
    """An item's TLP label; ``origin`` names the partner it came from (its rule travels along)."""

    __tablename__ = "exchange_item_labels"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    tlp: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str | None] = mapped_column(String(200), nullable=True)
    onward: Mapped[bool] = mapped_column(default=True)  # False: may only go back to ``origin``
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


@audited
class CaseLabel(Base):
    """A case's default label for items without their own (AMBER when unset)."""

    __tablename__ = "exchange_case_labels"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    tlp: Mapped[str] = mapped_column(String(16))
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


@audited
class BundleRecord(Base):
    """A bundle we sent or received. ``sha256`` is the hash of its tagmanifest (its identity)."""

    __tablename__ = "exchange_bundles"
    __table_args__ = (
        UniqueConstraint("direction", "sha256"),
        Index("ix_exchange_bundles_id", "bundle_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" | "in"
    bundle_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    items: Mapped[int]
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(40))


@audited
class WatchlistBundle(Base):
    """A watchlist we sent or received as a bundle; ``onward`` is the sender's rule (received)."""

    __tablename__ = "exchange_watchlist_bundles"
    __table_args__ = (UniqueConstraint("direction", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" | "in"
    bundle_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str] = mapped_column(String(200))
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    subjects: Mapped[int]
    references: Mapped[int]
    onward: Mapped[bool] = mapped_column(default=False)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: refused photos, NIST file
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(40))
