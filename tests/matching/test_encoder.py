"""The FFmpeg program of redacted videos: the package's own, checked; H.264 with the audio kept
(copied when MP4 carries it, AAC otherwise, none when there is none). Clips made from the real
clip with the same program."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import pytest
from mediakit import audio_md5, ffmpeg

from matching.encoder import FFMPEG_SHA256, Probe, checked_ffmpeg, ffmpeg_path
from matching.errors import MatchingError
from matching.redaction import redact_video
from vault.errors import IntegrityFault
from vault.jobs import CancelToken

CLIP = "more/short_hamilton_clip.mp4"


def test_the_program_is_the_packages_own_not_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "/bin/false")
    monkeypatch.setenv("PATH", "/nonexistent")
    path = ffmpeg_path()
    assert path.parent == Path(imageio_ffmpeg.__file__).parent / "binaries"
    with checked_ffmpeg() as ff:
        assert ff.exe.startswith("/proc/self/fd/")
        assert b"--enable-libx264" in ffmpeg(ff, "-buildconf")


def test_the_shipped_digest_is_that_of_the_installed_program() -> None:
    path = ffmpeg_path()
    with path.open("rb") as fh:
        assert FFMPEG_SHA256[path.name] == hashlib.file_digest(fh, "sha256").hexdigest()


def test_an_altered_program_is_refused_in_one_line(tmp_path: Path) -> None:
    fake = tmp_path / ffmpeg_path().name
    fake.write_bytes(b"#!/bin/sh\necho planted\n")
    with (
        pytest.raises(IntegrityFault, match="does not match the SHA-256") as err,
        checked_ffmpeg(fake),
    ):
        pass
    assert "\n" not in str(err.value)
    other = tmp_path / "ffmpeg-other"
    shutil.copy(fake, other)
    with pytest.raises(IntegrityFault, match="no digest for"), checked_ffmpeg(other):
        pass


def test_probe_reads_codecs_and_start_times() -> None:
    text = (
        "  Duration: 00:00:10.02, start: 0.008005, bitrate: 490 kb/s\n"
        "  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline), 640x360, start 0.852019\n"
        "  Stream #0:1[0x2](eng): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo\n"
        "  Stream #0:2: Video: mjpeg, 300x300 (attached pic)\n"
    )
    p = Probe.parse(text)
    assert p.start == 0.008005
    assert [(s.codec, s.start) for s in p.video] == [("h264", 0.852019)]
    assert [s.codec for s in p.audio] == ["aac"]


def _redact(source: Path, target: Path) -> tuple[int, str]:
    return redact_video(source, target, [], lambda e: None, CancelToken())


def test_audio_mp4_cannot_carry_is_aac_and_a_silent_clip_stays_silent(
    faces_dir: Path, tmp_path: Path
) -> None:
    clip = faces_dir / CLIP
    pcm, silent = tmp_path / "pcm.mov", tmp_path / "silent.mp4"
    with checked_ffmpeg() as ff:
        ffmpeg(ff, "-i", str(clip), "-t", "2", "-c:v", "copy", "-c:a", "pcm_s16le", str(pcm))
        ffmpeg(ff, "-i", str(clip), "-t", "2", "-c:v", "copy", "-an", str(silent))
        out = tmp_path / "out1.mp4"
        frames, audio = _redact(pcm, out)
        assert frames > 20 and audio == "re-encoded (aac)"
        probe = ff.probe(str(out))
        assert [s.codec for s in probe.video] == ["h264"] and [s.codec for s in probe.audio] == [
            "aac"
        ]
        out2 = tmp_path / "out2.mp4"
        assert _redact(silent, out2)[1] == "none"
        assert ff.probe(str(out2)).audio == []
        # the real clip's AAC is copied packet for packet
        out3 = tmp_path / "out3.mp4"
        assert _redact(clip, out3)[1] == "copied"
        assert audio_md5(ff, out3) == audio_md5(ff, clip)
    # with nothing to blur, the picture is the original's (colours, range, no shift)
    a, b = cv2.VideoCapture(str(clip)), cv2.VideoCapture(str(out3))
    for _ in range(30):
        ok, orig = a.read()
        ok2, copy = b.read()
    assert ok and ok2 and orig.shape == copy.shape
    assert float(np.abs(orig.astype(int) - copy.astype(int)).mean()) < 3


def test_an_odd_sized_video_is_padded_to_even_for_h264(faces_dir: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.mp4"
    with checked_ffmpeg() as ff:
        ffmpeg(ff, "-i", str(faces_dir / CLIP), "-t", "2", "-vf", "crop=321:181", "-an", str(odd))
        out = tmp_path / "out.mp4"
        assert _redact(odd, out)[0] > 20
        assert [s.codec for s in ff.probe(str(out)).video] == ["h264"]


def test_a_hostile_video_is_refused_in_one_line(faces_dir: Path, tmp_path: Path) -> None:
    junk, cut = tmp_path / "junk.mp4", tmp_path / "cut.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\xff" * 5000)
    cut.write_bytes((faces_dir / CLIP).read_bytes()[:4000])  # the header only, no frame
    for bad in (junk, cut):
        with pytest.raises(MatchingError) as err:
            _redact(bad, tmp_path / "out.mp4")
        assert "\n" not in str(err.value) and str(bad) in str(err.value)
