"""PDQ hash sets: a list of PDQ hashes (``--format pdq``) or VICS media with a ``PDQ`` field,
stored as set entries of algorithm ``pdq``, and ``items similar`` naming the active sets whose
hash is within the distance of the item's PDQ (real photos of ``../shared/faces``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hashkit import CASE

from matching import hashsets
from matching.hashparse import HashSetRefused
from matching.hashsets import ImportJob
from matching.pdq import hash_image
from matching.similar import PdqJob, case_set_matches, similar
from vault import items
from vault.errors import UserError
from vault.ingest import ingest
from vault.jobs import CancelToken, ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows, run_cli, server_env


def _ids(s: Session) -> dict[str, int]:
    return {i.name: i.id for i in items.list_items(s, CASE)}


def test_pdq_lists_and_vics_pdq_match_near_duplicates(
    session: Session, tmp_path: Path, faces_dir: Path
) -> None:
    s, more = session, faces_dir / "more"
    ingest(s, CASE, [more / "obama-720p.jpg", more / "biden.jpg"])
    assert PdqJob(s, CASE).run(ignore).hashes == 0  # hashed at ingest
    partner = hash_image(more / "obama-1080p.jpg").hex  # the partner hashed another resolution
    unrelated = hash_image(more / "obama2.jpg").hex
    pdq_list = tmp_path / "pdq.txt"
    pdq_list.write_text(f"# partner PDQ list\n{partner.upper()},100 obama.jpg\r\n{unrelated}\n")
    bad = ImportJob(s, pdq_list, "PDQ bad", "known-bad", "pdq").run(ignore)
    assert bad.counts == {"pdq": 2} and bad.format == "pdq"
    vics = tmp_path / "v.json"
    media = [{"MediaID": 1, "Category": 2, "PDQ": partner, "MD5": "0" * 32}]
    vics.write_text(json.dumps({"value": media}))
    info = ImportJob(s, vics, "VIC PDQ", "info").run(ignore)
    assert info.counts == {"md5": 1, "pdq": 1}

    ids = _ids(s)
    found = similar(s, ids["obama-720p.jpg"])
    assert [(m.kind, m.set, m.category) for m in found.set_matches] == [
        ("known-bad near-duplicate", "PDQ bad", None),
        ("info near-duplicate", "VIC PDQ", 2),
    ]
    assert all(0 <= m.distance <= 31 and m.hash == partner for m in found.set_matches)
    assert similar(s, ids["biden.jpg"]).set_matches == []
    exact = similar(s, ids["obama-720p.jpg"], distance=0).set_matches
    assert all(m.distance == 0 for m in exact)
    # a PDQ entry is never an exact hit, and a disabled set is not searched
    assert not any(h.algorithm == "pdq" for h in audit_rows(s, "hashset.hit"))
    # the whole case at once: the item and each set it is near, known-bad first, audited
    case_wide = case_set_matches(s, CASE)
    assert [(f.name, f.match.set) for f in case_wide] == [
        ("obama-720p.jpg", "PDQ bad"),
        ("obama-720p.jpg", "VIC PDQ"),
    ]
    assert [f.match for f in case_wide] == found.set_matches
    [entry] = [json.loads(e.details) for e in audit_rows(s, "pdq.set_matches")]
    assert (entry["case"], entry["items"], entry["sets"]) == (CASE, 1, ["PDQ bad", "VIC PDQ"])
    hashsets.disable_set(s, "PDQ bad")
    assert [m.set for m in similar(s, ids["obama-720p.jpg"]).set_matches] == ["VIC PDQ"]
    # the set goes out as VICS with PDQ fields and reads back to the same entries
    again = tmp_path / "again.json"
    again.write_bytes(hashsets.vics_json(s, bad.id, CancelToken()))
    back = ImportJob(s, again, "back", "known-bad").run(ignore)
    assert back.entries_digest == bad.entries_digest
    assert verify(s).problems == []


def test_malformed_pdq_lines_are_named(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "pdq.txt"
    path.write_text("ab" * 32 + ",100\n" + "zz" * 32 + "\n" + "ab" * 31 + "\n" + "cd" * 32 + ",x\n")
    with pytest.raises(HashSetRefused, match="3 malformed lines") as info:
        ImportJob(session, path, "p", "known-bad", "pdq").run(ignore)
    text = str(info.value)
    assert "line 2: 'zzzz" in text and "is not a PDQ hash (64 hex digits)" in text
    assert "line 4: quality 'x' is not a number 0-100" in text
    with pytest.raises(UserError, match="no hash set"):
        hashsets.show_set(session, "p")


def test_cli_imports_a_pdq_list(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "pdq.txt"
    path.write_text("ab" * 32 + ",90\n")
    vault, server = Path(session.folder), server_env(session)
    session.close()
    done = run_cli("hashset", "import", str(path), "--name", "P", "--kind", "known-bad",
                   "--format", "pdq", vault=vault, **server)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hash set P imported (known-bad, pdq): 1 PDQ"


def test_cli_lists_a_case_near_pdq_sets(session: Session, tmp_path: Path, faces_dir: Path):
    more = faces_dir / "more"
    ingest(session, CASE, [more / "obama-720p.jpg", more / "biden.jpg"])
    path = tmp_path / "pdq.txt"
    path.write_text(hash_image(more / "obama-480p.jpg").hex + "\n")
    ImportJob(session, path, "partner PDQ", "known-bad", "pdq").run(ignore)
    vault, server = Path(session.folder), server_env(session)
    session.close()
    done = run_cli("pdq", "sets", "--case", CASE, vault=vault, **server)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    words = " ".join(line.split())  # tab-separated columns
    assert words.startswith("item 1 obama-720p.jpg known-bad near-duplicate set partner PDQ")
    found = json.loads(
        run_cli("pdq", "sets", "--case", CASE, "--json", vault=vault, **server).stdout
    )
    assert [(f["item"], f["set"], f["set_kind"]) for f in found] == [
        (1, "partner PDQ", "known-bad")
    ]
    bad = run_cli("pdq", "sets", "--case", CASE, "--distance", "300", vault=vault, **server)
    assert bad.returncode != 0 and "must be 0 to 256 bits" in bad.stderr
