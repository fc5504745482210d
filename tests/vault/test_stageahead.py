"""Large files encrypted before the unlock (``vault.stageahead``) and recorded by the ingest.

The child forked here is the one ``custos ingest`` forks before its imports; the tests lower
``WORTH`` (a speed threshold) so a few MiB are staged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from vault import stageahead
from vault.cases import create_case
from vault.ingest import IngestJob
from vault.jobs import CancelToken, Progress
from vault.session import Session
from vault.verify import verify
from vaultkit import blob_files, open_as, require_tool

MiB = 1 << 20
MARKER = b"STAGED-PLAINTEXT-MARKER-" * 40


# The command line stages large files ahead only for a vault folder (``cli.main._stage_ahead``
# leaves an agency server alone): the [server] runs here are left out.
pytestmark = pytest.mark.local_only("staging ahead is for a vault folder only (cli.main)")


@pytest.fixture(autouse=True)
def small_worth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stageahead, "WORTH", 2 * MiB)


def _evidence(path: Path, size: int = 3 * MiB + 12345) -> bytes:
    data = (MARKER + os.urandom(64 * 1024)) * (size // (len(MARKER) + 64 * 1024) + 1)
    path.write_bytes(data[:size])
    return data[:size]


def _staging(session: Session, tmp_path: Path) -> tuple[Path, bytes, stageahead.StageAhead]:
    """Case C-9 (hash sets), a large evidence file, and the child staging it."""
    create_case(session, "C-9", "staged")
    source = tmp_path / "disk.img"
    data = _evidence(source)
    return source, data, stageahead.StageAhead(session.folder, [source])


def _wait_done(stage: stageahead.StageAhead, index: int = 0) -> stageahead.Staged | None:
    deadline = time.monotonic() + 60
    while index not in stage._done and time.monotonic() < deadline:
        time.sleep(0.01)
    return stage._done.get(index)


def _ingest(session: Session, case: str, path: Path, stage: stageahead.StageAhead):  # type: ignore[no-untyped-def]
    events: list[object] = []
    result = IngestJob(session, case, [path], ahead=stage).run(events.append)
    return result, events


@pytest.mark.parametrize("hash_sets", [True, False])
def test_a_staged_file_becomes_the_blob_with_the_case_digests(
    made: tuple[Session, Path], tmp_path: Path, hash_sets: bool
) -> None:
    session, identity = made
    create_case(session, "C-9", "staged", hash_sets=hash_sets)
    source = tmp_path / "disk.img"
    data = _evidence(source)
    stage = stageahead.StageAhead(session.folder, [source])
    staged = _wait_done(stage)
    assert staged is not None  # the child read and encrypted it
    inode = os.stat(staged.tmp).st_ino
    result, events = _ingest(session, "C-9", source, stage)
    assert len(result.saved) == 1 and not result.failed
    (blob,) = blob_files(session.folder)
    assert blob.stat().st_ino == inode  # the very file the child wrote, renamed in
    from vault.items import get_item

    got = get_item(session, result.saved[0])
    assert got.sha256 == hashlib.sha256(data).hexdigest()
    if hash_sets:
        assert got.md5 == hashlib.md5(data).hexdigest()
        assert got.sha1 == hashlib.sha1(data).hexdigest()
    else:
        assert got.md5 is None and got.sha1 is None
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and progress[-1].done == len(data)
    assert list((session.folder / "tmp").iterdir()) == []
    assert verify(session).ok
    age = require_tool("age")
    plain = subprocess.run(
        [age, "-d", "-i", str(identity), str(blob)], capture_output=True, check=True
    ).stdout
    assert plain == data


def test_the_early_work_writes_no_plaintext_and_no_usable_header(
    made: tuple[Session, Path], tmp_path: Path
) -> None:
    """Before the unlock nothing in the vault folder opens with any key: the header that wraps
    the file key is written only by the unlocked process, for the vault's own recipients."""
    session, _ = made
    source = tmp_path / "disk.img"
    _evidence(source)
    with stageahead.StageAhead(session.folder, [source]) as stage:
        staged = _wait_done(stage)
        assert staged is not None
        raw = Path(staged.tmp).read_bytes()
        assert raw[: staged.header_size] == bytes(staged.header_size)
        assert MARKER[:24] not in raw
    assert list((session.folder / "tmp").iterdir()) == []  # not taken: removed


def test_a_file_changed_after_the_early_read_is_refused_and_named(
    made: tuple[Session, Path], tmp_path: Path
) -> None:
    session, _ = made
    source, data, stage = _staging(session, tmp_path)
    assert _wait_done(stage) is not None
    time.sleep(0.01)  # a new ctime
    with source.open("r+b") as fh:  # same size, one byte changed
        fh.seek(len(data) // 2)
        fh.write(bytes([data[len(data) // 2] ^ 1]))
    result, _ = _ingest(session, "C-9", source, stage)
    assert result.saved == []
    assert result.failed == [(str(source), "the file changed while it was being read; not stored")]
    assert blob_files(session.folder) == []
    assert list((session.folder / "tmp").iterdir()) == []


def test_a_vault_opened_meanwhile_keeps_the_staged_file(vault_dir: Path, tmp_path: Path) -> None:
    """The command's own unlock empties ``tmp/`` (it is the only process with the vault open):
    the file the child is staging stays, and the ingest records it."""
    from vaultkit import new_vault

    session, _ = new_vault(vault_dir)
    create_case(session, "C-9", "staged")
    session.close()
    source = tmp_path / "disk.img"
    data = _evidence(source)
    leftover = vault_dir / "tmp" / "left-by-a-crash"
    leftover.write_bytes(b"x")
    stage = stageahead.StageAhead(vault_dir, [source])
    assert _wait_done(stage) is not None
    with open_as(vault_dir) as session:
        assert not leftover.exists()  # what a crash left is still cleaned
        result, _ = _ingest(session, "C-9", source, stage)
        assert len(result.saved) == 1
        (blob,) = blob_files(vault_dir)
        assert blob.stat().st_size > len(data)
        assert verify(session).ok


def test_cancel_while_waiting_for_the_child_saves_nothing_and_leaves_nothing(
    made: tuple[Session, Path], tmp_path: Path
) -> None:
    session, _ = made
    source, _, stage = _staging(session, tmp_path)
    token = CancelToken()
    token.cancel()
    result = IngestJob(session, "C-9", [source], cancel=token, ahead=stage).run(lambda e: None)
    assert result.cancelled and result.saved == []
    assert blob_files(session.folder) == []
    assert list((session.folder / "tmp").iterdir()) == []


def test_a_link_or_small_file_is_left_to_the_ingest(
    made: tuple[Session, Path], tmp_path: Path
) -> None:
    session, _ = made
    create_case(session, "C-9", "staged")
    small = tmp_path / "small.bin"
    small.write_bytes(b"s" * 100)
    big = tmp_path / "disk.img"
    _evidence(big)
    link = tmp_path / "link.img"
    link.symlink_to(big)
    assert stageahead.candidates(["--exhibit", str(small), str(link), str(big), str(big)]) == [big]
    stage = stageahead.StageAhead(session.folder, [link])  # named as a candidate anyway
    result = IngestJob(session, "C-9", [link], ahead=stage).run(lambda e: None)
    assert result.failed == [(str(link), "symbolic link, not followed")]
