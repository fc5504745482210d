"""A case's items in capture-time order, with where each time and position came from.

The time of an item is, by preference, what the file itself recorded and face analysis read
(``media_info.meta``, ``matching.casefaces``): ``exif`` (a photo's DateTimeOriginal, with its
offset when the camera wrote one), ``mp4`` (``moov/mvhd`` creation time, UTC); else the file's
modification time at ingest, marked ``file-modified`` (it says when the copy was last written,
not when the picture was taken); else none. Items never analysed have only the file time.

Times are kept as recorded and sorted on one axis: a time with an offset by its UTC instant, a
local time without an offset (``zone`` "not recorded") as if it were UTC, which may misplace it
by the camera's offset; the entry says so. Position: decimal degrees from EXIF GPS or the MP4
``©xyz`` box. A position that cannot be a place on Earth (not a number, a latitude beyond 90 or
a longitude beyond 180 degrees: a damaged or forged EXIF block) is not given; the entry's
``position_problem`` says what was recorded instead, so the map can say why the item is missing.

``subject``: only the items with a face proposed for that subject (any watchlist) and not
rejected by review: the sightings of one person in time order, each with its review status.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from matching.models import CandidateRecord, FaceRecord, MediaInfo, Subject, Watchlist
from matching.review import decisions_of, status_of
from vault import sealing
from vault.cases import find_case
from vault.models import Item
from vault.session import Session, requires

SOURCES = {
    "exif": "EXIF",
    "mp4": "MP4 metadata",
    "file-modified": "file time (modified, at ingest)",
    "none": "no time",
}


@dataclass(frozen=True)
class Sighting:
    candidate: int
    face: int
    watchlist: str
    subject: str
    distance: float
    status: str
    frame_time: float | None  # seconds into a video


@dataclass(frozen=True)
class TimelineEntry:
    item: int
    name: str
    kind: str | None  # image | video | None (not analysed)
    time: str | None  # ISO 8601 as recorded
    source: str  # a key of SOURCES
    zone: str  # "+02:00", "UTC", or "not recorded"
    lat: float | None
    lon: float | None
    alt: float | None
    camera: str | None
    faces: int
    sightings: list[Sighting] = field(default_factory=list)
    position_problem: str | None = None  # why a recorded position is not given

    @property
    def source_text(self) -> str:
        return SOURCES[self.source]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"source_text": self.source_text}


def _zone(stamp: datetime) -> str:
    offset = stamp.utcoffset()
    if offset is None:
        return "not recorded"
    if not offset:
        return "UTC"
    return stamp.strftime("%z")[:3] + ":" + stamp.strftime("%z")[3:]


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _place(
    meta: dict[str, Any],
) -> tuple[float | None, float | None, float | None, str | None]:
    """Latitude, longitude, altitude and, for a recorded position that is no place on Earth,
    why it is not given."""
    lat, lon, alt = meta.get("gps_lat"), meta.get("gps_lon"), meta.get("gps_alt")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None, None, None, None
    problem = position_problem(float(lat), float(lon))
    if problem is not None:
        return None, None, None, problem
    height = float(alt) if isinstance(alt, int | float) and math.isfinite(alt) else None
    return float(lat), float(lon), height, None


def position_problem(lat: float, lon: float) -> str | None:
    """Why (lat, lon) in degrees is no place on Earth, or None when it is one."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return f"the GPS position is not a number (latitude {lat:g}, longitude {lon:g})"
    if not -90.0 <= lat <= 90.0:
        return f"the GPS latitude {lat:g} is outside -90..90 degrees"
    if not -180.0 <= lon <= 180.0:
        return f"the GPS longitude {lon:g} is outside -180..180 degrees"
    return None


def _entry(row: Any, media: MediaInfo | None, sightings: list[Sighting]) -> TimelineEntry:
    meta: dict[str, Any] = {}
    if media is not None:
        try:
            loaded = json.loads(media.meta)
            meta = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            meta = {}
    recorded = meta.get("captured_at")
    stamp = _parse(recorded if isinstance(recorded, str) else None)
    if stamp is not None and media is not None:
        source, time = ("mp4" if media.kind == "video" else "exif"), recorded
        if media.kind == "video" and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)  # mvhd is UTC by definition
    else:
        stamp = _parse(row.modified_at)
        source, time = ("file-modified", row.modified_at) if stamp else ("none", None)
    camera = " ".join(str(meta[k]) for k in ("camera_make", "camera_model") if meta.get(k))
    lat, lon, alt, problem = _place(meta)
    return TimelineEntry(
        item=row.id,
        name=row.name,
        kind=media.kind if media else None,
        time=time if isinstance(time, str) else None,
        source=source,
        zone=_zone(stamp) if stamp else "not recorded",
        lat=lat,
        lon=lon,
        alt=alt,
        camera=camera or None,
        faces=media.faces if media else 0,
        sightings=sightings,
        position_problem=problem,
    )


def _sort_key(entry: TimelineEntry) -> tuple[int, datetime, int]:
    stamp = _parse(entry.time)
    if stamp is None:
        return (1, datetime.min.replace(tzinfo=UTC), entry.item)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return (0, stamp.astimezone(UTC), entry.item)


def _sightings(db: Any, case_id: int, subject: str) -> dict[int, list[Sighting]]:
    rows = db.execute(
        select(CandidateRecord, FaceRecord, Subject.ref, Watchlist)
        .join(FaceRecord, FaceRecord.id == CandidateRecord.face_id)
        .join(Subject, Subject.id == CandidateRecord.subject_id)
        .join(Watchlist, Watchlist.id == Subject.watchlist_id)
        .where(FaceRecord.case_id == case_id, sealing.equals(db, Subject.ref, subject))
        .order_by(CandidateRecord.id)
    ).all()
    decided = decisions_of(db, [cand.id for cand, *_ in rows])
    found: dict[int, list[Sighting]] = {}
    for cand, face, ref, wl in rows:
        if ref != subject:  # a blind index copied from another subject's row
            continue
        status = status_of(decided.get(cand.id, []), wl.second_review)
        if status == "rejected":
            continue
        found.setdefault(face.item_id, []).append(
            Sighting(cand.id, face.id, wl.name, ref, cand.distance, status, face.frame_time)
        )
    return found


@requires("case.read")
def timeline(
    session: Session, case_reference: str, subject: str | None = None
) -> list[TimelineEntry]:
    """The case's items (or ``subject``'s sightings) in capture-time order; no time last."""
    with session.db() as db:
        case = find_case(db, case_reference)
        sightings = _sightings(db, case.id, subject) if subject else {}
        q = select(Item.id, Item.name, Item.modified_at).where(Item.case_id == case.id)
        if subject is not None:
            q = q.where(Item.id.in_(list(sightings)))
        rows = db.execute(q.order_by(Item.id)).all()
        media = {
            m.id: m
            for m in db.scalars(
                select(MediaInfo).join(Item, Item.id == MediaInfo.id).where(Item.case_id == case.id)
            )
        }
    entries = [_entry(r, media.get(r.id), sightings.get(r.id, [])) for r in rows]
    return sorted(entries, key=_sort_key)
