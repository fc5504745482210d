"""Names are bytes on seized media: a name that is not valid UTF-8 is kept, not fatal.

An old camera card may hold a Latin-1 name (``caf\\xe9.jpg``). The item stores the name escaped
(valid text everywhere: database, audit, bundles) and its "acquired" custody event keeps the exact
bytes of the source path; every other file of the batch lands. Both ingest paths: the small-batch
thread pool and the worker processes (``vault/storework.py``, 256 small files or more).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import vault.ingest as ingest_module
from vault import storework
from vault.ingest import ingest
from vault.items import custody, export_copy, list_items
from vault.session import Session
from vault.verify import verify

LATIN1 = b"caf\xe9.jpg"


def _card(root: Path, good: int) -> bytes:
    """``good`` valid files plus one Latin-1 name; returns the bad file's absolute path bytes."""
    root.mkdir(parents=True)
    for n in range(good):
        (root / f"f{n:04}.bin").write_bytes(b"good %d" % n)
    raw = os.fsencode(root.absolute()) + b"/" + LATIN1
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, b"latin-1 named photo")
    os.close(fd)
    return raw


@pytest.mark.parametrize("good", [3, ingest_module.POOL_MIN_FILES + 4], ids=["threads", "workers"])
def test_a_name_that_is_not_utf8_lands_escaped_with_its_bytes_kept(
    admin: Session, case: str, tmp_path: Path, good: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    real = storework.Workers.submit

    def submit(self: storework.Workers, paths: list[str], packed: bool = False) -> None:
        sent.extend(paths)
        real(self, paths, packed)

    monkeypatch.setattr(storework.Workers, "submit", submit)
    raw = _card(tmp_path / "card", good)
    result = ingest(admin, case, [tmp_path / "card"])
    assert (len(sent) == good + 1) == (good >= ingest_module.POOL_MIN_FILES)  # the path tested
    assert not result.failed and len(result.saved) == good + 1

    items = {i.name: i for i in list_items(admin, case)}
    item = items["card/caf\\xe9.jpg"]  # shown escaped, as text
    assert item.original_path == os.fsencode(tmp_path.absolute()).decode() + "/card/caf\\xe9.jpg"
    acquired = custody(admin, item.id)[0]
    assert bytes.fromhex(acquired.details["original_path_bytes"]) == raw  # exact, lossless
    assert "original_path_bytes" not in custody(admin, items["card/f0000.bin"].id)[0].details

    copy = export_copy(admin, item.id, tmp_path)
    assert copy.read_bytes() == b"latin-1 named photo"
    assert verify(admin).ok


@pytest.mark.parametrize("given", ["card", "./card", "photos/card", "."])
def test_a_folder_named_relative_to_the_working_folder_keeps_its_names(
    admin: Session, case: str, tmp_path: Path, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``custos ingest --case C card`` from the folder holding it: the items are "card/...",
    as for an absolute path (not "rd/...": the name was cut two characters short), and their
    original paths are absolute."""
    where = tmp_path / "photos" if given == "photos/card" else tmp_path
    card = where / "card"
    (card / "sub").mkdir(parents=True)
    (card / "a.txt").write_bytes(b"a")
    (card / "sub" / "b.txt").write_bytes(b"b")
    monkeypatch.chdir(card if given == "." else tmp_path)
    result = ingest(admin, case, [Path(given)])
    assert not result.failed and len(result.saved) == 2
    items = {i.name: i.original_path for i in list_items(admin, case)}
    top = "" if given == "." else "card/"
    assert items == {f"{top}a.txt": f"{card}/a.txt", f"{top}sub/b.txt": f"{card}/sub/b.txt"}
