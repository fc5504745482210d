"""A ``custos bundle import X.tar.age`` killed with SIGKILL while it unpacks: the partner's
evidence it had decrypted into the vault's ``tmp/`` is gone at the next open, even while another
process has the vault open (when ``tmp/`` as a whole is not emptied)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from exchange_kit import PASSWORD, ROOT, Kit

from exchange.export import ExportJob
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import ignore


def _holding(folder: Path, sample: bytes) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and sample in path.read_bytes():
                found.append(path)
        except OSError:
            continue
    return found


def _cli(vault: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "CUSTOS_VAULT": str(vault), "CUSTOS_USER": "bernd"}
    env["CUSTOS_PASSWORD"] = PASSWORD
    return [sys.executable, "-m", "cli.main", *args], env


def test_a_killed_encrypted_import_leaves_no_evidence_in_clear_after_the_next_open(
    kit: Kit,
) -> None:
    evidence = kit.root / "big" / "seized.bin"
    evidence.parent.mkdir()
    data = os.urandom(96 << 20)
    evidence.write_bytes(data)
    sample = data[(80 << 20) : (80 << 20) + 4096]  # written late in the unpack
    create_case(kit.a, "NL-9", "Operation Big")
    ingest(kit.a, "NL-9", [evidence])
    out = kit.root / "big-to-bka"
    bundle = ExportJob(kit.a, "NL-9", "BKA", out=out, purpose="joint-operation", encrypt=True).run(
        ignore
    )
    kit.made.append(bundle.path)
    case = kit.new_case()
    vault = kit.b.folder  # kit.b stays open in this process: tmp/ is not emptied at open
    args, env = _cli(vault, "bundle", "import", str(bundle.path), "--case", case)
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "the import ended before it was killed"
            assert time.monotonic() < deadline
            staged = [p for p in (vault / "tmp").rglob("*") if p.is_file()]
            if any(p.stat().st_size > (80 << 20) for p in staged):
                break
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _holding(vault / "tmp", sample), "killed while the evidence was in tmp/ in clear"
    args, env = _cli(vault, "case", "list")
    opened = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    assert _holding(vault, sample) == []
    assert [p.name for p in (vault / "tmp").iterdir()] == []
