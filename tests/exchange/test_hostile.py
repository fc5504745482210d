"""The hostile corpus: each bad bundle is refused with one line naming the problem, nothing is
imported and the receiving vault still verifies. Bags "resealed" with the sender's real key play
a trusted but hostile partner: only the path, size and content checks can catch those."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tarfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exchange_kit import Kit, item_count, new_vault, refused, reseal, retag

from exchange import bagfmt, directory
from exchange.bundles import import_bundle, verify_bundle
from exchange.cards import grouped
from exchange.errors import BundleRejected
from exchange.export import ExportResult
from vault import agefmt
from vault.cases import create_case
from vault.verify import verify

NOTE = "data/evidence/ev/note.txt"

# BKA, which imports every hostile bag, keeps its vault in a folder on both runs of ``kit``:
# the server run would import the same bags into the same kind of vault again.
pytestmark = pytest.mark.local_only(
    "BKA imports into a folder on both runs; on a server: test_a_server_vault_refuses_hostile_bags"
)


@pytest.fixture(scope="module")
def good(kit: Kit) -> ExportResult:
    return kit.export("good")


@pytest.fixture(scope="module")
def good_age(kit: Kit) -> ExportResult:
    return kit.export("good-enc", encrypt=True)


def test_forged_signature(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "forged")
    sig = bytearray((bag / bagfmt.SIG).read_bytes())
    sig[5] ^= 1
    (bag / bagfmt.SIG).write_bytes(bytes(sig))
    refused(kit, bag, r"signature does not match tagmanifest-sha256.txt \(forged or altered\)")


def test_unknown_key(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "unknown-key")
    key = Ed25519PrivateKey.generate()
    (bag / bagfmt.SIG).write_bytes(key.sign((bag / bagfmt.TAGMANIFEST).read_bytes()))
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (bag / bagfmt.PEM).write_bytes(pem)
    refused(kit, bag, r"signed by an unknown key [0-9A-F ]+ \(not in the partner directory\)")


def test_revoked_key(kit: Kit, good: ExportResult, tmp_path: Path) -> None:
    other = new_vault(tmp_path / "c", "carl", "BKA", "DE")
    try:
        card, info = directory.our_card(kit.a)
        directory.add_partner(other, card, "card")
        directory.add_agreement(other, "Politie NL", "joint-operation", "AMBER", "2099-12-31")
        assert verify_bundle(other, good.path).ok  # trusted before the revocation
        directory.revoke_key(other, "Politie NL", grouped(info.fingerprint))
        create_case(other, "C-1", "received")
        with pytest.raises(BundleRejected, match=r"signed by a revoked key of Politie NL"):
            import_bundle(other, good.path, "C-1")
        assert item_count(other, "C-1") == 0
        assert verify(other).ok
    finally:
        other.close()


def test_payload_byte_changed(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "flipped")
    data = bytearray((bag / NOTE).read_bytes())
    data[0] ^= 0x20
    (bag / NOTE).write_bytes(bytes(data))
    refused(kit, bag, rf"{NOTE}: checksum does not match manifest-sha256.txt \(altered\)")


def test_file_added(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "added")
    (bag / "data/evidence/extra.txt").write_text("planted")
    refused(kit, bag, r"data/evidence/extra.txt: in the payload but not in manifest", "Oxum")


def test_file_removed(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "removed")
    (bag / NOTE).unlink()
    refused(kit, bag, rf"{NOTE}: listed in manifest-sha256.txt but missing")


def test_file_renamed(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "renamed")
    (bag / NOTE).rename(bag / "data/evidence/ev/renamed.txt")
    refused(kit, bag, rf"{NOTE}: listed in manifest-sha256.txt but missing", "renamed.txt: in")


def test_manifest_rehashed_without_new_signature(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "rehashed")
    (bag / NOTE).write_text("another note\n")
    reseal(bag, kit.a)  # manifests consistent again ...
    (bag / bagfmt.SIG).write_bytes((good.path / bagfmt.SIG).read_bytes())  # ... old signature
    refused(kit, bag, r"signature does not match")


def test_dotdot_and_absolute_paths(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "paths")
    (bag.parent / "outside.txt").write_text("outside")
    extra = "0" * 64 + "  data/../../outside.txt\n" + "0" * 64 + "  /etc/passwd\n"
    with open(bag / bagfmt.MANIFEST, "a") as fh:
        fh.write(extra)
    retag(bag, kit.a)
    refused(kit, bag, r"'data/\.\./\.\./outside.txt': path leads outside", r"'/etc/passwd': abs")


def test_symlink_in_payload(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "symlink")
    (bag / NOTE).unlink()
    os.symlink("/etc/hostname", bag / NOTE)
    refused(kit, bag, rf"{NOTE}: symbolic link")


def test_hardlink_in_payload(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "hardlink")
    os.link(bag / NOTE, kit.root / "hostile" / "hardlink-twin")
    refused(kit, bag, rf"{NOTE}: hard link")


def test_unicode_twins(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "twins")
    for form in ("NFC", "NFD"):
        (bag / "data/evidence" / unicodedata.normalize(form, "café.txt")).write_text(form)
    reseal(bag, kit.a)
    refused(kit, bag, r"Unicode-normalisation twin")


def test_enormous_declared_size(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "oxum")
    info = (bag / "bag-info.txt").read_text()
    info = re.sub(r"Payload-Oxum: .*", "Payload-Oxum: 999999999999999999.3", info)
    (bag / "bag-info.txt").write_text(info)
    retag(bag, kit.a)
    refused(kit, bag, r"Payload-Oxum declares 999999999999999999 bytes in 3 files, over the")


def test_label_not_covered_by_local_agreements(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "red")
    meta = json.loads((bag / bagfmt.BUNDLE_JSON).read_text())
    meta["items"][0]["tlp"] = "RED"
    (bag / bagfmt.BUNDLE_JSON).write_text(json.dumps(meta))
    retag(bag, kit.a)
    refused(kit, bag, r"label RED is not covered by the agreements with Politie NL")


def _tar_age(bag: Path, target: Path, recipient: agefmt.Recipient, extra: bool) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(bag, arcname="b")
        if extra:
            out = tarfile.TarInfo("../escape.txt")
            out.size = 3
            tar.addfile(out, io.BytesIO(b"bad"))
            dev = tarfile.TarInfo("b/data/evidence/dev")
            dev.type, dev.devmajor, dev.devminor = tarfile.CHRTYPE, 1, 3
            tar.addfile(dev)
            link = tarfile.TarInfo("b/data/evidence/link")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
    target.write_bytes(agefmt.encrypt_bytes(raw.getvalue(), [recipient]))


def test_tar_with_devices_and_paths_outside(kit: Kit, good: ExportResult) -> None:
    target = kit.root / "hostile" / "evil.tar.age"
    target.parent.mkdir(exist_ok=True)
    _tar_age(good.path, target, kit.b.age_identity.recipient, extra=True)
    refused(
        kit,
        target,
        r"tar member '\.\./escape.txt': path leads outside",
        r"tar member 'b/data/evidence/dev': device or FIFO entry",
        r"tar member 'b/data/evidence/link': link entry",
    )
    assert not (kit.b.folder / "escape.txt").exists()
    assert not (kit.b.folder / "tmp" / "escape.txt").exists()


def test_encrypted_for_another_agency(kit: Kit, good: ExportResult) -> None:
    target = kit.root / "hostile" / "other.tar.age"
    target.parent.mkdir(exist_ok=True)
    _tar_age(good.path, target, agefmt.Identity.generate().recipient, extra=False)
    refused(kit, target, r"not encrypted for this agency")


def test_truncated_bundle(kit: Kit, good_age: ExportResult) -> None:
    target = kit.root / "hostile" / "truncated.tar.age"
    target.parent.mkdir(exist_ok=True)
    data = good_age.path.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    refused(kit, target, r"truncated or damaged")


def test_replayed_bundle(kit: Kit, good_age: ExportResult) -> None:
    case = kit.new_case()
    import_bundle(kit.b, good_age.path, case)
    refused(kit, good_age.path, r"already imported on .* \(replay\)", intact=True)
    assert item_count(kit.b, case) == 3


def test_every_problem_listed(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "many")
    (bag / NOTE).write_text("changed")
    (bag / "data/evidence/extra.txt").write_text("planted")
    shutil.rmtree(bag / "signature")
    err = refused(kit, bag, "not signed", "checksum does not match", "extra.txt")
    assert len(err.problems) >= 4


@pytest.fixture
def server_bka(
    kit: Kit, server_place: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Kit]:
    """``kit`` with BKA's vault on the trial server instead (it trusts Politie NL's key)."""
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    b = new_vault(server_place, "bernd", "BKA", "DE")
    try:
        card, _ = directory.our_card(kit.a)
        directory.add_partner(b, card, "card")
        directory.add_agreement(
            b, "Politie NL", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31"
        )
        yield Kit(kit.a, b, kit.root, kit.items, [])
    finally:
        b.close()


def test_a_server_vault_refuses_hostile_bags(server_bka: Kit, good: ExportResult) -> None:
    """One of each kind of refusal on an agency server: a payload check of a plain bag, the tar
    checks and a truncated stream of an encrypted one (staged objects never reach the bucket),
    a replay (the bundle's digest looked up among sealed rows)."""
    kit = server_bka
    flipped = kit.copy(good.path, "server-flipped")
    data = bytearray((flipped / NOTE).read_bytes())
    data[0] ^= 0x20
    (flipped / NOTE).write_bytes(bytes(data))
    refused(kit, flipped, rf"{NOTE}: checksum does not match manifest-sha256.txt \(altered\)")

    hostile = kit.root / "hostile"
    evil = hostile / "server-evil.tar.age"
    _tar_age(good.path, evil, kit.b.age_identity.recipient, extra=True)
    refused(kit, evil, r"tar member '\.\./escape.txt': path leads outside", r"link entry")
    assert not (kit.b.folder / "escape.txt").exists()

    sealed = hostile / "server-good.tar.age"
    _tar_age(good.path, sealed, kit.b.age_identity.recipient, extra=False)
    truncated = hostile / "server-truncated.tar.age"
    truncated.write_bytes(sealed.read_bytes()[: sealed.stat().st_size // 2])
    refused(kit, truncated, r"truncated or damaged")

    case = kit.new_case()
    assert len(import_bundle(kit.b, sealed, case).items) == 3
    refused(kit, sealed, r"already imported on .* \(replay\)", intact=True)
    assert item_count(kit.b, case) == 3
