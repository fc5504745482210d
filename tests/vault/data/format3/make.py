"""How ``vault/`` here was made: by the code of main at 0471385 (vault format 3, packs, before
the Alembic migrations: no ``alembic_version`` table), as users of session 5 hold vaults today.

Run from a checkout of that commit (``git archive 0471385 | tar -x -C SRC``) with
``python make.py SRC OUT``. Admin ``alice``, password ``vaultkit.PASSWORD``, the cheap test KDF;
case C-NOW holds 260 small notes (in one pack; note 0 twice, stored once) and a 70,000-byte file
(a blob of its own); item 1 has a note and a correction in its custody.
``tests/vault/test_migrations.py`` opens a copy and upgrades it to the head revision.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

NOTES = 260


def small_note(n: int) -> bytes:
    return (f"frozen format-3 object {n}\n" * (n % 4 + 1)).encode()


def large() -> bytes:
    return bytes(i * 11 % 251 for i in range(70_000))


def main(src: Path, out: Path) -> None:
    sys.path[:0] = [str(src), str(src / "tests")]
    from vault.cases import create_case
    from vault.ingest import ingest
    from vault.items import annotate, correct
    from vaultkit import new_vault

    shutil.rmtree(out, ignore_errors=True)
    sources = out / "sources"
    sources.mkdir(parents=True)
    for n in range(NOTES):
        (sources / f"note{n:03}.txt").write_bytes(small_note(n))
    (sources / "copy-of-note000.txt").write_bytes(small_note(0))
    (sources / "large.bin").write_bytes(large())
    session, recovery = new_vault(out / "vault")
    (out / "recovery.txt").write_text(recovery)
    create_case(session, "C-NOW", "Frozen vault of format 3", ["fraud"])
    result = ingest(session, "C-NOW", [sources])
    assert len(result.saved) == NOTES + 2 and not result.failed
    annotate(session, 1, "seen by the frozen-vault maker")
    correct(session, 1, "seized_from", "a frozen vault", "made for the migration tests")
    session.close()
    shutil.rmtree(out / "vault" / "tmp", ignore_errors=True)
    shutil.rmtree(sources)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
