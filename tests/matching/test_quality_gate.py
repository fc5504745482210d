"""The quality gate at enrolment (issue 13, item 3): a reference below the minimum is refused
with the reason, one below the recommended level is enrolled with a warning; the rest of the
batch goes on. The CLI says both, one line each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from backendkit import BACKENDS, vault_place

from matching.faces import Quality
from matching.images import load_rgb
from matching.qualitygate import EYES, POSE, SHARPNESS, assess
from matching.watchlists import Listing, create_watchlist, enrol, show_watchlist
from vault.session import Session
from vaultkit import new_vault, one_clear_line, run_cli

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")


def _save(rgb: object, path: Path) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))  # type: ignore[call-overload]
    return path


@pytest.fixture(scope="module")
def poor(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real photos made poor: blurred (sharpness ~13), tiny (~12 px between the eyes), small
    (obama-480p: 48 px between the eyes, under the recommended 60)."""
    out = tmp_path_factory.mktemp("poor")
    rgb = load_rgb(faces_dir / "knn/train/obama/obama.jpg")  # 106 px between the eyes
    h, w = rgb.shape[:2]
    tiny = cv2.resize(rgb, (w // 9, h // 9), interpolation=cv2.INTER_AREA)
    return {
        "blurred": _save(cv2.GaussianBlur(rgb, (0, 0), 4), out / "blurred.jpg"),
        "tiny": _save(tiny, out / "tiny.jpg"),
        "small": faces_dir / "more/obama-480p.jpg",
        "good": faces_dir / "knn/train/obama/obama.jpg",
    }


@pytest.fixture(scope="module", params=BACKENDS)
def session(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    s, _ = new_vault(vault_place(request, tmp_path_factory.mktemp("gate") / "vault"))
    create_watchlist(s, "wanted")
    yield s
    s.close()


def test_the_gate_reads_size_sharpness_and_pose_in_one_place() -> None:
    good = Quality(inter_eye_px=100, sharpness=300, yaw_deg=5, brightness=128)
    assert assess(good).accepted and assess(good).warnings == ()
    bad = Quality(inter_eye_px=12, sharpness=9, yaw_deg=-60, brightness=128)
    assert assess(bad).refusals == (
        "face too small (12 px between the eyes, at least 20 needed)",
        "face too blurred (sharpness 9, at least 15 needed)",
        "head turned too far (60° from frontal, at most 45 allowed)",
    )
    meh = Quality(inter_eye_px=40, sharpness=30, yaw_deg=30, brightness=128)
    assert assess(meh).accepted and len(assess(meh).warnings) == 3
    assert (EYES.minimum, SHARPNESS.minimum, POSE.minimum) == (20, 15, 45)


def test_enrolment_refuses_a_tiny_or_blurred_reference_and_warns_on_a_small_one(
    session: Session, poor: dict[str, Path]
) -> None:
    photos = [poor["blurred"], poor["tiny"], poor["small"], poor["good"]]
    info, refused, warned = enrol(session, "wanted", "obama", LISTING, photos)
    assert info.references == 2  # the small one (warned) and the good one
    reasons = dict(refused)
    assert reasons[str(poor["blurred"])].startswith("blurred.jpg: face too blurred (sharpness ")
    assert reasons[str(poor["blurred"])].endswith(", at least 15 needed)")
    assert reasons[str(poor["tiny"])].startswith("tiny.jpg: face too small (")
    assert reasons[str(poor["tiny"])].endswith(" px between the eyes, at least 20 needed)")
    assert warned == [
        (
            str(poor["small"]),
            "obama-480p.jpg: small face (48 px between the eyes; 60 or more recommended)",
        )
    ]
    assert [s.references for s in show_watchlist(session, "wanted").subjects] == [2]


def test_the_cli_says_each_refusal_and_warning_in_one_line(
    place: Any, poor: dict[str, Path]
) -> None:
    folder = place
    s, _ = new_vault(folder)
    create_watchlist(s, "wanted")
    s.close()
    result = run_cli(
        "watchlist", "enrol", "wanted", "--subject", "OB-1", "--reason", "fraud",
        "--agency", "Europol", "--review-on", "2030-01-01",
        str(poor["blurred"]), str(poor["small"]), str(poor["good"]),
        vault=folder,
    )  # fmt: skip
    lines = one_clear_line(result).splitlines()
    assert result.returncode != 0  # a photo was refused: the batch is incomplete
    assert lines[0].startswith(f"error: {poor['blurred']}: face too blurred (sharpness ")
    assert lines[1] == (
        "warning: obama-480p.jpg: small face (48 px between the eyes; 60 or more recommended) "
        "(enrolled)"
    )
    assert "subject OB-1: 2 reference(s)" in result.stdout
