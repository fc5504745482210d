"""``custos map`` as a user runs it (subprocess): positions, and a hostile one said in one line."""

from __future__ import annotations

import json
from pathlib import Path

from mapkit import SHOTS, gps_photo

from vaultkit import one_clear_line, one_error_line, run_cli

CASE = "C-1"


def test_map_lists_positions_in_time_order_and_warns_of_impossible_ones(
    vault_dir: Path, tmp_path: Path, faces_dir: Path
) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    for name, source, when, lat, lon in SHOTS:
        gps_photo(faces_dir / source, ev / name, when, lat, lon)
    (ev / "note.txt").write_text("seized note\n")
    assert run_cli("ingest", "--case", CASE, str(ev), vault=vault_dir).returncode == 0
    assert run_cli("faces", "detect", "--case", CASE, vault=vault_dir).returncode == 0

    listed = run_cli("map", "--case", CASE, "--json", vault=vault_dir)
    assert listed.returncode == 0
    warnings = one_clear_line(listed).splitlines()
    assert len(warnings) == 2  # one line per hostile position, the rest goes on
    assert any(
        w.startswith("warning: item ")
        and w.endswith(
            "far.jpg): the GPS latitude 1e+09 is outside -90..90 degrees; not on the map"
        )
        for w in warnings
    )
    assert any("nan.jpg): the GPS position is not a number" in w for w in warnings)
    found = json.loads(listed.stdout)  # strict JSON: no NaN anywhere
    names = [e["name"].rsplit("/", 1)[-1] for e in found["placed"]]
    assert names == ["paris.jpg", "amsterdam.jpg"]
    assert found["placed"][0]["zone"] == "+02:00" and found["placed"][0]["source"] == "exif"
    assert found["without_position"] == 1 and len(found["ignored"]) == 2

    text = run_cli("map", "--case", CASE, vault=vault_dir)
    assert text.returncode == 0
    first = text.stdout.splitlines()[0].split()
    assert first[:4] == ["48.858400,2.294500", "2021-05-03T09:00:00+02:00", "(+02:00)", "EXIF"]
    assert text.stdout.splitlines()[-1] == (
        "2 item(s) on the map, 1 without a position, 2 with an impossible position (left out)"
    )
    refused = run_cli("map", "--case", "NOPE", vault=vault_dir)
    assert "NOPE" in one_error_line(refused, 2)


def test_map_basemap_says_what_is_installed_after_checking_it(vault_dir: Path) -> None:
    said = run_cli("map", "--basemap", vault=vault_dir)
    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith("basemap: Natural Earth 5.1.1 countries 1:10m, 250 countries")
    assert "SHA-256 as shipped" in said.stdout
    assert "give --case REF" in run_cli("map", vault=vault_dir).stderr
