"""age v1 files (https://age-encryption.org/v1), written and read in one streaming pass.

Why our own code rather than a binding: ingest must hash and encrypt each chunk in the same read,
and verify must decrypt and re-hash in one pass, which a file-to-file binding cannot do. The files
are plain age v1, decrypted by the stock ``age`` tool (tests prove it).

Layout of a file written here::

    age-encryption.org/v1\\n
    -> X25519 <b64 ephemeral share>\\n<b64 wrapped file key>\\n     (one stanza per recipient)
    --- <b64 HMAC-SHA256 of the header up to and including "---">\\n
    <16-byte nonce> <STREAM chunks: ChaCha20-Poly1305 of 64 KiB plaintext + 16-byte tag>

Chunk ``i`` uses nonce ``i`` (11 bytes big endian) followed by 0x01 for the last chunk, else 0x00.

Reading is strict, as the spec (https://c2sp.org/age) asks: canonical unpadded base64, stanza
arguments of visible ASCII, body lines of exactly 64 columns ended by a shorter one, a 32-byte MAC,
an X25519 stanza with exactly two arguments, a 32-byte share and a 32-byte body, no all-zero
shared secret. A header (MAC line included) larger than ``MAX_HEADER`` is refused as soon as the
reader passes it: ours are ~270 bytes (two stanzas), and a hostile one must cost neither memory nor
time.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from vault import bech32

INTRO = b"age-encryption.org/v1\n"
CHUNK = 64 * 1024
TAG = 16
MAX_HEADER = 1024 * 1024  # bytes, MAC line included; an X25519 stanza is ~100 bytes
_X25519_LABEL = b"age-encryption.org/v1/X25519"
_RAW = serialization.Encoding.Raw


class AgeError(Exception):
    """The data is not a valid age file for this identity (opaque on purpose)."""


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    if text.endswith(b"=") or b"\n" in text:
        raise AgeError("non-canonical base64")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError:  # binascii.Error: a damaged header must read as damaged, not crash
        raise AgeError("invalid base64 in header") from None
    if _b64(data) != text:  # unused low bits set: another text for the same bytes
        raise AgeError("non-canonical base64")
    return data


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA-256 (RFC 5869) of 32 bytes: extract, then one expand block.

    Written out with ``hmac.digest`` (the same bytes as cryptography's ``HKDF``, a test checks):
    building an HKDF object cost more than the derivation, three times per small file.
    """
    prk = hmac.digest(salt, ikm, "sha256")
    return hmac.digest(prk, info + b"\x01", "sha256")


@dataclass(frozen=True)
class Identity:
    """An X25519 age identity (secret key)."""

    secret: bytes

    @classmethod
    def generate(cls) -> Identity:
        return cls(X25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Read ``AGE-SECRET-KEY-1...``; comment lines (as age-keygen writes) are skipped."""
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                try:
                    hrp, data = bech32.decode(line.lower())
                except ValueError as exc:
                    raise AgeError(f"not an age identity: {exc}") from None
                if hrp != "age-secret-key-" or len(data) != 32:
                    raise AgeError("not an age X25519 identity")
                return cls(data)
        raise AgeError("no identity found")

    def __str__(self) -> str:
        return bech32.encode("age-secret-key-", self.secret).upper()

    @property
    def recipient(self) -> Recipient:
        pub = X25519PrivateKey.from_private_bytes(self.secret).public_key()
        return Recipient(pub.public_bytes(_RAW, serialization.PublicFormat.Raw))


@dataclass(frozen=True)
class Recipient:
    """An X25519 age recipient (public key), ``age1...``."""

    public: bytes

    @classmethod
    def parse(cls, text: str) -> Recipient:
        try:
            hrp, data = bech32.decode(text.strip())
        except ValueError as exc:
            raise AgeError(f"not an age recipient: {exc}") from None
        if hrp != "age" or len(data) != 32:
            raise AgeError("not an age X25519 recipient")
        return cls(data)

    def __str__(self) -> str:
        return bech32.encode("age", self.public)


# One identity, or several tried in turn (the vault's current one, then those it had before a
# vault-key rotation: bundles partners sealed to an older recipient still open).
Identities = Identity | Sequence[Identity]


def _wrap(file_key: bytes, recipient: Recipient) -> bytes:
    eph = X25519PrivateKey.generate()
    share = eph.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    shared = eph.exchange(X25519PublicKey.from_public_bytes(recipient.public))
    key = hkdf(shared, share + recipient.public, _X25519_LABEL)
    body = ChaCha20Poly1305(key).encrypt(bytes(12), file_key, None)
    return b"-> X25519 " + _b64(share) + b"\n" + _wrapped_lines(_b64(body))


def _wrapped_lines(b64: bytes) -> bytes:
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)] or [b""]
    if len(lines[-1]) == 64:
        lines.append(b"")
    return b"\n".join(lines) + b"\n"


def stream_nonce(counter: int, last: bool) -> bytes:
    """age's STREAM nonce: an 11-byte big-endian chunk counter and a last-chunk flag."""
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def header_for(file_key: bytes, recipients: list[Recipient]) -> bytes:
    """A complete header (MAC line included) wrapping ``file_key`` to ``recipients``.

    The payload depends only on the file key and the nonce that follows the header, so a new
    header for the same file key re-addresses an age file without touching its payload (a
    vault-key rotation re-wraps every blob this way)."""
    header = INTRO + b"".join(_wrap(file_key, r) for r in recipients) + b"---"
    mac = hmac.new(hkdf(file_key, b"", b"header"), header, sha256).digest()
    return header + b" " + _b64(mac) + b"\n"


def header_size(recipients: int) -> int:
    """The length of ``header_for`` with this many X25519 recipients: each stanza is a fixed
    ``-> X25519 <43>\\n<43>\\n`` (a 32-byte share, a 32-byte wrapped key), the MAC line too."""
    key = len(_b64(bytes(32)))
    return len(INTRO) + recipients * (len(b"-> X25519 ") + 2 * (key + 1)) + len(b"--- \n") + key


def most_encrypted(size: int) -> int:
    """The most bytes an age file of ``size`` plaintext bytes can have as this reader accepts it:
    the largest header (``MAX_HEADER``), the payload nonce, the plaintext and a tag a chunk (an
    empty plaintext is one empty chunk). A store sending more for it is lying."""
    return MAX_HEADER + 16 + size + TAG * max(1, -(-size // CHUNK))


def read_file_key(src: BinaryIO, identities: Identities) -> bytes:
    """The file key of an age file (header MAC checked); ``src`` is left at the payload nonce."""
    return _parse_header(src, identities)


def key_to_rewrap(src: BinaryIO, current: Identity, older: Identities) -> bytes | None:
    """For a vault-key rotation's re-wrap: the file key of an age file whose header is for one
    of the ``older`` identities (``src`` left at the payload nonce); None when it is for
    ``current`` already, or for no identity we hold (a damaged file stays as it is, for verify
    to name)."""
    try:
        read_file_key(src, current)
        return None
    except AgeError:
        pass
    src.seek(0)
    try:
        return read_file_key(src, older)
    except AgeError:
        return None


class Encryptor:
    """Encrypts a stream to recipients; feed plaintext with ``write``, then ``close``.

    Holds at most one 64 KiB chunk of plaintext, so memory is constant whatever the size.
    """

    def __init__(
        self, out: BinaryIO, recipients: list[Recipient], *, file_key: bytes | None = None
    ) -> None:
        file_key = file_key or os.urandom(16)
        nonce = os.urandom(16)
        # No recipients (``headless``): the payload only; the header comes later, in front.
        out.write((header_for(file_key, recipients) if recipients else b"") + nonce)
        self._aead = ChaCha20Poly1305(hkdf(file_key, nonce, b"payload"))
        self._out = out
        self._pending = bytearray()
        self._counter = 0

    @classmethod
    def headless(cls, out: BinaryIO) -> tuple[Encryptor, bytes]:
        """An encryptor that writes the nonce and payload only, and the new file key it uses:
        ``header_for(file_key, recipients)`` written in front of them later makes the age file
        (``vault.stageahead`` encrypts before the vault's recipients are authenticated)."""
        file_key = os.urandom(16)
        return cls(out, [], file_key=file_key), file_key

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        if self._pending:
            take = min(CHUNK - len(self._pending), len(view))
            self._pending += view[:take]
            view = view[take:]
            if len(self._pending) == CHUNK and view:
                self._seal(bytes(self._pending), last=False)
                self._pending.clear()
        # Full chunks straight from the caller's buffer; keep the final one back (it may be last).
        while len(view) > CHUNK:
            self._seal(view[:CHUNK], last=False)
            view = view[CHUNK:]
        if view:
            if self._pending:
                self._seal(bytes(self._pending), last=False)
                self._pending.clear()
            self._pending += view

    def _seal(self, chunk: bytes | memoryview, last: bool) -> None:
        self._out.write(self._aead.encrypt(stream_nonce(self._counter, last), chunk, None))
        self._counter += 1

    def close(self) -> None:
        self._seal(bytes(self._pending), last=True)
        self._pending.clear()


def encrypt_bytes(data: bytes, recipients: list[Recipient]) -> bytes:
    """Encrypt a small value (a key, a note) to ``recipients``."""
    import io

    buf = io.BytesIO()
    enc = Encryptor(buf, recipients)
    enc.write(data)
    enc.close()
    return buf.getvalue()


def _read_line(src: BinaryIO, header: bytearray) -> bytes:
    """The next header line without its LF; ``header`` is what was read before it."""
    line = src.readline(4096)
    if not line.endswith(b"\n"):
        raise AgeError("truncated or malformed header")
    if len(header) + len(line) > MAX_HEADER:
        raise AgeError("header too large")
    return line[:-1]


def _stanza_args(line: bytes) -> list[bytes]:
    """The arguments of ``-> arg arg...``: one or more, each 1+ visible ASCII characters."""
    args = line[3:].split(b" ")
    for arg in args:
        if not arg or min(arg) < 0x21 or max(arg) > 0x7E:
            raise AgeError("malformed stanza arguments")
    return args


def _unwrap(args: list[bytes], body: bytes, identity: Identity) -> bytes | None:
    if args[0] != b"X25519":
        return None
    if len(args) != 2 or len(body) != 16 + TAG:  # length checked before any decryption
        raise AgeError("malformed X25519 stanza")
    share = _unb64(args[1])
    if len(share) != 32:
        raise AgeError("bad X25519 share")
    secret = X25519PrivateKey.from_private_bytes(identity.secret)
    try:
        shared = secret.exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError:  # a low-order point: only a damaged or hostile file has one
        raise AgeError("bad X25519 share") from None
    if shared == bytes(32):  # what the spec forbids (cryptography refuses it already)
        raise AgeError("bad X25519 share")
    key = hkdf(shared, share + identity.recipient.public, _X25519_LABEL)
    try:
        return ChaCha20Poly1305(key).decrypt(bytes(12), body, None)
    except InvalidTag:
        return None


def _parse_header(src: BinaryIO, identity: Identities) -> bytes:
    """Read the header, return the file key (after checking the header MAC)."""
    identities = (identity,) if isinstance(identity, Identity) else tuple(identity)
    if src.readline(64) != INTRO:
        raise AgeError("not an age v1 file")
    header = bytearray(INTRO)
    file_key: bytes | None = None
    while True:
        line = _read_line(src, header)
        if line.startswith(b"--- "):
            header += b"---"
            mac = _unb64(line[4:])
            if len(mac) != 32:
                raise AgeError("malformed header MAC")
            break
        if not line.startswith(b"-> "):
            raise AgeError("malformed header")
        args = _stanza_args(line)
        header += line + b"\n"
        parts = []  # joined once: adding to bytes each line was quadratic in the body size
        while True:
            part = _read_line(src, header)
            if len(part) > 64:
                raise AgeError("stanza body line longer than 64 columns")
            header += part + b"\n"
            parts.append(_unb64(part))
            if len(part) < 64:
                break
        for candidate in identities if file_key is None else ():
            file_key = _unwrap(args, b"".join(parts), candidate)
            if file_key is not None:
                break
    if file_key is None:
        raise AgeError("no identity matched")
    expected = hmac.new(hkdf(file_key, b"", b"header"), bytes(header), sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise AgeError("header MAC mismatch")
    return file_key


def decrypt_chunks(src: BinaryIO, identity: Identities) -> Iterator[bytes]:
    """Yield plaintext chunks of an age file; raise ``AgeError`` on any tampering or truncation."""
    file_key = _parse_header(src, identity)
    nonce = src.read(16)
    if len(nonce) != 16:
        raise AgeError("truncated payload")
    aead = ChaCha20Poly1305(hkdf(file_key, nonce, b"payload"))
    size = CHUNK + TAG
    counter = 0
    current = src.read(size)
    while True:
        following = src.read(size) if len(current) == size else b""
        last = not following
        if len(current) < TAG or (last and counter > 0 and len(current) == TAG):
            raise AgeError("truncated payload")
        try:
            yield aead.decrypt(stream_nonce(counter, last), current, None)
        except InvalidTag:
            raise AgeError(f"payload chunk {counter} failed authentication") from None
        if last:
            return
        counter += 1
        current = following


class Decryptor:
    """The payload of an age file decrypted straight into the caller's buffers.

    Same checks as ``decrypt_chunks`` (every chunk authenticated, the last one marked, nothing
    truncated), without a new bytes object per 64 KiB: ``readinto`` fills a buffer with whole
    chunks (the very last one may be short) and returns 0 at the end.
    """

    def __init__(self, src: BinaryIO, identity: Identities, batch: int = 64) -> None:
        file_key = _parse_header(src, identity)
        nonce = src.read(16)
        if len(nonce) != 16:
            raise AgeError("truncated payload")
        self._aead = ChaCha20Poly1305(hkdf(file_key, nonce, b"payload"))
        self._src = src
        self._ct = bytearray((batch + 1) * (CHUNK + TAG))  # one chunk more: is it the last?
        self._have = 0
        self._eof = False
        self._finished = False
        self._counter = 0

    def _fill(self) -> None:
        view = memoryview(self._ct)
        while not self._eof and self._have < len(view):
            got = self._src.readinto(view[self._have :])  # type: ignore[attr-defined]
            if not got:
                self._eof = True
            self._have += got or 0

    def readinto(self, out: memoryview) -> int:
        if self._finished:
            return 0
        if len(out) < CHUNK:
            raise ValueError("buffer smaller than one chunk")
        self._fill()
        ct, size = memoryview(self._ct), CHUNK + TAG
        start = pos = 0
        while start < self._have or (self._eof and start == 0 == self._have):
            end = min(start + size, self._have)
            last = end == self._have and self._eof
            if not last and end - start < size:
                break  # not reached: a short chunk is only read at the end
            if end == self._have and not last:
                break  # a full chunk at the end of what was read: the next read tells
            n = end - start
            if n < TAG or (last and self._counter > 0 and n == TAG):
                raise AgeError("truncated payload")
            if pos + n - TAG > len(out):
                break
            try:
                self._aead.decrypt_into(
                    stream_nonce(self._counter, last), ct[start:end], None, out[pos : pos + n - TAG]
                )
            except InvalidTag:
                raise AgeError(f"payload chunk {self._counter} failed authentication") from None
            pos += n - TAG
            start = end
            self._counter += 1
            if last:
                self._finished = True
                break
        self._ct[: self._have - start] = self._ct[start : self._have]
        self._have -= start
        return pos


def decrypt_bytes(data: bytes, identity: Identities) -> bytes:
    """Decrypt a small age file held in memory."""
    import io

    return b"".join(decrypt_chunks(io.BytesIO(data), identity))
