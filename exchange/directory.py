"""Our agency, the partner directory (trust list) and the agreements with each partner."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange.cards import Card, grouped, make_card, normalise_fpr, read_card
from exchange.constants import PURPOSES as PURPOSES
from exchange.heads import KnownHead, last_backwards, last_head
from exchange.models import Agency, Agreement, AgreementRedaction, Partner, PartnerKey
from matching.tlp import parse_tlps
from vault import sealing
from vault.cases import normalise_area
from vault.errors import UserError
from vault.fsutil import atomic_write
from vault.session import Session, now, requires


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    status: str
    added_at: str
    changed_at: str | None

    @property
    def grouped(self) -> str:
        return grouped(self.fingerprint)


@dataclass(frozen=True)
class PartnerInfo:
    name: str
    country: str
    contact: str
    recipient: str
    keys: list[KeyInfo] = field(default_factory=list)
    head: KnownHead | None = None  # their latest audit head a bundle of theirs carried
    went_back: KnownHead | None = None  # the latest of their heads that went backwards

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AgreementInfo:
    id: int
    partner: str
    purpose: str
    reference: str | None
    labels: list[str]
    crime_areas: list[str]
    onward: bool
    valid_from: str
    valid_until: str
    redacted: bool = False  # photos and videos go only as their redacted copies

    def active(self, on: date | None = None) -> bool:
        today = (on or date.today()).isoformat()
        return self.valid_from <= today <= self.valid_until

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- our agency ------------------------------------------------------------------------------
def get_agency(db: DbSession) -> Agency:
    agency = db.get(Agency, 1)
    if agency is None:
        raise UserError("this vault has no agency yet (run 'custos agency set --name --country')")
    return agency


@requires("exchange.manage")
def set_agency(session: Session, name: str, country: str, contact: str = "") -> None:
    name, country = name.strip(), country.strip().upper()
    if not name or len(country) != 2 or not country.isalpha():
        raise UserError("an agency needs a name and a two-letter country code (ISO 3166)")
    with session.transaction() as db:
        row = db.get(Agency, 1) or Agency(id=1)
        row.name, row.country, row.contact = name, country, contact
        row.set_by, row.set_at = session.user, now()
        db.add(row)
        session.audit(db, "agency.set", row, name=name, country=country)


@requires("exchange.manage")
def our_card(session: Session) -> tuple[bytes, Card]:
    """Our signed public key card, to give partners (with its fingerprints)."""
    with session.db() as db:
        agency = get_agency(db)
        card = Card(
            name=agency.name,
            country=agency.country,
            contact=agency.contact,
            public=session.signing_public.public_bytes_raw(),
            recipient=session.config.vault_recipient,
            created=now(),
        )
    data = make_card(card, session.signing_key())
    with session.transaction() as db:
        session.audit(db, "agency.card", target="agency", fingerprint=card.fingerprint)
    return data, card


def save_our_card(session: Session, target: Path) -> Card:
    """Write our key card to ``target`` (never over an existing file or through a link)."""
    if target.exists() or target.is_symlink():
        raise UserError(f"{target}: already exists; not overwritten")
    data, card = our_card(session)
    try:
        atomic_write(target, data, mode=0o644, overwrite=False)
    except FileExistsError:
        raise UserError(f"{target}: already exists; not overwritten") from None
    return card


# --- partners --------------------------------------------------------------------------------
def partner_named(db: DbSession, name: str) -> Partner | None:
    """The partner named ``name``, by its blind index on a server, the unsealed name re-checked
    (a blind index copied onto another row finds nothing)."""
    partner = db.scalar(select(Partner).where(sealing.equals(db, Partner.name, name)))
    return partner if partner is not None and partner.name == name else None


def find_partner(db: DbSession, name: str) -> Partner:
    partner = partner_named(db, name)
    if partner is None:
        raise UserError(f"no partner named {name!r} (see 'custos partner list')")
    return partner


def _info(db: DbSession, p: Partner) -> PartnerInfo:
    rows = db.scalars(select(PartnerKey).where(PartnerKey.partner_id == p.id).order_by("id"))
    keys = [KeyInfo(k.fingerprint, k.status, k.added_at, k.changed_at) for k in rows]
    return PartnerInfo(
        p.name,
        p.country,
        p.contact,
        p.recipient,
        keys,
        last_head(db, p.name),
        last_backwards(db, p.name),
    )


@requires("exchange.manage")
def add_partner(session: Session, data: bytes, where: str, rotate: bool = False) -> PartnerInfo:
    """Trust a partner's card. A new key for a known partner needs ``rotate``; old keys retire."""
    card = read_card(data, where)
    with session.transaction() as db:
        if card.public.hex() == session.config.signing_public:
            raise UserError(f"{where}: this is our own key card")
        known = db.scalar(select(PartnerKey).where(PartnerKey.fingerprint == card.fingerprint))
        partner = partner_named(db, card.name)
        if known is not None and (partner is None or known.partner_id != partner.id):
            raise UserError(f"{where}: this key already belongs to another partner")
        if (
            known is not None
            and partner is not None
            and known.status == "active"
            and card.recipient != partner.recipient
        ):
            return _new_recipient(session, db, partner, card)  # they rotated their vault key
        if known is not None:
            raise UserError(f"{where}: {card.name} already has this key ({known.status})")
        if partner is None:
            partner = Partner(name=card.name, added_by=session.user, added_at=now())
        elif not rotate:
            raise UserError(
                f"{where}: {card.name} is known with another key; check the new fingerprint "
                "out of band, then add the card with --rotate"
            )
        partner.country, partner.contact, partner.recipient = (
            card.country,
            card.contact,
            card.recipient,
        )
        db.add(partner)
        db.flush()
        for old in db.scalars(
            select(PartnerKey).where(
                PartnerKey.partner_id == partner.id, PartnerKey.status == "active"
            )
        ):
            old.status, old.changed_at = "retired", now()
            session.audit(db, "partner.key_retired", old, fingerprint=old.fingerprint)
        key = PartnerKey(
            partner_id=partner.id,
            fingerprint=card.fingerprint,
            public=card.public.hex(),
            status="active",
            added_at=now(),
        )
        db.add(key)
        session.audit(db, "partner.added", partner, name=card.name, rotate=rotate)
        session.audit(db, "partner.key_added", key, fingerprint=card.fingerprint)
        return _info(db, partner)


def _new_recipient(session: Session, db: DbSession, partner: Partner, card: Card) -> PartnerInfo:
    """The card of a key we trust, with a new age recipient: the partner rotated their vault key
    (``vault.rotation``). Bundles encrypted to them are sealed to the new recipient from now on;
    the signing key is unchanged, so nothing else needs checking out of band."""
    old = partner.recipient
    partner.country, partner.contact, partner.recipient = card.country, card.contact, card.recipient
    session.audit(
        db,
        "partner.recipient_changed",
        partner,
        name=partner.name,
        old_recipient=old,
        new_recipient=card.recipient,
    )
    return _info(db, partner)


@requires("exchange.manage")
def list_partners(session: Session) -> list[PartnerInfo]:
    with session.db() as db:
        partners = sorted(db.scalars(select(Partner)), key=lambda p: p.name)  # sealed names
        return [_info(db, p) for p in partners]


@requires("exchange.manage")
def show_partner(session: Session, name: str) -> tuple[PartnerInfo, list[AgreementInfo]]:
    with session.db() as db:
        partner = find_partner(db, name)
        return _info(db, partner), _agreements(db, partner.id)


@requires("exchange.manage")
def revoke_key(session: Session, name: str, fpr: str) -> KeyInfo:
    """Revoke a key: bundles signed with it are refused from now on, old or new."""
    fpr = normalise_fpr(fpr)
    with session.transaction() as db:
        partner = find_partner(db, name)
        key = db.scalar(
            select(PartnerKey).where(
                PartnerKey.partner_id == partner.id, PartnerKey.fingerprint == fpr
            )
        )
        if key is None:
            raise UserError(f"{name} has no key with fingerprint {fpr}")
        if key.status == "revoked":
            raise UserError(f"key {grouped(fpr)} of {name} is already revoked")
        key.status, key.changed_at = "revoked", now()
        session.audit(db, "partner.key_revoked", key, partner=name, fingerprint=fpr)
        return KeyInfo(key.fingerprint, key.status, key.added_at, key.changed_at)


def trusted_key(db: DbSession, fpr: str) -> tuple[Partner, PartnerKey] | None:
    key = db.scalar(select(PartnerKey).where(PartnerKey.fingerprint == fpr))
    if key is None:
        return None
    partner = db.get(Partner, key.partner_id)
    assert partner is not None
    return partner, key


# --- agreements ------------------------------------------------------------------------------
def _agreements(db: DbSession, partner_id: int | None = None) -> list[AgreementInfo]:
    q = (
        select(Agreement, Partner.name, AgreementRedaction.agreement_id)
        .join(Partner, Partner.id == Agreement.partner_id)
        .outerjoin(AgreementRedaction, AgreementRedaction.agreement_id == Agreement.id)
    )
    if partner_id is not None:
        q = q.where(Agreement.partner_id == partner_id)
    return [
        AgreementInfo(
            a.id,
            name,
            a.purpose,
            a.reference,
            json.loads(a.labels),
            json.loads(a.crime_areas),
            a.onward,
            a.valid_from,
            a.valid_until,
            redacted is not None,
        )
        for a, name, redacted in db.execute(q.order_by(Agreement.id))
    ]


def agreements_with(db: DbSession, partner_name: str) -> list[AgreementInfo]:
    return _agreements(db, find_partner(db, partner_name).id)


def _iso_date(value: str, what: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UserError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


@requires("exchange.manage")
def add_agreement(
    session: Session,
    partner: str,
    purpose: str,
    labels: str,
    until: str,
    reference: str | None = None,
    crime_areas: list[str] | None = None,
    onward: bool = False,
    valid_from: str | None = None,
    redacted: bool = False,
) -> AgreementInfo:
    """Record an agreement; ``redacted``: its photos and videos go only as redacted copies."""
    if purpose not in PURPOSES:
        raise UserError(f"unknown purpose {purpose!r} (known: {', '.join(PURPOSES)})")
    if purpose == "mla" and not (reference or "").strip():
        raise UserError("an MLA agreement needs the request reference (--reference)")
    tlps = parse_tlps(labels)
    areas = sorted({normalise_area(a) for a in crime_areas or []})
    start = _iso_date(valid_from, "--from") if valid_from else date.today().isoformat()
    end = _iso_date(until, "--until")
    if end < start:
        raise UserError(f"the agreement ends ({end}) before it starts ({start})")
    with session.transaction() as db:
        p = find_partner(db, partner)
        row = Agreement(
            partner_id=p.id,
            purpose=purpose,
            reference=reference,
            labels=json.dumps(tlps),
            crime_areas=json.dumps(areas),
            onward=onward,
            valid_from=start,
            valid_until=end,
            created_by=session.user,
            created_at=now(),
        )
        db.add(row)
        session.audit(
            db, "agreement.added", row, partner=partner, purpose=purpose, reference=reference
        )
        db.flush()
        if redacted:
            term = AgreementRedaction(agreement_id=row.id, set_by=session.user, set_at=now())
            db.add(term)
            session.audit(db, "agreement.redaction", term, partner=partner, agreement=row.id)
        return AgreementInfo(
            row.id, partner, purpose, reference, tlps, areas, onward, start, end, redacted
        )


@requires("exchange.manage")
def list_agreements(session: Session, partner: str | None = None) -> list[AgreementInfo]:
    with session.db() as db:
        return _agreements(db, find_partner(db, partner).id if partner else None)
