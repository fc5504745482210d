"""Known answers for ``vault/agefmt.py``: the C2SP/CCTV age test vectors, read in place.

The vectors live in ``$CUSTOS_AGE_VECTORS``, default ``<repo>/../shared/vectors/age`` (never
copied into the repo). Each file is a textual header (``expect:``, ``payload:`` = SHA-256 of the
plaintext, ``file key:``, ``identity:``, ``passphrase:``, ``armored:``, ``compressed:``,
``comment:``), an empty line, then the age file (zlib-compressed when ``compressed: zlib``).

One test per vector file, through all three decrypt paths (``decrypt_chunks``, ``Decryptor``,
``decrypt_bytes``). What each expectation must give:

* ``success``: the plaintext whose SHA-256 is ``payload``, on every path;
* ``header failure``: ``AgeError`` while the header is read (``Decryptor(...)`` raises, no chunk
  is ever yielded), and neither "no identity matched" nor "header MAC mismatch": a malformed
  header must be refused as malformed, not mistaken for another key's file or a tampered one;
* ``HMAC failure``: ``AgeError("header MAC mismatch")`` while the header is read, no plaintext;
* ``no match``: ``AgeError("no identity matched")`` while the header is read, no plaintext;
* ``payload failure``: the header is accepted, then ``AgeError`` while the payload is read. The
  plaintext released before the error must not go past what the reference implementation releases
  (``payload:`` is the hash of that partial plaintext). agefmt may release less: it only hands out
  a full-size chunk once it knows whether the chunk is the last one, where the reference tries
  both nonces and reports trailing data afterwards.

agefmt has no ``AgeError`` subclasses; its messages tell these cases apart (``exchange/unpack.py``
relies on "no identity matched" too). Vectors of features Custos does not implement are skipped
with the feature as the reason, so ``-ra`` prints one count per feature; ``test_vector_summary``
prints the table and checks that every X25519 vector ran. Missing vectors skip locally and fail
in CI (``CI=true``), like ``faces_dir``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vault import agefmt
from vaultkit import unavailable

REPO = Path(__file__).resolve().parents[2]
VECTORS = Path(
    os.environ.get("CUSTOS_AGE_VECTORS", REPO.parent / "shared" / "vectors" / "age")
).resolve()
NAMES = sorted(p.name for p in VECTORS.iterdir() if p.is_file()) if VECTORS.is_dir() else []
MISSING = "<age vectors missing>"

NO_MATCH = "no identity matched"
BAD_MAC = "header MAC mismatch"
X25519_HRP = "AGE-SECRET-KEY-1"  # bech32: the HRP "AGE-SECRET-KEY-" and the separator "1"
IDENTITY_FEATURES = {"AGE-SECRET-KEY-PQ-1": "mlkem768x25519 (post-quantum) identities"}

# The skip reasons, one per feature (identical text, so pytest -ra folds them into one count).
ARMOR = "armor: agefmt reads binary age files only"
SCRYPT = "scrypt: agefmt has no passphrase recipients"


@pytest.fixture(scope="module")
def vectors_dir() -> Path:
    """The vectors folder; skip when absent, except in CI (``CI=true``) where it fails."""
    if not NAMES:
        unavailable(f"age test vectors not found at {VECTORS} (set CUSTOS_AGE_VECTORS)")
    return VECTORS


@dataclass
class Vector:
    name: str
    expect: str
    payload: str | None = None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    comment: str = ""
    data: bytes = b""


def load(path: Path) -> Vector:
    """Parse one vector file; an unknown header or value fails (a new feature must be seen)."""
    raw = path.read_bytes()
    head, sep, data = raw.partition(b"\n\n")
    assert sep, f"{path.name}: no empty line after the vector header"
    fields: dict[str, list[str]] = {}
    for line in head.decode("utf-8").split("\n"):
        key, colon, value = line.partition(": ")
        assert colon, f"{path.name}: bad header line {line!r}"
        fields.setdefault(key, []).append(value)
    unknown = set(fields) - {
        "expect",
        "payload",
        "file key",
        "identity",
        "passphrase",
        "armored",
        "compressed",
        "comment",
    }
    assert not unknown, f"{path.name}: unknown vector headers {unknown}"
    compressed = fields.get("compressed", [None])[0]
    if compressed == "zlib":
        data = zlib.decompress(data)
    else:
        assert compressed is None, f"{path.name}: unknown compression {compressed!r}"
    armored = fields.get("armored", ["no"])[0]
    assert armored in ("yes", "no"), f"{path.name}: armored: {armored!r}"
    return Vector(
        name=path.name,
        expect=fields["expect"][0],
        payload=fields.get("payload", [None])[0],
        identities=fields.get("identity", []),
        passphrases=fields.get("passphrase", []),
        armored=armored == "yes",
        comment=fields.get("comment", [""])[0],
        data=data,
    )


def plan(vector: Vector) -> tuple[str | None, list[str]]:
    """(the feature that makes agefmt skip the vector or None, the identities to run it with).

    Identities of types agefmt lacks are dropped when an X25519 one remains: without them the
    result can only be worse (no match instead of their success or failure), so the vector still
    fails loudly if it needed them, except for ``no match``, which dropping could fake: skipped.
    """
    if vector.armored:
        return ARMOR, []
    if vector.passphrases:
        return SCRYPT, []
    x25519 = [i for i in vector.identities if i.upper().startswith(X25519_HRP)]
    others = [i for i in vector.identities if i not in x25519]
    if others and (not x25519 or vector.expect == "no match"):
        prefix = max((p for p in IDENTITY_FEATURES if others[0].upper().startswith(p)), default="")
        return IDENTITY_FEATURES.get(prefix, f"identity type {others[0][:20]}..."), []
    if len(x25519) > 1:
        return "several X25519 identities (agefmt decrypts with one)", []
    return None, x25519


@dataclass
class Outcome:
    """What one decrypt path did: the plaintext it released, and where it stopped."""

    plaintext: bytes
    error: agefmt.AgeError | None
    in_header: bool  # the error came before any payload was read (Decryptor's constructor)


def via_chunks(data: bytes, identity: agefmt.Identity) -> Outcome:
    chunks: list[bytes] = []
    try:
        for chunk in agefmt.decrypt_chunks(io.BytesIO(data), identity):
            chunks.append(chunk)
    except agefmt.AgeError as exc:
        return Outcome(b"".join(chunks), exc, in_header=not chunks)
    return Outcome(b"".join(chunks), None, in_header=False)


def via_decryptor(data: bytes, identity: agefmt.Identity) -> Outcome:
    try:
        dec = agefmt.Decryptor(io.BytesIO(data), identity, batch=2)
    except agefmt.AgeError as exc:
        return Outcome(b"", exc, in_header=True)
    out, buf = bytearray(), bytearray(agefmt.CHUNK * 3)
    try:
        while n := dec.readinto(memoryview(buf)):
            out += buf[:n]
    except agefmt.AgeError as exc:
        return Outcome(bytes(out), exc, in_header=False)
    return Outcome(bytes(out), None, in_header=False)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(vector: Vector, identities: list[str]) -> None:
    """Run ``vector`` through every decrypt path and assert its expectation (see the docstring)."""
    identity = agefmt.Identity.parse(identities[0]) if identities else agefmt.Identity.generate()
    chunks, decryptor = via_chunks(vector.data, identity), via_decryptor(vector.data, identity)
    for path, got in (("decrypt_chunks", chunks), ("Decryptor", decryptor)):
        where = f"{vector.name} via {path} ({vector.comment or vector.expect})"
        if vector.expect == "success":
            assert got.error is None, f"{where}: {got.error}"
            assert _sha(got.plaintext) == vector.payload, f"{where}: wrong plaintext"
        elif vector.expect in ("header failure", "HMAC failure", "no match"):
            assert got.error is not None, f"{where}: accepted"
            assert got.plaintext == b"", f"{where}: released plaintext"
            if path == "Decryptor":
                assert got.in_header, f"{where}: header accepted, failed later: {got.error}"
            message = str(got.error)
            if vector.expect == "HMAC failure":
                assert message == BAD_MAC, f"{where}: {message}"
            elif vector.expect == "no match":
                assert message == NO_MATCH, f"{where}: {message}"
            else:
                assert message not in (BAD_MAC, NO_MATCH), f"{where}: {message}"
        elif vector.expect == "payload failure":
            assert got.error is not None, f"{where}: accepted"
            if path == "Decryptor":
                assert not got.in_header, f"{where}: failed in the header: {got.error}"
            assert str(got.error) not in (BAD_MAC, NO_MATCH), f"{where}: {got.error}"
            if vector.payload is not None:
                # Past the reference's partial plaintext: some shorter chunk-aligned prefix of
                # ours would hash to it.
                for end in range(0, len(got.plaintext), agefmt.CHUNK):
                    assert _sha(got.plaintext[:end]) != vector.payload, (
                        f"{where}: released {len(got.plaintext) - end} bytes past the reference"
                    )
        else:
            pytest.fail(f"{vector.name}: expectation {vector.expect!r} has no rule here")
    if vector.expect == "success":
        assert _sha(agefmt.decrypt_bytes(vector.data, identity)) == vector.payload


@pytest.mark.parametrize("name", NAMES or [MISSING])
def test_vector(name: str, vectors_dir: Path) -> None:
    vector = load(vectors_dir / name)
    feature, identities = plan(vector)
    if feature is not None:
        pytest.skip(feature)
    check(vector, identities)


def _is_x25519_vector(raw: bytes) -> bool:
    """Independent of ``load``/``plan``: X25519 identities only, no passphrase, not armored."""
    head = raw.partition(b"\n\n")[0]
    ids = re.findall(rb"^identity: (\S+)$", head, re.M)
    return (
        bool(ids)
        and all(re.fullmatch(rb"AGE-SECRET-KEY-1[0-9A-Z]+", i) for i in ids)
        and not re.search(rb"^passphrase: |^armored: yes$", head, re.M)
    )


def test_vector_summary(vectors_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ran and skipped counts by feature; every X25519 vector is among those that ran."""
    ran: list[str] = []
    skipped: Counter[str] = Counter()
    for name in NAMES:
        feature, _ = plan(load(vectors_dir / name))
        if feature is None:
            ran.append(name)
        else:
            skipped[feature] += 1
    x25519 = [n for n in NAMES if _is_x25519_vector((vectors_dir / n).read_bytes())]
    lines = [
        f"age vectors in {vectors_dir}: {len(NAMES)}; test_vector runs {len(ran)} "
        f"(X25519 vectors: {len(x25519)})"
    ]
    lines += [f"  skipped {count:3}  {feature}" for feature, count in sorted(skipped.items())]
    with capsys.disabled():  # visible in the test run's output without -s
        print("\n" + "\n".join(lines))
    assert len(ran) + sum(skipped.values()) == len(NAMES)
    assert set(x25519) <= set(ran), sorted(set(x25519) - set(ran))
    assert len(ran) >= len(x25519) > 0
