"""Running an ingest again (after Ctrl-C, say) resumes it: files the case already holds from the
same source path with the same SHA-256 are reported and skipped, unless asked to add them again."""

from __future__ import annotations

from pathlib import Path

import pytest

import vault.ingest as ingest_module
from vault.ingest import IngestJob, ingest
from vault.items import list_items
from vault.jobs import Event, Finished
from vault.session import Session


def _card(root: Path, count: int) -> None:
    root.mkdir(parents=True)
    for n in range(count):
        (root / f"f{n:04}.bin").write_bytes(b"photo %d" % n)


@pytest.mark.parametrize("count", [3, ingest_module.POOL_MIN_FILES + 4], ids=["threads", "workers"])
def test_an_ingest_run_again_skips_what_the_case_already_holds(
    admin: Session, case: str, tmp_path: Path, count: int
) -> None:
    card = tmp_path / "card"
    _card(card, count)
    first = ingest(admin, case, [card])
    assert len(first.saved) == count

    (card / "f0001.bin").write_bytes(b"changed since")  # same path, other content: new item
    (card / "new.bin").write_bytes(b"not ingested before")
    events: list[Event] = []
    again = IngestJob(admin, case, [card]).run(events.append)
    assert len(again.saved) == 2 and not again.failed
    assert sorted(name for name, _ in again.skipped) == [
        f"card/f{n:04}.bin" for n in range(count) if n != 1
    ]
    assert dict(again.skipped)["card/f0000.bin"] == first.saved[0]  # names the item it has
    said = [e for e in events if isinstance(e, Finished) and e.subject == "card/f0002.bin"]
    message = f"already in the case (item {first.saved[2]})"
    assert [(e.ok, e.message) for e in said] == [(True, message)]
    assert len(list_items(admin, case)) == count + 2

    forced = IngestJob(admin, case, [card], again=True).run(events.append)
    assert len(forced.saved) == count + 1 and not forced.skipped
    assert len(list_items(admin, case)) == 2 * count + 3
