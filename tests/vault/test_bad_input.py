"""Bad input gets one clear error naming what and where, and nothing already saved is lost.

Core-level: each case raises (or reports in the batch result) a typed error with a one-line
message; in a batch the other files are still saved; afterwards the vault verifies and ``tmp/``
holds nothing. The same cases through the ``custos`` command are in tests/cli.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest
from backendkit import is_server

from service.opener import recover, unlock
from vault import blobs as blobs_module
from vault import ingest as ingest_module
from vault import storework
from vault.errors import AuthenticationFailed, UserError, VaultUnavailable
from vault.history import list_audit
from vault.ingest import IngestJob, IngestResult, ingest
from vault.items import get_item, list_items
from vault.jobs import CancelToken, Event, Finished, Progress
from vault.session import Session
from vault.users import add_user, disable_user
from vault.verify import verify
from vaultkit import (
    NEW_PASSWORD,
    PASSWORD,
    new_vault,
    open_as,
    place_of,
    sha256_of,
    stored_names,
    vault_file_text,
    write_vault_file,
)

WRONG = "unknown user or wrong password"


def _files(folder: Path, **contents: bytes) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for name, data in contents.items():
        path = folder / f"{name}.bin"
        path.write_bytes(data)
        made[name] = path
    return made


def _saved_names(session: Session, result: IngestResult) -> list[str]:
    return [get_item(session, i).name for i in result.saved]


def _intact(session: Session) -> None:
    """The vault verifies clean and no temp file is left behind."""
    report = verify(session)
    assert report.ok, report.problems
    assert list((session.folder / "tmp").iterdir()) == []


# --- signing in -----------------------------------------------------------------------------


@pytest.mark.local_only(
    "disabling a user rotates the vault key (not on a server yet); a wrong password and an "
    "unknown name alike on a server: "
    "test_signin.py::test_an_unknown_name_waits_exactly_like_a_known_one"
)
def test_wrong_password_unknown_user_and_disabled_user_fail_alike(admin: Session) -> None:
    add_user(admin, "bob", ["officer"], PASSWORD)
    disable_user(admin, "bob")
    folder = place_of(admin)
    admin.close()
    messages = []
    for user, password in [("alice", "not the password"), ("mallory", PASSWORD), ("bob", PASSWORD)]:
        with pytest.raises(AuthenticationFailed) as failed:
            unlock(folder, user, password)
        assert failed.value.exit_code == 3
        messages.append(str(failed.value))
    assert messages == [WRONG] * 3
    with open_as(folder) as again:  # a failed attempt leaves the vault usable
        assert again.user == "alice"


def test_a_folder_that_is_not_a_vault_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "holiday.jpg").write_bytes(b"\xff\xd8")
    for folder in (empty, tmp_path / "nowhere"):
        with pytest.raises(VaultUnavailable) as failed:
            unlock(folder, "alice", PASSWORD)
        assert str(folder) in str(failed.value) and failed.value.exit_code == 6
    assert sorted(p.name for p in empty.iterdir()) == ["holiday.jpg"]  # nothing written there


def test_a_vault_of_a_newer_format_is_refused(admin: Session) -> None:
    folder = place_of(admin)
    admin.close()
    write_vault_file(folder, vault_file_text(folder).replace("format = 3", "format = 4"))
    with pytest.raises(VaultUnavailable, match="newer"):
        unlock(folder, "alice", PASSWORD)


def test_a_damaged_vault_file_is_refused(admin: Session) -> None:
    folder = place_of(admin)
    admin.close()
    write_vault_file(folder, "format = 2\n[kdf\n")
    with pytest.raises(VaultUnavailable, match="damaged"):
        unlock(folder, "alice", PASSWORD)


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("lanes", "0", "lanes must be"),
        ("iterations", "0", "iterations must be"),
        ("memory_kib", "4", "memory_cost"),
        ("iterations", '"3"', "integer"),
        ("memory_kib", str(1 << 40), "out of range"),
    ],
)
def test_kdf_settings_argon2_refuses_are_a_damaged_vault_file(
    admin: Session, setting: str, value: str, said: str
) -> None:
    """Not an unlock's traceback from Argon2id (on a server the operator writes ``vault_file``)."""
    folder = place_of(admin)
    admin.close()
    text = re.sub(rf"(?m)^{setting} = .*$", f"{setting} = {value}", vault_file_text(folder))
    write_vault_file(folder, text)
    with pytest.raises(VaultUnavailable, match="damaged vault file") as refused:
        unlock(folder, "alice", PASSWORD)
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_a_vault_open_in_one_session_opens_in_another_and_both_write_one_chain(
    admin: Session,
) -> None:
    """An analyst reviews in the GUI while an officer ingests from the CLI: the same vault is
    open twice; both write, the audit chain stays one chain and verify finds nothing."""
    from vault.cases import create_case
    from vault.verify import verify

    with unlock(place_of(admin), "alice", PASSWORD) as other:
        create_case(admin, "C-A", "first")
        create_case(other, "C-B", "second")
        create_case(admin, "C-C", "third")
        assert verify(other).problems == []
    assert verify(admin).problems == []


def test_init_refuses_an_existing_vault_and_a_short_password(
    admin: Session, tmp_path: Path
) -> None:
    place = place_of(admin)
    exists = "already holds an agency vault" if is_server(place) else "already exists"
    with pytest.raises(UserError, match=exists):
        new_vault(place)
    from service.opener import init_vault

    with pytest.raises(UserError, match="too short"):
        init_vault(tmp_path / "v2", "alice", "short")


# --- recovery -------------------------------------------------------------------------------


def test_recovery_sets_a_new_password_and_is_audited(admin: Session, recovery_file: Path) -> None:
    folder = place_of(admin)
    admin.close()
    with recover(folder, recovery_file.read_text(), "alice", NEW_PASSWORD) as session:
        assert "admin" in session.roles
    with pytest.raises(AuthenticationFailed):
        unlock(folder, "alice", PASSWORD)
    with open_as(folder, "alice", NEW_PASSWORD) as session:
        recovered = list_audit(session, action="vault.recovered")
        assert [(e.actor, e.details["name"]) for e in recovered] == [("alice", "alice")]
        assert verify(session).ok


@pytest.mark.parametrize("identity", ["stranger", "garbage", "empty"])
def test_recovery_with_a_wrong_identity_is_refused(
    admin: Session, tmp_path: Path, identity: str
) -> None:
    folder = place_of(admin)
    admin.close()
    text = {
        "stranger": new_vault(tmp_path / "other")[1],
        "garbage": "AGE-SECRET-KEY-1NOTAKEY\n",
        "empty": "# nothing here\n",
    }[identity]
    with pytest.raises(AuthenticationFailed, match="does not open this vault"):
        recover(folder, text, "alice", NEW_PASSWORD)
    with open_as(folder) as session:  # the old password still works
        assert session.user == "alice"


# --- ingest batches -------------------------------------------------------------------------


def test_a_missing_file_is_reported_and_the_rest_is_saved(
    admin: Session, case: str, tmp_path: Path
) -> None:
    files = _files(tmp_path / "in", a=b"first", c=b"third")
    missing = tmp_path / "in" / "b.bin"
    result = ingest(admin, case, [files["a"], missing, files["c"]])
    assert result.failed == [(str(missing), "no such file or folder")]
    assert _saved_names(admin, result) == ["a.bin", "c.bin"]
    _intact(admin)


@pytest.mark.local_only(
    "the source side's walk, the same code on both back ends: on a server, "
    "test_a_missing_file_is_reported_and_the_rest_is_saved"
)
def test_an_unreadable_file_is_reported_and_the_rest_is_saved(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod 000 does not stop reading: refuse the open() instead.
    files = _files(tmp_path / "in", a=b"first", b=b"locked", c=b"third")
    real_open = os.open

    def guarded(path: object, *args: object, **kwargs: object) -> int:
        if str(path) == str(files["b"]):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module.os, "open", guarded)
    result = ingest(admin, case, [tmp_path / "in"])
    monkeypatch.undo()
    assert result.failed == [(str(files["b"]), "permission denied")]
    assert _saved_names(admin, result) == ["in/a.bin", "in/c.bin"]
    _intact(admin)


def test_a_file_that_fails_while_being_read_is_reported(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read error mid-file (a bad sector): that file is dropped, the batch goes on."""
    files = _files(tmp_path / "in", a=b"first", b=b"bad sector" * 1000, c=b"third")
    real_read = os.read

    def read(fd: int, size: int) -> bytes:
        if os.path.samestat(os.fstat(fd), os.stat(files["b"])):
            raise OSError(errno.EIO, "Input/output error")
        return real_read(fd, size)

    monkeypatch.setattr(storework.os, "read", read)  # the one store loop's read
    result = ingest(admin, case, [tmp_path / "in"])
    monkeypatch.undo()
    assert result.failed == [(str(files["b"]), "cannot read: Input/output error")]
    assert _saved_names(admin, result) == ["in/a.bin", "in/c.bin"]
    _intact(admin)


@pytest.mark.local_only(
    "the source side's walk, the same code on both back ends: on a server, "
    "test_a_missing_file_is_reported_and_the_rest_is_saved"
)
def test_an_unreadable_folder_is_reported_and_the_rest_is_saved(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "in", a=b"first")
    locked = tmp_path / "in" / "locked"
    _files(locked, hidden=b"never read")
    real_scandir = os.scandir

    def guarded(path: object = ".") -> object:
        if str(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", guarded)
    result = ingest(admin, case, [tmp_path / "in"])
    monkeypatch.undo()
    assert result.failed == [(str(locked), "cannot read folder: Permission denied")]
    assert _saved_names(admin, result) == ["in/a.bin"]
    _intact(admin)


@pytest.mark.local_only(
    "the source side's walk, the same code on both back ends: on a server, "
    "test_a_missing_file_is_reported_and_the_rest_is_saved"
)
def test_pipes_are_reported_not_read(admin: Session, case: str, tmp_path: Path) -> None:
    files = _files(tmp_path / "in", a=b"first")
    fifo = tmp_path / "in" / "pipe"
    os.mkfifo(fifo)
    top_fifo = tmp_path / "top-pipe"
    os.mkfifo(top_fifo)
    result = ingest(admin, case, [tmp_path / "in", top_fifo])  # would hang if a pipe were read
    assert sorted(result.failed) == sorted(
        [
            (str(fifo), "not a regular file (device, pipe or socket)"),
            (str(top_fifo), "not a regular file or folder"),
        ]
    )
    assert _saved_names(admin, result) == ["in/a.bin"]
    assert files["a"].exists()
    _intact(admin)


@pytest.mark.local_only(
    "the source side's walk, the same code on both back ends: on a server, "
    "test_a_missing_file_is_reported_and_the_rest_is_saved"
)
def test_a_folder_with_symlink_loops_is_reported_and_the_rest_is_saved(
    admin: Session, case: str, tmp_path: Path
) -> None:
    root = tmp_path / "card"
    _files(root / "DCIM", a=b"photo")
    _files(root, b=b"readme")
    (root / "DCIM" / "loop").symlink_to(root)  # a folder that contains itself
    (root / "x").symlink_to(root / "y")  # x -> y -> x
    (root / "y").symlink_to(root / "x")
    (root / "link.bin").symlink_to(root / "b.bin")  # a plain file link: not followed either
    top_loop = tmp_path / "self"
    top_loop.symlink_to(top_loop)
    result = ingest(admin, case, [root, top_loop])
    assert sorted(result.failed) == sorted(
        [
            (str(root / "DCIM" / "loop"), "symbolic link to a folder, not followed"),
            (str(root / "x"), "symbolic link, not followed"),
            (str(root / "y"), "symbolic link, not followed"),
            (str(root / "link.bin"), "symbolic link, not followed"),
            (str(top_loop), "not a regular file or folder"),
        ]
    )
    assert sorted(_saved_names(admin, result)) == ["card/DCIM/a.bin", "card/b.bin"]
    _intact(admin)


def _run(session: Session, case: str, paths: list[Path], hook: object) -> IngestResult:
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        hook(event)  # type: ignore[operator]

    return IngestJob(session, case, paths).run(emit)


@pytest.mark.local_only(
    "the source side's walk, the same code on both back ends: on a server, "
    "test_a_missing_file_is_reported_and_the_rest_is_saved"
)
def test_a_file_that_vanishes_during_the_folder_walk_is_one_line_and_the_rest_goes_on(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listed by the walk, gone before it is looked at (another process deleting it)."""
    files = _files(tmp_path / "in", a=b"first", b=b"going away", c=b"third")
    real_scandir = os.scandir

    class ListThenDelete:
        """``os.scandir`` whose listing is taken before the file is deleted."""

        def __init__(self, where: object = ".") -> None:
            with real_scandir(where) as listing:  # type: ignore[call-overload]
                self.entries = list(listing)
            files["b"].unlink(missing_ok=True)

        def __enter__(self) -> object:
            return iter(self.entries)

        def __exit__(self, *exc: object) -> None:
            return None

        def __iter__(self) -> object:
            return iter(self.entries)

    monkeypatch.setattr("vault.sources.os.scandir", ListThenDelete)
    result = _run(admin, case, [tmp_path / "in"], lambda event: None)
    monkeypatch.undo()
    assert result.failed == [(str(files["b"]), "the file vanished during the folder walk")]
    assert _saved_names(admin, result) == ["in/a.bin", "in/c.bin"]
    _intact(admin)


@pytest.mark.local_only(
    "the source side's walk, the same code on both back ends: on a server, "
    "test_a_missing_file_is_reported_and_the_rest_is_saved"
)
def test_a_file_that_vanishes_before_it_is_read_is_reported(
    admin: Session, case: str, tmp_path: Path
) -> None:
    files = _files(tmp_path / "in", a=b"x" * 3_000_000, b=b"going away", c=b"third")

    def hook(event: Event) -> None:
        if isinstance(event, Progress) and event.message == "in/a.bin":
            files["b"].unlink(missing_ok=True)

    result = _run(admin, case, [tmp_path / "in"], hook)
    assert result.failed == [(str(files["b"]), "the file does not exist (or vanished)")]
    assert _saved_names(admin, result) == ["in/a.bin", "in/c.bin"]
    _intact(admin)


def test_a_file_that_vanishes_while_it_is_read_is_reported(
    admin: Session, case: str, tmp_path: Path
) -> None:
    files = _files(tmp_path / "in", a=b"first", b=b"y" * 3_000_000, c=b"third")

    def hook(event: Event) -> None:
        if isinstance(event, Progress) and event.message == "in/b.bin":
            files["b"].unlink(missing_ok=True)

    result = _run(admin, case, [tmp_path / "in"], hook)
    assert result.failed == [(str(files["b"]), "the file vanished while it was being read")]
    assert _saved_names(admin, result) == ["in/a.bin", "in/c.bin"]
    _intact(admin)


@pytest.mark.parametrize(
    "change",
    [
        "appended",
        *(
            pytest.param(change, marks=pytest.mark.local_only("the source side: one on a server"))
            for change in ["rewritten in place", "rewritten, mtime put back", "replaced"]
        ),
    ],
)
def test_a_file_that_changes_while_it_is_read_is_refused(
    admin: Session, case: str, tmp_path: Path, change: str
) -> None:
    files = _files(tmp_path / "in", a=b"first", b=os.urandom(3_000_000), c=b"third")
    os.utime(files["b"], (1_600_000_000, 1_600_000_000))  # an old file, as evidence is
    done: list[bool] = []

    def hook(event: Event) -> None:
        if isinstance(event, Progress) and event.message == "in/b.bin" and not done:
            done.append(True)
            if change == "appended":
                with files["b"].open("ab") as fh:
                    fh.write(b"more")
            elif change == "rewritten in place":
                with files["b"].open("r+b") as fh:
                    fh.seek(2_500_000)
                    fh.write(b"EDITED")
            elif change == "rewritten, mtime put back":  # same size, inode and mtime: ctime moves
                stamp = files["b"].stat().st_mtime_ns
                with files["b"].open("r+b") as fh:
                    fh.seek(2_500_000)
                    fh.write(b"EDITED")
                os.utime(files["b"], ns=(stamp, stamp))
            else:
                fresh = files["b"].with_suffix(".new")
                fresh.write_bytes(b"z" * 3_000_000)
                os.utime(fresh, (1_600_000_000, 1_600_000_000))
                fresh.replace(files["b"])

    result = _run(admin, case, [tmp_path / "in"], hook)
    assert done
    assert result.failed == [
        (str(files["b"]), "the file changed while it was being read; not stored")
    ]
    assert _saved_names(admin, result) == ["in/a.bin", "in/c.bin"]
    assert len(stored_names(admin)) == 2
    _intact(admin)


def test_a_full_disk_stops_with_one_line_and_keeps_what_was_saved(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault-injecting writer: the vault's disk fills up 1 MiB into the third file."""
    earlier = _files(tmp_path / "before", old=b"saved yesterday")
    [kept] = ingest(admin, case, [earlier["old"]]).saved
    files = _files(tmp_path / "in", a=b"first", b=b"second", c=os.urandom(5_000_000), d=b"4th")
    real_temp_file = blobs_module.BlobStore.temp_file
    budget = {"bytes": 0}

    class FullDisk:
        def __init__(self, inner: object) -> None:
            self._inner = inner

        def write(self, data: bytes) -> int:
            budget["bytes"] += len(data)
            if budget["bytes"] > 1_000_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._inner.write(data)  # type: ignore[attr-defined]

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    import contextlib

    @contextlib.contextmanager
    def temp_file(self: blobs_module.BlobStore, *args: int):  # type: ignore[no-untyped-def]
        with real_temp_file(self, *args) as (path, fh):
            yield path, FullDisk(fh)

    monkeypatch.setattr(blobs_module.BlobStore, "temp_file", temp_file)
    seen: list[Finished] = []
    with pytest.raises(UserError) as failed:
        IngestJob(admin, case, [tmp_path / "in"]).run(
            lambda e: seen.append(e) if isinstance(e, Finished) else None
        )
    monkeypatch.undo()
    assert str(failed.value) == "the vault's disk is full; free space and ingest again"
    # the two files finished before the disk filled are saved and were reported saved
    assert [(f.subject, f.ok) for f in seen] == [("in/a.bin", True), ("in/b.bin", True)]
    names = [i.name for i in list_items(admin, case)]
    assert names == ["old.bin", "in/a.bin", "in/b.bin"]
    assert get_item(admin, kept).sha256 == sha256_of(earlier["old"])
    _intact(admin)
    # once there is space again, the same ingest completes
    again = ingest(admin, case, [files["c"], files["d"]])
    assert len(again.saved) == 2 and not again.failed
    _intact(admin)


def test_cancel_drops_the_file_in_flight_and_keeps_the_finished_ones(
    admin: Session, case: str, tmp_path: Path
) -> None:
    files = _files(tmp_path / "in", a=b"first", b=b"second", c=b"c" * 5_000_000, d=b"never")
    token = CancelToken()

    def emit(event: Event) -> None:
        if isinstance(event, Progress) and event.message == "in/c.bin":
            token.cancel()

    result = IngestJob(admin, case, [tmp_path / "in"], cancel=token).run(emit)
    assert result.cancelled
    assert _saved_names(admin, result) == ["in/a.bin", "in/b.bin"]
    assert len(stored_names(admin)) == 2
    _intact(admin)
    assert files["d"].exists()


def test_a_database_that_cannot_commit_is_one_line_and_nothing_is_half_saved(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The blobs fit but the commit does not: SQLite says "database or disk is full"."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    files = _files(tmp_path / "in", a=b"first", b=b"second")

    def full(*args: object, **kwargs: object) -> None:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr("vault.ingest.record_batch", full)
    with pytest.raises(UserError) as failed:
        ingest(admin, case, [files["a"], files["b"]])
    monkeypatch.undo()
    assert str(failed.value) == "the vault's disk is full; free space and ingest again"
    assert list_items(admin, case) == []
    folder = place_of(admin)
    admin.close()
    with open_as(folder) as again:  # the blobs written for nothing are cleaned at open
        assert stored_names(again) == []
        _intact(again)


def test_a_database_that_fills_up_while_the_next_batch_is_gathered_keeps_the_batches_before(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many small files commit a batch on another thread while the next batch is gathered:
    when the second batch's commit fails, the first batch stays saved and reported, nothing of
    the second or third is (no hole), the error is one line, and the vault is intact."""
    from vault.acquisition import record_batch

    folder = tmp_path / "phone"
    folder.mkdir()
    count = ingest_module.BATCH_FILES * 2 + 500
    for i in range(count):
        (folder / f"{i:05d}.txt").write_bytes(f"message {i}\n".encode())
    calls = {"n": 0}

    def second_fails(*args: object, **kwargs: object) -> list[int]:
        import sqlite3

        from sqlalchemy.exc import OperationalError

        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))
        return record_batch(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("vault.ingest.record_batch", second_fails)
    seen: list[Finished] = []
    with pytest.raises(UserError) as failed:
        IngestJob(admin, case, [folder]).run(
            lambda e: seen.append(e) if isinstance(e, Finished) else None
        )
    monkeypatch.undo()
    assert str(failed.value) == "cannot write to the vault database: disk I/O error"
    first = [f"phone/{i:05d}.txt" for i in range(ingest_module.BATCH_FILES)]
    reported = [f.subject for f in seen if f.ok]
    names = [i.name for i in list_items(admin, case)]
    assert reported == names == first  # no later batch either: no hole in what is saved
    folder_of = place_of(admin)
    admin.close()
    with open_as(folder_of) as again:  # packs of the batches not recorded: cleaned at open
        _intact(again)
