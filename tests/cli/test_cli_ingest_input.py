"""``custos ingest`` and ``case create`` as a user runs them: resuming an ingest, refused custody
values and case references (each one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

from vaultkit import one_error_line, run_cli

CASE = "C-1"


_line = one_error_line  # exactly one error line on stderr, and the exit code


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


def test_a_future_seizure_date_is_refused_at_ingest_and_in_a_correction(
    vault_dir: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "IMG_1.JPG"
    photo.write_bytes(b"photo")
    refused = run_cli(
        "ingest", "--case", CASE, "--seized-on", "2999-01-01", str(photo), vault=vault_dir
    )
    assert _line(refused, 2) == "error: seizure date '2999-01-01' is in the future"
    saved = run_cli(
        "ingest", "--case", CASE, "--seized-on", "2026-03-01", str(photo), vault=vault_dir
    )
    assert saved.returncode == 0, saved.stderr
    args = ("items", "correct", "1", "--field", "seized_on", "--reason", "typo", "--value")
    assert _line(run_cli(*args, "2999-01-01", vault=vault_dir), 2) == (
        "error: seizure date '2999-01-01' is in the future"
    )
    assert "not an ISO 8601" in _line(run_cli(*args, "March", vault=vault_dir), 2)
    assert run_cli(*args, "2026-02-28T09:00", vault=vault_dir).returncode == 0


def test_case_create_refuses_an_unsafe_reference_and_documents_the_rule(vault_dir: Path) -> None:
    line = _line(run_cli("case", "create", "bad ref/../x", "--title", "t", vault=vault_dir), 2)
    assert line.startswith("error: case reference 'bad ref/../x': character ' ' not allowed")
    line = _line(run_cli("case", "create", "OP/../x", "--title", "t", vault=vault_dir), 2)
    assert line.startswith("error: case reference 'OP/../x': an empty, '.' or '..' part")
    made = run_cli("case", "create", "OP-2026/0042", "--title", "t", vault=vault_dir)
    assert made.stdout.strip() == "case OP-2026/0042 created", made.stderr
    helped = run_cli("case", "create", "--help", vault=vault_dir).stdout
    assert "OP-2026/0042" in helped and "'..'" in helped
