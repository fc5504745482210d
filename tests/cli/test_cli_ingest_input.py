"""``custos ingest`` and ``case create`` as a user runs them: resuming an ingest, refused custody
values and case references (each one line, exit 2)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vaultkit import one_clear_line, run_cli

CASE = "C-1"


def _line(result: subprocess.CompletedProcess[str], code: int) -> str:
    text = one_clear_line(result)
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert len(text.splitlines()) == 1, text
    return text


def test_ingest_run_again_skips_what_is_there_unless_again(vault_dir: Path, tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    for n in range(3):
        (card / f"IMG_{n}.JPG").write_bytes(b"photo %d" % n)
    assert run_cli("ingest", "--case", CASE, str(card), vault=vault_dir).returncode == 0
    (card / "IMG_9.JPG").write_bytes(b"left over when Ctrl-C came")

    resumed = run_cli("ingest", "--case", CASE, str(card), vault=vault_dir)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines() == [
        f"saved 1 item(s) to case {CASE}",
        "skipped 3 file(s) already in the case (same path and SHA-256; --again stores them again)",
    ]
    forced = run_cli("ingest", "--case", CASE, "--again", str(card), vault=vault_dir)
    assert forced.stdout.splitlines() == [f"saved 4 item(s) to case {CASE}"]
    listed = run_cli("items", "list", "--case", CASE, vault=vault_dir).stdout.splitlines()
    assert len(listed) == 8
