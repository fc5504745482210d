"""Hash-set entries on an agency server (the trial server: PostgreSQL + S3): the digests of a set
are sealed on the workstation (``vault.sealing.SealedDigest``), so a marker digest imported as
a set's entry (MD5, SHA-1, SHA-256 and PDQ, hex and raw) appears nowhere in PostgreSQL's data
folder after a CHECKPOINT (WAL included), while the lookup, the export and verify give what
they give locally; entries the operator plants or moves are named by verify."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from serverkit import TrialServer, markers_in_data_folder

from matching import hashsets
from matching.hashhits import active_sets, look_up
from matching.hashparse import entries_digest, read_vics_bytes
from matching.hashsets import ENTRIES_CHANGED, ImportJob
from vault.backend import Server
from vault.jobs import CancelToken, ignore
from vault.schema import Acquired
from vault.server.address import parse
from vault.verify import verify
from vaultkit import new_vault


@pytest.fixture
def place(server_place: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    return server_place


def _marker_set(path: Path) -> dict[str, bytes]:
    """A VICS set of one medium whose four digests are random markers (a category with it)."""
    raw = {
        "md5": os.urandom(16),
        "sha1": os.urandom(20),
        "sha256": os.urandom(32),
        "pdq": os.urandom(32),
    }
    medium = {"MediaID": 1, "Category": 2}
    medium |= {k.upper(): v.hex().upper() for k, v in raw.items()}
    doc = {"@odata.context": hashsets.VICS_CONTEXT, "value": [medium]}
    path.write_text(json.dumps(doc))
    return raw


def _superuser(trial_server: TrialServer, place: Server, statement: str) -> None:
    with trial_server.superuser(parse(place.url).database) as su:
        su.execute(statement)


def test_marker_digests_of_a_hash_set_never_reach_the_data_folder(
    trial_server: TrialServer, place: Server, tmp_path: Path
) -> None:
    raw = _marker_set(tmp_path / "markers.json")
    session, _ = new_vault(place)
    try:
        info = ImportJob(session, tmp_path / "markers.json", "seized", "known-bad").run(ignore)
        # found by the ingest's bulk lookup (key IN (...)), its category with it
        with session.db() as db:
            item = Acquired(1, 1, raw["sha256"].hex(), raw["sha1"].hex(), raw["md5"].hex())
            found = look_up(db, active_sets(db), [item])
        assert sorted((f[2], f[3], f[4]) for f in found) == [
            (a, raw[a].hex(), 2) for a in ("md5", "sha1", "sha256")
        ]
        # read back, opened and sorted on the workstation: the same entries and digest
        exported = hashsets.vics_json(session, info.id, CancelToken())
        assert entries_digest(read_vics_bytes("x.json", exported)) == info.entries_digest
        assert verify(session).problems == []
    finally:
        session.close()
    needles = []
    for value in raw.values():
        needles += [value, value.hex().encode(), value.hex().upper().encode()]
    leaked = markers_in_data_folder(trial_server, parse(place.url).database, needles)
    assert {n: f for n, f in leaked.items() if f} == {}


def test_entries_the_operator_plants_or_moves_are_named_by_verify(
    trial_server: TrialServer, place: Server, tmp_path: Path
) -> None:
    good = tmp_path / "good.txt"
    good.write_text(hashlib.sha256(b"a system file").hexdigest() + "\n")
    _marker_set(tmp_path / "bad.json")
    session, _ = new_vault(place)
    try:
        ImportJob(session, good, "nsrl", "known-good").run(ignore)
        ImportJob(session, tmp_path / "bad.json", "vic", "known-bad").run(ignore)
        assert verify(session).problems == []
        # an entry of the known-bad set copied into the known-good one (to hide that file):
        # its sealed key opens, and the set's entries digest no longer matches
        _superuser(
            trial_server,
            place,
            "INSERT INTO hashset_entries (set_id, key) SELECT 1, key FROM hashset_entries "
            "WHERE set_id = 2 AND substr(key, 1, 1) = '\\x03'::bytea",
        )
        assert [(p.where, p.what) for p in verify(session).problems] == [
            ("hash set 'nsrl'", ENTRIES_CHANGED)
        ]
        _superuser(trial_server, place, "DELETE FROM hashset_entries WHERE set_id = 1")
        # a digest of the operator's choosing planted in clear: it does not open
        planted = "\\x03" + hashlib.sha256(b"a system file").hexdigest()
        _superuser(
            trial_server,
            place,
            f"INSERT INTO hashset_entries (set_id, key) VALUES (1, '{planted}'::bytea)",
        )
        problems = [(p.where, p.what) for p in verify(session).problems]
        assert problems == [
            (
                "hash set 'nsrl'",
                "has an entry that fails authentication (altered, or not written by Custos)",
            )
        ]
    finally:
        session.close()
