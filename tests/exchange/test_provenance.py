"""Provenance that travels, written as a receiving agency's insider would try to launder it.

Politie NL sends BKA evidence and a watchlist without onward sharing. BKA then tries to pass
them to Europol anyway: a copy of the received bytes ingested into another case, the crop of a
face found in them enrolled in a local watchlist, match results against the received watchlist.
Each is refused, naming the partner and the bundle the restriction comes from; a copy goes back
to the sender. A partner's bundle re-signed under an id already imported is a replay.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from backendkit import BACKENDS
from exchange_kit import agency_place, item_count, new_vault, reseal, stored, trust
from sqlalchemy import select

from exchange import directory, labels
from exchange.bundles import import_bundle
from exchange.errors import BundleRejected, PolicyRefused
from exchange.export import ExportJob, ExportResult, preview_export
from exchange.models import PartnerHead
from exchange.policy import restricted_content
from exchange.wlexport import WatchlistExportJob
from exchange.wlimport import WatchlistImportJob
from matching.casefaces import DetectJob
from matching.facelist import list_faces
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol
from vault import items as vitems
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import ignore
from vault.sealing import equals
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows

OPEN = "CLEAR,GREEN,AMBER"
LISTING = Listing("fraud", "Politie NL", "AMBER", "2030-01-01")


@dataclass
class World:
    nl: Session  # Politie NL: the sender
    de: Session  # BKA: receives, then tries to pass it on
    eu: Session  # Europol: the third agency
    root: Path
    faces: Path
    bundle: ExportResult  # NL-1 -> BKA, joint-operation, no onward sharing
    received: list[int]  # its items in BKA's case DE-1
    n: int = 0

    def out(self, name: str) -> Path:
        self.n += 1
        return self.root / f"{name}-{self.n}"


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[World]:
    """BKA receives from Politie NL and sends on to Europol; on the ``server`` run BKA's vault
    is on the trial server, the other two in folders."""
    root = tmp_path_factory.mktemp("provenance")
    nl = new_vault(root / "nl", "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, root / "de"), "bernd", "BKA", "DE")
    eu = new_vault(root / "eu", "erik", "Europol", "EU")
    trust(nl, de)
    trust(de, eu)
    directory.add_agreement(nl, "BKA", "joint-operation", OPEN, "2099-12-31")  # no onward
    directory.add_agreement(nl, "BKA", "intelligence", OPEN, "2099-12-31", onward=True)
    for purpose in ("joint-operation", "intelligence"):
        directory.add_agreement(de, "Politie NL", purpose, OPEN, "2099-12-31")
    directory.add_agreement(de, "Europol", "joint-operation", OPEN, "2099-12-31")
    directory.add_agreement(de, "Europol", "intelligence", "CLEAR,GREEN", "2099-12-31")
    create_case(nl, "NL-1", "Operation Kite")
    ingest(nl, "NL-1", [faces_dir / "knn/test/obama1.jpg"])
    bundle = ExportJob(nl, "NL-1", "BKA", "joint-operation", root / "nl-1").run(ignore)
    create_case(de, "DE-1", "received from NL")
    got = import_bundle(de, bundle.path, "DE-1")
    yield World(nl, de, eu, root, faces_dir, bundle, got.items)
    for s in (nl, de, eu):
        s.close()


def _refused_export(world: World, case: str, partner: str, purpose: str, **kw: object) -> str:
    out = world.out("refused")
    with pytest.raises(PolicyRefused) as info:
        ExportJob(world.de, case, partner, purpose, out, **kw).run(ignore)  # type: ignore[arg-type]
    assert not out.exists() and not list(world.root.glob(f".{out.name}*"))
    audited = json.loads(audit_rows(world.de, "bundle.export_refused")[-1].details)
    assert audited["refusals"] == info.value.refusals
    message = str(info.value)
    assert "\n" not in message
    return message


def _reingested_copy(world: World, case: str, purpose: str = "joint-operation") -> int:
    """The received item written out (``items export``) and ingested again, ordinarily."""
    create_case(world.de, case, "a copy, ingested again")
    copy = vitems.export_copy(world.de, world.received[0], world.out("copy"))
    [item] = ingest(world.de, case, [copy]).saved
    return item


def test_a_reingested_copy_keeps_the_senders_restriction(world: World) -> None:
    item = _reingested_copy(world, "DE-COPY")
    with world.de.db() as db:
        found = restricted_content(db, vitems.get_item(world.de, item).sha256)
    assert [(p.origin, p.bundle_id, p.onward) for p in found] == [
        ("Politie NL", world.bundle.bundle_id, False)
    ]
    message = _refused_export(world, "DE-COPY", "Europol", "joint-operation")
    assert f"same content as item {world.received[0]} (case DE-1)" in message
    assert f"received from Politie NL without onward sharing (bundle {world.bundle.bundle_id})" in (
        message
    )
    # the GUI's preview and `bundle export --dry-run` ask the same policy
    preview = preview_export(world.de, "DE-COPY", "Europol", "joint-operation")
    assert not preview.allowed and world.bundle.bundle_id in preview.verdicts[0].reason
    # the received item itself says where its rule comes from, too
    message = _refused_export(world, "DE-1", "Europol", "joint-operation")
    assert f"(bundle {world.bundle.bundle_id})" in message
    # going back to the sender is what the sender allowed
    back = ExportJob(world.de, "DE-COPY", "Politie NL", "joint-operation", world.out("back"))
    assert back.run(ignore).items == 1
    assert verify(world.de).ok


def test_the_senders_label_follows_the_content_and_onward_sharing_lets_it_go(
    world: World,
) -> None:
    """Sent under an agreement that allows onward sharing: the copy may go on, but never under
    a label lower than the sender's, whatever it is labelled here."""
    create_case(world.nl, "NL-2", "shared widely")
    note = world.out("note")
    note.write_bytes(b"ledger of the network, page 3\n")
    ingest(world.nl, "NL-2", [note])
    sent = ExportJob(world.nl, "NL-2", "BKA", "intelligence", world.out("nl-2")).run(ignore)
    create_case(world.de, "DE-2", "received")
    [received] = import_bundle(world.de, sent.path, "DE-2").items
    create_case(world.de, "DE-2C", "copy")
    copy = vitems.export_copy(world.de, received, world.out("copy2"))
    ingest(world.de, "DE-2C", [copy])
    labels.set_case_label(world.de, "DE-2C", "GREEN")  # lowered here: the sender said AMBER
    message = _refused_export(world, "DE-2C", "Europol", "intelligence")
    assert "labelled AMBER by Politie NL" in message and sent.bundle_id in message
    res = ExportJob(world.de, "DE-2C", "Europol", "joint-operation", world.out("on")).run(ignore)
    assert res.label == "AMBER"  # the bundle carries the sender's label, not GREEN
    meta = json.loads((res.path / "custos-bundle.json").read_text())
    assert [i["tlp"] for i in meta["items"]] == ["AMBER"]


def test_a_crop_of_a_received_face_keeps_the_restriction(world: World) -> None:
    """A face found in received evidence, enrolled in a local watchlist: the crop is derived
    from the partner's material, so the watchlist cannot go to Europol either."""
    assert not DetectJob(world.de, "DE-1").run(ignore).failed
    [face] = list_faces(world.de, "DE-1")
    create_watchlist(world.de, "DE-local")
    _, refused, _warned = enrol(world.de, "DE-local", "X-1", LISTING, face_ids=[face.id])
    assert not refused
    out = world.out("wl")
    with pytest.raises(PolicyRefused) as info:
        WatchlistExportJob(world.de, "DE-local", "Europol", out, "joint-operation").run(ignore)
    message = str(info.value)
    assert not out.exists() and "\n" not in message
    assert f"crop of face {face.id} of item {world.received[0]}" in message
    assert f"received from Politie NL without onward sharing (bundle {world.bundle.bundle_id})" in (
        message
    )
    audited = json.loads(audit_rows(world.de, "watchlist.export_refused")[-1].details)
    assert audited["refusals"] == info.value.refusals


def test_match_results_against_a_received_watchlist_stay_with_its_sender(world: World) -> None:
    """BKA's own evidence searched against Politie NL's watchlist: the evidence may go to
    Europol, the match results (which reveal NL's listing) may not."""
    create_watchlist(world.nl, "NL-wanted")
    enrol(world.nl, "NL-wanted", "P-obama", LISTING, [world.faces / "knn/train/obama/obama.jpg"])
    wl = WatchlistExportJob(world.nl, "NL-wanted", "BKA", world.out("nl-wl"), "joint-operation")
    sent = wl.run(ignore)
    WatchlistImportJob(world.de, sent.path).run(ignore)
    create_case(world.de, "DE-OWN", "our own photos")
    ingest(world.de, "DE-OWN", [world.faces / "knn/train/obama/obama2.jpg"])
    assert not DetectJob(world.de, "DE-OWN").run(ignore).failed
    found = search(world.de, ["NL-wanted (Politie NL)"], case_reference="DE-OWN", top=1)
    assert found.candidates
    message = _refused_export(world, "DE-OWN", "Europol", "joint-operation", matches=True)
    assert "subject P-obama on watchlist NL-wanted (Politie NL)" in message
    assert f"received from Politie NL without onward sharing (bundle {sent.bundle_id})" in message
    plain = ExportJob(world.de, "DE-OWN", "Europol", "joint-operation", world.out("own"))
    assert plain.run(ignore).items == 1  # the evidence alone is BKA's to share


def _replay_refused(world: World, path: Path, run: object, *patterns: str) -> None:
    blobs = stored(world.de)
    with pytest.raises(BundleRejected) as info:
        run(path)  # type: ignore[operator]
    message = str(info.value)
    assert "\n" not in message
    for pattern in patterns:
        assert pattern in message, message
    assert stored(world.de) == blobs
    audited = json.loads(audit_rows(world.de, "bundle.refused")[-1].details)
    assert audited["problems"] == info.value.problems


def test_a_resigned_bundle_under_an_imported_id_is_a_replay(world: World) -> None:
    """Same bundle id, other bytes, validly signed by the partner: refused, nothing imported."""
    bag = world.root / "resigned"
    shutil.copytree(world.bundle.path, bag)
    meta = json.loads((bag / "custos-bundle.json").read_text())
    meta["items"][0]["description"] = "re-sent with a changed description"
    (bag / "custos-bundle.json").write_text(json.dumps(meta))
    reseal(bag, world.nl)
    create_case(world.de, "DE-R", "replay target")
    _replay_refused(
        world,
        bag,
        lambda p: import_bundle(world.de, p, "DE-R"),
        f"bundle {world.bundle.bundle_id} from Politie NL was already imported",
        "into case DE-1 (replay); this copy's content differs; nothing imported",
    )
    assert item_count(world.de, "DE-R") == 0
    assert verify(world.de).ok


def test_a_resigned_watchlist_bundle_under_an_imported_id_is_a_replay(world: World) -> None:
    create_watchlist(world.nl, "NL-replay")
    enrol(world.nl, "NL-replay", "P-biden", LISTING, [world.faces / "knn/train/biden/biden.jpg"])
    job = WatchlistExportJob(world.nl, "NL-replay", "BKA", world.out("wl-r"), "joint-operation")
    sent = job.run(ignore)
    WatchlistImportJob(world.de, sent.path).run(ignore)
    bag = world.root / "wl-resigned"
    shutil.copytree(sent.path, bag)
    meta = json.loads((bag / "custos-bundle.json").read_text())
    meta["subjects"][0]["reason"] = "changed after sending"
    (bag / "custos-bundle.json").write_text(json.dumps(meta))
    reseal(bag, world.nl)
    _replay_refused(
        world,
        bag,
        lambda p: WatchlistImportJob(world.de, p, "another name").run(ignore),
        f"watchlist bundle {sent.bundle_id} from Politie NL was already imported",
        "(replay); this copy's content differs; nothing imported",
    )
    # an evidence import of the same id is a replay too, whatever kind it claims
    create_case(world.de, "DE-WR", "replay target")
    with pytest.raises(BundleRejected):
        import_bundle(world.de, bag, "DE-WR")
    assert verify(world.de).ok


def test_heads_in_bundles_are_kept_per_partner(world: World) -> None:
    meta = json.loads((world.bundle.path / "custos-bundle.json").read_text())
    seq, _, digest = meta["audit_head"].partition(":")
    with world.de.db() as db:
        rows = list(
            db.scalars(select(PartnerHead).where(equals(db, PartnerHead.partner, "Politie NL")))
        )
    assert (rows[0].seq, rows[0].hash) == (int(seq), digest)
    assert rows[0].bundle_id == world.bundle.bundle_id and not rows[0].backwards
    info, _ = directory.show_partner(world.de, "Politie NL")
    assert info.head is not None and info.head.seq >= int(seq)
