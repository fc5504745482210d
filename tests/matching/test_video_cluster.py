"""Video tracks of the one person in the clip, and clustering of recurring faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.cluster import chinese_whispers, clusters
from matching.detect import FaceEngine
from matching.errors import VideoError
from matching.parallel import ImageResult
from matching.video import read_video_metadata, track_video


def test_video_yields_tracks_of_the_one_person(
    engine: FaceEngine, faces_dir: Path, detected: dict[str, ImageResult]
) -> None:
    clip = faces_dir / "more/short_hamilton_clip.mp4"
    meta = read_video_metadata(clip)
    assert meta["codec"] and meta["duration"] > 1
    tracks = track_video(clip, engine, fps=2.0)
    assert tracks
    reference = detected["more/lin-manuel-miranda.png"].faces[0].embedding
    usable = [t for t in tracks if t.best_face.quality.sharpness >= 20]
    assert usable, "no usable track"
    for t in usable:  # every well-seen track is Lin-Manuel Miranda (labels.csv)
        assert float(np.linalg.norm(t.mean_embedding - reference)) < 0.6
        assert 0.0 <= t.start <= t.best_time <= t.end <= meta["duration"]
        assert t.best_crop[:2] == b"\xff\xd8"
    longest = max(tracks, key=lambda t: len(t.sightings))
    assert len(longest.sightings) >= 3  # linked across frames, not one entry per frame


def test_undecodable_video_is_a_video_error(engine: FaceEngine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    with pytest.raises(VideoError, match=r"bad\.mp4"):
        track_video(bad, engine)


def test_clustering_groups_the_same_persons_photos(detected: dict[str, ImageResult]) -> None:
    names = [
        "knn/train/obama/obama.jpg",
        "more/obama3.jpg",
        "knn/test/obama1.jpg",
        "knn/train/biden/biden.jpg",
        "knn/train/biden/biden2.jpg",
        "knn/train/rose_leslie/img1.jpg",
        "knn/train/rose_leslie/img2.jpg",
        "more/lin-manuel-miranda.png",
    ]
    x = np.stack([detected[n].faces[0].embedding for n in names])
    labels = chinese_whispers(x)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4] != labels[0]
    assert labels[5] == labels[6] not in (labels[0], labels[3])
    assert labels[7] not in labels[:7]
    assert sorted(map(len, clusters(labels))) == [2, 2, 3]
