"""One face engine per process, loaded on first use (models take a second to load)."""

from __future__ import annotations

import threading

from matching.detect import FaceEngine

_engine: FaceEngine | None = None
_lock = threading.Lock()


def engine() -> FaceEngine:
    global _engine
    with _lock:
        if _engine is None:
            _engine = FaceEngine()
        return _engine
