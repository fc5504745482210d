"""ANSI/NIST-ITL 1-2011 transactions (traditional encoding) of a watchlist's face images.

A transaction is one Type-1 record, then per subject one Type-2 record (descriptive text) and one
Type-10 record per reference photo (facial image, baseline JPEG). Traditional encoding: every
field is ``<record type>.<field number, 3 digits>:<value>``; fields are separated by GS (0x1D),
a record ends with FS (0x1C); inside a field, subfields are separated by RS (0x1E) and information
items by US (0x1F). Fields appear in ascending number order, LEN first, IDC second, and the
Type-10 image (``10.999`` DAT) last, as raw bytes. LEN is the byte count of the whole record,
its own digits and the final FS included.

Type-1: LEN, VER ``0500`` (the 2011 edition), CNT (``1<US>n`` then ``<type><US><IDC>`` for each
following record), TOT ``WLS`` (watchlist share), DAT, DAI (receiving agency), ORI (sending
agency), TCN (the bundle id), NSR/NTR ``00.00`` (no fingerprint images), DOM ``CUSTOS<US>1``
(the Type-2 layout below), GMT, DCS ``3<US>UTF-8`` (text may hold non-ASCII letters).

Type-2, domain CUSTOS 1: 2.003 subject reference, 2.004 listing reason, 2.005 issuing agency,
2.006 TLP label, 2.007 review date, 2.008 expiry date (when set), 2.009 watchlist name,
2.010 number of images. The Type-10 records of a subject carry its Type-2 record's IDC.

Type-10: IMT ``FACE``, SRC (sending agency), PHD (date the reference was enrolled: the capture
date is not known), HLL/VLL (pixels), SLC ``0`` with THPS/TVPS ``1`` (no scale, square pixels),
CGA ``JPEGB``, CSP (``SYCC`` colour, ``GRAY`` grey), SAP ``0`` (unknown acquisition profile),
DAT. A JPEG reference goes in byte for byte; any other format (or a progressive JPEG) is
converted to baseline JPEG first. IDC is two digits, so one transaction holds up to 100 subjects.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

from vault.errors import UserError

FS, GS, RS, US = b"\x1c", b"\x1d", b"\x1e", b"\x1f"
VERSION = "0500"
MAX_IDC = 99

Value = str | bytes | Sequence[Sequence[str]]  # text, binary (DAT), or subfields of items


def _text(value: str) -> bytes:
    """A text item: separators and other control characters cannot appear inside it."""
    return "".join(c if ord(c) >= 32 and c != "\x7f" else " " for c in value).encode("utf-8")


def _value(value: Value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return _text(value)
    return RS.join(US.join(_text(item) for item in sub) for sub in value)


def encode_record(rtype: int, fields: dict[int, Value]) -> bytes:
    """One tagged-field record with its LEN (field 1) computed; other fields in number order."""
    numbers = sorted(n for n in fields if n != 1)
    rest = GS.join(f"{rtype}.{n:03d}:".encode() + _value(fields[n]) for n in numbers) + FS
    head = f"{rtype}.001:".encode()
    fixed = len(head) + len(GS) + len(rest)
    length = fixed + 1
    while len(str(length)) + fixed != length:  # LEN counts its own digits
        length = fixed + len(str(length))
    return head + str(length).encode() + GS + rest


@dataclass(frozen=True)
class FaceImage:
    jpeg: bytes
    width: int
    height: int
    colour: bool
    converted: bool  # False: the reference photo's own bytes


def _is_baseline_jpeg(data: bytes) -> bool:
    """A JPEG whose first frame header is SOF0 (baseline) or SOF1 (extended sequential)."""
    if data[:2] != b"\xff\xd8":
        return False
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker in (0xC0, 0xC1):
            return True
        if 0xC2 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return False  # progressive, lossless, arithmetic
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return False


def face_image(data: bytes, name: str) -> FaceImage:
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            colour = img.mode not in ("L", "1", "I;16", "I")
            if _is_baseline_jpeg(data) and img.mode in ("L", "RGB", "YCbCr"):
                return FaceImage(data, width, height, colour, False)
            rgb = img.convert("RGB" if colour else "L")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UserError(f"{name}: not an image ({exc})") from None
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=95, progressive=False)
    return FaceImage(buf.getvalue(), width, height, colour, True)


@dataclass(frozen=True)
class SubjectText:
    ref: str
    reason: str
    agency: str
    label: str
    review_on: str
    expires_on: str | None
    watchlist: str
    images: int


def _ymd(iso: str) -> str:
    return iso[:10].replace("-", "")


class NistWriter:
    """Streams a transaction: Type-1 first (record list known), then subject by subject."""

    def __init__(
        self,
        out: BinaryIO,
        images_per_subject: list[int],
        sender: str,
        receiver: str,
        tcn: str,
        created: str,
    ) -> None:
        if len(images_per_subject) > MAX_IDC + 1:
            raise UserError(
                f"an ANSI/NIST-ITL transaction holds at most {MAX_IDC + 1} subjects "
                f"(two-digit IDC); this watchlist has {len(images_per_subject)}"
            )
        self._out, self._sender = out, sender
        self._expected = [(2, idc) for idc in range(len(images_per_subject))]
        cnt: list[list[str]] = [["1", str(sum(images_per_subject) + len(images_per_subject))]]
        order: list[tuple[int, int]] = []
        for idc, n in enumerate(images_per_subject):
            order += [(2, idc)] + [(10, idc)] * n
        cnt += [[str(t), f"{idc:02d}"] for t, idc in order]
        self._order = order
        self._written: list[tuple[int, int]] = []
        fields: dict[int, Value] = {
            2: VERSION,
            3: cnt,
            4: "WLS",
            5: _ymd(created),
            7: receiver,
            8: sender,
            9: tcn,
            11: "00.00",
            12: "00.00",
            13: [["CUSTOS", "1"]],
            14: created[:19].replace("-", "").replace(":", "").replace("T", "") + "Z",
            15: [["3", "UTF-8"]],
        }
        out.write(encode_record(1, fields))

    def subject(self, idc: int, s: SubjectText) -> None:
        fields: dict[int, Value] = {
            2: f"{idc:02d}",
            3: s.ref,
            4: s.reason,
            5: s.agency,
            6: f"TLP:{s.label}",
            7: _ymd(s.review_on),
            9: s.watchlist,
            10: str(s.images),
        }
        if s.expires_on:
            fields[8] = _ymd(s.expires_on)
        self._write(2, idc, fields)

    def face(self, idc: int, image: FaceImage, enrolled_at: str) -> None:
        fields: dict[int, Value] = {
            2: f"{idc:02d}",
            3: "FACE",
            4: self._sender,
            5: _ymd(enrolled_at),
            6: str(image.width),
            7: str(image.height),
            8: "0",
            9: "1",
            10: "1",
            11: "JPEGB",
            12: "SYCC" if image.colour else "GRAY",
            13: "0",
            999: image.jpeg,
        }
        self._write(10, idc, fields)

    def _write(self, rtype: int, idc: int, fields: dict[int, Value]) -> None:
        n = len(self._written)
        if n >= len(self._order) or self._order[n] != (rtype, idc):
            raise AssertionError(f"record Type-{rtype} IDC {idc} out of the order CNT declares")
        self._out.write(encode_record(rtype, fields))
        self._written.append((rtype, idc))

    def close(self) -> None:
        if self._written != self._order:
            raise AssertionError("transaction incomplete: fewer records than CNT declares")
