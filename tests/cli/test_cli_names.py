"""Seized file names as the CLI shows them: bytes that are not UTF-8 and control characters are
shown escaped (``caf\\xe9.jpg``, ``\\x1b[2J``), never fatal and never read by the terminal."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vaultkit import one_clear_line, run_cli

CASE = "C-1"


def _named(folder: Path, name: bytes, data: bytes) -> None:
    fd = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, data)
    os.close(fd)


def test_a_latin1_name_is_ingested_and_listed_escaped(vault_dir: Path, tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    (card / "good.jpg").write_bytes(b"good")
    _named(card, b"caf\xe9.jpg", b"latin-1")
    result = run_cli("ingest", "--case", CASE, str(card), vault=vault_dir)
    one_clear_line(result)
    assert result.returncode == 0, result.stderr
    assert "saved 2 item(s)" in result.stdout

    listed = run_cli("items", "list", "--case", CASE, vault=vault_dir)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].endswith(" card/caf\\xe9.jpg")
    as_json = json.loads(run_cli("items", "list", "--case", CASE, "--json", vault=vault_dir).stdout)
    assert [i["name"] for i in as_json] == ["card/caf\\xe9.jpg", "card/good.jpg"]
