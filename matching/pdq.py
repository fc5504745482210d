"""PDQ perceptual hashes of photos and videos, and the Hamming search over them (pure: no vault).

PDQ (Meta's photo hash, ``pdqhash``: Python bindings over the ThreatExchange C++ reference) turns
an image into 256 bits such that re-encoded, resized or re-compressed copies differ in few bits
(``MATCH_DISTANCE`` = 31 of 256 is PDQ's recommended threshold), plus a quality score 0-100:
a hash of a flat or nearly flat image (quality under ``MIN_QUALITY``) matches too much and is not
searched.

**One hash per content.** An image is decoded to luma by :func:`matching.images.load_luma`
(EXIF orientation, alpha on white, 16-bit scaled, HEIC; a JPEG's Y plane alone, at 1/2, 1/4 or
1/8 scale in the DCT domain when larger than 512 px), then area-resized to 512 px on its longest
side (aspect kept) before hashing, as the Rust ``pdqhash`` downsamples. The hash is a function
of the file's bytes alone, whichever job computes it (face detection or ``pdq compute``);
against the reference hash of the full-resolution pixels it differs by 0-22 bits on
``../shared/faces`` (within PDQ's threshold, so a partner's reference hashes still match), and
it costs less than decoding the JPEG at full size.

**Video**: the PDQ of frames sampled every ``VIDEO_STEP`` seconds, a frame kept only when it
differs from the last kept one by more than ``VIDEO_DEDUP`` bits (a still scene is one hash), as
vPDQ does; each kept frame is a hash with its time.

Bit order: ``bits`` is the 32-byte big-endian form of the reference's 64-digit hex string
(``PdqHash.hex``), so hashes exchanged with ThreatExchange tools compare as they are.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import pdqhash

from matching.errors import ImageError
from matching.images import ImageSource, load_luma

MATCH_DISTANCE = 31
"""PDQ's recommended Hamming distance (of 256 bits) for a near-duplicate."""
MIN_QUALITY = 50
"""Hashes under this quality (flat, featureless images) are stored but never matched."""
HASH_BYTES = 32
SIDE = 512
"""Longest side (pixels) an image is reduced to before hashing."""
VIDEO_STEP = 1.0
VIDEO_DEDUP = 8
ALGORITHM = "pdq-512"
"""Stored with every hash: PDQ over the image reduced to 512 px (change it if that changes)."""


@dataclass(frozen=True)
class PdqHash:
    """256 bits (32 bytes, the reference hex order), quality 0-100, and for a video frame its
    time in seconds."""

    bits: bytes
    quality: int
    frame_time: float | None = None

    def __post_init__(self) -> None:
        if len(self.bits) != HASH_BYTES:
            raise ValueError(f"a PDQ hash is {HASH_BYTES} bytes, not {len(self.bits)}")

    @property
    def hex(self) -> str:
        return self.bits.hex()

    @classmethod
    def from_hex(cls, text: str, quality: int = 100) -> PdqHash:
        return cls(bytes.fromhex(text), quality)


def hash_luma(luma: np.ndarray, frame_time: float | None = None) -> PdqHash:
    """The PDQ hash of ``(H, W)`` uint8 luma, reduced to ``SIDE`` first (area average)."""
    h, w = luma.shape[:2]
    scale = SIDE / max(h, w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        luma = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
    # pdqhash takes RGB and makes luma of it: three equal planes give the luma back
    planes = np.repeat(np.ascontiguousarray(luma, dtype=np.uint8)[:, :, None], 3, axis=2)
    vector, quality = pdqhash.compute(planes)
    bits = np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes()
    return PdqHash(bits, int(quality), frame_time)


def hash_rgb(rgb: np.ndarray, frame_time: float | None = None) -> PdqHash:
    """The PDQ hash of decoded ``(H, W, 3)`` RGB pixels (a video frame)."""
    return hash_luma(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY), frame_time)


def hash_image(source: ImageSource, *, name: str | None = None) -> PdqHash:
    """The PDQ hash of an image file (path or bytes). Raises :class:`ImageError` (one line)."""
    luma = load_luma(source, name=name, reduce_to=SIDE)
    if min(luma.shape) < 5:  # the reference refuses images this small
        raise ImageError(name or "<bytes>", f"too small for a perceptual hash {luma.shape}")
    return hash_luma(luma)


def hash_video(
    path: str | os.PathLike[str], *, cancel: Callable[[], bool] | None = None
) -> list[PdqHash]:
    """PDQ of frames sampled every ``VIDEO_STEP`` s, dropping frames within ``VIDEO_DEDUP``
    bits of the last kept one. Raises :class:`VideoError` when no frame decodes."""
    from matching.video import sample_frames

    kept: list[PdqHash] = []
    last: np.ndarray | None = None
    for t, rgb in sample_frames(path, 1.0 / VIDEO_STEP):
        if cancel is not None and cancel():
            break
        found = hash_rgb(rgb, round(t, 3))
        row = np.frombuffer(found.bits, np.uint8)
        if last is not None and int(np.unpackbits(row ^ last).sum()) <= VIDEO_DEDUP:
            continue
        kept.append(found)
        last = row
    return kept


def hamming(a: bytes, b: bytes) -> int:
    """Bits that differ between two hashes."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def as_matrix(hashes: list[bytes] | np.ndarray) -> np.ndarray:
    """Hashes as a contiguous ``(n, 32)`` uint8 matrix."""
    if isinstance(hashes, np.ndarray):
        arr = np.ascontiguousarray(hashes, dtype=np.uint8)
    else:
        arr = np.frombuffer(b"".join(hashes), np.uint8)
    return arr.reshape(-1, HASH_BYTES)


class HashIndex:
    """Exact Hamming range search over many PDQ hashes: faiss ``IndexBinaryFlat`` (a popcount
    scan over 32 bytes per hash, SIMD, ~2 ms per query per million hashes on one core), rows
    appended as they come. Every returned distance is exact: this is not an approximation."""

    def __init__(self) -> None:
        import faiss

        self._faiss = faiss
        self._index = faiss.IndexBinaryFlat(HASH_BYTES * 8)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, hashes: np.ndarray) -> None:
        if len(hashes):
            self._index.add(as_matrix(hashes))

    def codes(self, rows: Iterable[int]) -> np.ndarray:
        """The stored hashes of ``rows`` as an ``(n, 32)`` matrix."""
        found = [self._index.reconstruct(int(r)) for r in rows]
        return (
            as_matrix(np.asarray(found, np.uint8)) if found else np.zeros((0, HASH_BYTES), np.uint8)
        )

    def within(self, queries: np.ndarray, distance: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query, ``(rows, distances)`` of every hash at Hamming distance <= distance."""
        q = as_matrix(queries)
        if len(q) == 0 or len(self) == 0:
            return [(np.zeros(0, np.int64), np.zeros(0, np.int32)) for _ in range(len(q))]
        self._faiss.omp_set_num_threads(1)  # this thread only: faiss's team is slower when busy
        lims, dist, rows = self._index.range_search(q, int(distance) + 1)  # radius is strict
        return [(rows[lims[i] : lims[i + 1]], dist[lims[i] : lims[i + 1]]) for i in range(len(q))]


def brute_force_within(
    hashes: np.ndarray, queries: np.ndarray, distance: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The same answer as :meth:`HashIndex.within` with numpy popcounts (the anchor)."""
    words = as_matrix(hashes).view(np.uint64)
    out = []
    for q in as_matrix(queries).view(np.uint64):
        d = np.bitwise_count(words ^ q).sum(axis=1, dtype=np.int32)
        rows = np.flatnonzero(d <= distance)
        out.append((rows, d[rows]))
    return out
