"""``custos keys rotate-vault`` killed (SIGKILL) at every stage: the next unlock finishes or rolls
back the rotation, verify is clean and all evidence reads. And the one-line refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from service.opener import recover
from vault.ingest import ingest
from vault.models import Blob
from vault.session import Session
from vault.verify import verify
from vaultkit import PASSWORD, ROOT, audit_rows, cli_env, one_clear_line, open_as, run_cli

CASE = "C-1"


def _state(vault: Path) -> str:
    """Where a rotation stands, from its files."""
    if not (vault / "rotation.pending").exists():
        return "none"
    if (vault / "vault.toml.rekey").exists():
        return "new file prepared"
    try:
        marker = json.loads((vault / "rotation.pending").read_text())
        committed = marker["new_vault_recipient"] in (vault / "vault.toml").read_text()
    except (ValueError, OSError):
        return "marker"  # being written: nothing else is yet
    if not committed:
        return "database exported" if (vault / "custos.db.rekey").exists() else "marker"
    return "committed" if (vault / "custos.db.rekey").exists() else "re-wrapping blobs"


def _recipient(vault: Path) -> str:
    lines = (vault / "vault.toml").read_text().splitlines()
    return next(line for line in lines if "vault_recipient" in line)


def _whole(session: Session) -> int:
    report = verify(session)
    assert report.ok, report.problems
    with session.db() as db:
        rows = list(db.scalars(select(Blob)))
    for row in rows:
        session.blobs.read_verified(row.name, row.sha256, row.name)
    return len(rows)


def test_sigkill_at_every_stage_is_finished_or_rolled_back(
    vault_dir: Path, tmp_path: Path, recovery_file: Path
) -> None:
    card = tmp_path / "card"
    card.mkdir()
    for i in range(300):
        (card / f"f{i:03}.bin").write_bytes(os.urandom(200_000 + i))
    session = open_as(vault_dir)
    try:
        ingest(session, CASE, [card])
        blobs = _whole(session)
    finally:
        session.close()
    targets = ["database exported", "new file prepared", "committed", "re-wrapping blobs"]
    hit: list[str] = []
    for round_, target in enumerate(targets * 2):
        before = _recipient(vault_dir)
        with (tmp_path / "out").open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "keys", "rotate-vault", "--reason", "drill"],
                stdout=out,
                stderr=out,
                env=cli_env(vault_dir),
                cwd=ROOT,
            )
        seen = "none"
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            seen = _state(vault_dir)
            if seen == target or (round_ >= len(targets) and seen != "none"):
                if round_ >= len(targets):
                    time.sleep(0.01 * round_)  # second pass: later moments
                    seen = _state(vault_dir)
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # What the process left when it died (it may have gone on between the look and the kill)
        seen = _state(vault_dir) if proc.returncode == -signal.SIGKILL else seen
        hit.append(seen)
        if round_ % 3 == 2:  # the escrow finishes it as well as a password does
            session = recover(vault_dir, recovery_file.read_text(), "alice", PASSWORD)
        else:
            session = open_as(vault_dir)
        try:
            assert not (vault_dir / "rotation.pending").exists()
            assert not list(vault_dir.glob("*.rekey*"))
            assert _whole(session) == blobs
            rotated = len(audit_rows(session, "keys.vault_rotated"))
        finally:
            session.close()
        if seen in ("marker", "database exported", "new file prepared"):
            assert _recipient(vault_dir) == before, seen  # rolled back
        elif seen in ("committed", "re-wrapping blobs"):
            assert _recipient(vault_dir) != before, seen  # finished
        open_as(vault_dir, "u_officer").close()  # every slot works, whichever way it went
        assert rotated <= round_ + 1
    assert {"database exported", "re-wrapping blobs"} <= set(hit), hit


def test_refused_in_one_line_while_another_process_has_the_vault_open(vault_dir: Path) -> None:
    other = open_as(vault_dir, "u_analyst")
    try:
        result = run_cli("keys", "rotate-vault", "--reason", "x", vault=vault_dir)
        line = one_clear_line(result)
        assert result.returncode == 6 and "another Custos process has the vault open" in line
        result = run_cli("user", "disable", "u_liaison", vault=vault_dir)
        assert result.returncode == 6 and "Traceback" not in result.stderr
    finally:
        other.close()
    result = run_cli("keys", "rotate-vault", "--reason", " ", vault=vault_dir)
    assert result.returncode == 2 and "say why" in one_clear_line(result)
    result = run_cli("keys", "rotate-vault", "--reason", "x", vault=vault_dir, user="u_officer")
    assert result.returncode == 4, result.stderr
    result = run_cli("keys", "rotate-vault", "--reason", "scheduled", vault=vault_dir)
    assert result.returncode == 0, result.stderr
    assert "new vault recipient age1" in result.stdout and "key card" in result.stdout
    result = run_cli("user", "disable", "u_liaison", vault=vault_dir)
    assert result.returncode == 0 and "vault key rotated" in result.stdout
