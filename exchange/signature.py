"""The one detached signature Custos hands to people without Custos: raw Ed25519 (64 bytes) by
the workstation key over a file's exact bytes, and that key as a SubjectPublicKeyInfo PEM.

Bundles sign their tagmanifest with it (``exchange.bagwriter.seal_bag``), court reports their PDF
(``exchange.report``); both verify with the stock tool::

    openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -in FILE -sigfile FILE.sig
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from vault.session import Session


@dataclass(frozen=True)
class Detached:
    signature: bytes  # raw Ed25519, 64 bytes
    public_pem: bytes  # the workstation's current public key, SubjectPublicKeyInfo PEM


def sign_detached(session: Session, data: bytes) -> Detached:
    """Sign ``data`` with the workstation key (the one that signs new audit entries)."""
    pem = session.signing_public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Detached(session.signing_key().sign(data), pem)
