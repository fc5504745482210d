"""Public key cards: how an agency hands its keys to a partner.

A card is a small JSON file (UTF-8)::

    {"format": "custos-key-card/1",
     "agency": {"name": ..., "country": "NL", "contact": ...},
     "signing_key": {"algorithm": "Ed25519", "public": <hex raw 32 bytes>, "fingerprint": <hex>},
     "age_recipient": "age1...", "recipient_fingerprint": <hex>,
     "created": <ISO time>,
     "signature": <hex Ed25519 over the canonical JSON of every other field>}

The self-signature proves the sender holds the private key, nothing more: the fingerprint must
still be compared out of band (phone, letter) before the card is trusted. Fingerprint = SHA-256
of the raw public key, shown in groups of four hex digits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vault.agefmt import AgeError, Recipient
from vault.errors import UserError
from vault.models import canonical

FORMAT = "custos-key-card/1"
MAX_CARD = 64 * 1024


def fingerprint(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def grouped(fpr: str) -> str:
    """``ab12cd34...`` as ``AB12 CD34 ...`` for reading aloud."""
    up = fpr.upper()
    return " ".join(up[i : i + 4] for i in range(0, len(up), 4))


def normalise_fpr(text: str) -> str:
    return "".join(text.split()).lower()


@dataclass(frozen=True)
class Card:
    name: str
    country: str
    contact: str
    public: bytes
    recipient: str
    created: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    @property
    def recipient_fingerprint(self) -> str:
        return fingerprint(Recipient.parse(self.recipient).public)


def make_card(card: Card, key: Ed25519PrivateKey) -> bytes:
    body: dict[str, Any] = {
        "format": FORMAT,
        "agency": {"name": card.name, "country": card.country, "contact": card.contact},
        "signing_key": {
            "algorithm": "Ed25519",
            "public": card.public.hex(),
            "fingerprint": card.fingerprint,
        },
        "age_recipient": card.recipient,
        "recipient_fingerprint": card.recipient_fingerprint,
        "created": card.created,
    }
    body["signature"] = key.sign(canonical(body).encode()).hex()
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()


def read_card(data: bytes, where: str) -> Card:
    """Parse a card and check its self-signature and fingerprints; one-line error otherwise."""
    if len(data) > MAX_CARD:
        raise UserError(f"{where}: not a key card (too large)")
    try:
        body = json.loads(data.decode("utf-8"))
        if body.get("format") != FORMAT:
            raise UserError(f"{where}: not a Custos key card ({FORMAT})")
        signature = bytes.fromhex(body.pop("signature"))
        agency, key = body["agency"], body["signing_key"]
        public = bytes.fromhex(key["public"])
        card = Card(
            name=str(agency["name"]).strip(),
            country=str(agency["country"]).upper(),
            contact=str(agency.get("contact", "")),
            public=public,
            recipient=str(body["age_recipient"]),
            created=str(body["created"]),
        )
        Ed25519PublicKey.from_public_bytes(public).verify(signature, canonical(body).encode())
        if key["algorithm"] != "Ed25519" or key["fingerprint"] != card.fingerprint:
            raise UserError(f"{where}: the card's key fingerprint does not match its key")
        if body.get("recipient_fingerprint") != card.recipient_fingerprint:
            raise UserError(f"{where}: the card's recipient fingerprint does not match")
    except UserError:
        raise
    except InvalidSignature:
        raise UserError(f"{where}: the card's self-signature is invalid (altered card)") from None
    except (ValueError, KeyError, TypeError, AttributeError, AgeError):
        raise UserError(f"{where}: not a valid key card (damaged or incomplete)") from None
    if not card.name or len(card.country) != 2 or not card.country.isalpha():
        raise UserError(f"{where}: the card has no agency name or no two-letter country code")
    return card
