"""Matching benchmarks (plain script, not part of the test suite).

    uv run python benchmarks/bench_matching.py [--faces DIR] [--skip-1m] [--skip-cluster]
        [--skip-eval] [--skip-detect] [--quick-index] [--product N]

(a) detect+encode on the test faces: Custos parallel pipeline vs face_recognition's default
    single-process pipeline, same run, same faces found; custos eval vs face_recognition defaults.
(b) 1:N on a synthetic 1,000,000 x 128 watchlist shaped like real dlib embeddings: exact search,
    and the index (IVF-PQ fast-scan shortlist re-ranked exactly) with its recall against exact.
(c) Chinese-whispers clustering of 100,000 synthetic faces.
(d) ``--product N``: the path a user runs. A real vault (SQLCipher, fast KDF) with a watchlist of
    N synthetic references (same generator as (b), 4 per subject) inserted in bulk straight into
    the tables, then ``matching.watchlists.gallery`` (load and memory) and a case of 100 probe
    faces searched with ``matching.searching.search``: exact, then with the index (first search
    builds it, the second reuses the session's cached gallery), recall@50 of the index vs exact;
    then a new session's first load from the persistent gallery cache (``matching.gallerycache``)
    next to the database load, and a new session's first index search.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from matching.cluster import chinese_whispers, clusters
from matching.evaluate import read_folder, score_folder
from matching.parallel import DetectPool
from matching.search import Gallery

REPO = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def face_recognition_pipeline(paths: list[Path]) -> tuple[dict[Path, list[np.ndarray]], float]:
    import face_recognition

    out: dict[Path, list[np.ndarray]] = {}
    start = time.perf_counter()
    for p in paths:
        img = face_recognition.load_image_file(p)
        locs = face_recognition.face_locations(img)
        out[p] = face_recognition.face_encodings(img, locs)
    return out, time.perf_counter() - start


def bench_detect(faces: Path, skip_eval: bool = False) -> tuple[list[np.ndarray], dict[str, float]]:
    with (faces / "labels.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["faces"]]
    paths = [faces / r["path"] for r in rows]
    print(f"(a) detect+encode on {len(paths)} photos of {faces}")
    # An installed Custos (pip, or the PyInstaller app) runs from byte-compiled modules; a dev
    # shell with PYTHONDONTWRITEBYTECODE (uv does not compile either) would make every fresh
    # interpreter -- the detection fork server, face_recognition's import below -- compile numpy,
    # OpenCV and Pillow from source. Write the caches once, untimed, in a throwaway interpreter
    # (not this process: the fork server must start cold in the timed run).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    warm = "import matching.preload, face_recognition"
    subprocess.run([sys.executable, "-c", warm], check=True, cwd=REPO)
    base, base_s = face_recognition_pipeline(paths)
    # face_recognition's own start-up, for a comparison on equal terms: its import (which loads
    # all its models) in a fresh interpreter, as a user's script would pay it
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import face_recognition"], check=True)
    fr_start = time.perf_counter() - t0
    load = os.getloadavg()[0]
    # Cold: from making the pool (workers not started yet, as in `custos faces detect`) to the last
    # result. This process detects too until the first worker is ready.
    start = time.perf_counter()
    with DetectPool() as pool:
        ours = {Path(r.key): r for r in pool.run(paths, with_crops=True)}
        cold_s = time.perf_counter() - start
        local = pool.local_images
        t0 = time.perf_counter()
        warm_res = {Path(r.key): r for r in pool.run(paths, with_crops=True)}
        ours_s = time.perf_counter() - t0
    identical = all(
        len(ours[p].faces) == len(warm_res[p].faces)
        and all(
            np.array_equal(a.embedding, b.embedding) and a.box == b.box
            for a, b in zip(ours[p].faces, warm_res[p].faces, strict=True)
        )
        for p in paths
    )
    same = all(len(ours[p].faces) == len(base[p]) for p in paths)
    labelled = all(len(ours[p].faces) == int(r["faces"]) for p, r in zip(paths, rows, strict=True))
    worst = 0.0
    for p in paths:
        for f in ours[p].faces:
            worst = max(worst, float(min(np.linalg.norm(np.array(base[p]) - f.embedding, axis=1))))
    fig = {
        "face_recognition_img_s": len(paths) / base_s,
        "custos_img_s": len(paths) / ours_s,
        "custos_img_s_with_startup": len(paths) / cold_s,
        "load": load,
    }
    fig["ratio"] = fig["custos_img_s"] / fig["face_recognition_img_s"]
    fig["ratio_with_startup"] = fig["custos_img_s_with_startup"] / fig["face_recognition_img_s"]
    fig["ratio_both_startup"] = (base_s + fr_start) / cold_s
    print(f"  load average before Custos's runs     : {load:.2f} (2 cores)")
    print(f"  face_recognition defaults, 1 process  : {fig['face_recognition_img_s']:.2f} img/s")
    print(
        f"  custos, cold pool (start-up counted)  : {fig['custos_img_s_with_startup']:.2f} img/s "
        f"({cold_s:.2f} s; {local} images done in this process during start-up)"
    )
    print(f"  custos, same pool again (warm)        : {fig['custos_img_s']:.2f} img/s")
    print(f"  ratio incl. start-up                  : {fig['ratio_with_startup']:.2f}x")
    print(f"  ratio warm                            : {fig['ratio']:.2f}x")
    print(
        f"  ratio, both counting start-up         : {fig['ratio_both_startup']:.2f}x "
        f"(face_recognition's import in a fresh interpreter: {fr_start:.2f} s)"
    )
    print(f"  same face counts as face_recognition  : {same}; as labels.csv: {labelled}")
    print(f"  cold and warm runs identical (boxes, embeddings): {identical}")
    print(f"  max embedding distance to face_recognition's for the same face: {worst:.3f}")
    real = [f.embedding for r in ours.values() for f in r.faces]
    if skip_eval:
        return real, fig

    # accuracy: custos eval vs face_recognition defaults on the same folder
    folder = read_folder(faces)
    eval_paths = [folder.root / n for n in folder.images]
    fr, fr_s = face_recognition_pipeline(eval_paths)
    fr_emb = {p: (max(v, key=lambda e: 0)) if v else None for p, v in fr.items()}
    # face_recognition has no "largest face" rule: use its first face, as its examples do
    fr_emb = {p: (v[0] if v else None) for p, v in fr.items()}
    from matching.evaluate import embed_with_custos

    cu_emb, cu_s = embed_with_custos(eval_paths)
    print("  custos eval         :", json.dumps(score_folder(folder, cu_emb, cu_s).summary()))
    print("  face_recognition    :", json.dumps(score_folder(folder, fr_emb, fr_s).summary()))
    return real, fig


def synthetic(real: list[np.ndarray], identities: int, per: int, spread: float, seed: int = 0):
    """Identity centres from a Gaussian fitted to real embeddings (shrunk covariance, scaled so
    centres are as far apart as real different people), plus per-reference noise giving a
    same-identity distance of about ``spread``."""
    rng = np.random.default_rng(seed)
    x = np.stack(real).astype(np.float64)
    mu = x.mean(axis=0)
    cov = np.cov(x, rowvar=False)
    cov = 0.5 * cov + 0.5 * np.diag(np.diag(cov))
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    z = rng.standard_normal((identities, 128)).astype(np.float32)
    centres = z @ root.T.astype(np.float32)
    # real different-person distance (median over the real faces)
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)[np.triu_indices(len(x), 1)]
    target = float(np.median(d[d > 0.6])) if np.any(d > 0.6) else 0.85
    sample = centres[: min(2000, identities)]
    cur = np.median(np.linalg.norm(sample[:1000, None] - sample[None, 1000:2000], axis=-1))
    centres *= np.float32(target / cur)
    centres += mu.astype(np.float32)
    sigma = spread / np.sqrt(2 * 128)
    refs = np.repeat(centres, per, axis=0)
    refs += rng.standard_normal(refs.shape, dtype=np.float32) * np.float32(sigma)
    probes = centres[:100] + rng.standard_normal((100, 128), dtype=np.float32) * np.float32(sigma)
    return refs, probes, target


def bench_search(real: list[np.ndarray], full_index_sweep: bool = True) -> dict[str, float]:
    print("(b) 1:N on 1,000,000 x 128 synthetic references (250,000 identities x 4)")
    print(f"  load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    refs, probes, target = synthetic(real, 250_000, 4, 0.35)
    raw_mb = refs.nbytes / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "watchlist.npy"
        np.save(path, refs)
        del refs
        base = rss_mb()
        t0 = time.perf_counter()
        matrix = Gallery.load_npy(path)
        subjects = np.arange(len(matrix)) // 4
        gallery = Gallery(matrix, subjects.astype(str))
        del matrix  # the gallery holds the only float32 copy (the index keeps codes only)
        load_s = time.perf_counter() - t0
    fig = {"load_s": load_s, "raw_mb": raw_mb}
    same = np.linalg.norm(gallery.embedding(0) - gallery.embedding(1))
    other = np.linalg.norm(gallery.embedding(0) - gallery.embedding(4))
    print(f"  shape check: same-identity {same:.2f}, different {other:.2f} (target {target:.2f})")
    gallery.nearest(probes[:2], 50)
    batch, batch_cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        exact_d, exact_i = gallery.nearest(probes, 50)
        batch.append(time.perf_counter() - t0)
        batch_cpu.append(time.process_time() - c0)
    fig["batch_cpu_ms_per_probe"] = float(np.median(batch_cpu)) * 1000 / len(probes)
    fig["batch_ms_per_probe"] = float(np.median(batch)) * 1000 / len(probes)
    fig["batch_ms_per_probe_best"] = min(batch) * 1000 / len(probes)
    times, cpu = [], []
    for q in probes[:50]:
        t0, c0 = time.perf_counter(), time.process_time()
        gallery.nearest(q, 50)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    fig["single_cpu_ms"] = float(np.median(cpu)) * 1000
    fig["single_ms"] = float(np.median(times)) * 1000
    fig["single_ms_p10"] = float(np.percentile(times, 10)) * 1000
    t0 = time.perf_counter()
    gemv = [gallery.embeddings @ probes[0] for _ in range(5)]
    fig["bare_gemv_ms"] = (time.perf_counter() - t0) * 1000 / len(gemv)
    del gemv
    t0 = time.perf_counter()
    cands = gallery.investigate(probes, top=10)
    fig["investigate_top10_ms_per_probe"] = (time.perf_counter() - t0) * 1000 / len(probes)
    fig["rank1"] = float(np.mean([c[0].subject == str(i) for i, c in enumerate(cands)]))
    fig["memory_ratio_exact"] = (rss_mb() - base) / raw_mb
    print(f"  load (np.load of .npy + norms): {load_s:.2f} s for {raw_mb:.0f} MB")
    print(
        f"  exact top-50, batch of 100    : {fig['batch_ms_per_probe']:.2f} ms/probe "
        f"(median of 3; best {fig['batch_ms_per_probe_best']:.2f}); "
        f"CPU {fig['batch_cpu_ms_per_probe']:.2f} ms/probe (both cores)"
    )
    print(
        f"  exact top-50, single probe    : {fig['single_ms']:.2f} ms (median of 50; "
        f"p10 {fig['single_ms_p10']:.2f}; CPU {fig['single_cpu_ms']:.1f} ms); "
        f"bare 1M GEMV {fig['bare_gemv_ms']:.1f} ms"
    )
    print(f"  investigate top-10 subjects   : {fig['investigate_top10_ms_per_probe']:.2f} ms/probe")
    print(
        f"  memory after search / raw     : {fig['memory_ratio_exact']:.2f}x ({raw_mb:.0f} MB raw)"
    )
    print(f"  rank-1 of the synthetic probes: {fig['rank1']:.3f}; d[0,:3] = {exact_d[0, :3]}")

    # Index (investigative mode only): IVF-PQ fast-scan shortlist re-ranked exactly;
    # recall@50 against the exact results above
    assert gallery.build_index()
    index = gallery.index
    assert index is not None
    fig["index_build_s"] = index.build_seconds
    sizes = index.list_sizes
    print(
        f"  index build: {index.build_seconds:.1f} s (IVF{index.nlist},PQ128x4fs, k-means on "
        f"{index.sample} rows; lists {sizes.min()}-{sizes.max()}; codes + ids "
        f"{index.code_bytes / 2**20:.0f} MB)"
    )
    print(f"  load average now: {os.getloadavg()[0]:.2f}")
    settings = [(index.nprobe, index.shortlist)]
    if full_index_sweep:
        settings += [(160, 500), (192, 500), (224, 1000), (256, 500)]
    for nprobe, shortlist in settings:
        index.search(probes[:10], 50, nprobe=nprobe, shortlist=shortlist)
        runs, runs_cpu = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            approx_d, approx_i = index.search(probes, 50, nprobe=nprobe, shortlist=shortlist)
            runs.append(time.perf_counter() - t0)
            runs_cpu.append(time.process_time() - c0)
        cpu_ms = float(np.median(runs_cpu)) * 1000 / len(probes)
        recall = float(
            np.mean([len(set(a) & set(b)) / 50 for a, b in zip(exact_i, approx_i, strict=True)])
        )
        ms = float(np.median(runs)) * 1000 / len(probes)
        if (nprobe, shortlist) == settings[0]:
            fig["index_ms_per_probe"], fig["index_recall50"] = ms, recall
            fig["index_ms_per_probe_best"] = min(runs) * 1000 / len(probes)
            true_d = np.linalg.norm(gallery.embeddings[approx_i] - probes[:, None], axis=2)
            fig["index_max_distance_error"] = float(np.max(np.abs(approx_d - true_d)))
        print(
            f"  index top-50, batch of 100, nprobe {nprobe:4d}, shortlist {shortlist:4d}: "
            f"{ms:.2f} ms/probe (median of 5; best {min(runs) * 1000 / len(probes):.2f}; "
            f"CPU {cpu_ms:.2f}), recall@50 vs exact {recall:.4f}"
        )
    single = []
    for q in probes[:20]:
        t0 = time.perf_counter()
        index.search(q, 50)
        single.append(time.perf_counter() - t0)
    fig["index_single_ms"] = float(np.median(single)) * 1000
    print(f"  index top-50, single probe (median of 20): {fig['index_single_ms']:.2f} ms")
    print(
        f"  index distances vs recomputed exact distances: max error "
        f"{fig['index_max_distance_error']:.2e}"
    )
    _, again_i = gallery.nearest(probes, 50)
    same_exact = all(set(a) == set(b) for a, b in zip(exact_i, again_i, strict=True))
    fig["memory_ratio"] = (rss_mb() - base) / raw_mb
    print(f"  exact search after building the index identical: {same_exact}")
    print(f"  memory with index / raw       : {fig['memory_ratio']:.2f}x")
    return fig


def bench_cluster(real: list[np.ndarray]) -> dict[str, float]:
    print("(c) clustering 100,000 synthetic faces (20,000 identities x 5)")
    x, _, _ = synthetic(real, 20_000, 5, 0.35, seed=1)
    t0 = time.perf_counter()
    labels = chinese_whispers(x)
    sec = time.perf_counter() - t0
    truth = np.arange(len(x)) // 5
    groups = clusters(labels, 2)
    pure = np.mean([len(set(truth[g].tolist())) == 1 for g in groups]) if groups else 0.0
    print(f"  chinese whispers (ours): {sec:.1f} s, {labels.max() + 1} clusters, {pure:.3f} pure")
    import dlib

    small = x[:3000]
    t0 = time.perf_counter()
    chinese_whispers(small)
    ours_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in small], 0.5)
    dlib_small = time.perf_counter() - t0
    print(
        f"  3,000 faces: ours {ours_small:.2f} s vs dlib.chinese_whispers_clustering "
        f"{dlib_small:.2f} s"
    )
    return {
        "cluster_100k_s": sec,
        "purity": float(pure),
        "ours_3k_s": ours_small,
        "dlib_3k_s": dlib_small,
    }


def bench_product(real: list[np.ndarray], n: int) -> dict[str, float]:
    import hashlib

    from sqlalchemy import insert, select

    import matching.searching as _ms
    from matching import gallerycache
    from matching import index as ann
    from matching.detect import MODEL_VERSION
    from matching.faces import MODEL_NAME
    from matching.models import FaceRecord, Reference, Subject, Watchlist
    from matching.searching import _sessions
    from matching.watchlists import create_watchlist, gallery, load_watchlist_rows
    from service.opener import init_vault, unlock
    from vault.cases import create_case
    from vault.ingest import ingest
    from vault.keys import KdfParams
    from vault.models import Blob, Item
    from vault.session import now

    print(f"(d) product path: a vault watchlist of {n:,} references ({n // 4:,} subjects x 4)")
    print(f"  load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    refs, probes, _ = synthetic(real, n // 4, 4, 0.35)
    raw_mb = refs.nbytes / 2**20
    fig: dict[str, float] = {"raw_mb": raw_mb}
    with tempfile.TemporaryDirectory(dir=os.environ.get("CUSTOS_BENCH_TMP")) as tmp:
        kdf = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)
        session, _ = init_vault(Path(tmp) / "vault", "bench", "correct horse battery", kdf=kdf)
        create_watchlist(session, "bench")
        create_case(session, "C-1", "product benchmark", ["fraud"])
        probe_file = Path(tmp) / "probe.txt"
        probe_file.write_text("probe photo stand-in\n")
        ingest(session, "C-1", [probe_file])
        t0 = time.perf_counter()
        blob = hashlib.sha256(b"custos-bench-reference").hexdigest()
        quality = json.dumps(
            {"brightness": 0.52, "inter_eye_px": 61.3, "sharpness": 120.5, "yaw_deg": 3.2}
        )
        at = now()
        with session.transaction() as db:
            wl_id = db.scalar(select(Watchlist.id).where(Watchlist.name == "bench"))
            db.execute(insert(Blob.__table__), [{"name": blob, "sha256": blob, "size": 1}])
            item = db.scalar(select(Item).where(Item.name == probe_file.name))
            assert item is not None
            case_id, item_id = item.case_id, item.id
            db.execute(
                insert(Subject.__table__),
                [
                    {
                        "id": i + 1,
                        "watchlist_id": wl_id,
                        "ref": f"S-{i:07d}",
                        "reason": "synthetic benchmark listing",
                        "agency": "Benchmark agency",
                        "label": "TLP:AMBER",
                        "review_on": "2030-01-01",
                        "expires_on": None,
                        "created_by": "bench",
                        "created_at": at,
                    }
                    for i in range(n // 4)
                ],
            )
        batch = 50_000
        for s in range(0, n, batch):
            with session.transaction() as db:
                db.execute(
                    insert(Reference.__table__),
                    [
                        {
                            "id": r + 1,
                            "subject_id": r // 4 + 1,
                            "photo_blob": blob,
                            "crop_blob": blob,
                            "source": f"ref_{r:07d}.jpg",
                            "embedding": refs[r].tobytes(),
                            "model": MODEL_NAME,
                            "model_version": MODEL_VERSION,
                            "quality": quality,
                            "created_at": at,
                        }
                        for r in range(s, min(n, s + batch))
                    ],
                )
        with session.transaction() as db:
            db.execute(
                insert(FaceRecord.__table__),
                [
                    {
                        "item_id": item_id,
                        "case_id": case_id,
                        "kind": "photo",
                        "box": "[0, 10, 10, 0]",
                        "landmarks": "[]",
                        "quality": quality,
                        "embedding": p.tobytes(),
                        "model": MODEL_NAME,
                        "model_version": MODEL_VERSION,
                        "crop_blob": blob,
                        "created_at": at,
                    }
                    for p in probes
                ],
            )
        fig["insert_s"] = time.perf_counter() - t0
        db_mb = (Path(tmp) / "vault" / "custos.db").stat().st_size / 2**20
        print(f"  bulk insert (fixture): {fig['insert_s']:.1f} s; database {db_mb:.0f} MB")
        del refs
        base = rss_mb()
        t0 = time.perf_counter()
        g, _, rows = gallery(session, "bench")
        fig["load_s"] = time.perf_counter() - t0
        fig["memory_ratio_load"] = (rss_mb() - base) / raw_mb
        assert len(g) == n
        print(
            f"  gallery() load: {fig['load_s']:.2f} s for {len(g):,} references "
            f"({raw_mb:.0f} MB raw); memory after load / raw {fig['memory_ratio_load']:.2f}x"
        )
        exact_d, exact_i = g.nearest(probes, 50)
        del g, rows
        print(f"  load average now: {os.getloadavg()[0]:.2f}")

        def timed_search(label: str) -> tuple[float, list[tuple[int | None, str, int]]]:
            t0 = time.perf_counter()
            out = _ms.search(session, ["bench"], case_reference="C-1", top=10)
            sec = time.perf_counter() - t0
            print(f"  search(), 100 probes, {label}: {sec:.2f} s ({sec * 10:.1f} ms/probe)")
            return sec, [(c.face, c.subject, c.rank) for c in out.candidates]

        threshold = ann.INDEX_MIN_REFERENCES
        ann.INDEX_MIN_REFERENCES = n + 1  # exact, gallery loaded by the search itself
        fig["search_exact_s"], exact_c = timed_search("exact (load counted, no cache)")
        ann.INDEX_MIN_REFERENCES = min(threshold, n)
        fig["search_index_first_s"], first_c = timed_search(
            "index, first (load + cache write + build)"
        )
        fig["search_index_again_s"], again_c = timed_search("index, cached gallery + index")
        t0 = time.perf_counter()
        _ms._searchable(session, "bench", "investigative")
        fig["cache_check_ms"] = (time.perf_counter() - t0) * 1000
        cached = next(iter(_sessions[session].by_watchlist.values()))
        g = cached.gallery
        assert g.index is not None
        fig["memory_ratio_index"] = (rss_mb() - base) / raw_mb
        fig["index_build_s"] = g.index.build_seconds
        times = {}
        for exact in (True, False):
            g.investigate(probes[:5], 10, exact=exact)
            t0 = time.perf_counter()
            g.investigate(probes, 10, exact=exact)
            times[exact] = (time.perf_counter() - t0) * 1000 / len(probes)
        fig["exact_ms_per_probe"], fig["index_ms_per_probe"] = times[True], times[False]
        g.index.search(probes[:5], 50)
        t0 = time.perf_counter()
        _, approx_i = g.index.search(probes, 50)
        fig["index_top50_ms_per_probe"] = (time.perf_counter() - t0) * 1000 / len(probes)
        fig["recall50"] = float(
            np.mean([len(set(a) & set(b)) / 50 for a, b in zip(exact_i, approx_i, strict=True)])
        )
        same_top10 = float(np.mean([a == b for a, b in zip(exact_c, again_c, strict=True)]))
        print(
            f"  index build {fig['index_build_s']:.1f} s; memory with cached gallery + index / "
            f"raw {fig['memory_ratio_index']:.2f}x"
        )
        print(
            f"  search kernel, batch of 100, top-10 subjects: exact {times[True]:.2f} ms/probe, "
            f"index {times[False]:.2f} ms/probe; index top-50 {fig['index_top50_ms_per_probe']:.2f}"
            f" ms/probe, recall@50 vs exact {fig['recall50']:.4f}"
        )
        print(
            f"  cache check (watchlist unchanged): {fig['cache_check_ms']:.1f} ms; the rest of a "
            f"cached search is recording its {len(again_c)} candidates (rows, signed audit)"
        )
        print(
            f"  recorded candidates, index vs exact: {same_top10:.4f} identical "
            f"(first/second index runs equal: {first_c == again_c}); exact run exact_d[0,:3] = "
            f"{exact_d[0, :3]}"
        )
        print(f"  load average now: {os.getloadavg()[0]:.2f}")
        del g, cached

        # the persistent cache written by the first index search: a new session's first load
        folder = session.folder
        with session.db() as db:
            wl = db.get(Watchlist, wl_id)
            assert wl is not None
            cache_file = gallerycache.cache_path(session, wl.id)
            rows_all = load_watchlist_rows(db, wl)
            seq, max_ids = _ms._version(db)
            h = gallerycache.CacheHeader(
                wl.id, seq, max_ids, MODEL_NAME, MODEL_VERSION, n, head=_ms._head(db, seq)
            )
        t0 = time.perf_counter()
        gallerycache.write(session, h, rows_all)
        fig["cache_write_s"] = time.perf_counter() - t0
        del rows_all
        session.close()
        fig["cache_mb"] = cache_file.stat().st_size / 2**20
        session = unlock(folder, "bench", "correct horse battery")
        base = rss_mb()
        t0 = time.perf_counter()
        g, _, rows, _ = _ms._searchable(session, "bench", "alert")
        fig["cache_load_s"] = time.perf_counter() - t0
        fig["memory_ratio_cache_load"] = (rss_mb() - base) / raw_mb
        assert len(g) == n and np.array_equal(g.nearest(probes, 50)[1], exact_i)
        del g, rows
        print(
            f"  new session, first load (alert mode, no index): from the cache "
            f"{fig['cache_load_s']:.2f} s vs from the database (gallery() above) "
            f"{fig['load_s']:.2f} s; memory after / raw {fig['memory_ratio_cache_load']:.2f}x"
        )
        print(
            f"  cache file {fig['cache_mb']:.0f} MB, written in {fig['cache_write_s']:.2f} s "
            f"(after a database load, inside the first search)"
        )
        session.close()
        session = unlock(folder, "bench", "correct horse battery")
        fig["search_new_session_s"], new_c = timed_search(
            "index, new session's first (cache load + build)"
        )
        print(f"  same candidates as the first session's: {new_c == first_c}")
        print(f"  load average now: {os.getloadavg()[0]:.2f}")
        ann.INDEX_MIN_REFERENCES = threshold
        session.close()
    return fig


def main() -> None:
    ap = argparse.ArgumentParser()
    default = os.environ.get("CUSTOS_FACES", str(REPO.parent / "shared" / "faces"))
    ap.add_argument("--faces", type=Path, default=Path(default))
    ap.add_argument("--skip-1m", action="store_true")
    ap.add_argument("--skip-cluster", action="store_true")
    ap.add_argument("--skip-eval", action="store_true", help="skip custos eval vs face_recognition")
    ap.add_argument("--skip-detect", action="store_true", help="skip (a); still embeds the photos")
    ap.add_argument("--quick-index", action="store_true", help="index: default settings only")
    ap.add_argument(
        "--product",
        type=int,
        metavar="N",
        help="only (d): the product path on a vault watchlist of N references",
    )
    args = ap.parse_args()
    if args.skip_detect:
        with (args.faces / "labels.csv").open() as fh:
            paths = [args.faces / r["path"] for r in csv.DictReader(fh) if r["faces"]]
        with DetectPool() as pool:
            real = [f.embedding for r in pool.run(paths, with_crops=False) for f in r.faces]
    else:
        real, _ = bench_detect(args.faces, skip_eval=args.skip_eval)
    if args.product:
        bench_product(real, args.product)
        return
    if not args.skip_1m:
        bench_search(real, full_index_sweep=not args.quick_index)
    if not args.skip_cluster:
        bench_cluster(real)


if __name__ == "__main__":
    main()
