"""A photo's PDQ hash computed while ingest reads it (``vault.schema.Derive``, ``DERIVE`` of
``matching.ingested``).

Every ingest worker process imports this module by name before it stores its first file, so it
imports nothing but the standard library and ``matching.mediakind`` at load: importing
``matching.ingested`` there (SQLAlchemy and the matching models, ~0.35 s of CPU per worker) held
up the first pack of a small-file ingest by most of a second. ``compute`` imports
``matching.pdq`` (numpy, Pillow) on its first photo only.
"""

from __future__ import annotations

from matching.mediakind import media_kind


def wants(name: str) -> bool:
    """A photo, by its name (as ``pdq compute`` and face detection decide)."""
    return media_kind(name) == "image"


def compute(name: str, data: bytes) -> tuple[bytes, int, str] | None:
    """(hash, quality, algorithm) of a photo's bytes, or None if it does not decode.

    Never raises: whatever a seized file holds, it is stored; only its perceptual hash is
    missing (``pdq compute`` tries again and says why)."""
    from matching.pdq import ALGORITHM, hash_image

    try:
        found = hash_image(data, name=name)
    except Exception:  # hostile or damaged image: stored without a PDQ hash
        return None
    return found.bits, found.quality, ALGORITHM
