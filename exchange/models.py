"""Tables of the exchange layer: our agency, partners and their keys, agreements, labels, bundles.

Every table is audited (``LAYER`` at the end): each insert or change goes through
``Session.audit(db, action, row)`` in the same transaction, so ``custos verify`` proves no row
was edited behind the log's back.
Keys are never deleted: a rotated key is ``retired`` (still verifies the bundles it signed), a
compromised one ``revoked`` (verifies nothing any more).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Unmapped, mapped_column

from vault.models import Base, blind, blind_where, sealed
from vault.schema import Audited, Layer, Lookup, item_name, quoted


class Agency(Base):
    """Who we are (one row, id 1)."""

    __tablename__ = "exchange_agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = sealed()
    country: Mapped[str] = mapped_column(String(2))
    contact: Mapped[str] = sealed(default="")
    set_by: Mapped[str] = sealed(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


class Partner(Base):
    __tablename__ = "exchange_partners"
    __table_args__ = (
        Index(
            "ix_exchange_partners_name_bidx", "name_bidx", unique=True, **blind_where("name_bidx")
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = sealed(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    contact: Mapped[str] = sealed(default="")
    recipient: Mapped[str] = mapped_column(Text)  # age1... for bundles encrypted to them
    added_by: Mapped[str] = sealed(String(200))
    added_at: Mapped[str] = mapped_column(String(40))
    name_bidx: Unmapped[bytes | None] = blind("name")


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


class Agreement(Base):
    __tablename__ = "exchange_agreements"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("exchange_partners.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str | None] = sealed(nullable=True)  # MLA request reference
    labels: Mapped[str] = mapped_column(Text)  # JSON list of TLP labels
    crime_areas: Mapped[str] = sealed(default="[]")  # JSON list; empty = all
    onward: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[str] = mapped_column(String(10))  # ISO date, inclusive
    valid_until: Mapped[str] = mapped_column(String(10))  # ISO date, inclusive
    created_by: Mapped[str] = sealed(String(200))
    created_at: Mapped[str] = mapped_column(String(40))


class AgreementRedaction(Base):
    """An agreement that demands redacted copies: its photos and videos travel only as their
    redacted copies (faces blurred, ``matching.redaction``), never as the originals. A table
    of its own (not a column of ``exchange_agreements``): agreements recorded before keep their
    audited digests. Written once with the agreement."""

    __tablename__ = "exchange_agreement_redaction"
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_agreements.id"), primary_key=True
    )
    set_by: Mapped[str] = sealed(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


class ItemLabel(Base):
    """An item's TLP label; ``origin`` names the partner it came from (its rule travels along)."""

    __tablename__ = "exchange_item_labels"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    tlp: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str | None] = sealed(String(200), nullable=True)
    onward: Mapped[bool] = mapped_column(default=True)  # False: may only go back to ``origin``
    set_by: Mapped[str] = sealed(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


class CaseLabel(Base):
    """A case's default label for items without their own (AMBER when unset)."""

    __tablename__ = "exchange_case_labels"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    tlp: Mapped[str] = mapped_column(String(16))
    set_by: Mapped[str] = sealed(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


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
    partner: Mapped[str] = sealed(String(200))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    items: Mapped[int]
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))
    partner_bidx: Unmapped[bytes | None] = blind("partner")


class WatchlistBundle(Base):
    """A watchlist we sent or received as a bundle; ``onward`` is the sender's rule (received)."""

    __tablename__ = "exchange_watchlist_bundles"
    __table_args__ = (UniqueConstraint("direction", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" | "in"
    bundle_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str] = sealed(String(200))
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    subjects: Mapped[int]
    references: Mapped[int]
    onward: Mapped[bool] = mapped_column(default=False)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = sealed(default="{}")  # JSON: refused photos, NIST file
    by: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))
    partner_bidx: Unmapped[bytes | None] = blind("partner")


class HashSetBundle(Base):
    """A hash set we sent or received as a bundle. Received: where the set came from (partner,
    bundle, the local agreement that covered it, the sender's label and onward rule); a set
    received without onward sharing only goes back to its sender (``exchange.hsexport``)."""

    __tablename__ = "exchange_hashset_bundles"
    __table_args__ = (UniqueConstraint("direction", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" | "in"
    bundle_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str] = sealed(String(200))
    hashset_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id"))
    set_name: Mapped[str] = sealed(String(200))  # as the sender named it
    purpose: Mapped[str] = mapped_column(String(40))
    agreement_id: Mapped[int | None] = mapped_column(nullable=True)  # the one that covered it
    label: Mapped[str] = mapped_column(String(20))  # TLP of the set as sent
    onward: Mapped[bool] = mapped_column(default=False)
    entries: Mapped[int]
    entries_digest: Mapped[str] = mapped_column(String(64))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = sealed(default="{}")  # JSON: VICS file written beside
    by: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))
    partner_bidx: Unmapped[bytes | None] = blind("partner")


class PartnerHead(Base):
    """A partner's audit head as a bundle from them carried it (``audit_head``, signed).

    One row per bundle that carried a head; the partner's latest known head is the row with the
    highest ``seq``. ``backwards``: lower than one recorded before, or the same seq with another
    hash (their vault restored from a backup, rolled back or forked); warned, never silent.
    """

    __tablename__ = "exchange_partner_heads"
    __table_args__ = (
        Index("ix_exchange_partner_heads_partner", "partner", "seq"),
        Index(
            "ix_exchange_partner_heads_partner_bidx",
            "partner_bidx",
            "seq",
            **blind_where("partner_bidx"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    partner: Mapped[str] = sealed(String(200))
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    bundle_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # evidence | watchlist | hashset
    backwards: Mapped[bool] = mapped_column(default=False)
    at: Mapped[str] = mapped_column(String(40))
    partner_bidx: Unmapped[bytes | None] = blind("partner")


def _partner(key: object, lookup: Lookup) -> str:
    name = lookup(f"exchange_partners:{key}").get("name")
    return quoted(name) if name else f"partner {key}"


def _agreement(v: Mapping[str, Any], lookup: Lookup) -> str:
    partner = v.get("partner_id")
    if partner is not None:
        who = f" with {_partner(partner, lookup)}"
    else:  # deleted: the name its audit entry recorded
        who = f" with {quoted(v['partner'])}" if v.get("partner") else f" {v['_key']}"
    ref = v.get("reference") or v.get("purpose")
    return f"agreement{who}" + (f" ({ref})" if ref else "")


def _key(v: Mapping[str, Any], lookup: Lookup) -> str:
    fingerprint = str(v.get("fingerprint") or "")
    partner = v.get("partner_id")
    of = f" of {_partner(partner, lookup)}" if partner is not None else ""
    return f"partner key {fingerprint[:16] or v['_key']}{of}"


def _bundle(kind: str) -> Callable[[Mapping[str, Any], Lookup], str]:
    def describe(v: Mapping[str, Any], _: Lookup) -> str:
        way = {"out": "sent to", "in": "received from"}.get(str(v.get("direction")), "with")
        who = f" {way} {quoted(v['partner'])}" if v.get("partner") else ""
        return f"{kind} {v.get('bundle_id') or v['_key']}{who}"

    return describe


LAYER = Layer(
    "exchange",
    tables=(
        Agency,
        Partner,
        PartnerKey,
        Agreement,
        AgreementRedaction,
        ItemLabel,
        CaseLabel,
        BundleRecord,
        WatchlistBundle,
        HashSetBundle,
        PartnerHead,
    ),
    audited=(
        Audited(Agency, lambda v, _: f"our agency {quoted(v.get('name', ''))}"),
        Audited(Partner, lambda v, lookup: f"partner {_partner(v['_key'], lambda _: v)}"),
        Audited(PartnerKey, _key),
        Audited(Agreement, _agreement),
        Audited(
            AgreementRedaction,
            lambda v, _: f"redaction term of agreement {v['_key']}",
            append_only=True,
        ),
        Audited(ItemLabel, lambda v, lookup: f"label of {item_name(v['_key'], lookup)}"),
        Audited(
            CaseLabel,
            lambda v, lookup: (
                "default label of case "
                + str(lookup(f"cases:{v['_key']}").get("reference", v["_key"]))
            ),
        ),
        Audited(BundleRecord, _bundle("bundle")),
        Audited(WatchlistBundle, _bundle("watchlist bundle")),
        Audited(HashSetBundle, _bundle("hash-set bundle")),
        Audited(
            PartnerHead,
            lambda v, _: (
                f"audit head {v.get('seq')} of {quoted(str(v.get('partner', '')))} "
                f"(bundle {v.get('bundle_id') or v['_key']})"
            ),
        ),
    ),
)
