"""MP4/MOV container metadata (mvhd creation time, udta/\u00a9xyz GPS) parsed from the boxes."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matching.video import parse_iso6709, read_mp4_metadata, read_video_metadata

_1904 = datetime(1904, 1, 1, tzinfo=UTC)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mvhd(when: datetime, version: int = 0) -> bytes:
    secs = int((when - _1904).total_seconds())
    if version == 1:
        times = struct.pack(">QQIQ", secs, secs, 1000, 5000)
    else:
        times = struct.pack(">IIII", secs, secs, 1000, 5000)
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + bytes(80))


def xyz(text: str) -> bytes:
    raw = text.encode()
    return box(b"\xa9xyz", struct.pack(">HH", len(raw), 0x15C7) + raw)


def mp4(moov_children: bytes, moov_last: bool = False) -> bytes:
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    mdat = box(b"mdat", bytes(64))
    moov = box(b"moov", moov_children)
    return ftyp + (mdat + moov if moov_last else moov + mdat)


WHEN = datetime(2024, 3, 9, 14, 5, 33, tzinfo=UTC)


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("moov_last", [False, True])
def test_creation_time_and_gps(tmp_path: Path, version: int, moov_last: bool) -> None:
    f = tmp_path / "clip.mp4"
    f.write_bytes(
        mp4(mvhd(WHEN, version) + box(b"udta", xyz("+48.8584+002.2945/")), moov_last=moov_last)
    )
    meta = read_mp4_metadata(f)
    assert meta == {
        "captured_at": "2024-03-09T14:05:33+00:00",
        "gps_lat": 48.8584,
        "gps_lon": 2.2945,
    }


def test_unset_time_and_missing_gps_are_absent(tmp_path: Path) -> None:
    f = tmp_path / "zero.mov"
    f.write_bytes(mp4(box(b"mvhd", bytes(100)) + box(b"udta", box(b"meta", bytes(12)))))
    assert read_mp4_metadata(f) == {}


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:40],  # truncated inside moov
        lambda b: b[:8] + b"\xff\xff\xff\xff" + b[12:],  # box size past the end
        lambda b: b.replace(b"mvhd", b"mvhd", 1)[:-70] + bytes(3),  # short mvhd / bad tail
        lambda b: b"\x00\x00\x00\x01moov" + b"\xff" * 8,  # 64-bit size past the end
        lambda b: b"",
        lambda b: b"not a video at all",
    ],
)
def test_damaged_files_never_raise(tmp_path: Path, damage: object) -> None:
    good = mp4(mvhd(WHEN) + box(b"udta", xyz("+48.8584+002.2945/")))
    f = tmp_path / "bad.mp4"
    f.write_bytes(damage(good))  # type: ignore[operator]
    assert isinstance(read_mp4_metadata(f), dict)
    assert read_mp4_metadata(tmp_path / "missing.mp4") == {}


def test_bad_gps_string_is_ignored(tmp_path: Path) -> None:
    f = tmp_path / "gps.mp4"
    f.write_bytes(mp4(mvhd(WHEN) + box(b"udta", xyz("garbage"))))
    assert read_mp4_metadata(f) == {"captured_at": "2024-03-09T14:05:33+00:00"}


def test_iso6709_forms() -> None:
    assert parse_iso6709("-33.8688+151.2093+012.5/") == {
        "gps_lat": -33.8688,
        "gps_lon": 151.2093,
        "gps_alt": 12.5,
    }
    packed = parse_iso6709("+4851.50+00217.70/")  # degrees and minutes
    assert packed is not None and abs(packed["gps_lat"] - 48.858333) < 1e-5
    assert parse_iso6709("+91.0+000.0/") is None


def test_shared_clip_metadata(faces_dir: Path) -> None:
    meta = read_video_metadata(faces_dir / "more/short_hamilton_clip.mp4")
    assert meta["codec"] == "h264" and meta["duration"] > 9
    # this clip's mvhd creation time is 0 (unset) and it has no \u00a9xyz: both absent
    assert "captured_at" not in meta and "gps_lat" not in meta
