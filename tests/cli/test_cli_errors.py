"""``custos`` as a user runs it: each bad input is one clear line with its documented exit code.

Exit codes: 0 ok, 1 a batch with failures, 2 user error, 3 authentication, 4 permission,
5 integrity fault, 6 vault unavailable, 130 cancelled. No traceback ever reaches the user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.cases import create_case
from vault.ingest import POOL_MIN_FILES, ingest
from vault.items import list_items
from vault.verify import verify
from vaultkit import (
    NEW_PASSWORD,
    PASSWORD,
    ROLE_USER,
    audit_rows,
    blob_files,
    cli_env,
    new_vault,
    one_clear_line,
    one_error_line,
    open_as,
    run_cli,
    sql,
)

CASE = "C-1"
WRONG = "error: unknown user or wrong password"


_line = one_error_line  # exactly one error line on stderr, and the exit code


def test_wrong_password_unknown_and_disabled_users_get_the_same_line(vault_dir: Path) -> None:
    assert run_cli("user", "disable", ROLE_USER["liaison"], vault=vault_dir).returncode == 0
    lines = {
        _line(run_cli("case", "list", vault=vault_dir, password="wrong password!"), 3),
        _line(run_cli("case", "list", vault=vault_dir, user="nobody"), 3),
        _line(run_cli("case", "list", vault=vault_dir, user=ROLE_USER["liaison"]), 3),
    }
    assert lines == {WRONG}


@pytest.mark.parametrize(
    ("role", "args", "what"),
    [
        ("analyst", ["case", "create", "X-1", "--title", "t"], "create cases"),
        ("liaison", ["ingest", "--case", CASE, "README.md"], "ingest evidence"),
        ("officer", ["user", "add", "eve", "--role", "officer"], "manage users and roles"),
        ("officer", ["verify"], "verify the vault"),
        ("analyst", ["audit"], "read the audit log"),
        ("admin", ["items", "list", "--case", CASE], "read cases and their evidence"),
    ],
)
def test_a_missing_permission_is_exit_4_and_audited(
    vault_dir: Path, role: str, args: list[str], what: str
) -> None:
    user = ROLE_USER[role]
    line = _line(run_cli(*args, vault=vault_dir, user=user, CUSTOS_NEW_PASSWORD=PASSWORD), 4)
    assert line.startswith(f"error: user '{user}' may not {what} (needs role "), line
    with open_as(vault_dir) as session:
        [refused] = audit_rows(session, "permission.refused")
        assert refused.actor == user


def test_allowed_commands_for_a_single_role_user_exit_0(vault_dir: Path, tmp_path: Path) -> None:
    officer, analyst = ROLE_USER["officer"], ROLE_USER["analyst"]
    evidence = tmp_path / "phone.img"
    evidence.write_bytes(b"image " * 1000)
    assert (
        run_cli("ingest", "--case", CASE, str(evidence), vault=vault_dir, user=officer).returncode
        == 0
    )
    listed = run_cli("items", "list", "--case", CASE, vault=vault_dir, user=analyst)
    assert listed.returncode == 0 and "phone.img" in listed.stdout
    head = run_cli("audit", "head", vault=vault_dir, user=ROLE_USER["liaison"])
    assert head.returncode == 0, head.stderr


@pytest.mark.parametrize("kind", ["empty folder", "missing folder", "a file"])
def test_a_folder_that_is_not_a_vault_is_exit_6(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "empty folder":
        target.mkdir()
    elif kind == "a file":
        target.write_text("not a vault")
    line = _line(run_cli("case", "list", vault=target), 6)
    assert str(target) in line
    if kind == "empty folder":
        assert list(target.iterdir()) == []


def test_a_vault_of_a_newer_format_is_exit_6(vault_dir: Path) -> None:
    toml = vault_dir / "vault.toml"
    toml.write_text(toml.read_text().replace("format = 3", "format = 7"))
    line = _line(run_cli("verify", vault=vault_dir), 6)
    assert "format 7 is newer" in line


def test_a_vault_open_elsewhere_is_still_usable_from_the_cli(vault_dir: Path) -> None:
    with open_as(vault_dir):  # the GUI has it open
        result = run_cli("case", "list", vault=vault_dir)
    assert result.returncode == 0 and CASE in result.stdout


def test_a_batch_with_a_missing_file_saves_the_rest_and_exits_1(
    vault_dir: Path, tmp_path: Path
) -> None:
    good = [tmp_path / "a.txt", tmp_path / "c.txt"]
    for path in good:
        path.write_text(path.name)
    missing = tmp_path / "b.txt"
    result = run_cli(
        "ingest", "--case", CASE, str(good[0]), str(missing), str(good[1]), vault=vault_dir
    )
    assert result.returncode == 1
    assert one_clear_line(result).splitlines() == [
        f"error: {missing}: no such file or folder",
        "error: 1 file(s) could not be ingested (listed above)",
    ]
    assert "saved 2 item(s) to case C-1" in result.stdout
    with open_as(vault_dir) as session:
        assert [i.name for i in list_items(session, CASE)] == ["a.txt", "c.txt"]


def test_a_folder_with_a_symlink_loop_is_reported_and_the_rest_saved(
    vault_dir: Path, tmp_path: Path
) -> None:
    card = tmp_path / "card"
    (card / "DCIM").mkdir(parents=True)
    (card / "DCIM" / "a.jpg").write_bytes(b"\xff\xd8a")
    (card / "b.txt").write_text("b")
    (card / "DCIM" / "loop").symlink_to(card)
    result = run_cli("ingest", "--case", CASE, str(card), vault=vault_dir)
    assert result.returncode == 1
    assert f"error: {card / 'DCIM' / 'loop'}: symbolic link to a folder, not followed" in (
        one_clear_line(result)
    )
    with open_as(vault_dir) as session:
        assert [i.name for i in list_items(session, CASE)] == ["card/b.txt", "card/DCIM/a.jpg"]


def test_an_unreadable_file_is_reported_and_the_rest_saved(vault_dir: Path, tmp_path: Path) -> None:
    """A pipe stands in for an unreadable file (tests run as root, where chmod 000 reads)."""
    good = tmp_path / "good.txt"
    good.write_text("good")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    locked = tmp_path / "locked.txt"
    locked.write_text("locked")
    locked.chmod(0)
    result = run_cli("ingest", "--case", CASE, str(pipe), str(good), str(locked), vault=vault_dir)
    assert result.returncode == 1
    text = one_clear_line(result)
    assert f"error: {pipe}: not a regular file or folder" in text
    if os.geteuid() != 0:
        assert f"error: {locked}: permission denied" in text
    assert "saved" in result.stdout


def test_recover_with_a_wrong_identity_is_exit_3(vault_dir: Path, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.txt"
    stranger.write_text(new_vault(tmp_path / "other")[1])
    line = _line(
        run_cli(
            "recover",
            "--identity",
            str(stranger),
            "--admin",
            "alice",
            vault=vault_dir,
            CUSTOS_NEW_PASSWORD=NEW_PASSWORD,
        ),
        3,
    )
    assert line == "error: the recovery identity does not open this vault"
    missing = _line(
        run_cli(
            "recover",
            "--identity",
            str(tmp_path / "nope.txt"),
            "--admin",
            "alice",
            vault=vault_dir,
            CUSTOS_NEW_PASSWORD=NEW_PASSWORD,
        ),
        2,
    )
    assert "nope.txt" in missing


def test_recover_sets_a_new_admin_password(vault_dir: Path, recovery_file: Path) -> None:
    result = run_cli(
        "recover",
        "--identity",
        str(recovery_file),
        "--admin",
        "alice",
        vault=vault_dir,
        CUSTOS_NEW_PASSWORD=NEW_PASSWORD,
    )
    assert result.returncode == 0, result.stderr
    assert "alice has a new password" in result.stdout
    assert _line(run_cli("case", "list", vault=vault_dir), 3) == WRONG
    audit = run_cli("audit", "--action", "vault.", vault=vault_dir, password=NEW_PASSWORD)
    assert audit.returncode == 0, audit.stderr
    assert "vault.recovered" in audit.stdout


# --- integrity faults -----------------------------------------------------------------------


def _stock(vault_dir: Path, tmp_path: Path) -> list:
    files = tmp_path / "card"
    files.mkdir()
    for name, size in [("a.jpg", 1000), ("b.jpg", 70_000), ("c.txt", 10)]:
        (files / name).write_bytes(os.urandom(size))
    with open_as(vault_dir) as session:
        ingest(session, CASE, [files])
        return list_items(session, CASE)


def test_verify_of_a_clean_vault_exits_0(vault_dir: Path, tmp_path: Path) -> None:
    _stock(vault_dir, tmp_path)
    result = run_cli("verify", vault=vault_dir)
    assert result.returncode == 0 and one_clear_line(result) == ""
    assert result.stdout.strip().endswith(": OK")


def test_verify_names_every_problem_and_exits_5(vault_dir: Path, tmp_path: Path) -> None:
    a, b, c = _stock(vault_dir, tmp_path)
    with open_as(vault_dir) as session:
        flipped = session.blobs.path(session.blobs.name_for(b.sha256))
        data = bytearray(flipped.read_bytes())
        data[len(data) // 2] ^= 0x04
        flipped.write_bytes(bytes(data))
        session.blobs.path(session.blobs.name_for(c.sha256)).unlink()
        seq = next(e.seq for e in audit_rows(session, "case.created"))
        sql(session, "DELETE FROM audit WHERE seq = :seq", seq=seq)
        sql(session, "UPDATE items SET exhibit = 'EX-99' WHERE id = :id", id=a.id)
    result = run_cli("verify", vault=vault_dir)
    assert result.returncode == 5
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problems == [
        f"PROBLEM audit #{seq + 1}: entries {seq}..{seq} are missing",
        f"PROBLEM audit #{seq + 1}: does not link to the entry before it",
        "PROBLEM case C-1: has no audit entry",
        f"PROBLEM item {a.id} (card/a.jpg): exhibit changed (edited outside Custos)",
        f"PROBLEM item {b.id} (card/b.jpg): stored copy fails authentication (altered or damaged)",
        f"PROBLEM item {c.id} (card/c.txt): stored copy is missing",
    ]
    assert _line(result, 5) == f"error: the vault at {vault_dir} has 6 problem(s)"
    as_json = run_cli("verify", "--json", vault=vault_dir)
    assert as_json.returncode == 5
    import json

    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert [f"{p['where']}: {p['what']}" for p in report["problems"]] == [
        p.removeprefix("PROBLEM ") for p in problems
    ]


def test_verify_names_a_truncated_audit_log(vault_dir: Path, tmp_path: Path) -> None:
    _stock(vault_dir, tmp_path)
    with open_as(vault_dir) as session:
        last = audit_rows(session)[-1].seq
        sql(session, "DELETE FROM audit WHERE seq = :seq", seq=last)
    result = run_cli("verify", vault=vault_dir)
    assert result.returncode == 5
    assert f"PROBLEM audit #{last}: entries up to #{last} were removed" in result.stdout


# --- a full disk ----------------------------------------------------------------------------


@contextlib.contextmanager
def _small_disk(folder: Path, size: str) -> Iterator[bool]:
    """Mount a small tmpfs at ``folder``; yields False where mounting is not permitted."""
    folder.mkdir()
    mounted = False
    if os.geteuid() == 0 and shutil.which("mount"):
        mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
        mounted = subprocess.run(mount, capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("fill", ["one big file", "many small files"])
def test_a_full_disk_is_one_line_and_the_vault_stays_whole(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fill: str,
) -> None:
    """A real small tmpfs where mounting is permitted (root), else a fault-injecting writer.

    One big file fills the disk while its blob is written; many small ones leave the blobs
    written and fill it when the database commits them.
    """
    disk = tmp_path / "disk"
    small = tmp_path / "small.txt"
    small.write_bytes(b"saved before the disk filled")
    if fill == "one big file":
        big, size = tmp_path / "big.bin", "4m"
        big.write_bytes(os.urandom(10 << 20))
    else:
        # 2 MiB: the new vault's database (~0.3 MiB) and its write-ahead log fit; 1,200
        # small files (packed) do not
        big, size = tmp_path / "many", "2m"
        big.mkdir()
        for n in range(1200):
            (big / f"f{n:03}.bin").write_bytes(os.urandom(1500))
    with _small_disk(disk, size) as mounted:
        folder = disk / "vault"
        session, _ = new_vault(folder)
        with session:
            create_case(session, CASE, "t")
        first = run_cli("ingest", "--case", CASE, str(small), vault=folder)
        assert first.returncode == 0, first.stderr
        if mounted:
            full = run_cli("ingest", "--case", CASE, str(big), vault=folder)
            code, stderr = full.returncode, one_clear_line(full)
        else:
            code, stderr = _ingest_in_process_on_a_full_disk(folder, big, monkeypatch, capsys)
        assert code == 2
        assert stderr == "error: the vault's disk is full; free space and ingest again"
        assert list((folder / "tmp").iterdir()) == []
        with open_as(folder) as again:
            names = [i.name for i in list_items(again, CASE)]
            assert names[0] == "small.txt" and len(names) == len(blob_files(folder))
            assert verify(again).ok


def _ingest_in_process_on_a_full_disk(
    folder: Path,
    big: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """Run ``custos ingest`` in this process with a vault disk that fills after 1 MiB."""
    from vault import blobs, ingest

    real_temp_file = blobs.BlobStore.temp_file

    class FullDisk:
        def __init__(self, inner: object) -> None:
            self._inner, self._written = inner, 0

        def write(self, data: bytes) -> int:
            self._written += len(data)
            if self._written > 1 << 20:
                raise OSError(28, "No space left on device")
            return self._inner.write(data)  # type: ignore[attr-defined]

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    @contextlib.contextmanager
    def temp_file(self: blobs.BlobStore, *args: int) -> Iterator[tuple[Path, object]]:
        with real_temp_file(self, *args) as (path, fh):
            yield path, FullDisk(fh)

    monkeypatch.setattr(blobs.BlobStore, "temp_file", temp_file)
    # The fault is injected in this process: many small files must not go to worker processes.
    monkeypatch.setattr(ingest, "POOL_MIN_FILES", 1 << 30)
    try:
        return _run_in_process(["ingest", "--case", CASE, str(big)], folder, monkeypatch, capsys)
    finally:
        monkeypatch.undo()


DISK_FULL = "error: {folder}: the vault's disk is full; free space and try again"


def _fill(disk: Path) -> None:
    """Write a filler file until the file system says ENOSPC."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, bytes(1 << 16))
    except OSError as exc:
        assert exc.errno == 28
    finally:
        os.close(fd)


def _run_in_process(
    args: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> tuple[int, str]:
    import sys

    from cli.main import main

    monkeypatch.setattr(sys, "argv", ["custos", *args])
    for key, value in cli_env(folder).items():
        if key.startswith("CUSTOS_"):
            monkeypatch.setenv(key, value)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return int(exited.value.code or 0), err.strip()


def _sqlite_full(*args: object, **kwargs: object) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))


def test_a_full_disk_is_said_at_open_not_a_damaged_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real full tmpfs where mounting is permitted, else SQLite's SQLITE_FULL injected."""
    disk = tmp_path / "disk"
    with _small_disk(disk, "2m") as mounted:
        folder = disk / "vault"
        session, _ = new_vault(folder)
        with session:
            create_case(session, CASE, "t")
        if mounted:
            _fill(disk)
            for args in (["case", "list"], ["case", "create", "C-2", "--title", "x"]):
                result = run_cli(*args, vault=folder)
                assert _line(result, 2) == DISK_FULL.format(folder=folder), args
            (disk / "filler").unlink()
        else:
            monkeypatch.setattr("vault.session.Session._start", _sqlite_full)
            code, line = _run_in_process(["case", "list"], folder, monkeypatch, capsys)
            assert (code, line) == (2, DISK_FULL.format(folder=folder))
            monkeypatch.undo()
        with open_as(folder) as again:
            assert verify(again).ok


def test_a_disk_that_fills_during_a_command_is_one_line(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The vault opened; the write of the command itself hits SQLITE_FULL (or ENOSPC)."""
    monkeypatch.setattr("vault.cases.create_case", _sqlite_full)
    args = ["case", "create", "C-2", "--title", "x"]
    code, line = _run_in_process(args, vault_dir, monkeypatch, capsys)
    assert (code, line) == (2, DISK_FULL.format(folder=vault_dir))


def test_a_pack_with_no_recorded_size_is_one_warning_and_verify_records_it(
    vault_dir: Path, tmp_path: Path
) -> None:
    """A pack no row gives a size (an upgrade could not size it): the command that read it says
    so once, on stderr, as a warning; verify recorded the size, so the next run says nothing."""
    files = tmp_path / "phone"
    files.mkdir()
    for n in range(POOL_MIN_FILES):
        (files / f"f{n:04}.bin").write_bytes(os.urandom(100 + n))
    with open_as(vault_dir) as session:
        assert len(ingest(session, CASE, [files]).saved) == POOL_MIN_FILES
        sql(session, "UPDATE blobs SET pack_size = NULL")
    result = run_cli("verify", vault=vault_dir)
    assert result.returncode == 0, (result.stdout, result.stderr)
    [line] = one_clear_line(result).splitlines()
    assert line.startswith("warning: pack ") and line.endswith(
        "(and maybe others) has no recorded size: its reads are not bounded until custos "
        "verify records it"
    ), line
    again = run_cli("verify", vault=vault_dir)
    assert again.returncode == 0 and one_clear_line(again) == ""
