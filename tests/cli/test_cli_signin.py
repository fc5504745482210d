"""Failed sign-ins through the real ``custos``: a throttled name gets one line at once (never a
silent wait), ``custos user signins`` lists them for admins with typed names escaped, and the
head it prints is the one ``custos verify --head`` checks."""

from __future__ import annotations

import json
import time
from pathlib import Path

from vault.signin import FILENAME, FREE_FAILURES, wait_after
from vaultkit import ROLE_USER, one_error_line, run_cli

WRONG = "error: unknown user or wrong password"


_line = one_error_line  # exactly one error line on stderr, and the exit code


def test_a_throttled_name_is_told_to_wait_in_one_line_without_waiting(vault_dir: Path) -> None:
    for _ in range(FREE_FAILURES):
        assert _line(run_cli("case", "list", vault=vault_dir, password="guess!!!"), 3) == WRONG
    # as if the guessing had gone on: the record file says 9 failures, the last just now
    path = vault_dir / FILENAME
    raw = json.loads(path.read_text())
    (record,) = raw["names"].values()
    record.update(failures=9, last=time.time())
    path.write_text(json.dumps(raw))
    # the right password is refused too, at once (a wait of 32 s would pass the timeout)
    line = _line(run_cli("case", "list", vault=vault_dir, timeout=25), 3)
    assert line.startswith("error: too many failed sign-ins for this name: wait ")
    assert 0 < int(line.split("wait ")[1].split()[0]) <= wait_after(9)
    # another name is not held back by it
    assert run_cli("case", "list", vault=vault_dir, user=ROLE_USER["officer"]).returncode == 0


def test_admins_list_failed_sign_ins_with_names_escaped_and_pin_the_head(vault_dir: Path):
    hostile = "\x1b[2J\u202eadmin"
    assert _line(run_cli("case", "list", vault=vault_dir, user=hostile), 3) == WRONG
    assert _line(run_cli("case", "list", vault=vault_dir, password="guess!!!"), 3) == WRONG
    officer = run_cli("user", "signins", vault=vault_dir, user=ROLE_USER["officer"])
    assert officer.returncode == 4, officer.stderr
    shown = run_cli("user", "signins", vault=vault_dir, user=ROLE_USER["admin"])
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout
    lines = shown.stdout.splitlines()
    assert any("\\x1b[2J\\u202eadmin  1 failed" in line for line in lines), lines
    assert any("alice  1 failed" in line for line in lines), lines
    assert "guess" not in shown.stdout
    as_json = json.loads(
        run_cli("user", "signins", "--json", vault=vault_dir, user=ROLE_USER["admin"]).stdout
    )
    assert {f["name"] for f in as_json["failed"]} == {hostile, "alice"}
    head = as_json["head"]
    assert f"custos verify --head {head}" in shown.stdout
    pinned = run_cli("verify", "--head", head, vault=vault_dir)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr


def test_a_record_file_that_cannot_be_replaced_is_one_line(vault_dir: Path) -> None:
    (vault_dir / FILENAME).mkdir()
    (vault_dir / FILENAME / "x").write_text("")
    line = _line(run_cli("case", "list", vault=vault_dir), 6)
    assert "failed sign-ins cannot be recorded" in line and FILENAME in line


def test_a_planted_link_is_not_followed_and_the_swap_is_audited(vault_dir: Path, tmp_path):
    target = tmp_path / "someone_elses_file"
    target.write_text("not yours")
    (vault_dir / FILENAME).symlink_to(target)
    assert _line(run_cli("case", "list", vault=vault_dir, password="guess!!!"), 3) == WRONG
    assert target.read_text() == "not yours"
    shown = run_cli("user", "signins", vault=vault_dir)
    assert f"record of failed sign-ins replaced: {FILENAME} was a symbolic link" in shown.stdout


def test_a_name_or_password_that_is_not_text_is_a_wrong_password_in_one_line(vault_dir: Path):
    """Bytes that are not UTF-8 in CUSTOS_USER / CUSTOS_PASSWORD once crashed the early key
    derivation with a traceback."""
    for user, password in (("al\udcffice", "guess!!!"), ("alice", "guess\udcff")):
        assert _line(run_cli("case", "list", vault=vault_dir, user=user, password=password), 3) == (
            WRONG
        )
    shown = run_cli("user", "signins", "--json", vault=vault_dir)
    names = {f["name"]: f["failures"] for f in json.loads(shown.stdout)["failed"]}
    assert names == {"al\\udcffice": 1, "alice": 1}
