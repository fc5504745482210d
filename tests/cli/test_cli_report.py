"""``custos report`` and ``custos timeline`` as a user runs them (subprocess, real openssl)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

from PIL import Image

from vaultkit import ROLE_USER, one_error_line, require_tool, run_cli

CASE = "C-1"


def _photo_with_exif(source: Path, target: Path) -> None:
    img = Image.open(source)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2019:12:31 23:59:58"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (33.0, 51.0, 0.0), "E", (151.0, 12.0, 36.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    target.write_bytes(buf.getvalue())


def test_report_and_timeline_from_the_command_line(
    vault_dir: Path, tmp_path: Path, faces_dir: Path
) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    _photo_with_exif(faces_dir / "knn/test/obama1.jpg", ev / "sydney.jpg")
    (ev / "note.txt").write_text("seized note\n")
    assert run_cli("ingest", "--case", CASE, str(ev), vault=vault_dir).returncode == 0
    assert run_cli("faces", "detect", "--case", CASE, vault=vault_dir).returncode == 0

    out = tmp_path / "out" / "case c1.pdf"
    out.parent.mkdir()
    done = run_cli("report", "--case", CASE, "--out", str(out), "--lang", "ar", vault=vault_dir)
    assert done.returncode == 0, done.stderr
    assert "2 item(s), 0 face match(es)" in done.stdout
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == ["case c1.html", "case c1.pdf", "case c1.pdf.sig", "case c1.pem"]
    openssl = require_tool("openssl")
    pem, sig = out.with_suffix(".pem"), out.with_name(out.name + ".sig")
    cmd = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin"]
    check = subprocess.run([*cmd, "-in", out, "-sigfile", sig], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr

    again = run_cli("report", "--case", CASE, "--out", str(out), vault=vault_dir)
    assert "already exists" in one_error_line(again, 2)
    refused = run_cli(
        "report", "--case", CASE, "--out", str(tmp_path / "o.pdf"),
        vault=vault_dir, user=ROLE_USER["officer"],
    )  # fmt: skip
    assert "may not make signed court reports" in one_error_line(refused, 4)

    listed = run_cli("timeline", "--case", CASE, "--json", vault=vault_dir)
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert [e["source"] for e in entries] == ["exif", "file-modified"]
    first = entries[0]
    assert first["time"] == "2019-12-31T23:59:58" and first["zone"] == "not recorded"
    assert (round(first["lat"], 4), round(first["lon"], 4)) == (-33.85, 151.21)
    text = run_cli("timeline", "--case", CASE, vault=vault_dir)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].split()[:4] == [
        "2019-12-31T23:59:58",
        "(not",
        "recorded)",
        "EXIF",
    ]
    assert "-33.850000,151.210000" in text.stdout
    assert "file time (modified, at ingest)" in text.stdout.splitlines()[1]
