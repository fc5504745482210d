"""Sealed values' lengths are padded to a bucket (``vault.sealing.padded``): what the server's
operator sees of a value's length is its bucket; values sealed before padding still open."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from vault import sealing
from vault.keys import subkey

OVERHEAD = 1 + sealing.NONCE + 16  # version byte, nonce, tag


@pytest.mark.parametrize(
    ("size", "stored"),
    [(0, 32), (1, 32), (31, 32), (32, 64), (63, 64), (512, 544), (1023, 1024), (1024, 1280),
     (5000, 5120)],
)  # fmt: skip
def test_a_value_is_sealed_to_its_bucket_and_opens_as_written(size: int, stored: int) -> None:
    sealer = sealing.Sealer(os.urandom(32))
    plain = os.urandom(max(0, size - 2)) + b"\x80\x00"[:size]  # ends like padding does
    sealed = sealer.seal("items.name", "12", plain)
    assert sealed[:1] == sealing.PADDED and len(sealed) - OVERHEAD == stored
    assert sealer.open("items.name", b"12\x00" + sealed) == plain


def test_names_of_one_to_31_bytes_look_alike_and_old_unpadded_values_still_open() -> None:
    key = os.urandom(32)
    sealer = sealing.Sealer(key)
    lengths = {len(sealer.seal("users.name", "1", b"x" * n)) for n in range(1, 32)}
    assert lengths == {OVERHEAD + 32}
    # a value written before padding (version 0x01, the value as it is)
    nonce = os.urandom(sealing.NONCE)
    aead = ChaCha20Poly1305(subkey(key, "seal:users.name"))
    old = b"\x01" + nonce + aead.encrypt(nonce, b"analyst\x80\x00", b"custos/seal/v1:users.name:7")
    assert sealer.open("users.name", b"7\x00" + old) == b"analyst\x80\x00"


def test_a_padded_value_cannot_pass_for_an_unpadded_one() -> None:
    """The version byte is not encrypted, so it is bound in the associated data: an operator
    who changes 0x02 to 0x01 (to have the padding read as part of the value) is refused."""
    sealer = sealing.Sealer(os.urandom(32))
    sealed = sealer.seal("items.name", "12", b"IMG_0001.jpg")
    with pytest.raises(sealing.SealFault, match="fails authentication"):
        sealer.open("items.name", b"12\x00\x01" + sealed[1:])
