"""Hostile shapes of the unsigned text in a bundle or a key card (the red team's report).

Each attack used to crash ``bundle verify`` / ``bundle import`` / ``watchlist import`` /
``partner add`` with a traceback (exit 1, unaudited) or slip through unnoticed. Now each gives one
line naming what and where: exit 5 and an audited ``bundle.refused`` for a bundle, exit 2 for a
card. Bundles "resealed" with the sender's key are a trusted but hostile partner (the deepest
code runs); "unsigned" ones keep the sender's key and a signature that no longer matches (anyone
holding a copy of a partner's public key can make them).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exchange_kit import PASSWORD, Kit, refused, reseal, retag, where

from exchange import bagfmt
from exchange.cards import Card, make_card, read_card
from exchange.export import ExportResult
from service.opener import unlock
from vault.agefmt import Identity
from vault.errors import UserError
from vault.models import canonical

# The bags are imported by BKA, in a folder on both runs of ``kit``: the server run would repeat
# the same imports into the same kind of vault.
pytestmark = pytest.mark.local_only(
    "BKA imports into a folder on both runs; on a server: test_a_server_vault_refuses_hostile_bags"
)


@pytest.fixture(scope="module")
def good(kit: Kit) -> ExportResult:
    return kit.export("good-shapes")


def _meta_bag(kit: Kit, good: ExportResult, name: str, text: bytes, signed: bool = True) -> Path:
    bag = kit.copy(good.path, name)
    (bag / bagfmt.BUNDLE_JSON).write_bytes(text)
    retag(bag, kit.a if signed else None)
    return bag


def _edited(good: ExportResult, edit: Callable[[dict[str, Any]], None]) -> bytes:
    meta = json.loads((good.path / bagfmt.BUNDLE_JSON).read_bytes())
    edit(meta)
    return json.dumps(meta).encode()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets ``a.b.0.c`` to ``value``."""

    def edit(meta: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = meta
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return edit


def _ids(attacks: list[tuple[str, Any, str]]) -> list[str]:
    return [a[0] for a in attacks]


def _raw(good: ExportResult, old: str, new: str) -> bytes:
    text = (good.path / bagfmt.BUNDLE_JSON).read_text()
    assert old in text
    return text.replace(old, new, 1).encode()


# (name, custos-bundle.json as bytes from the good one, the finding expected)
META_ATTACKS: list[tuple[str, Callable[[ExportResult], bytes], str]] = [
    ("items-object", lambda g: _edited(g, _set("items", {"a": 1})), r"items: expected a list"),
    ("items-text", lambda g: _edited(g, _set("items", ["x"])), r"items\[0\]: expected an object"),
    ("meta-list", lambda g: b"[1]", r"expected an object, found a list"),
    ("tlp-list", lambda g: _edited(g, _set("items.0.tlp", ["RED"])), r"items\[0\]\.tlp: expected"),
    ("size-text", lambda g: _edited(g, _set("items.0.size", "many")), r"items\[0\]\.size: exp"),
    ("size-infinite", lambda g: _raw(g, '"size": ', '"size": 1e400, "x": '), r"out of range"),
    ("size-nan", lambda g: _raw(g, '"size": ', '"size": NaN, "x": '), r"NaN"),
    ("size-digits", lambda g: _raw(g, '"size": ', '"size": ' + "9" * 5000 + ', "x": '), "digits"),
    ("size-negative", lambda g: _edited(g, _set("items.0.size", -1)), r"items\[0\]\.size: "),
    ("size-true", lambda g: _edited(g, _set("items.0.size", True)), r"items\[0\]\.size: "),
    (
        "deep",
        lambda g: _raw(g, '"size": ', '"x": ' + "[" * 99_999 + "]" * 99_999 + ', "size": '),
        r"nested deeper",
    ),
    ("no-bundle-id", lambda g: _edited(g, lambda m: m.pop("bundle_id")), r"bundle_id: missing"),
    ("null-sender", lambda g: _edited(g, _set("sender", None)), r"sender: expected an object"),
    ("null-item", lambda g: _edited(g, _set("items.0", None)), r"items\[0\]: expected an obj"),
    ("dup-key", lambda g: _raw(g, '"purpose": ', '"purpose": "mla", "purpose": '), r"duplicate"),
    (
        "not-utf8",
        lambda g: _raw(g, '"evidence"', '"evidence"').replace(b'"e', b'"\xff', 1),
        "UTF-8",
    ),
    ("bom", lambda g: codecs.BOM_UTF8 + (g.path / bagfmt.BUNDLE_JSON).read_bytes(), r"byte-ord"),
    ("huge-text", lambda g: _edited(g, _set("items.0.description", "x" * (9 << 20))), r"long"),
    ("surrogate", lambda g: _raw(g, '"bundle_id": "', '"bundle_id": "\\ud800'), r"surrogate"),
    ("escape", lambda g: _edited(g, _set("sender.name", "Politie\x1b[2J NL")), r"control char"),
    ("format", lambda g: _edited(g, _set("format", "custos-bundle/9")), r"format: "),
]


@pytest.mark.parametrize(
    ("name", "make", "finding"), META_ATTACKS, ids=[a[0] for a in META_ATTACKS]
)
def test_hostile_bundle_description_is_refused_in_one_line(
    kit: Kit, good: ExportResult, name: str, make: Callable[[ExportResult], bytes], finding: str
) -> None:
    data = make(good)
    for signed in (True, False):
        bag = _meta_bag(kit, good, f"meta-{name}-{signed}", data, signed)
        refused(kit, bag, rf"custos-bundle.json: .*{finding}")


def test_pem_of_an_unsupported_curve_is_a_finding(kit: Kit, good: ExportResult) -> None:
    """signature/sender.pem is read before anything is trusted: any key type must be a finding."""
    bag = kit.copy(good.path, "pem-curve")
    made = subprocess.run(
        "openssl ecparam -name secp112r1 -genkey -noout | openssl ec -pubout",
        shell=True,
        capture_output=True,
        check=True,
    )
    (bag / bagfmt.PEM).write_bytes(made.stdout)
    refused(kit, bag, r"signature/sender.pem: not an Ed25519 public key")


# --- bag-info.txt and manifest lines -----------------------------------------------------------


def _info_bag(kit: Kit, good: ExportResult, name: str, edit: Callable[[bytes], bytes]) -> Path:
    bag = kit.copy(good.path, name)
    info = bag / "bag-info.txt"
    info.write_bytes(edit(info.read_bytes()))
    retag(bag, kit.a)
    return bag


def _oxum(value: bytes) -> Callable[[bytes], bytes]:
    return lambda data: re.sub(rb"Payload-Oxum: [^\n]*", b"Payload-Oxum: " + value, data)


INFO_ATTACKS: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("superscript", _oxum("².3".encode()), r"Payload-Oxum '²\.3' missing or malformed"),
    ("arabic", _oxum("١٢.٣".encode()), r"Payload-Oxum .* missing or malformed"),
    ("digits", _oxum(b"9" * 5000 + b".3"), r"Payload-Oxum '9+\.\.\.' missing or malformed"),
    ("repeated", lambda d: d + b"Payload-Oxum: 1.1\n", r"bag-info.txt: Payload-Oxum repeated"),
    ("not-utf8", lambda d: d + b"Contact-Name: \xff\n", r"bag-info.txt: not UTF-8"),
    ("no-colon", lambda d: d + b"just words\n", r"bag-info.txt line \d+: not 'Label: value'"),
]


@pytest.mark.parametrize(
    ("name", "edit", "finding"), INFO_ATTACKS, ids=[a[0] for a in INFO_ATTACKS]
)
def test_hostile_bag_info_is_refused_in_one_line(
    kit: Kit, good: ExportResult, name: str, edit: Callable[[bytes], bytes], finding: str
) -> None:
    refused(kit, _info_bag(kit, good, f"info-{name}", edit), finding)


def test_manifest_lines_end_only_at_cr_or_lf(kit: Kit, good: ExportResult) -> None:
    """Python's splitlines() also splits at U+2028, NEL, FS...: bagit.py does not. The path is
    read whole (as bagit.py reads it) and refused for its separator, never half-read."""
    bag = kit.copy(good.path, "line-separator")
    (bag / "data/evidence/a\u2028b.txt").write_text("x")
    (bag / "data/evidence/c\x85d.txt").write_text("y")
    reseal(bag, kit.a)
    err = refused(
        kit,
        bag,
        r"'data/evidence/a\\u2028b\.txt': control character or line separator in path",
        r"'data/evidence/c\\x85d\.txt': control character or line separator in path",
    )
    assert not any("malformed" in p for p in err.problems), err.problems


def test_manifest_with_a_bom_names_the_line(kit: Kit, good: ExportResult) -> None:
    bag = kit.copy(good.path, "manifest-bom")
    data = (bag / bagfmt.MANIFEST).read_bytes()
    (bag / bagfmt.MANIFEST).write_bytes(codecs.BOM_UTF8 + data)
    retag(bag, kit.a)
    refused(kit, bag, r"manifest-sha256.txt: starts with a byte-order mark")


# --- key cards ---------------------------------------------------------------------------------


def _card_body() -> tuple[dict[str, Any], Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    card = Card("Guardia", "ES", "desk", key.public_key().public_bytes_raw(),
                str(Identity.generate().recipient), "2026-01-01T00:00:00Z")  # fmt: skip
    return json.loads(make_card(card, key)), key


def _signed(edit: Callable[[dict[str, Any]], None]) -> bytes:
    """A card edited, then self-signed again (the self-signature proves nothing about shape)."""
    body, key = _card_body()
    body.pop("signature")
    edit(body)
    body["signature"] = key.sign(canonical(body).encode()).hex()
    return json.dumps(body).encode()


def _card_raw(old: str, new: str) -> bytes:
    body, _ = _card_body()
    text = json.dumps(body)
    assert old in text
    return text.replace(old, new, 1).encode()


CARD_ATTACKS: list[tuple[str, Callable[[], bytes], str]] = [
    ("deep", lambda: b"[" * 30_000 + b"]" * 30_000, r"nested deeper"),
    ("list", lambda: b"[]", r"card: not a valid key card \(expected an object, found a list\)"),
    ("agency-list", lambda: _signed(_set("agency", [])), r"agency: expected an object"),
    ("name-number", lambda: _signed(_set("agency.name", 12)), r"agency\.name: expected text"),
    ("contact-object", lambda: _signed(_set("agency.contact", {})), r"agency\.contact: expected"),
    ("no-created", lambda: _signed(lambda b: b.pop("created")), r"created: missing"),
    ("dup-name", lambda: _card_raw('"name": ', '"name": "Evil", "name": '), r"duplicate key"),
    ("bom", lambda: codecs.BOM_UTF8 + _signed(lambda b: None), r"byte-order mark"),
    ("not-utf8", lambda: _signed(lambda b: None).replace(b'"desk', b'"\xffdesk'), r"not UTF-8"),
    ("digits", lambda: _card_raw('"created": ', '"x": ' + "1" * 5000 + ', "created": '), "digits"),
    ("surrogate", lambda: _card_raw('"contact": "', '"contact": "\\udc80'), r"surrogate"),
    ("escape", lambda: _signed(_set("agency.name", "BKA\x1b]0;x\x07")), r"control character"),
    ("null-key", lambda: _signed(_set("signing_key", None)), r"signing_key: expected an object"),
]


@pytest.mark.parametrize(
    ("name", "make", "finding"), CARD_ATTACKS, ids=[a[0] for a in CARD_ATTACKS]
)
def test_hostile_key_card_is_one_user_error(
    name: str, make: Callable[[], bytes], finding: str
) -> None:
    with pytest.raises(UserError) as info:
        read_card(make(), "card")
    message = str(info.value)
    assert "\n" not in message and message.startswith("card: "), message
    assert re.search(finding, message), message


def test_a_card_file_is_read_only_up_to_its_bound(tmp_path: Path) -> None:
    """`partner add --card /dev/zero` read forever; a FIFO blocked; a sparse file filled memory."""
    from exchange.cards import read_card_file

    with pytest.raises(UserError, match=r"/dev/zero: not a regular file"):
        read_card_file(Path("/dev/zero"))
    with pytest.raises(UserError, match=r"cards: a folder, not a key card file"):
        (tmp_path / "cards").mkdir()
        read_card_file(tmp_path / "cards")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match=r"fifo: not a regular file"):
        read_card_file(fifo)
    big = tmp_path / "big.card"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)
    with pytest.raises(UserError, match=r"big.card: not a key card \(larger than 65536 bytes\)"):
        read_card_file(big)
    good = tmp_path / "good.card"
    good.write_bytes(_signed(lambda b: None))
    assert read_card(read_card_file(good), str(good)).name == "Guardia"


# --- through the command line: one line, the documented exit code, no traceback ---------------


def test_cli_refuses_hostile_shapes_with_one_line(
    kit: Kit,
    good: ExportResult,
    tmp_path: Path,
    cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    bag = _meta_bag(kit, good, "cli-items", _edited(good, _set("items", {"a": 1})))
    case = kit.new_case()
    deep = tmp_path / "deep.card"
    deep.write_bytes(b"[" * 30_000 + b"]" * 30_000)
    kit.b.close()  # the CLI opens the vault itself
    try:
        runs = [
            (5, ("bundle", "verify", str(bag))),
            (5, ("bundle", "import", str(bag), "--case", case)),
            (5, ("watchlist", "import", str(bag))),
            (2, ("partner", "add", "--card", str(deep))),
        ]
        for code, args in runs:
            got = cli(*args, vault=where(kit.b), user="bernd")
            assert got.returncode == code, (args, got.stdout + got.stderr)
            assert "Traceback" not in got.stderr, got.stderr
            errors = [x for x in got.stderr.splitlines() if x.startswith("error: ")]
            assert len(errors) == 1, got.stderr
    finally:
        kit.b = unlock(where(kit.b), "bernd", PASSWORD)
