"""`custos cluster split|merge|name`, `faces add|discard` and `custos redact`, run as a user runs
them, on real photos and the real clip; hostile inputs are one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vaultkit import one_error_line, run_cli

CASE = "C-1"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> Path:
    """A closed vault: C-1 with Obama, Biden, the two-person photo and the clip; C-2 with one
    photo; faces detected by the CLI."""
    from vault.cases import create_case
    from vaultkit import add_role_users, new_vault

    folder = tmp_path_factory.mktemp("cli-curate") / "vault"
    session, _ = new_vault(folder)
    try:
        add_role_users(session)
        create_case(session, CASE, "Harbour seizure", ["drug trafficking"])
        create_case(session, "C-2", "Other", ["cybercrime"])
    finally:
        session.close()
    knn = faces_dir / "knn"
    sources = [
        str(knn / "train/obama"),
        str(knn / "train/biden"),
        str(knn / "test/obama_and_biden.jpg"),
        str(faces_dir / "more/short_hamilton_clip.mp4"),
    ]
    for case, paths in ((CASE, sources), ("C-2", [str(knn / "train/rose_leslie")])):
        assert run_cli("ingest", "--case", case, *paths, vault=folder).returncode == 0
        done = run_cli("faces", "detect", "--case", case, vault=folder)
        assert done.returncode == 0, done.stderr
    return folder


def _faces(vault: Path, case: str = CASE) -> dict[str, list[dict]]:
    listed = run_cli("faces", "list", "--case", case, "--json", vault=vault)
    assert listed.returncode == 0, listed.stderr
    found: dict[str, list[dict]] = {}
    for f in json.loads(listed.stdout):
        found.setdefault(Path(f["item_name"]).name, []).append(f)
    return found


def test_split_merge_name_and_the_groups_show_it(analysed: Path) -> None:
    faces = _faces(analysed)
    o1, o2 = faces["obama.jpg"][0]["id"], faces["obama2.jpg"][0]["id"]
    split = run_cli("cluster", "split", "--case", CASE, "--face", str(o2), "--json", vault=analysed)
    assert split.returncode == 0, split.stderr
    assert json.loads(split.stdout)["kind"] == "split"
    groups = json.loads(
        run_cli("faces", "cluster", "--case", CASE, "--json", vault=analysed).stdout
    )
    alone = next(g for g in groups if o2 in {m["id"] for m in g["members"]})
    assert [m["id"] for m in alone["members"]] == [o2]
    merged = run_cli("cluster", "merge", "--case", CASE, "--face", str(o1), "--face", str(o2),
                     vault=analysed)  # fmt: skip
    assert merged.returncode == 0, merged.stderr
    assert run_cli("watchlist", "create", "unknowns", vault=analysed).returncode == 0
    named = run_cli(
        "cluster", "name", "--case", CASE, "--face", str(o1), "--face", str(o2),
        "--watchlist", "unknowns", "--subject", "UNK-1", "--reason", "recurring at the port",
        "--agency", "Harbour police", "--review-on", "2030-01-01", "--json", vault=analysed,
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["subject"] == "UNK-1"
    groups = json.loads(
        run_cli("faces", "cluster", "--case", CASE, "--json", vault=analysed).stdout
    )
    group = next(g for g in groups if o1 in {m["id"] for m in g["members"]})
    assert group["subject"] == "unknowns/UNK-1" and o2 in {m["id"] for m in group["members"]}
    shown = run_cli("faces", "cluster", "--case", CASE, vault=analysed).stdout
    assert "= unknowns/UNK-1" in shown


def test_add_a_face_by_hand_and_discard_a_detection(analysed: Path) -> None:
    faces = _faces(analysed)
    item = faces["obama.jpg"][0]["item"]
    top, right, bottom, left = faces["obama.jpg"][0]["box"]
    box = f"{left},{top},{right - left},{bottom - top}"
    added = run_cli("faces", "add", "--item", str(item), "--box", box, "--json", vault=analysed)
    assert added.returncode == 0, added.stderr
    new = json.loads(added.stdout)["face"]
    listed = {f["id"]: f for f in json.loads(
        run_cli("faces", "list", "--case", CASE, "--json", vault=analysed).stdout)}  # fmt: skip
    assert listed[new]["drawn_by"] == "alice"
    gone = run_cli("faces", "discard", str(new), "--case", CASE, "--reason", "duplicate box",
                   vault=analysed)  # fmt: skip
    assert gone.returncode == 0, gone.stderr
    text = run_cli("faces", "list", "--case", CASE, vault=analysed).stdout
    assert "discarded: duplicate box" in text and "drawn by alice" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--box", "-5,0,50,50"), "box -5,0,50,50 is outside item"),
        (("--box", "0,0,99999,50"), "is outside item"),
        (("--box", "10,10,-3,-3"), "width and height must be at least 12 pixels"),
        (("--box", "ten,10,50,50"), "give x,y,w,h as four whole numbers"),
    ],
)
def test_hostile_boxes_are_one_line(analysed: Path, args: tuple[str, ...], message: str) -> None:
    item = _faces(analysed)["obama.jpg"][0]["item"]
    bad = run_cli("faces", "add", "--item", str(item), *args, vault=analysed)
    assert message in one_error_line(bad, 2)


def test_hostile_ids_of_another_case_and_non_images_are_one_line(analysed: Path) -> None:
    other = _faces(analysed, "C-2")["img1.jpg"][0]["id"]
    mine = _faces(analysed)["obama.jpg"][0]["id"]
    merge = run_cli("cluster", "merge", "--case", CASE, "--face", str(mine), "--face",
                    str(other), vault=analysed)  # fmt: skip
    assert f"face {other} is not in case C-1" in one_error_line(merge, 2)
    split = run_cli("cluster", "split", "--case", CASE, "--face", str(other), vault=analysed)
    assert f"face {other} is not in case C-1" in one_error_line(split, 2)
    keep = run_cli("redact", str(_faces(analysed, "C-2")["img1.jpg"][0]["item"]), "--keep",
                   str(mine), vault=analysed)  # fmt: skip
    assert f"face {mine} is not a face of item" in one_error_line(keep, 2)
    officer = run_cli("cluster", "split", "--case", CASE, "--face", str(mine), vault=analysed,
                      user="u_officer")  # fmt: skip
    one_error_line(officer, 4)


def test_redact_a_photo_and_the_video(analysed: Path) -> None:
    faces = _faces(analysed)
    photo = faces["obama_and_biden.jpg"]
    keep = photo[0]["id"]
    done = run_cli("redact", str(photo[0]["item"]), "--keep", str(keep), "--json", vault=analysed)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["kept"] == [keep] and result["blurred"] == len(photo) - 1
    assert result["name"].endswith("obama_and_biden.redacted.jpg")
    clip = faces["short_hamilton_clip.mp4"][0]["item"]
    video = run_cli("redact", str(clip), "--all", vault=analysed)
    assert video.returncode == 0, video.stderr
    assert "short_hamilton_clip.redacted.mp4" in video.stdout
    custody = run_cli("custody", str(clip), "--json", vault=analysed)
    assert custody.returncode == 0, custody.stderr
    assert any(e["kind"] == "redacted" for e in json.loads(custody.stdout))
    verify = run_cli("verify", vault=analysed)
    assert verify.returncode == 0, verify.stdout + verify.stderr
