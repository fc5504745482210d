"""How ``vault/`` here was made: by the code of main at 21b2d5c (vault format 2), before packs.

Run from a checkout of that commit (``git archive 21b2d5c | tar -x -C SRC``) with
``python make.py SRC OUT``. Admin ``alice``, password ``vaultkit.PASSWORD``, the cheap test KDF;
case C-OLD holds six small notes (one of them twice: stored once) and a 70,000-byte file.
``tests/vault/test_packs.py`` upgrades a copy of it to format 3.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def small_note(n: int) -> bytes:
    return (f"frozen small object {n}\n" * (n * 40 + 1)).encode()


def large() -> bytes:
    return bytes(i * 7 % 251 for i in range(70_000))


def main(src: Path, out: Path) -> None:
    sys.path[:0] = [str(src), str(src / "tests")]
    from vault.cases import create_case
    from vault.ingest import ingest
    from vaultkit import new_vault

    shutil.rmtree(out, ignore_errors=True)
    sources = out / "sources"
    sources.mkdir(parents=True)
    for n in range(6):
        (sources / f"note{n}.txt").write_bytes(small_note(n))
    (sources / "copy-of-note0.txt").write_bytes(small_note(0))
    (sources / "large.bin").write_bytes(large())
    session, recovery = new_vault(out / "vault")
    (out / "recovery.txt").write_text(recovery)
    create_case(session, "C-OLD", "Frozen vault of format 2", ["fraud"])
    result = ingest(session, "C-OLD", [sources])
    assert len(result.saved) == 8 and not result.failed
    session.close()
    shutil.rmtree(out / "vault" / "tmp", ignore_errors=True)
    shutil.rmtree(sources)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
