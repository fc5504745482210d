"""The matching layer's last plain text columns on an agency server (the trial server): a
thumbnail's error line (it quotes the file's name), a media record's error and a watchlist's
calibration are sealed there (revision r0011): read back as written, and a marker in them
appears nowhere in PostgreSQL's data folder (WAL included)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from serverkit import TrialServer, markers_in_data_folder

from matching.models import MediaInfo
from matching.thumbs import ThumbJob, case_tiles
from matching.watchlists import create_watchlist, set_calibration, show_watchlist
from vault import cases
from vault.backend import Server
from vault.ingest import ingest
from vault.items import list_items
from vault.jobs import ignore
from vault.server.address import parse
from vaultkit import new_vault


def test_error_lines_and_calibration_are_sealed_on_the_server(
    trial_server: TrialServer,
    server_place: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    faces_dir: Path,
) -> None:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    marker = "MRK" + uuid.uuid4().hex[:12].upper()
    seized = tmp_path / "seized"
    seized.mkdir()
    # a photo cut short: no thumbnail can be made, and the error line names the file
    (seized / f"{marker}.jpg").write_bytes((faces_dir / "more/obama.jpg").read_bytes()[:3000])
    session, _ = new_vault(server_place)
    try:
        cases.create_case(session, "E-1", "errors")
        ingest(session, "E-1", [seized])
        result = ThumbJob(session, "E-1").run(ignore)
        assert [line for _, line in result.failed] and marker in result.failed[0][1]
        [item] = list_items(session, "E-1")
        tile = case_tiles(session, "E-1")[item.id]
        assert tile.state == "failed" and tile.error is not None and marker in tile.error
        with session.transaction() as db:  # as a detection of an older version recorded it
            info = MediaInfo(id=item.id, kind="image", meta="{}", faces=0, model="m",
                             error=f"{marker} damaged", analysed_at="2026-12-07")  # fmt: skip
            db.add(info)
        with session.db() as db:
            assert db.get(MediaInfo, item.id).error == f"{marker} damaged"  # type: ignore[union-attr]
        create_watchlist(session, "wanted")
        set_calibration(session, "wanted", 0.47, {"note": f"{marker} calibration", "far": 0.001})
        assert show_watchlist(session, "wanted").calibration["note"] == f"{marker} calibration"
    finally:
        session.close()
    database = parse(server_place.url).database
    leaked = markers_in_data_folder(trial_server, database, [marker.encode()])
    assert leaked == {marker.encode(): []}
