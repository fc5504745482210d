"""A partner's vault-key rotation and the bundles in flight.

Partners seal bundles to the recipient on the key card they hold; after we rotate our vault key
they keep using the old one until our new card reaches them. Those bundles must still import
(the rotation keeps the old identity), and the new card carries the new recipient.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backendkit import BACKENDS
from exchange_kit import agency_place, new_vault, trust

from exchange import directory
from exchange.bundles import import_bundle, verify_bundle
from exchange.cards import read_card
from exchange.export import ExportJob
from vault import items as vitems
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import ignore
from vault.rotation import rotate_vault_key
from vault.session import Session
from vault.verify import verify


@pytest.fixture(params=BACKENDS)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Session, Session]]:
    """Politie NL in a folder; BKA, whose vault key rotates, in a folder or (``[server]``) on
    the trial server (a vault-key rotation works there too)."""
    nl = new_vault(tmp_path / "nl", "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, tmp_path / "de"), "bernd", "BKA", "DE")
    trust(nl, de)
    directory.add_agreement(nl, "BKA", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31")
    directory.add_agreement(de, "Politie NL", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31")
    create_case(nl, "NL-1", "Operation Kite")
    exhibit = tmp_path / "note.txt"
    exhibit.write_text("seized note\n")
    ingest(nl, "NL-1", [exhibit])
    yield nl, de
    nl.close()
    de.close()


def test_a_bundle_sealed_to_our_old_recipient_imports_after_a_rotation(
    pair: tuple[Session, Session], tmp_path: Path
) -> None:
    nl, de = pair
    old_card, _ = directory.our_card(de)
    old_recipient = read_card(old_card, "old card").recipient
    [known] = [p for p in directory.list_partners(nl) if p.name == "BKA"]
    assert known.recipient == old_recipient  # what Politie NL seals to

    done = rotate_vault_key(de, "scheduled rotation")
    assert done.old_recipient == old_recipient != done.new_recipient
    assert "new key card" in done.note

    # Politie NL has not received the new card yet: the bundle is sealed to the old recipient
    res = ExportJob(nl, "NL-1", "BKA", "joint-operation", tmp_path / "out", encrypt=True).run(
        ignore
    )
    assert res.path.name.endswith(".tar.age")
    assert verify_bundle(de, res.path).ok
    create_case(de, "DE-1", "received")
    imported = import_bundle(de, res.path, "DE-1")
    assert len(imported.items) == 1
    [item] = vitems.list_items(de, "DE-1")
    assert item.sha256 == vitems.list_items(nl, "NL-1")[0].sha256
    assert not list((de.folder / "tmp").iterdir())
    assert verify(de).ok

    # our new card carries the new recipient; once Politie NL has it, it seals to that
    new_card, card = directory.our_card(de)
    assert card.recipient == done.new_recipient == str(de.age_identity.recipient)
    assert card.fingerprint == read_card(old_card, "old card").fingerprint  # same signing key
    info = directory.add_partner(nl, new_card, "new card")  # same key, new recipient
    assert info.recipient == done.new_recipient
    assert [k.status for k in info.keys] == ["active"]
    res = ExportJob(nl, "NL-1", "BKA", "joint-operation", tmp_path / "out2", encrypt=True).run(
        ignore
    )
    create_case(de, "DE-2", "received")
    assert len(import_bundle(de, res.path, "DE-2").items) == 1
    assert verify(nl).ok and verify(de).ok
