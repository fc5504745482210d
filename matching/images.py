"""Image decoding for face matching: any still image to an RGB ``uint8`` array, plus metadata.

Every pixel is decoded (``img.load()``); a damaged or truncated file raises :class:`ImageError`
instead of being half-read — ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set. EXIF orientation
is applied so boxes and crops match what a viewer shows.

An image of more than ``MAX_PIXELS`` (80 million) pixels is refused from its header, before any
pixel is decoded: a few kilobytes of PNG can declare 170 Mpx, half a gigabyte of RGB per worker
(a decompression bomb). Pillow's own check only warns between 89 and 179 Mpx; here its warning is
an error too. The largest camera photos (~60 Mpx) stay under the limit.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from matching.errors import ImageError

try:  # HEIC/HEIF support is optional.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF_SUPPORTED = False

ImageSource = str | os.PathLike[str] | bytes

MAX_PIXELS = 80_000_000
"""Largest image decoded (width x height); larger ones are refused with one line."""

_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    Image.DecompressionBombError,
)


def source_name(source: ImageSource, name: str | None = None) -> str:
    """The name used in messages: ``name`` if given, else the path, else ``<bytes>``."""
    if name is not None:
        return name
    if isinstance(source, bytes):
        return "<bytes>"
    return os.fspath(source)


def _over_limit(name: str, width: int, height: int) -> ImageError:
    pixels = f"{width}x{height} pixels ({width * height / 1e6:.0f} Mpx)" if width else "pixels"
    return ImageError(name, f"{pixels}, over the limit of {MAX_PIXELS // 1_000_000} Mpx")


def _open(
    source: ImageSource, name: str, reduce_to: int | None = None, mode: str | None = None
) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns from 89 Mpx (its error comes at 179): our limit is checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if isinstance(source, bytes):
                img = Image.open(io.BytesIO(source))
            else:
                img = Image.open(Path(source))
        width, height = img.size  # from the header: nothing decoded yet
        if width * height > MAX_PIXELS:
            raise _over_limit(name, width, height)
        if reduce_to is not None or mode is not None:
            # JPEG only (a no-op for other formats): decode straight to ``mode`` ("L": the Y
            # plane alone) and, for an image larger than ``reduce_to`` on its longest side, at
            # 1/2, 1/4 or 1/8 scale in the DCT domain (every block is still decoded, so damage
            # still surfaces), never below ``reduce_to``.
            scale = min(1.0, (reduce_to or max(width, height)) / max(width, height))
            img.draft(mode, (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))))
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()  # force a full decode: truncation and corruption surface here
    except FileNotFoundError as exc:
        raise ImageError(name, "file not found") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(name, "not a supported image format") from exc
    except Image.DecompressionBombError as exc:
        raise _over_limit(name, 0, 0) from exc
    except (*_DECODE_ERRORS, Image.DecompressionBombWarning) as exc:
        raise ImageError(name, f"damaged or truncated ({exc})") from exc
    return img


def _orient(img: Image.Image) -> Image.Image:
    try:
        oriented = ImageOps.exif_transpose(img)
    except _DECODE_ERRORS:
        return img  # unreadable EXIF: keep the pixels as stored
    return oriented if oriented is not None else img


def _high_bit_depth_to_l(img: Image.Image) -> Image.Image:
    """Single-channel 16/32-bit integer or float images to 8-bit grayscale."""
    arr = np.asarray(img)
    if img.mode.startswith("I;16") or (arr.dtype.kind in "iu" and arr.size and arr.max() > 255):
        top = 65535.0 if arr.size == 0 or arr.max() <= 65535 else float(arr.max())
        out = np.clip(arr.astype(np.float64) * (255.0 / top), 0, 255)
    elif arr.dtype.kind == "f":
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 1.0)
        if lo >= 0.0 and hi <= 1.0:
            out = arr * 255.0
        elif hi > lo:
            out = (arr - lo) * (255.0 / (hi - lo))
        else:
            out = np.zeros_like(arr)
    else:
        out = arr
    return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), mode="L")


def _to_rgb(img: Image.Image) -> np.ndarray:
    mode = img.mode
    if mode in ("I", "F") or mode.startswith("I;16"):
        img = _high_bit_depth_to_l(img)
        mode = img.mode
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode in ("P", "L", "RGB") and "transparency" in img.info
    )
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"))
        alpha = rgba[..., 3]
        if alpha.min() == 255 or alpha.max() == 0:
            # Fully opaque, or an alpha plane that hides everything (a broken export): the
            # colour planes are the picture.
            return np.ascontiguousarray(rgba[..., :3])
        a = alpha.astype(np.float32)[..., None] / 255.0
        rgb = rgba[..., :3].astype(np.float32) * a + 255.0 * (1.0 - a)  # composite on white
        return np.ascontiguousarray(np.rint(rgb).astype(np.uint8))
    if mode != "RGB":
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


def load_rgb(source: ImageSource, *, name: str | None = None) -> np.ndarray:
    """Decode ``source`` (a path or the file's bytes) to an ``(H, W, 3)`` RGB ``uint8`` array.

    EXIF orientation is applied; alpha is composited on white (an all-opaque or all-transparent
    alpha plane is dropped); 16-bit and float images are scaled to 8 bits. Raises
    :class:`ImageError` naming ``name`` (or the path) when the file cannot be fully decoded.
    """
    label = source_name(source, name)
    img = _open(source, label)
    try:
        img = _orient(img)
        arr = _to_rgb(img)
    except _DECODE_ERRORS as exc:
        raise ImageError(label, f"cannot convert pixels ({exc})") from exc
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(label, f"unexpected pixel layout {arr.shape}")
    return arr


_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # Rec. 601: JPEG's Y, PDQ's luma


def load_luma(
    source: ImageSource, *, name: str | None = None, reduce_to: int | None = None
) -> np.ndarray:
    """Decode ``source`` to an ``(H, W)`` ``uint8`` luma array (Rec. 601), as :func:`load_rgb`
    would then convert it (orientation, alpha on white, high bit depths), but cheaper for a
    JPEG: its Y plane is decoded alone, and with ``reduce_to`` at a reduced scale (never below
    ``reduce_to`` on the longest side). For work that needs no colour or full resolution (PDQ).
    """
    label = source_name(source, name)
    img = _open(source, label, reduce_to, mode="L")
    try:
        img = _orient(img)
        if img.mode == "L" and "transparency" not in img.info:
            arr = np.ascontiguousarray(np.asarray(img, dtype=np.uint8))
        else:
            rgb = _to_rgb(img)
            arr = np.clip(np.rint(rgb @ _LUMA), 0, 255).astype(np.uint8)
    except _DECODE_ERRORS as exc:
        raise ImageError(label, f"cannot convert pixels ({exc})") from exc
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(label, f"unexpected pixel layout {arr.shape}")
    return arr


def thumbnail_jpeg(
    source: ImageSource, side: int, *, name: str | None = None, quality: int = 80
) -> tuple[bytes, int, int]:
    """A JPEG of ``source`` at most ``side`` pixels on its longest side, as a viewer shows it
    (EXIF orientation, alpha on white, high bit depths scaled), with its width and height.

    Decoded as :func:`load_rgb` refuses (header over ``MAX_PIXELS``, damage, truncation: one
    :class:`ImageError`), but a large JPEG only at 1/2, 1/4 or 1/8 scale in the DCT domain.
    """
    label = source_name(source, name)
    img = _open(source, label, reduce_to=side, mode="RGB")
    try:
        rgb = Image.fromarray(_to_rgb(_orient(img)))
        rgb.thumbnail((side, side), Image.Resampling.BICUBIC)
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=quality, optimize=True)
    except _DECODE_ERRORS as exc:
        raise ImageError(label, f"cannot convert pixels ({exc})") from exc
    return out.getvalue(), rgb.width, rgb.height


# -- metadata -------------------------------------------------------------------------------------

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TAG_MAKE, _TAG_MODEL, _TAG_DATETIME = 0x010F, 0x0110, 0x0132
_TAG_ORIGINAL, _TAG_DIGITIZED, _TAG_OFFSET_ORIGINAL = 0x9003, 0x9004, 0x9011


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


def _exif_time(value: Any, offset: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        stamp = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    iso = stamp.isoformat()
    off = _text(offset)
    if off and len(off) == 6 and off[0] in "+-" and off[3] == ":":
        iso += off
    return iso


def _dms(value: Any, ref: Any) -> float | None:
    try:
        deg, minutes, seconds = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    decimal = deg + minutes / 60.0 + seconds / 3600.0
    if (_text(ref) or "").upper() in ("S", "W"):
        decimal = -decimal
    return round(decimal, 7)


def read_metadata(source: ImageSource, *, name: str | None = None) -> dict[str, Any]:
    """EXIF facts of an image: ``format``, ``width``, ``height`` (as displayed), and when present
    ``captured_at`` (ISO 8601, local time with offset when recorded), ``camera_make``,
    ``camera_model``, ``gps_lat``, ``gps_lon`` (decimal degrees), ``orientation``.

    Only the header is parsed, so this is cheap; it raises :class:`ImageError` when the file is
    not an image at all.
    """
    label = source_name(source, name)
    try:
        img = Image.open(io.BytesIO(source) if isinstance(source, bytes) else Path(source))
    except FileNotFoundError as exc:
        raise ImageError(label, "file not found") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(label, "not a supported image format") from exc
    except _DECODE_ERRORS as exc:
        raise ImageError(label, f"damaged header ({exc})") from exc
    meta: dict[str, Any] = {"format": img.format, "width": img.width, "height": img.height}
    try:
        exif = img.getexif()
    except _DECODE_ERRORS:
        return meta
    orientation = exif.get(0x0112)
    if orientation in (5, 6, 7, 8):
        meta["width"], meta["height"] = img.height, img.width
    if orientation:
        meta["orientation"] = int(orientation)
    try:
        sub = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except _DECODE_ERRORS:
        sub, gps = {}, {}
    captured = _exif_time(sub.get(_TAG_ORIGINAL), sub.get(_TAG_OFFSET_ORIGINAL))
    captured = captured or _exif_time(sub.get(_TAG_DIGITIZED), None)
    captured = captured or _exif_time(exif.get(_TAG_DATETIME), None)
    for key, value in (
        ("captured_at", captured),
        ("camera_make", _text(exif.get(_TAG_MAKE))),
        ("camera_model", _text(exif.get(_TAG_MODEL))),
    ):
        if value:
            meta[key] = value
    if gps:
        lat = _dms(gps.get(2), gps.get(1))
        lon = _dms(gps.get(4), gps.get(3))
        if lat is not None and lon is not None:
            meta["gps_lat"], meta["gps_lon"] = lat, lon
    return meta
