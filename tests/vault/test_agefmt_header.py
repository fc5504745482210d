"""agefmt's header size cap: a hostile multi-megabyte header is refused early, a large honest one
is read.

Reading a stanza body used to add each decoded line to a bytes object, quadratic in the body size
(a 4 MB header took seconds, 8 MB half a minute). Bodies are now joined once, and a header larger
than ``agefmt.MAX_HEADER`` is refused as soon as the reader passes the cap, without reading the
rest. These tests assert that behaviour (where the reader stopped), not a time.
"""

from __future__ import annotations

import hmac
import io
import os
from hashlib import sha256

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from vault import agefmt

FOUR_MB = 4 * 1024 * 1024
TOO_LARGE = r"^header too large$"


def _stanza(args: bytes, body_len: int) -> bytes:
    """An unknown-type stanza whose base64 body (all ``A``) has ``body_len`` characters."""
    full, rest = divmod(body_len, 64)
    return b"-> " + args + b"\n" + (b"A" * 64 + b"\n") * full + b"A" * rest + b"\n"


def _age_file(identity: agefmt.Identity, extra: bytes, plaintext: bytes) -> bytes:
    """A valid age file to ``identity`` with the ``extra`` stanzas before its X25519 stanza."""
    file_key = os.urandom(16)
    header = agefmt.INTRO + extra + agefmt._wrap(file_key, identity.recipient) + b"---"
    mac = hmac.new(agefmt.hkdf(file_key, b"", b"header"), header, sha256).digest()
    nonce = os.urandom(16)
    aead = ChaCha20Poly1305(agefmt.hkdf(file_key, nonce, b"payload"))
    payload = aead.encrypt(agefmt.stream_nonce(0, last=True), plaintext, None)
    return header + b" " + agefmt._b64(mac) + b"\n" + nonce + payload


@pytest.mark.parametrize(
    "extra",
    [
        _stanza(b"grease", FOUR_MB),  # one stanza with a 4 MB body (the reported case)
        _stanza(b"grease", 60) * (FOUR_MB // 70),  # 60,000 small stanzas
    ],
    ids=["one-huge-body", "many-stanzas"],
)
def test_a_4_mb_hostile_header_is_refused_before_it_is_all_read(extra: bytes) -> None:
    identity = agefmt.Identity.generate()
    src = io.BytesIO(_age_file(identity, extra, b"x"))
    with pytest.raises(agefmt.AgeError, match=TOO_LARGE):
        agefmt.Decryptor(src, identity)
    assert agefmt.MAX_HEADER < src.tell() <= agefmt.MAX_HEADER + 4096  # stopped at the cap
    with pytest.raises(agefmt.AgeError, match=TOO_LARGE):
        agefmt.decrypt_bytes(src.getvalue(), identity)


def _stanza_of_size(size: int) -> bytes:
    """A valid unknown-type stanza of exactly ``size`` bytes (its argument's length adjusts)."""
    for args in (b"grease", b"grease!", b"grease!!"):
        for body_len in range(max(0, size * 64 // 65 - 100), size):
            if body_len % 64 % 4 == 1:
                continue  # not base64
            if len(args) + body_len + body_len // 64 + 5 == size:  # "-> ", LF, final line's LF
                stanza = _stanza(args, body_len)
                assert len(stanza) == size
                return stanza
    raise AssertionError(size)


def test_a_header_of_max_header_bytes_is_read_and_one_byte_more_is_refused() -> None:
    identity = agefmt.Identity.generate()
    honest = len(_age_file(identity, b"", b"")) - 16 - agefmt.TAG  # header: all before the nonce
    full = _age_file(identity, _stanza_of_size(agefmt.MAX_HEADER - honest), b"evidence")
    assert agefmt.decrypt_bytes(full, identity) == b"evidence"
    mac_line = full.index(b"\n--- ") + 1
    assert mac_line + len(b"--- ") + 43 + 1 == agefmt.MAX_HEADER  # it ends at the cap

    over = _age_file(identity, _stanza_of_size(agefmt.MAX_HEADER - honest + 1), b"evidence")
    with pytest.raises(agefmt.AgeError, match=TOO_LARGE):
        agefmt.decrypt_bytes(over, identity)
