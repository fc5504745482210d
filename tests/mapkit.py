"""Cases with photos that carry real EXIF GPS positions (and hostile ones), for the map tests."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, TiffImagePlugin

CASE = "MAP-1"
NAN = TiffImagePlugin.IFDRational(1, 0)  # a GPS rational over zero: Pillow reads NaN


def gps_photo(source: Path, target: Path, when: str, lat: object, lon: float) -> None:
    """A real photo with an EXIF capture time (+02:00) and a GPS position as a camera writes it
    (degrees, minutes, seconds; N/S and E/W)."""

    def dms(v: float) -> tuple[float, float, float]:
        d = int(v)
        m = int((v - d) * 60)
        return float(d), float(m), round((v - d - m / 60) * 3600, 4)

    img = Image.open(source)
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011] = when, "+02:00"
    gps = exif.get_ifd(0x8825)
    north = not isinstance(lat, float) or lat >= 0
    gps[1] = "N" if north else "S"
    gps[2] = dms(abs(lat)) if isinstance(lat, float) else (lat, 0.0, 0.0)
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), dms(abs(lon))
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", exif=exif, quality=90)
    target.write_bytes(buf.getvalue())


# (name, source photo, capture time, latitude, longitude): ingested in another order than time
SHOTS = (
    ("amsterdam.jpg", "knn/test/obama1.jpg", "2021:05:04 10:00:00", 52.3731, 4.8922),
    ("paris.jpg", "knn/test/alex_lacamoire1.jpg", "2021:05:03 09:00:00", 48.8584, 2.2945),
    ("nan.jpg", "knn/test/johnsnow_test1.jpg", "2021:05:05 09:00:00", NAN, 4.0),
    ("far.jpg", "knn/test/kit_with_rose.jpg", "2021:05:06 09:00:00", 1e9, 4.0),
)


def make_case(session, faces_dir: Path, folder: Path, shots=SHOTS, case: str = CASE) -> None:
    from matching.casefaces import DetectJob
    from vault.cases import create_case
    from vault.ingest import CustodyForm, ingest
    from vault.jobs import ignore

    folder.mkdir()
    for name, source, when, lat, lon in shots:
        gps_photo(faces_dir / source, folder / name, when, lat, lon)
    (folder / "note.txt").write_text("no picture, no place\n")
    create_case(session, case, "Map", ["arms-smuggling"])
    ingest(session, case, [folder], CustodyForm(exhibit="EX-M"))
    DetectJob(session, case, workers=1).run(ignore)
