"""Redaction speed (issue 13): a 1080p photo <= 0.5 s, a one-minute 720p video <= 1x its length.

    uv run python benchmarks/bench_redact.py [--runs 3] [--seconds 60]

Inputs, made in a temporary folder (never in the repo):
- the photo: ``../shared/faces/more/obama-1080p.jpg`` (1920x1080, one face);
- the video: ``../shared/faces/more/short_hamilton_clip.mp4`` (640x360, 9 s) scaled to 1280x720
  and looped to ``--seconds`` seconds at its frame rate, written with OpenCV (``mp4v``).

Both are ingested into a fresh vault and analysed (``faces detect``, not timed). Then, in the
same run, interleaved:
- Custos: ``custos redact ITEM --all`` as a user runs it, a whole command (start-up, unlock,
  decrypt, blur, encode, store encrypted, record), with and without ``PYTHONDONTWRITEBYTECODE=1``;
  also, for the photo, the core job alone in this process (``RedactJob.run``: what the GUI's
  worker runs);
- the anchors: the photo decoded and encoded again with OpenCV (no blur); the video read and
  written again with OpenCV's FFmpeg reader and writer (same codec, no blur), as a command.
Ratios Custos / anchor and Custos / the video's duration are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
FACES = Path(os.environ.get("CUSTOS_FACES", REPO.parent / "shared" / "faces"))

ANCHOR_VIDEO = """
import sys, cv2
cap = cv2.VideoCapture(sys.argv[1])
fps = cap.get(cv2.CAP_PROP_FPS)
size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
out = cv2.VideoWriter(sys.argv[2], cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
while True:
    ok, frame = cap.read()
    if not ok:
        break
    out.write(frame)
out.release()
"""

ANCHOR_PHOTO = """
import sys, cv2
img = cv2.imread(sys.argv[1])
cv2.imwrite(sys.argv[2], img, [cv2.IMWRITE_JPEG_QUALITY, 92])
"""


def make_video(target: Path, seconds: float) -> float:
    """The clip scaled to 720p and looped to ``seconds``; returns the real duration."""
    src = FACES / "more/short_hamilton_clip.mp4"
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(f, (1280, 720), interpolation=cv2.INTER_LINEAR))
    cap.release()
    out = cv2.VideoWriter(str(target), cv2.VideoWriter.fourcc(*"mp4v"), fps, (1280, 720))
    n = round(seconds * fps)
    for i in range(n):
        k = i % (2 * len(frames) - 2)  # back and forth: no jump cut at the loop
        out.write(frames[k if k < len(frames) else 2 * len(frames) - 2 - k])
    out.release()
    return n / fps


def run(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO)
    took = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed: {done.stderr.strip()}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()

    from matching.casefaces import DetectJob
    from matching.redaction import RedactJob
    from vault import items
    from vault.cases import create_case
    from vault.ingest import ingest
    from vault.jobs import ignore
    from vaultkit import PASSWORD, cli_env, new_vault

    with tempfile.TemporaryDirectory(prefix="bench-redact-") as tmp:
        root = Path(tmp)
        video = root / "one-minute-720p.mp4"
        duration = make_video(video, args.seconds)
        photo = FACES / "more/obama-1080p.jpg"
        session, _ = new_vault(root / "vault")
        create_case(session, "B-1", "bench", ["fraud"])
        ingest(session, "B-1", [photo, video])
        assert not DetectJob(session, "B-1").run(ignore).failed
        ids = {Path(i.name).name: i.id for i in items.list_items(session, "B-1")}
        photo_id, video_id = ids[photo.name], ids[video.name]
        h, w = cv2.imread(str(photo)).shape[:2]
        print(
            f"photo {photo.name} {w}x{h}; video {video.name} 1280x720, {duration:.1f} s", flush=True
        )

        core_photo = []
        for _ in range(args.runs):  # the video's core time is the command's minus start-up
            t = time.perf_counter()
            RedactJob(session, photo_id, all_faces=True).run(ignore)
            core_photo.append(time.perf_counter() - t)
        session.close()

        env = cli_env(root / "vault", "alice", PASSWORD)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env_nobc = dict(env, PYTHONDONTWRITEBYTECODE="1")
        custos = [sys.executable, "-m", "cli.main", "redact", "--all", "--json"]
        py = [sys.executable, "-c"]
        rows: dict[str, list[float]] = {}
        for _ in range(args.runs):
            for key, cmd, e in (
                ("cli photo", [*custos, str(photo_id)], env),
                ("cli photo (no bytecode)", [*custos, str(photo_id)], env_nobc),
                ("anchor photo", [*py, ANCHOR_PHOTO, str(photo), str(root / "a.jpg")], env),
                ("cli video", [*custos, str(video_id)], env),
                ("cli video (no bytecode)", [*custos, str(video_id)], env_nobc),
                ("anchor video", [*py, ANCHOR_VIDEO, str(video), str(root / "a.mp4")], env),
            ):
                rows.setdefault(key, []).append(run(cmd, e))
                print(f"  {key}: {rows[key][-1]:.3f} s", flush=True)

    def show(name: str, xs: list[float], anchor: list[float] | None = None) -> None:
        med = statistics.median(xs)
        ratio = f"  {med / statistics.median(anchor):.2f}x anchor" if anchor else ""
        print(f"  {name:28s} median {med:7.3f} s  (range {min(xs):.3f}-{max(xs):.3f}){ratio}")

    print("photo (target <= 0.5 s):")
    show("core RedactJob", core_photo, rows["anchor photo"])
    show("custos redact", rows["cli photo"], rows["anchor photo"])
    show("custos redact, no bytecode", rows["cli photo (no bytecode)"], rows["anchor photo"])
    show("anchor: OpenCV decode+encode", rows["anchor photo"])
    print(f"video (target <= 1x its {duration:.1f} s):")
    show("custos redact", rows["cli video"], rows["anchor video"])
    show("custos redact, no bytecode", rows["cli video (no bytecode)"], rows["anchor video"])
    show("anchor: OpenCV read+write", rows["anchor video"])
    for key in ("cli video", "cli video (no bytecode)"):
        print(f"  {key}: {statistics.median(rows[key]) / duration:.2f}x the video's duration")
    print(json.dumps({k: [round(x, 3) for x in v] for k, v in rows.items()}))


if __name__ == "__main__":
    main()
