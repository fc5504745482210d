"""Export and import of good bundles: format, stock tools, custody, atomicity, cancel."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from exchange_kit import Kit, item_count

from exchange import bagfmt
from exchange.bagfmt import portable_path
from exchange.bundles import import_bundle, verify_bundle
from exchange.export import ExportJob
from vault import items as vitems
from vault.errors import Cancelled
from vault.jobs import CancelToken, Progress
from vault.session import Session
from vault.verify import verify


def test_plain_bundle_layout_and_stock_tools(
    kit: Kit, stock_check: Callable[[Path, Session | None], None]
) -> None:
    res = kit.export()
    bag = res.path
    stock_check(bag, None)
    names = sorted(p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file())
    assert names == sorted(
        [
            "bag-info.txt",
            "bagit.txt",
            "custos-bundle.json",
            "data/case.jsonld",
            "data/evidence/ev/DCIM/img 1.jpg",
            "data/evidence/ev/DCIM/percent_name.bin",
            "data/evidence/ev/note.txt",
            "manifest-sha256.txt",
            "signature/sender.pem",
            "signature/tagmanifest-sha256.txt.sig",
            "tagmanifest-sha256.txt",
        ]
    )
    assert (bag / "data/evidence/ev/note.txt").read_text() == "seized note\n"
    assert "percent_name.bin" in (bag / "manifest-sha256.txt").read_text()
    info, problems = bagfmt.parse_bag_info((bag / "bag-info.txt").read_bytes())
    assert problems == []
    assert info["Source-Organization"] == "Politie NL"
    assert info["Receiving-Organization"] == "BKA"
    assert info["External-Identifier"] == "NL-1"
    assert info["Exchange-Purpose"] == "joint-operation"
    assert info["Handling-Label"] == "TLP:AMBER"
    assert info["Internal-Sender-Identifier"] == res.bundle_id
    tag = (bag / "tagmanifest-sha256.txt").read_bytes()
    assert res.sha256 == hashlib.sha256(tag).hexdigest()
    graph = json.loads((bag / "data/case.jsonld").read_text())
    types = [n["@type"] for n in graph["@graph"]]
    assert types.count("uco-observable:File") == 3
    assert types.count("case-investigation:ProvenanceRecord") == 1  # one exhibit, EX-7
    assert "case-investigation:InvestigativeAction" in types


def test_export_is_custody_and_no_partial_left(kit: Kit) -> None:
    res = kit.export()
    for item_id in kit.items:
        last = vitems.custody(kit.a, item_id)[-1]
        assert last.kind == "transferred"
        assert last.details["to"] == "BKA"
        assert last.details["bundle_id"] == res.bundle_id
        assert last.details["bundle_sha256"] == res.sha256
    assert not list(kit.root.glob(".*custos-partial*"))


def test_encrypted_bundle_round_trip(
    kit: Kit, stock_check: Callable[[Path, Session | None], None]
) -> None:
    res = kit.export(encrypt=True)
    assert res.path.name.endswith(".tar.age")
    assert b"seized note" not in res.path.read_bytes()
    stock_check(res.path, kit.b)  # stock age + tar open it, then the three tools
    report = verify_bundle(kit.b, res.path)
    assert report.ok, report.problems
    assert report.sender == "Politie NL"
    case = kit.new_case()
    done = import_bundle(kit.b, res.path, case)
    assert len(done.items) == 3
    assert item_count(kit.b, case) == 3
    first = vitems.custody(kit.b, done.items[0])[0]
    assert first.kind == "acquired"
    assert first.details["via"] == "transfer"
    assert first.details["sent_by"] == "Politie NL"
    assert first.details["bundle_sha256"] == res.sha256
    assert first.details["key_fingerprint"] == report.fingerprint
    got = {i.name: i.sha256 for i in vitems.list_items(kit.b, case)}
    sent = {portable_path(i.name): i.sha256 for i in vitems.list_items(kit.a, "NL-1")}
    assert got == sent
    assert verify(kit.b).ok
    assert not list((kit.b.folder / "tmp").iterdir())  # the clear unpacked copy is gone


def test_plain_bundle_import_and_replay_refused(kit: Kit) -> None:
    res = kit.export()
    case = kit.new_case()
    import_bundle(kit.b, res.path, case)
    with pytest.raises(Exception, match=r"already imported on .* into case DE-\d+ \(replay\)"):
        import_bundle(kit.b, res.path, kit.new_case())
    assert item_count(kit.b, case) == 3
    assert verify(kit.b).ok


def test_export_selected_items_and_progress(kit: Kit) -> None:
    events: list[object] = []
    target = kit.root / "selected"
    job = ExportJob(kit.a, "NL-1", "BKA", "joint-operation", target, [kit.items[0]])
    res = job.run(events.append)
    kit.made.append(res.path)
    assert res.items == 1
    assert any(isinstance(e, Progress) and e.done == e.total for e in events)


def test_cancel_leaves_nothing(kit: Kit) -> None:
    token = CancelToken()
    token.cancel()
    target = kit.root / "cancelled"
    before = len(vitems.custody(kit.a, kit.items[0]))
    with pytest.raises(Cancelled):
        ExportJob(kit.a, "NL-1", "BKA", "joint-operation", target, cancel=token).run(lambda e: None)
    assert not target.exists()
    assert not list(kit.root.glob(".cancelled*"))
    assert len(vitems.custody(kit.a, kit.items[0])) == before


def test_existing_target_not_overwritten(kit: Kit) -> None:
    target = kit.root / "exists"
    target.mkdir()
    with pytest.raises(Exception, match="already exists"):
        ExportJob(kit.a, "NL-1", "BKA", "joint-operation", target).run(lambda e: None)


def test_a_case_without_hash_sets_exports_sha256_only_and_stays_conformant(
    kit: Kit, tmp_path: Path
) -> None:
    """The stock tools (run on every bundle when the kit closes) accept it; the graph names no
    hash that was never computed."""
    from exchange.export import ExportJob
    from vault.cases import create_case
    from vault.ingest import ingest
    from vault.jobs import ignore

    create_case(kit.a, "NL-IMG", "Disk images", ["drug-trafficking"], hash_sets=False)
    image = tmp_path / "disk.dd"
    image.write_bytes(b"\x00\x01" * 4000)
    [item] = ingest(kit.a, "NL-IMG", [image]).saved
    out = ExportJob(kit.a, "NL-IMG", "BKA", out=kit.root / "sha256-only", purpose="joint-operation")
    bag = out.run(ignore).path
    kit.made.append(bag)
    text = (bag / "data/case.jsonld").read_text()
    methods = re.findall(r'"uco-types:hashMethod": "(\w+)"', text)
    assert methods == ["SHA256"]
    meta = json.loads((bag / "custos-bundle.json").read_text())
    [listed] = meta["items"]
    assert (listed["sha1"], listed["md5"]) == (None, None)
    assert listed["sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()
    assert vitems.get_item(kit.a, item).md5 is None
