"""Watchlists shared as signed bundles: policy, stock tools, local re-enrolment, replay, NIST."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from backendkit import BACKENDS
from exchange_kit import agency_place, new_vault, reseal, run_cli, trust
from nistread import read_transaction
from sqlalchemy import select

from exchange import bagfmt, directory
from exchange.bundles import import_bundle
from exchange.errors import BundleRejected, PolicyRefused
from exchange.export import ExportJob
from exchange.models import WatchlistBundle
from exchange.wlexport import WatchlistExportJob, WatchlistExportResult
from exchange.wlimport import WatchlistImportJob, WatchlistImportResult
from matching.models import Reference, Subject, Watchlist
from matching.watchlists import Listing, create_watchlist, enrol, show_watchlist
from vault.cases import create_case
from vault.errors import PermissionDenied, UserError
from vault.ingest import ingest
from vault.jobs import ignore
from vault.models import AuditEntry
from vault.sealing import equals
from vault.session import Session
from vault.users import add_user
from vault.verify import verify

LISTING = Listing("organised fraud", "Politie NL", "TLP:AMBER", "2030-01-01", "2031-06-30")
PHOTOS = {
    "obama": ("knn/train/obama/obama.jpg", "knn/train/obama/obama2.jpg"),
    "biden": ("knn/train/biden/biden.jpg", "knn/train/biden/biden2.jpg"),
    "alex": ("knn/train/alex_lacamoire/img1.jpg", "more/alex-lacamoire.png"),
}


@dataclass
class WlKit:
    nl: Session
    de: Session
    fr: Session
    root: Path
    faces: Path
    n: int = 0

    def export(self, name: str = "EU-fraud", **kw: object) -> WatchlistExportResult:
        self.n += 1
        out = self.root / f"wl-{self.n}"
        session = kw.pop("session", self.nl)
        to = kw.pop("to", "BKA")
        job = WatchlistExportJob(session, name, to, out, **kw)  # type: ignore[arg-type]
        return job.run(ignore)

    def import_(self, path: Path, name: str | None = None) -> WatchlistImportResult:
        return WatchlistImportJob(self.de, path, name).run(ignore)


@pytest.fixture(scope="module", params=BACKENDS)
def wk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[WlKit]:
    """Politie NL sends watchlists to BKA, who may send them on to Police FR; on the ``server``
    run BKA's vault is on the trial server, the other two in folders."""
    root = tmp_path_factory.mktemp("wlx")
    nl = new_vault(root / "nl", "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, root / "de"), "bernd", "BKA", "DE")
    fr = new_vault(root / "fr", "claire", "Police FR", "FR")
    trust(nl, de)
    trust(de, fr)
    for a, b in ((nl, "BKA"), (de, "Politie NL"), (de, "Police FR"), (fr, "BKA")):
        directory.add_agreement(a, b, "intelligence", "CLEAR,GREEN,AMBER", "2099-12-31")
    create_watchlist(nl, "EU-fraud", second_review=True)
    for who, paths in PHOTOS.items():
        _, refused, _warned = enrol(nl, "EU-fraud", who, LISTING, [faces_dir / p for p in paths])
        assert not refused, refused
    create_watchlist(nl, "Strict")
    strict = Listing("terrorism", "Politie NL", "TLP:AMBER+STRICT", "2030-01-01")
    enrol(nl, "Strict", "s1", strict, [faces_dir / PHOTOS["obama"][0]])
    enrol(nl, "Strict", "s2", LISTING, [faces_dir / PHOTOS["biden"][0]])
    yield WlKit(nl, de, fr, root, faces_dir)
    for s in (nl, de, fr):
        s.close()


def _photos(session: Session, watchlist: str) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    with session.db() as db:
        wl = db.scalar(select(Watchlist).where(equals(db, Watchlist.name, watchlist)))
        assert wl is not None
        rows = db.execute(
            select(Subject.ref, Reference)
            .join(Reference, Reference.subject_id == Subject.id)
            .where(Subject.watchlist_id == wl.id)
            .order_by(Reference.id)
        ).all()
    for ref, r in rows:
        found.setdefault(ref, []).append(session.blobs.read_bytes(r.photo_blob))
    return found


def test_watchlist_round_trip(
    wk: WlKit, stock_check: Callable[[Path, Session | None], None]
) -> None:
    res = wk.export()
    stock_check(res.path, wk.de)  # openssl, bagit.py --validate, case_validate
    assert (res.subjects, res.references, res.label) == (3, 6, "AMBER")
    meta = json.loads((res.path / bagfmt.BUNDLE_JSON).read_text())
    assert meta["kind"] == "watchlist" and meta["purpose"] == "intelligence"
    assert "embedding" not in json.dumps(meta)  # no biometric template travels
    obama = next(s for s in meta["subjects"] if s["ref"] == "obama")
    assert obama["reason"] == "organised fraud" and obama["expires_on"] == "2031-06-30"
    assert obama["references"] == ["data/references/obama/1.jpg", "data/references/obama/2.jpg"]
    for subject, paths in PHOTOS.items():  # byte for byte
        for n, p in enumerate(paths, 1):
            sent = res.path / f"data/references/{subject}/{n}.{p.rsplit('.', 1)[1]}"
            assert sent.read_bytes() == (wk.faces / p).read_bytes()

    got = wk.import_(res.path)
    assert got.watchlist == "EU-fraud (Politie NL)" and not got.refused
    info = show_watchlist(wk.de, got.watchlist)
    assert info.source_agency == "Politie NL" and info.second_review
    assert {(s.ref, s.references, s.label, s.review_on) for s in info.subjects} == {
        (ref, 2, "AMBER", "2030-01-01") for ref in PHOTOS
    }
    assert _photos(wk.de, got.watchlist) == _photos(wk.nl, "EU-fraud")
    with wk.de.db() as db:
        rec = db.scalar(select(WatchlistBundle).where(WatchlistBundle.sha256 == res.sha256))
        assert rec is not None and rec.direction == "in" and rec.references == 6
    assert verify(wk.de).ok
    _imported_like_enrolled(wk.de, res.bundle_id)

    with pytest.raises(BundleRejected, match=r"already imported on .* as watchlist .*\(replay\)"):
        wk.import_(res.path, "another name")
    with pytest.raises(UserError, match="already exists"):
        wk.import_(wk.export().path)  # same name again: --as needed


def _imported_like_enrolled(session: Session, bundle_id: str) -> None:
    """Import enrols through the same core as ``enrol``: the same audit entries, with the
    bundle and its sender on each, and each reference's provenance as its source."""
    with session.db() as db:
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.action.like("watchlist.%_added"))
        ).all()
        sources = set(db.scalars(select(Reference.source)))
    found = [json.loads(e.details) for e in entries if bundle_id in e.details]
    subjects = [d for d in found if "ref" in d]
    refs = [d for d in found if "source" in d]
    assert len(subjects) == 3 and len(refs) == 6
    assert all(d["bundle"] == bundle_id and d["sender"] == "Politie NL" for d in found)
    assert {d["source"] for d in refs} <= sources
    assert all(d["source"].startswith(f"bundle {bundle_id} from Politie NL: ") for d in refs)


def test_embeddings_are_computed_locally_and_bad_photos_refused(wk: WlKit) -> None:
    """A trusted partner's validly signed bundle with a two-face photo: that photo is refused."""
    res = wk.export()
    bag = wk.root / "hostile-wl"
    shutil.copytree(res.path, bag)
    bad = bag / "data/references/biden/2.jpg"
    bad.write_bytes((wk.faces / "more/two_people.jpg").read_bytes())
    meta = json.loads((bag / bagfmt.BUNDLE_JSON).read_text())
    for item in meta["items"]:
        if item["path"] == "data/references/biden/2.jpg":
            item["sha256"] = hashlib.sha256(bad.read_bytes()).hexdigest()
            item["size"] = bad.stat().st_size
    (bag / bagfmt.BUNDLE_JSON).write_text(json.dumps(meta))
    oxum_total = sum(p.stat().st_size for p in (bag / "data").rglob("*") if p.is_file())
    info = (bag / "bag-info.txt").read_text().splitlines()
    info = [f"Payload-Oxum: {oxum_total}.7" if x.startswith("Payload-Oxum") else x for x in info]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n")
    reseal(bag, wk.nl)
    got = wk.import_(bag, "with-refusal")
    assert [p for p, _ in got.refused] == ["data/references/biden/2.jpg"]
    assert "2 faces found" in got.refused[0][1]
    assert got.references == 5
    with wk.de.db() as db:
        refs = db.scalars(
            select(Reference)
            .join(Subject, Subject.id == Reference.subject_id)
            .join(Watchlist, Watchlist.id == Subject.watchlist_id)
            .where(equals(db, Watchlist.name, "with-refusal"))
        ).all()
    assert all(r.model == "dlib_face_recognition_resnet_model_v1" for r in refs)
    assert all(len(r.embedding) == 128 * 4 for r in refs)
    assert verify(wk.de).ok


def test_policy_refuses_labels_not_named(wk: WlKit) -> None:
    with pytest.raises(PolicyRefused) as info:
        wk.export("Strict")
    assert info.value.refusals == [
        "subject s1: label AMBER+STRICT is not allowed by agreement 1 (allows CLEAR, GREEN, AMBER)"
    ]
    assert not list(wk.root.glob(f"wl-{wk.n}*")) and not list(wk.root.glob(".wl-*"))
    with pytest.raises(PolicyRefused, match="no active agreement with BKA for purpose mla"):
        wk.export(purpose="mla")
    directory.add_agreement(wk.nl, "BKA", "joint-operation", "AMBER,AMBER+STRICT", "2099-12-31")
    res = wk.export("Strict", purpose="joint-operation")
    assert res.label == "AMBER+STRICT"
    # The receiver's agreements do not cover AMBER+STRICT nor joint-operation: refused there.
    with pytest.raises(BundleRejected, match="no active agreement with Politie NL"):
        wk.import_(res.path)


def test_received_watchlist_not_passed_on_and_other_kinds_refused(wk: WlKit) -> None:
    res = wk.export()
    got = wk.import_(res.path, "from NL")
    with pytest.raises(PolicyRefused, match="received from Politie NL without onward sharing"):
        wk.export("from NL", session=wk.de, to="Police FR")
    case = "DE-WL"
    create_case(wk.de, case, "watchlist by mistake")
    with pytest.raises(BundleRejected, match="a watchlist bundle, not evidence"):
        import_bundle(wk.de, res.path, case)
    assert got.references == 6
    create_case(wk.nl, "NL-E", "evidence")
    note = wk.root / "note.txt"
    note.write_text("evidence, not a watchlist\n")
    ingest(wk.nl, "NL-E", [note])
    evidence = ExportJob(wk.nl, "NL-E", "BKA", "intelligence", wk.root / "evidence").run(ignore)
    with pytest.raises(BundleRejected, match="not a watchlist bundle"):
        wk.import_(evidence.path, "evidence as watchlist")


def test_permission_and_missing_watchlist(wk: WlKit) -> None:
    add_user(wk.nl, "ana", ["analyst"], "correct horse battery")
    wk.nl.user, wk.nl.roles = "ana", frozenset({"analyst"})  # type: ignore[assignment]
    try:
        with pytest.raises(PermissionDenied):
            wk.export()
    finally:
        from vault.permissions import ALL_ROLES

        wk.nl.user, wk.nl.roles = "anna", frozenset(ALL_ROLES)
    with pytest.raises(UserError, match="no watchlist named 'nope'"):
        wk.export("nope")


def test_nist_transaction(wk: WlKit) -> None:
    eft = wk.root / "eu-fraud.eft"
    res = wk.export(nist_out=eft)
    records = read_transaction(eft.read_bytes())
    assert [r.rtype for r in records] == [1, 2, 10, 10, 2, 10, 10, 2, 10, 10]
    t1 = records[0]
    cnt = t1.items(3)
    assert cnt[0] == ["1", str(len(records) - 1)]
    assert cnt[1:] == [[str(r.rtype), r.text(2)] for r in records[1:]]
    assert t1.text(2) == "0500" and t1.text(8) == "Politie NL" and t1.text(7) == "BKA"
    assert t1.text(9) == res.bundle_id
    meta = json.loads((res.path / bagfmt.BUNDLE_JSON).read_text())
    subjects = {s["ref"]: s for s in meta["subjects"]}
    for rec in records[1:]:
        if rec.rtype == 2:
            subject = subjects[rec.text(3)]
            assert rec.text(6) == f"TLP:{subject['label']}" and rec.text(7) == "20300101"
            photos = [(res.path / p).read_bytes() for p in subject["references"]]
            faces = [r for r in records if r.rtype == 10 and r.text(2) == rec.text(2)]
            assert len(faces) == len(photos) == int(rec.text(10))
            for face, photo in zip(faces, photos, strict=True):
                assert face.text(3) == "FACE" and face.text(11) == "JPEGB"
                assert face.text(4) == "Politie NL" and face.text(8) == "0"
                assert max(face.fields) == 999 and face.fields[999][:2] == b"\xff\xd8"
                if photo[:2] == b"\xff\xd8":
                    assert face.fields[999] == photo  # byte-identical
                from io import BytesIO

                from PIL import Image

                with Image.open(BytesIO(photo)) as img:
                    assert (int(face.text(6)), int(face.text(7))) == img.size
    with pytest.raises(UserError, match="already exists"):
        wk.export(nist_out=eft)


def test_encrypted_watchlist_round_trip(
    wk: WlKit, stock_check: Callable[[Path, Session | None], None]
) -> None:
    res = wk.export(encrypt=True)
    assert res.path.name == f"wl-{wk.n}.tar.age" and res.path.is_file()
    assert not (wk.root / f"wl-{wk.n}").exists()  # no clear copy next to it
    assert not list(wk.root.glob(".*custos-partial*"))
    sealed = res.path.read_bytes()
    photo = (wk.faces / PHOTOS["obama"][0]).read_bytes()
    assert photo[1000:1100] not in sealed and b"organised fraud" not in sealed
    with wk.nl.db() as db:
        rec = db.scalar(select(WatchlistBundle).where(WatchlistBundle.sha256 == res.sha256))
        assert rec is not None and json.loads(rec.details)["encrypted"] is True
    stock_check(res.path, wk.de)  # stock age + tar, then openssl, bagit.py, case_validate

    got = wk.import_(res.path, "EU-fraud sealed")
    assert (got.sender, got.subjects, got.references, got.refused) == ("Politie NL", 3, 6, [])
    assert show_watchlist(wk.de, got.watchlist).source_agency == "Politie NL"
    assert _photos(wk.de, got.watchlist) == _photos(wk.nl, "EU-fraud")
    assert not list((wk.de.folder / "tmp").iterdir())  # the clear unpacked copy is gone
    with pytest.raises(BundleRejected, match=r"\(replay\)"):
        wk.import_(res.path, "sealed again")


def test_encrypted_watchlist_for_another_agency_is_refused(wk: WlKit) -> None:
    res = wk.export(encrypt=True)  # to BKA
    with pytest.raises(BundleRejected) as info:
        WatchlistImportJob(wk.fr, res.path).run(ignore)
    assert info.value.problems == [
        f"{res.path.name}: not encrypted for this agency (no matching recipient)"
    ]
    assert not list((wk.fr.folder / "tmp").iterdir())
    with wk.fr.db() as db:
        assert db.scalar(select(WatchlistBundle)) is None


def test_cli_encrypted_export_and_import(tmp_path: Path, faces_dir: Path) -> None:
    nl = new_vault(tmp_path / "nl", "anna", "Politie NL", "NL")
    de = new_vault(tmp_path / "de", "bernd", "BKA", "DE")
    fr = new_vault(tmp_path / "fr", "claire", "Police FR", "FR")
    try:
        trust(nl, de)
        trust(fr, nl)
        for a, b in ((nl, "BKA"), (de, "Politie NL"), (fr, "Politie NL")):
            directory.add_agreement(a, b, "intelligence", "CLEAR,GREEN,AMBER", "2099-12-31")
        create_watchlist(nl, "W")
        enrol(nl, "W", "obama", LISTING, [faces_dir / PHOTOS["obama"][0]])
    finally:
        for s in (nl, de, fr):
            s.close()

    def cli(who: str, user: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("watchlist", *args, vault=tmp_path / who, user=user)

    done = cli(
        "nl", "anna", "export", "W", "--to", "BKA", "--encrypt", "--out", str(tmp_path / "w")
    )
    assert done.returncode == 0, done.stderr
    bundle = tmp_path / "w.tar.age"
    assert f"written to {bundle}" in done.stdout and not (tmp_path / "w").exists()
    got = cli("de", "bernd", "import", str(bundle))
    assert got.returncode == 0, got.stderr
    assert "watchlist W (Politie NL) from Politie NL: 1 subject(s), 1 reference(s)" in got.stdout
    other = cli("fr", "claire", "import", str(bundle))  # encrypted for BKA, not for FR
    assert other.returncode == 5, other.stderr
    assert other.stderr.strip().splitlines() == [
        "error: w.tar.age: bundle refused (1 problem): w.tar.age: not encrypted for this "
        "agency (no matching recipient)"
    ], other.stderr


def test_nist_transaction_parses_in_an_independent_library(wk: WlKit) -> None:
    """IDEMIA's ``nistitl`` (the package the issue names) reads what we write: the same
    records, the transaction fields and every face image byte for byte."""
    import nistitl

    eft = wk.root / "cross-check.eft"
    res = wk.export(nist_out=eft)
    ours = read_transaction(eft.read_bytes())
    message = nistitl.Message()
    message.parse(eft.read_bytes())
    theirs = list(message)
    assert [r.type for r in theirs] == [r.rtype for r in ours]
    t1 = theirs[0]
    assert (t1._2, t1._7, t1._8, t1._9) == ("0500", "BKA", "Politie NL", res.bundle_id)
    for mine, parsed in zip(ours, theirs, strict=True):
        if mine.rtype == 10:
            assert parsed._999 == mine.fields[999] and parsed._999[:2] == b"\xff\xd8"
            assert (parsed._3, parsed._11) == ("FACE", "JPEGB")
        if mine.rtype == 2:
            assert parsed._3 == mine.text(3)  # the subject reference
