"""Asking for a user and a password: only for a vault that is there, only with a terminal.

The CLI runs here without a terminal (a new session, stdin from /dev/null), as under cron or CI:
a prompt it cannot ask is one line naming the variable to set, exit 2, never a GetPassWarning.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vaultkit import NEW_PASSWORD, PASSWORD, ROOT, one_clear_line


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``custos`` with no terminal and only the CUSTOS_ variables given here."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    full.update(COLUMNS="200", **env)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
        timeout=120,
    )


def _line(result: subprocess.CompletedProcess[str], code: int) -> str:
    text = one_clear_line(result)
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert len(text.splitlines()) == 1, text
    assert "Warning" not in text
    return text


@pytest.mark.parametrize("env", [{}, {"CUSTOS_USER": "alice"}], ids=["prompt", "user given"])
def test_a_missing_vault_is_said_before_any_prompt(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "nowhere"
    line = _line(_cli("--vault", str(missing), "case", "list", **env), 6)
    assert line == f"error: {missing}: no vault here (run 'custos init' first)"


def test_without_a_terminal_a_prompt_names_the_variable_to_set(vault_dir: Path) -> None:
    vault = str(vault_dir)
    assert _line(_cli("--vault", vault, "case", "list"), 2) == (
        "error: no terminal to ask for the user name: set CUSTOS_USER"
    )
    assert _line(_cli("--vault", vault, "case", "list", CUSTOS_USER="alice"), 2) == (
        "error: no terminal to ask for a password: set CUSTOS_PASSWORD"
    )
    signed_in = {"CUSTOS_USER": "alice", "CUSTOS_PASSWORD": PASSWORD}
    assert _line(
        _cli("--vault", vault, "user", "add", "bob", "--role", "analyst", **signed_in), 2
    ) == ("error: no terminal to ask for a password: set CUSTOS_NEW_PASSWORD")


def test_init_takes_custos_new_password_and_says_so_without_a_terminal(tmp_path: Path) -> None:
    vault, identity = tmp_path / "v1", tmp_path / "recovery.txt"
    args = (
        "--vault",
        str(vault),
        "init",
        "--admin",
        "alice",
        "--recovery-identity-out",
        str(identity),
    )
    assert _line(_cli(*args), 2) == (
        "error: no terminal to ask for a password: set CUSTOS_NEW_PASSWORD"
    )
    assert not vault.exists() and not identity.exists()

    made = _cli(*args, CUSTOS_NEW_PASSWORD=NEW_PASSWORD)
    assert made.returncode == 0, made.stderr
    listed = _cli(
        "--vault", str(vault), "case", "list", CUSTOS_USER="alice", CUSTOS_PASSWORD=NEW_PASSWORD
    )
    assert listed.returncode == 0, listed.stderr

    # CUSTOS_PASSWORD still serves init when CUSTOS_NEW_PASSWORD is not set (older scripts)
    other = tmp_path / "v2"
    made = _cli(
        "--vault",
        str(other),
        "init",
        "--admin",
        "alice",
        "--recovery-identity-out",
        str(tmp_path / "r2.txt"),
        CUSTOS_PASSWORD=PASSWORD,
    )
    assert made.returncode == 0, made.stderr


def test_init_into_a_vault_and_recover_of_no_vault_are_said_before_the_prompt(
    vault_dir: Path, recovery_file: Path, tmp_path: Path
) -> None:
    line = _line(_cli("--vault", str(vault_dir), "init", "--admin", "eve"), 2)
    assert line == f"error: {vault_dir}: a vault already exists here"
    missing = tmp_path / "nowhere"
    recover = ("recover", "--identity", str(recovery_file), "--admin", "alice")
    line = _line(_cli("--vault", str(missing), *recover), 6)
    assert line == f"error: {missing}: no vault here (run 'custos init' first)"
