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
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from exchange import jsonshape
from exchange.jsonshape import Obj, Text
from vault.agefmt import AgeError, Recipient
from vault.errors import UserError
from vault.models import canonical

FORMAT = "custos-key-card/1"
MAX_CARD = 64 * 1024
MAX_NAME = 1000  # an agency's name or contact (and, in a bundle, other names)
_HEX64 = "[0-9a-f]{64}"
CARD_SHAPE = Obj(
    {
        "format": Text(64),
        "agency": Obj(
            {
                "name": Text(MAX_NAME),
                "country": Text(8),
                "contact": Text(MAX_NAME, null=True, free=True),
            },
            required=("name", "country"),
        ),
        "signing_key": Obj(
            {"algorithm": Text(32), "public": Text(64, pattern=_HEX64), "fingerprint": Text(64)},
            required=("algorithm", "public", "fingerprint"),
        ),
        "age_recipient": Text(200),
        "recipient_fingerprint": Text(64),
        "created": Text(64),
        "signature": Text(128, pattern="[0-9a-f]{128}"),
    },
    required=(
        "format",
        "agency",
        "signing_key",
        "age_recipient",
        "recipient_fingerprint",
        "created",
        "signature",
    ),
)


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


def read_card_file(path: Path) -> bytes:
    """A card file's bytes, read up to the card's bound only: a FIFO, a device (``/dev/zero``)
    or a folder is refused without blocking or reading it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UserError(f"{path}: cannot read the card: {exc.strerror}") from None
    try:  # checked before ``fdopen``, which refuses a folder with a raw IsADirectoryError
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UserError(f"{path}: a folder, not a key card file")
        if not stat.S_ISREG(mode):
            raise UserError(f"{path}: not a regular file")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_CARD + 1)
    if len(data) > MAX_CARD:
        raise UserError(f"{path}: not a key card (larger than {MAX_CARD} bytes)")
    return data


def read_card(data: bytes, where: str) -> Card:
    """Parse a card and check its shape, self-signature and fingerprints; one-line error else."""
    if len(data) > MAX_CARD:
        raise UserError(f"{where}: not a key card (larger than {MAX_CARD} bytes)")
    try:
        body = jsonshape.load(data, where, MAX_CARD)
    except jsonshape.ShapeError as exc:
        raise UserError(str(exc)) from None
    if isinstance(body, dict) and body.get("format", FORMAT) != FORMAT:
        raise UserError(f"{where}: not a Custos key card ({FORMAT})")
    findings = jsonshape.check(body, CARD_SHAPE, "")
    if findings:
        raise UserError(f"{where}: not a valid key card ({'; '.join(findings)})")
    signature = bytes.fromhex(body.pop("signature"))
    agency, key = body["agency"], body["signing_key"]
    card = Card(
        name=agency["name"].strip(),
        country=agency["country"].upper(),
        contact=agency.get("contact") or "",
        public=bytes.fromhex(key["public"]),
        recipient=body["age_recipient"],
        created=body["created"],
    )
    try:
        Ed25519PublicKey.from_public_bytes(card.public).verify(signature, canonical(body).encode())
    except InvalidSignature:
        raise UserError(f"{where}: the card's self-signature is invalid (altered card)") from None
    if key["algorithm"] != "Ed25519" or key["fingerprint"] != card.fingerprint:
        raise UserError(f"{where}: the card's key fingerprint does not match its key")
    try:
        recipient_fingerprint = card.recipient_fingerprint
    except AgeError:
        raise UserError(f"{where}: the card's age recipient is not valid") from None
    if body["recipient_fingerprint"] != recipient_fingerprint:
        raise UserError(f"{where}: the card's recipient fingerprint does not match")
    if not card.name or not re.fullmatch("[A-Z]{2}", card.country):
        raise UserError(f"{where}: the card has no agency name or no two-letter country code")
    return card
