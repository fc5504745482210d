"""Key cards, the partner directory, key rotation and revocation, agreements."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exchange_kit import FAST_KDF, PASSWORD, Kit

from exchange import directory
from exchange.bundles import verify_bundle
from exchange.cards import Card, fingerprint, grouped, make_card, read_card
from service.opener import init_vault
from vault import agefmt
from vault.errors import UserError
from vault.verify import verify


def test_card_is_signed_and_carries_fingerprints(kit: Kit) -> None:
    data, card = directory.our_card(kit.a)
    body = json.loads(data)
    assert body["agency"] == {"name": "Politie NL", "country": "NL", "contact": "desk@nl"}
    raw = kit.a.signing_public.public_bytes_raw()
    assert body["signing_key"]["fingerprint"] == fingerprint(raw) == card.fingerprint
    assert body["age_recipient"] == kit.a.config.vault_recipient
    assert read_card(data, "card") == Card(
        "Politie NL", "NL", "desk@nl", raw, kit.a.config.vault_recipient, body["created"]
    )
    assert len(grouped(card.fingerprint).split()) == 16


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda b: b["agency"].update(name="Evil Corp"), "self-signature is invalid"),
        (
            lambda b: b.update(age_recipient=str(agefmt.Identity.generate().recipient)),
            "self-signature is invalid",
        ),
        (lambda b: b.pop("signature"), "not a valid key card"),
        (lambda b: b.update(format="x"), "not a Custos key card"),
    ],
)
def test_altered_card_refused(kit: Kit, edit: object, message: str) -> None:
    data, _ = directory.our_card(kit.a)
    body = json.loads(data)
    edit(body)  # type: ignore[operator]
    with pytest.raises(UserError, match=message):
        directory.add_partner(kit.b, json.dumps(body).encode(), "card.json")


def test_own_card_and_known_key_refused(kit: Kit) -> None:
    own, _ = directory.our_card(kit.b)
    with pytest.raises(UserError, match="our own key card"):
        directory.add_partner(kit.b, own, "own")
    theirs, _ = directory.our_card(kit.a)
    with pytest.raises(UserError, match="already has this key"):
        directory.add_partner(kit.b, theirs, "again")


def test_rotation_keeps_old_key_for_old_bundles(kit: Kit) -> None:
    old = kit.export()
    new_key = Ed25519PrivateKey.generate()
    raw = new_key.public_key().public_bytes_raw()
    card = Card("Politie NL", "NL", "desk@nl", raw, kit.a.config.vault_recipient, "2030-01-01")
    data = make_card(card, new_key)
    with pytest.raises(UserError, match=r"known with another key.*--rotate"):
        directory.add_partner(kit.b, data, "new.json")
    info = directory.add_partner(kit.b, data, "new.json", rotate=True)
    assert [k.status for k in info.keys] == ["retired", "active"]
    report = verify_bundle(kit.b, old.path)
    assert report.ok and report.key_status == "retired"
    directory.revoke_key(kit.b, "Politie NL", grouped(card.fingerprint))  # tidy for later tests
    shown, agreements = directory.show_partner(kit.b, "Politie NL")
    assert [k.status for k in shown.keys] == ["retired", "revoked"]
    assert agreements and agreements[0].purpose == "joint-operation"
    assert verify(kit.b).ok


def test_revoke_unknown_fingerprint(kit: Kit) -> None:
    with pytest.raises(UserError, match="no key with fingerprint"):
        directory.revoke_key(kit.b, "Politie NL", "ab" * 32)
    with pytest.raises(UserError, match="no partner named 'Nobody'"):
        directory.revoke_key(kit.b, "Nobody", "ab" * 32)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"purpose": "mla"}, "needs the request reference"),
        ({"purpose": "gossip"}, "unknown purpose"),
        ({"labels": "PURPLE"}, "unknown TLP label"),
        ({"until": "2001-01-01"}, "ends .* before it starts"),
        ({"until": "soon"}, "not a date"),
        ({"crime_areas": ["jaywalking"]}, "unknown crime area"),
    ],
)
def test_agreement_validation(kit: Kit, kw: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "partner": "BKA",
        "purpose": "intelligence",
        "labels": "GREEN",
        "until": "2099-01-01",
    } | kw
    with pytest.raises(UserError, match=message):
        directory.add_agreement(kit.a, **args)  # type: ignore[arg-type]


def test_agency_needed_for_a_card(place: Any) -> None:
    session, _ = init_vault(place, "ada", PASSWORD, kdf=FAST_KDF)
    try:
        with pytest.raises(UserError, match="no agency yet"):
            directory.our_card(session)
        with pytest.raises(UserError, match="two-letter country"):
            directory.set_agency(session, "X", "Nowhere")
    finally:
        session.close()
