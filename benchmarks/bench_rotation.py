"""Vault-key rotation of a vault of N blobs (default 1,000 x 1 MiB = 1 GiB).

Anchor, timed in the same run on the same disk: ``cp -r`` of the ``blobs`` folder (rotation
copies every payload once, plus the database export, the header re-wrap and the syncs).

    .venv/bin/python benchmarks/bench_rotation.py [--blobs N] [--mib M] [--dir FOLDER]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from vault.blobs import add_blob_rows, store_blob  # noqa: E402
from vault.fsutil import syncfs  # noqa: E402
from vault.rotation import rotate_vault_key  # noqa: E402
from vaultkit import new_vault, open_as  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blobs", type=int, default=1000)
    ap.add_argument("--mib", type=float, default=1.0, help="size of each blob")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp) / "vault"
        session, _ = new_vault(folder)
        size = int(args.mib * (1 << 20))
        for start in range(0, args.blobs, 50):
            stored = [
                store_blob(session, os.urandom(size))
                for _ in range(start, min(start + 50, args.blobs))
            ]
            with session.transaction() as db:
                add_blob_rows(db, *stored)
        session.close()
        total = args.blobs * size
        syncfs(folder)
        t0 = time.perf_counter()
        subprocess.run(["cp", "-r", str(folder / "blobs"), str(Path(tmp) / "copy")], check=True)
        syncfs(folder)
        anchor = time.perf_counter() - t0
        shutil.rmtree(Path(tmp) / "copy")
        syncfs(folder)
        session = open_as(folder)
        t0 = time.perf_counter()
        result = rotate_vault_key(session, "benchmark")
        rotation = time.perf_counter() - t0
        session.close()
        assert result.blobs == args.blobs
        gib = total / (1 << 30)
        print(f"{args.blobs} blobs, {gib:.2f} GiB")
        print(f"cp -r blobs + syncfs : {anchor:6.2f} s  ({gib / anchor:.2f} GiB/s)")
        print(f"vault-key rotation   : {rotation:6.2f} s  ({gib / rotation:.2f} GiB/s)")
        print(f"ratio rotation / cp  : {rotation / anchor:.2f}")


if __name__ == "__main__":
    main()
