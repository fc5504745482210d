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


def test_control_characters_in_names_are_shown_as_escapes(vault_dir: Path, tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    _named(card, b"evil\x1b[2J\x1b[31mred\x07.jpg", b"ansi")
    os.symlink("/etc/passwd", os.fsencode(card) + b"/link\x1b[1A\r.jpg")
    ingested = run_cli("ingest", "--case", CASE, str(card), vault=vault_dir)
    assert ingested.returncode == 1, ingested.stderr  # the link is refused, the photo saved
    assert f"error: {card}/link\\x1b[1A\\x0d.jpg: symbolic link, not followed" in ingested.stderr
    shown = "card/evil\\x1b[2J\\x1b[31mred\\x07.jpg"
    listed = run_cli("items", "list", "--case", CASE, vault=vault_dir)
    assert listed.stdout.rstrip("\n").endswith(" " + shown)
    item = listed.stdout.split()[0]
    detail = run_cli("items", "show", item, vault=vault_dir)
    assert f"name           {shown}" in detail.stdout.splitlines()
    exported = run_cli("items", "export", item, "--to", str(tmp_path), vault=vault_dir)
    assert exported.returncode == 0, exported.stderr
    annotated = run_cli("items", "annotate", item, "--note", "seen\x1b[8m hidden", vault=vault_dir)
    assert annotated.returncode == 0, annotated.stderr
    history = run_cli("custody", item, vault=vault_dir)
    assert "to=" + str(tmp_path) + "/evil\\x1b[2J\\x1b[31mred\\x07.jpg" in history.stdout
    assert "note=seen\\x1b[8m hidden" in history.stdout
    for result in (ingested, listed, detail, exported, history):
        assert "\x1b" not in result.stdout + result.stderr
        assert "\x07" not in result.stdout + result.stderr


def test_a_case_title_with_control_characters_is_shown_escaped(vault_dir: Path) -> None:
    made = run_cli("case", "create", "OP-9", "--title", "Kite\x1b[2J\u202egpj.exe", vault=vault_dir)
    assert made.returncode == 0, made.stderr
    listed = run_cli("case", "list", vault=vault_dir).stdout
    shown = run_cli("case", "show", "OP-9", vault=vault_dir).stdout
    assert "Kite\\x1b[2J\\u202egpj.exe" in listed
    assert "title:       Kite\\x1b[2J\\u202egpj.exe" in shown.splitlines()
    assert "\x1b" not in listed + shown and "\u202e" not in listed + shown
