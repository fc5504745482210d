"""Many small files: ingest stores them in worker processes (``vault.storework``).

The same promises as the in-process path: stock ``age`` decrypts every blob, nothing is reported
saved before it is durable, a cancel keeps what finished and leaves no temp file, a dead worker is
one clear error and not a hang.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import vault.ingest as ingest_module
from vault import agefmt, storework
from vault.errors import UserError
from vault.ingest import IngestJob, ingest
from vault.jobs import CancelToken, Event, Finished, Progress
from vault.models import Item
from vault.packs import PACK_MAX
from vault.session import Session
from vault.verify import verify
from vaultkit import require_tool, stored_copy, stored_names

COUNT = ingest_module.POOL_MIN_FILES + 44


def _small_files(root: Path, count: int = COUNT, base: int = 1) -> list[Path]:
    """Small files (packed unless ``base`` puts them at or above ``packs.PACK_MAX``)."""
    paths = []
    for n in range(count):
        sub = root / f"d{n % 5}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"f{n:04}.bin"
        # every tenth file repeats earlier content: stored once
        path.write_bytes(
            b"same content" + bytes(base) if n % 10 == 0 else os.urandom(base + n * 37 % 9000)
        )
        paths.append(path)
    return paths


@pytest.fixture()
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the groups sent to worker processes."""
    calls: list[int] = []
    real = storework.Workers.submit

    def submit(self: storework.Workers, paths: list[str], packed: bool = False) -> None:
        calls.append(len(paths))
        real(self, paths, packed)

    monkeypatch.setattr(storework.Workers, "submit", submit)
    return calls


def test_hkdf_is_rfc5869_as_cryptography_computes_it() -> None:
    for n in range(200):
        ikm, salt, info = os.urandom(n % 70), os.urandom(n * 7 % 90), os.urandom(n % 20)
        expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)
        assert agefmt.hkdf(ikm, salt, info) == expected


def test_many_small_files_are_stored_by_workers_and_age_decrypts_them(
    admin: Session, case: str, tmp_path: Path, recovery_file: Path, submitted: list[int]
) -> None:
    age = require_tool("age")
    # above packs.PACK_MAX: a blob of its own each (smaller ones go into packs, test_packs.py)
    paths = _small_files(tmp_path / "card", base=PACK_MAX)
    result = ingest(admin, case, [tmp_path / "card"])
    assert submitted and sum(submitted) == COUNT
    assert len(result.saved) == COUNT and not result.failed
    assert result.saved == sorted(result.saved)  # ids follow the source order
    assert not list((admin.folder / "tmp").iterdir())
    assert len(stored_names(admin)) == COUNT - COUNT // 10 + 1
    for item_id in (result.saved[0], result.saved[1], result.saved[-1]):
        with admin.db() as db:
            item = db.get(Item, item_id)
            assert item is not None
        source = tmp_path / item.name
        assert source in paths
        blob = stored_copy(admin, "blobs", item.blob_name, tmp_path / f"blob-{item_id}")
        plain = subprocess.run(
            [age, "-d", "-i", str(recovery_file), str(blob)], capture_output=True, check=True
        ).stdout
        assert plain == source.read_bytes()
    assert verify(admin).ok


def test_cancel_while_workers_store_keeps_what_finished_and_no_temp_file(
    admin: Session, case: str, tmp_path: Path, submitted: list[int]
) -> None:
    _small_files(tmp_path / "card")
    token = CancelToken()
    saved_events: list[str] = []
    progress = 0

    def emit(event: Event) -> None:
        nonlocal progress
        if isinstance(event, Finished) and event.ok:
            saved_events.append(event.message)
        elif isinstance(event, Progress):
            progress += 1
            if progress == 40:  # 39 files stored
                token.cancel()

    result = IngestJob(admin, case, [tmp_path / "card"], cancel=token).run(emit)
    assert result.cancelled and submitted
    assert 0 < len(result.saved) < COUNT
    assert saved_events == [f"item {i}" for i in result.saved]
    assert not list((admin.folder / "tmp").iterdir())
    report = verify(admin)
    assert report.ok and report.items == len(result.saved)


def test_a_worker_that_dies_is_one_clear_error(
    admin: Session, case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_files(tmp_path / "card", base=PACK_MAX)  # groups of 16: the fourth is sent
    real = storework.Workers.submit
    sent = 0

    def submit(self: storework.Workers, paths: list[str], packed: bool = False) -> None:
        nonlocal sent
        sent += 1
        if sent == 4:
            victim = self._procs[0]
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
        real(self, paths, packed)

    monkeypatch.setattr(storework.Workers, "submit", submit)
    with pytest.raises(UserError, match="worker process stopped unexpectedly"):
        ingest(admin, case, [tmp_path / "card"])
    assert verify(admin).ok  # what was committed before is whole


def test_a_worker_refuses_links_and_missing_files_with_one_line(tmp_path: Path) -> None:
    recipients = [agefmt.Identity.generate().recipient]
    target = tmp_path / "real.bin"
    target.write_bytes(b"x")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    out = tmp_path / "tmp"
    out.mkdir()
    assert storework.store_file(str(link), str(out), recipients) == (
        "source",
        "symbolic link, not followed",
    )
    missing = storework.store_file(str(tmp_path / "gone.bin"), str(out), recipients)
    assert missing == ("source", "the file does not exist (or vanished)")
    ok = storework.store_file(str(target), str(out), recipients)
    assert ok[0] == "ok" and ok[2] == 1
    assert [p.name for p in out.iterdir()] == [ok[1]]


def test_the_result_of_a_million_file_ingest_stays_small() -> None:
    """An ingest reports every saved item id; a phone dump's million ids, saved in batches of
    consecutive ids, take a few hundred KB (a list took ~36 MB, most of the RSS an ingest of
    a million files gained), and read as the list they are."""
    import tracemalloc

    from vault.ingest import BATCH_FILES, ItemIds

    tracemalloc.start()
    try:
        ids = ItemIds()
        for n in range(1_000_000):
            ids.append(1 + n + n // BATCH_FILES)  # a gap between batches (a skipped file)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 1_000_000
    assert len(ids) == 1_000_000 and ids[0] == 1 and ids[-1] == 1_000_000 + 999
    assert ids[BATCH_FILES] == BATCH_FILES + 2 and ids[-2] == ids[-1] - 1
    assert ItemIds([3, 4, 9]) == [3, 4, 9]
    assert [3, 4, 9] == ItemIds([3, 4, 9])  # noqa: SIM300 (a list on the left, as tests write it)
    assert ItemIds([3, 4]) != [3, 4, 5] and list(ItemIds([7])) == [7]
    assert ItemIds([1, 2]) + ItemIds([5]) == [1, 2, 5] == [1] + ItemIds([2, 5])  # noqa: RUF005
    with pytest.raises(IndexError):
        ItemIds([1])[1]
