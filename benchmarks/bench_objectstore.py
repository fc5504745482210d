"""Small objects to an S3 store: one object each vs packs (issue 12), on the trial server.

    uv run python benchmarks/bench_objectstore.py [--objects N] [--runs R]

Starts a trial server (``vault.server.trial.up``) on free loopback ports in a temp folder, makes N
(default 10,000) age files of 4 KiB of random data to the vault's two kinds of recipient, and
times, in the same run:

* ``one-each``: ``S3Store.put`` of every age file (one PUT each, as a vault storing loose blobs
  would); anchor: boto3's own ``put_object`` of the same bytes in a plain loop (the least any
  Python S3 client does per object);
* ``packs``: the same objects in packs of 1,024 (``vault.packs.PackWriter``, sealing included),
  each pack one ``S3Store.put``.

A library-level figure: no ``custos`` command writes to S3 yet. Best of R runs; the machine is
shared, so say the load with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vault import agefmt  # noqa: E402
from vault.objectstore import S3Store, key_for, s3_client  # noqa: E402
from vault.packs import PackWriter  # noqa: E402
from vault.server import trial  # noqa: E402
from vault.server.base import free_port_base  # noqa: E402

SIZE = 4096
PACK_OBJECTS = 1024


def make_objects(folder: Path, n: int, recipients: list[agefmt.Recipient]) -> list[Path]:
    out = []
    for i in range(n):
        path = folder / f"{i:06}"
        with open(path, "wb") as fh:
            enc = agefmt.Encryptor(fh, recipients)
            enc.write(os.urandom(SIZE))
            enc.close()
        out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    parent = Path(tempfile.mkdtemp(prefix="custos-bos-"))
    os.chmod(parent, 0o711)
    folder = parent / "s"
    try:
        connection, _ = trial.up(folder, free_port_base())
        store = S3Store(connection.address.s3, connection.credentials)
        recipients = [agefmt.Identity.generate().recipient, agefmt.Identity.generate().recipient]
        objects = make_objects(parent, args.objects, recipients)
        plain = [os.urandom(SIZE) for _ in range(args.objects)]
        client = s3_client(connection.address.s3, connection.credentials)
        best: dict[str, float] = {}

        def one_each() -> None:
            for path in objects:
                store.put(key_for("blobs", os.urandom(32).hex()), path)

        def anchor() -> None:
            for path in objects:
                client.put_object(
                    Bucket=store.bucket,
                    Key=key_for("blobs", os.urandom(32).hex()),
                    Body=path.read_bytes(),
                )

        def in_packs() -> None:
            for start in range(0, args.objects, PACK_OBJECTS):
                writer = PackWriter(str(parent), recipients)
                for data in plain[start : start + PACK_OBJECTS]:
                    writer.add(hashlib.sha256(data).hexdigest(), data)
                writer.seal()
                store.put(key_for("packs", os.urandom(16).hex()), Path(writer.path))
                os.unlink(writer.path)

        contenders = [("one-each", one_each), ("anchor", anchor), ("packs", in_packs)]
        for run in range(args.runs):
            # alternate the order: the store slows as it fills, which must not favour one side
            for name, fn in contenders if run % 2 == 0 else contenders[::-1]:
                t = time.perf_counter()
                fn()
                took = time.perf_counter() - t
                print(f"run {run + 1}: {name} {took:.2f} s", flush=True)
                best[name] = min(best.get(name, 1e9), took)
        n = args.objects
        print(
            f"{n} objects of {SIZE} B: one PUT each {best['one-each']:.2f} s "
            f"({n / best['one-each']:.0f}/s), boto3 put_object anchor {best['anchor']:.2f} s "
            f"(ratio {best['one-each'] / best['anchor']:.2f}x); packs of {PACK_OBJECTS} "
            f"{best['packs']:.2f} s ({best['one-each'] / best['packs']:.1f}x faster than one each)"
        )
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        if folder.exists():
            trial.down(folder)
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
