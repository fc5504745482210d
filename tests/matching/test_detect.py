"""Detection on the labelled photos and on awkward encodings of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from matching.detect import MODEL_VERSION, FaceEngine
from matching.errors import ImageError
from matching.faces import MODEL_NAME
from matching.images import load_rgb
from matching.parallel import ImageInput, ImageResult


def test_every_labelled_face_is_found(
    detected: dict[str, ImageResult], photo_labels: list[dict[str, str]]
) -> None:
    wrong = {
        row["path"]: (len(detected[row["path"]].faces), int(row["faces"]))
        for row in photo_labels
        if len(detected[row["path"]].faces) != int(row["faces"])
    }
    assert wrong == {}, "found vs labelled counts differ"
    assert all(r.ok for r in detected.values())


def test_faces_carry_model_quality_and_crop(detected: dict[str, ImageResult]) -> None:
    res = detected["knn/test/obama_and_biden.jpg"]
    assert len(res.crops) == len(res.faces) == 3
    for face in res.faces:
        assert face.model == MODEL_NAME and MODEL_VERSION.startswith("dlib ")
        assert face.embedding.dtype == np.float32 and face.embedding.shape == (128,)
        assert len(face.landmarks) == 5
        assert face.quality.inter_eye_px > 20 and face.quality.sharpness > 0
        assert 0 < face.quality.brightness < 255 and abs(face.quality.yaw_deg) < 45
    assert all(c[:2] == b"\xff\xd8" for c in res.crops)


def test_truncated_jpeg_raises_image_error_naming_file(faces_dir: Path, tmp_path: Path) -> None:
    data = (faces_dir / "knn/test/obama1.jpg").read_bytes()
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"truncated\.jpg"):
        load_rgb(bad)


def test_damaged_image_in_a_batch_is_an_error_not_a_crash(
    faces_dir: Path, pool: object, tmp_path: Path
) -> None:
    from matching.parallel import DetectPool

    assert isinstance(pool, DetectPool)
    good = faces_dir / "more/obama_small.jpg"
    items = [ImageInput("broken.png", b"\x89PNG\r\n\x1a\n garbage"), good]
    results = {r.key: r for r in pool.run(items)}
    assert results["broken.png"].error is not None
    assert "broken.png" in results["broken.png"].error
    assert len(results[str(good)].faces) == 1


def _one_face(engine: FaceEngine, path: Path) -> None:
    faces = engine.detect(load_rgb(path))
    assert len(faces) == 1


def test_16_bit_png_finds_the_face(engine: FaceEngine, faces_dir: Path, tmp_path: Path) -> None:
    rgb = np.asarray(Image.open(faces_dir / "more/obama_small.jpg").convert("L"))
    path = tmp_path / "gray16.png"
    Image.fromarray(rgb.astype(np.uint16) * 257).save(path)  # 16-bit grayscale PNG
    assert Image.open(path).mode.startswith("I")
    _one_face(engine, path)


def test_rgba_png_with_transparent_border_finds_the_face(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path
) -> None:
    rgb = np.asarray(Image.open(faces_dir / "more/obama_small.jpg").convert("RGB"))
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:10, :] = 0
    path = tmp_path / "rgba.png"
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path)
    out = load_rgb(path)
    assert out.shape == rgb.shape and (out[:10] == 255).all()  # composited on white
    _one_face(engine, path)


def test_exif_rotated_copy_finds_the_face(
    engine: FaceEngine, faces_dir: Path, tmp_path: Path
) -> None:
    img = Image.open(faces_dir / "more/obama_small.jpg")
    stored = img.transpose(Image.Transpose.ROTATE_90)  # what a sideways camera writes
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "rotated.jpg"
    stored.save(path, exif=exif.tobytes(), quality=95)
    rgb = load_rgb(path)
    assert rgb.shape[:2] == (img.height, img.width)
    _one_face(engine, path)
    sideways = np.ascontiguousarray(np.asarray(stored))
    assert engine.detect(sideways, hard=False) == []  # unrotated: HOG finds no face
    # (only the slower CNN pass finds the face lying on its side; the upright one needs none)
    assert [f.detector for f in engine.detect(sideways)] == ["cnn"]


def test_formats_bmp_tiff_webp_palette(engine: FaceEngine, faces_dir: Path, tmp_path: Path) -> None:
    img = Image.open(faces_dir / "more/obama_small.jpg").convert("RGB")
    for name, conv in (("a.bmp", img), ("a.tiff", img), ("a.webp", img), ("p.png", img.quantize())):
        conv.save(tmp_path / name)
        _one_face(engine, tmp_path / name)


def test_32bit_png_matches_its_jpeg(detected: dict[str, ImageResult]) -> None:
    a = detected["more/32bit.png"].faces[0].embedding
    b = detected["more/obama2.jpg"].faces[0].embedding
    assert float(np.linalg.norm(a - b)) < 0.1


def test_cached_hog_detector_is_dlibs_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dlib

    from matching.detect import hog_detector

    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    hog_detector()  # builds dlib's detector and writes the cache file
    (cached,) = (tmp_path / "cache").glob("frontal_face_detector-*.svm")
    saved = []
    for i, det in enumerate((hog_detector(), dlib.get_frontal_face_detector())):
        det.save(str(tmp_path / f"{i}.svm"))
        saved.append((tmp_path / f"{i}.svm").read_bytes())
    assert saved[0] == saved[1] == cached.read_bytes()
    cached.write_bytes(b"damaged")  # content no longer matches the hash in the name: rebuilt
    hog_detector().save(str(tmp_path / "2.svm"))
    assert (tmp_path / "2.svm").read_bytes() == saved[1] == cached.read_bytes()


def test_pool_and_single_engine_give_identical_faces(
    engine: FaceEngine, faces_dir: Path, detected: dict[str, ImageResult]
) -> None:
    """The pool's results (from workers, or from the calling process during start-up) are the
    engine's, bit for bit."""
    for name in ("knn/test/obama_and_biden.jpg", "more/obama_small.jpg", "more/32bit.png"):
        alone = engine.detect(load_rgb(faces_dir / name))
        pooled = detected[name].faces
        assert [f.box for f in alone] == [f.box for f in pooled]
        assert all(
            np.array_equal(a.embedding, b.embedding) for a, b in zip(alone, pooled, strict=True)
        )


def test_caller_detects_while_the_workers_start(
    monkeypatch: pytest.MonkeyPatch, faces_dir: Path, detected: dict[str, ImageResult]
) -> None:
    from matching.parallel import DetectPool

    monkeypatch.setattr(DetectPool, "_start", lambda self: None)  # workers never report ready
    names = ["knn/test/obama_and_biden.jpg", "more/obama_small.jpg"]
    with DetectPool(1) as pool:
        got = {r.key: r for r in pool.run([faces_dir / n for n in names])}
        assert pool.local_images == 2
    for name in names:
        mine, theirs = got[str(faces_dir / name)], detected[name]
        assert [f.box for f in mine.faces] == [f.box for f in theirs.faces]
        assert mine.crops == theirs.crops
        assert all(
            np.array_equal(a.embedding, b.embedding)
            for a, b in zip(mine.faces, theirs.faces, strict=True)
        )


def _bomb(path: Path, side: int) -> Path:
    """A 1-bit PNG of ``side`` x ``side`` pixels: a few kilobytes on disk, ``side``² to decode."""
    Image.new("1", (side, side)).save(path)
    return path


@pytest.mark.parametrize("side", [9_500, 13_000])  # 90 Mpx and 169 Mpx: PIL warns, never stops
def test_an_image_over_the_pixel_limit_is_refused_and_the_batch_goes_on(
    faces_dir: Path, engine: FaceEngine, tmp_path: Path, side: int
) -> None:
    from matching.images import MAX_PIXELS
    from matching.parallel import process_one

    bomb = _bomb(tmp_path / "bomb.png", side)
    assert bomb.stat().st_size < 1 << 20 and side * side > MAX_PIXELS == 80_000_000
    with pytest.raises(ImageError) as refused:
        load_rgb(bomb)
    mpx = f"{side * side / 1e6:.0f} Mpx"
    assert str(refused.value) == (
        f"cannot read image {bomb}: {side}x{side} pixels ({mpx}), over the limit of 80 Mpx"
    )
    data = bomb.read_bytes()
    results = [
        process_one(engine, src)
        for src in (ImageInput("bomb.png", data), faces_dir / "more/obama_small.jpg")
    ]
    assert results[0].error is not None and "over the limit of 80 Mpx" in results[0].error
    assert results[1].ok and results[1].faces
