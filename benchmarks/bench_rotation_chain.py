"""A vault-key rotation's pass over the audit log (``rotation.recorded_users``: every entry's
hash recomputed and linked, every signature checked, the users' last digests taken) on a local
vault of N entries (default 100,000), against its anchor timed in the same run on the same
vault: verify's chain check alone (``audit.check_chain``, the same ``ChainChecker``).

    .venv/bin/python benchmarks/bench_rotation_chain.py [--entries N] [--dir FOLDER]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from vault.audit import check_chain, count  # noqa: E402
from vault.rotation import recorded_users  # noqa: E402
from vaultkit import new_vault  # noqa: E402

_PER_TRANSACTION = 5000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        session, _ = new_vault(Path(tmp) / "vault")
        for start in range(0, args.entries, _PER_TRANSACTION):
            with session.transaction() as db:
                for n in range(start, min(start + _PER_TRANSACTION, args.entries)):
                    session.audit(db, "case.viewed", target=f"cases:{n % 97 + 1}")
        with session.db() as db:
            entries = count(db)
            t0 = time.perf_counter()
            problems = list(check_chain(db, session.chain_root_public))
            anchor = time.perf_counter() - t0
            t0 = time.perf_counter()
            users = recorded_users(session, db)
            chain = time.perf_counter() - t0
        session.close()
        assert not problems and users
        print(f"{entries} audit entries")
        print(f"verify's chain check (anchor) : {anchor:6.2f} s")
        print(f"rotation's pass over the chain: {chain:6.2f} s")
        print(f"ratio rotation / anchor       : {chain / anchor:.2f}")


if __name__ == "__main__":
    main()
