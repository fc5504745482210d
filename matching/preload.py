"""Imported once by the detection fork server (see :mod:`matching.parallel`), before anything else.

It makes OpenBLAS single-threaded (detection does no matrix products; the workers are already one
per core, and a server without extra threads forks cleanly), then imports numpy, OpenCV, dlib and
Pillow and loads one set of face models, so each worker forked from the server starts with all of
it already in memory.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from matching.detect import preload_models  # after the environment is set

preload_models()
