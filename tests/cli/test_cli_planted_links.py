"""Output files are never written through a link an attacker planted at their temp name.

The attacker can write to the folder the user exports into (a shared drive, /tmp) and plants
symbolic links where Custos would put its temporary file, pointing at a file of theirs: the
escrowed recovery identity or an exported piece of evidence must not land in it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from vault.fsutil import atomic_write
from vaultkit import run_cli

CASE = "C-1"


def _trap(folder: Path) -> Path:
    trap = folder / "attacker.txt"
    trap.write_text("the attacker's file\n")
    return trap


def _untouched(trap: Path) -> None:
    assert trap.read_text() == "the attacker's file\n"


def _next_pids(count: int) -> range:
    """The pids the kernel hands out next (the attacker reads the same counter)."""
    last = int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    return range(last + 1, last + 1 + count)


def test_init_does_not_write_the_recovery_identity_through_a_planted_link(
    tmp_path: Path,
) -> None:
    escrow = tmp_path / "escrow"
    escrow.mkdir()
    trap = _trap(tmp_path)
    identity = escrow / "recovery.txt"
    for pid in _next_pids(3000):  # the old temp name was ".recovery.txt.<pid>.tmp"
        (escrow / f".recovery.txt.{pid}.tmp").symlink_to(trap)
    result = run_cli(
        "init", "--admin", "alice", "--recovery-identity-out", str(identity), vault=tmp_path / "v"
    )
    assert result.returncode == 0, result.stderr
    _untouched(trap)
    assert not identity.is_symlink()
    assert identity.read_text().strip().splitlines()[-1].startswith("AGE-SECRET-KEY-1")
    assert (identity.stat().st_mode & 0o777) == 0o600
    assert all(p.is_symlink() for p in escrow.iterdir() if p != identity)


def test_items_export_does_not_write_evidence_through_a_planted_link(
    vault_dir: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "in" / "IMG_1.JPG"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8 seized photo bytes")
    assert run_cli("ingest", "--case", CASE, str(photo), vault=vault_dir).returncode == 0
    listed = run_cli("items", "list", "--case", CASE, vault=vault_dir)
    item = listed.stdout.split()[0]
    out = tmp_path / "out"
    out.mkdir()
    trap = _trap(tmp_path)
    target = out / "copy.jpg"
    (out / ".copy.jpg.custos-partial").symlink_to(trap)
    result = run_cli("items", "export", item, "--to", str(target), vault=vault_dir)
    assert result.returncode == 0, result.stderr
    _untouched(trap)
    assert not target.is_symlink() and target.read_bytes() == photo.read_bytes()


def test_items_export_does_not_replace_a_link_planted_at_the_target(
    vault_dir: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "IMG_2.JPG"
    photo.write_bytes(b"\xff\xd8 another photo")
    assert run_cli("ingest", "--case", CASE, str(photo), vault=vault_dir).returncode == 0
    item = run_cli("items", "list", "--case", CASE, vault=vault_dir).stdout.split()[0]
    trap = _trap(tmp_path)
    target = tmp_path / "dangling.jpg"
    target.symlink_to(tmp_path / "nowhere")
    result = run_cli("items", "export", item, "--to", str(target), vault=vault_dir)
    assert result.returncode == 2 and "already exists; not overwritten" in result.stderr
    assert target.is_symlink() and not (tmp_path / "nowhere").exists()
    _untouched(trap)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_atomic_write_uses_a_fresh_name_and_never_follows_a_link(tmp_path: Path) -> None:
    trap = _trap(tmp_path)
    target = tmp_path / "head"
    (tmp_path / f".head.{os.getpid()}.tmp").symlink_to(trap)
    atomic_write(target, b"written\n")
    _untouched(trap)
    assert target.read_bytes() == b"written\n" and not target.is_symlink()


def test_without_hard_links_an_existing_name_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT (a USB stick) has no hard links: publish checks, then replaces."""

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "card"
    atomic_write(target, b"first\n", overwrite=False)
    assert target.read_bytes() == b"first\n"
    with pytest.raises(FileExistsError):
        atomic_write(target, b"second\n", overwrite=False)
    assert target.read_bytes() == b"first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["card"]
