"""Vault-key rotation on an agency server against the same rotation of a local vault, same run.

    .venv/bin/python benchmarks/bench_server_rotation.py [--files N] [--kib K] [--runs R]

Both vaults hold the same ingest: N files (default 10,000) of K KiB (default 4: packed objects,
so the work is mostly the records: every item's sealed columns, the audit log, the blind
indexes), ingested untimed. Timed: ``rotate_vault_key`` in this process, as the admin's
``custos keys rotate-vault`` runs it once the vault is open. The local vault re-keys its
SQLCipher file (``sqlcipher_export``) and re-wraps its packs; the server re-seals every sealed
value in one PostgreSQL transaction and re-wraps its objects in S3 (a trial server on the same
cores: ``tests/serverkit.py``). Each is rotated R times (default 3), alternating; the best and
all of them are printed, with the load average (the machine is shared: say it with the figures).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from serverkit import running_trial_server  # noqa: E402

from vault.cases import create_case  # noqa: E402
from vault.ingest import ingest  # noqa: E402
from vault.rotation import rotate_vault_key  # noqa: E402
from vaultkit import FAST_KDF, PASSWORD  # noqa: E402


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _vault(where: object, folder: Path) -> object:
    from service.opener import init_vault

    session, _ = init_vault(where, "alice", PASSWORD, kdf=FAST_KDF)  # type: ignore[arg-type]
    create_case(session, "C-1", "benchmark", ["fraud"])
    ingest(session, "C-1", [folder])
    return session


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--kib", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        card = Path(tmp) / "card"
        card.mkdir()
        size = int(args.kib * 1024)
        for i in range(args.files):
            (card / f"f{i:05}.bin").write_bytes(os.urandom(size))
        os.environ["CUSTOS_CACHE_DIR"] = str(Path(tmp) / "cache")
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        with running_trial_server() as server, server.place() as place:
            local = _vault(Path(tmp) / "vault", card)
            remote = _vault(place, card)
            times: dict[str, list[float]] = {"local": [], "server": []}
            loads: list[str] = []
            for _ in range(args.runs):
                for name, session in (("local", local), ("server", remote)):
                    loads.append(_load())
                    t0 = time.perf_counter()
                    rotate_vault_key(session, "benchmark")  # type: ignore[arg-type]
                    times[name].append(time.perf_counter() - t0)
            local.close()  # type: ignore[attr-defined]
            remote.close()  # type: ignore[attr-defined]
    best = {k: min(v) for k, v in times.items()}
    print(f"vault-key rotation, {args.files} files of {args.kib:g} KiB, best of {args.runs}")
    for name in ("local", "server"):
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"  {name:6}: {best[name]:6.2f} s   (runs: {runs})")
    print(f"  ratio server / local: {best['server'] / best['local']:.2f}x")
    print(f"  load average at each run's start: {'; '.join(loads)}; after: {_load()}")


if __name__ == "__main__":
    main()
