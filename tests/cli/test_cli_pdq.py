"""``custos pdq compute | groups`` and ``custos items similar`` as an analyst types them."""

from __future__ import annotations

import json
from pathlib import Path

from vault.cases import create_case
from vault.ingest import ingest
from vault.items import list_items
from vaultkit import ROLE_USER, ingest_without_pdq, one_error_line, open_as, run_cli

RESOLUTIONS = ["obama-1080p.jpg", "obama-720p.jpg", "obama-480p.jpg", "obama-240p.jpg"]


def _stock(vault_dir: Path, faces_dir: Path) -> dict[str, int]:
    more = faces_dir / "more"
    with open_as(vault_dir) as s, ingest_without_pdq(s):  # photos of an older vault
        ingest(s, "C-1", [more / n for n in [*RESOLUTIONS, "biden.jpg"]])
        create_case(s, "C-2", "Airport")
        ingest(s, "C-2", [more / "obama-720p.jpg", more / "obama2.jpg"])
        return {f"{i.case}/{i.name}": i.id for c in ("C-1", "C-2") for i in list_items(s, c)}


def test_compute_groups_and_similar_from_the_command_line(vault_dir: Path, faces_dir: Path) -> None:
    ids = _stock(vault_dir, faces_dir)
    item = ids["C-1/obama-720p.jpg"]
    before = run_cli("items", "similar", str(item), vault=vault_dir)
    assert before.returncode == 0, before.stderr
    assert "no PDQ hash yet: run `custos pdq compute --case C-1`" in before.stdout

    done = run_cli("pdq", "compute", "--case", "C-1", vault=vault_dir)
    assert done.returncode == 0, done.stderr
    assert "hashed 5 item(s): 5 PDQ hash(es)" in done.stdout
    assert run_cli("pdq", "compute", "--case", "C-2", vault=vault_dir).returncode == 0

    groups = run_cli("pdq", "groups", "--case", "C-1", "--json", vault=vault_dir)
    assert groups.returncode == 0, groups.stderr
    [group] = json.loads(groups.stdout)
    assert {m["name"] for m in group["members"]} == set(RESOLUTIONS)

    own = run_cli("items", "similar", str(item), "--json", vault=vault_dir)
    found = json.loads(own.stdout)
    assert found["distance"] == 31 and found["pdq_hashes"] == 1 and not found["all_cases"]
    assert {(o["kind"], o["case"], o["name"]) for o in found["occurrences"]} == {
        ("near-duplicate", "C-1", n) for n in RESOLUTIONS if n != "obama-720p.jpg"
    }
    every = run_cli("items", "similar", str(item), "--all-cases", "--json", vault=vault_dir)
    occurrences = json.loads(every.stdout)["occurrences"]
    other = [o for o in occurrences if o["case"] == "C-2"]
    assert other == [
        {
            "kind": "same-content",
            "case": "C-2",
            "item": ids["C-2/obama-720p.jpg"],
            "name": "obama-720p.jpg",
            "distance": 0,
            "frame_time": None,
            "face": None,
            "other_face": None,
        }
    ]
    text = run_cli("items", "similar", str(item), "--all-cases", vault=vault_dir)
    lines = [line.split() for line in text.stdout.splitlines()]
    other_id = str(ids["C-2/obama-720p.jpg"])
    assert ["same-content", "C-2", "item", other_id, "distance", "0", "obama-720p.jpg"] in lines
    assert ["near-duplicate", "C-1", "item", str(ids["C-1/obama-240p.jpg"])] in [
        line[:4] for line in lines
    ]


def test_bad_distance_and_refusals_are_one_line(vault_dir: Path, faces_dir: Path) -> None:
    ids = _stock(vault_dir, faces_dir)
    item = str(ids["C-1/biden.jpg"])
    line = one_error_line(
        run_cli("items", "similar", item, "--distance", "300", vault=vault_dir), 2
    )
    assert "PDQ distance 300: must be 0 to 256 bits" in line
    refused = run_cli("pdq", "compute", "--case", "C-1", vault=vault_dir, user=ROLE_USER["officer"])
    assert "may not run face detection and search" in one_error_line(refused, 4)
    refused = run_cli("items", "similar", item, vault=vault_dir, user=ROLE_USER["admin"])
    assert "may not read cases" in one_error_line(refused, 4)
    missing = run_cli("items", "similar", "999", vault=vault_dir)
    assert "no item with id 999" in one_error_line(missing, 2)
