"""custos eval on the shared labelled folder, and threshold calibration."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.errors import EvaluationError
from matching.evaluate import calibrate_from_report, evaluate_report


def test_evaluate_on_shared_faces(faces_dir: Path) -> None:
    report = evaluate_report(faces_dir)
    result = report.summary()
    assert set(result) == {
        "images",
        "faces_not_found",
        "images_per_second",
        "one_to_one",
        "one_to_many",
    }
    assert set(result["one_to_one"]) == {
        "accuracy",
        "best_threshold",
        "tar_at_far_1pct",
        "tar_at_far_0_1pct",
        "eer",
    }
    assert set(result["one_to_many"]) == {
        "rank1",
        "fnir_at_fpir_1pct",
        "distractor_false_alerts",
        "subject_rule",
    }
    assert result["one_to_many"]["subject_rule"] == "nearest reference"
    assert result["images"] == 22 and result["faces_not_found"] == 0
    assert result["images_per_second"] > 0
    assert result["one_to_many"]["rank1"] == 1.0
    assert result["one_to_many"]["distractor_false_alerts"] == 0
    assert result["one_to_one"]["accuracy"] >= 0.95
    assert 0.4 < result["one_to_one"]["best_threshold"] < 0.8
    assert result["one_to_one"]["eer"] <= 0.05

    cal = calibrate_from_report(report, 0.01, str(faces_dir))
    assert 0.5 < cal.threshold < 0.8 and cal.fpir <= 0.01


def test_missing_face_counts_against_the_system(faces_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (200, 200), "gray").save(tmp_path / "blank.jpg")
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes((faces_dir / "knn/train/obama/obama.jpg").read_bytes())
    (tmp_path / "identities.csv").write_text(
        "image,identity,role\na.jpg,obama,enrol\nb.jpg,obama,probe\nblank.jpg,obama,probe\n"
    )
    (tmp_path / "pairs.csv").write_text("image_a,image_b,same\na.jpg,b.jpg,1\na.jpg,blank.jpg,1\n")
    result = evaluate_report(tmp_path).summary()
    assert result["faces_not_found"] == 1
    assert result["one_to_many"]["rank1"] == 0.5
    assert result["one_to_one"]["accuracy"] == 0.5


def test_bad_folder_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "identities.csv").write_text("image,identity,role\nx.jpg,a,boss\ny.jpg,a,enrol\n")
    with pytest.raises(EvaluationError) as err:
        evaluate_report(tmp_path)
    text = str(err.value)
    assert "pairs.csv: missing" in text and "boss" in text
