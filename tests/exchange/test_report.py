"""Court reports on real vault data: real faces detected, searched, reviewed by two analysts,
a partner agreement, a hostile file name; checked with the real ``openssl`` and ``pypdf``."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from exchange_kit import (
    PASSWORD,
    agency_place,
    find_tool,
    new_vault,
    read_stored,
    trust,
    write_stored,
)
from PIL import Image
from pypdf import PdfReader

from exchange import directory
from exchange.report import ReportJob, ReportResult
from matching.casefaces import DetectJob
from matching.evaluate import Calibration
from matching.hashsets import ImportJob as HashSetImportJob
from matching.review import decide
from matching.searching import search
from matching.timeline import timeline
from matching.watchlists import Listing, create_watchlist, enrol, set_calibration
from vault import history, items, users
from vault.cases import create_case
from vault.errors import Cancelled, IntegrityFault, PermissionDenied, UserError
from vault.ingest import CustodyForm, ingest
from vault.jobs import CancelToken, Progress, ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows, open_as

CASE = "NL-R/2026"
HOSTILE = "evil<script>alert(1)<img src=x onerror=alert(2)>\u202egpj.exe"
REASON = "same scar above the left eyebrow & ear shape"
SECOND = "agree: ear lobe and hairline match"
REJECTED = "different nose bridge"


@dataclass
class World:
    session: Session
    root: Path
    folder: Any  # the vault's place: a folder, or the trial server
    ids: dict[str, int]  # file name -> item id


def _exif_photo(source: Path, target: Path) -> None:
    """A real face photo with EXIF capture time (+02:00), camera and GPS (Eiffel tower)."""
    img = Image.open(source)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011] = "2021:05:04 10:20:30", "+02:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (48.0, 51.0, 30.0), "E", (2.0, 17.0, 40.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=92)
    target.write_bytes(buf.getvalue())


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[World]:
    """Politie NL's case (its vault on the trial server on the ``server`` run) with photos,
    faces, decisions of two people and a known-file hit."""
    root = tmp_path_factory.mktemp("report")
    folder = agency_place(request, root / "nl")
    nl = new_vault(folder, "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, root / "de", here=True), "bernd", "BKA", "DE")
    trust(nl, de)
    directory.add_agreement(nl, "BKA", "mla", "GREEN,AMBER", "2099-12-31", reference="MLA-2026-017")
    users.add_user(nl, "ben", ["analyst"], PASSWORD)
    users.add_user(nl, "olga", ["officer"], PASSWORD)
    create_case(nl, CASE, "Harbour", ["fraud"], operation="Kite", partners=["BKA", "Europol"])
    ev = root / "ev"
    ev.mkdir()
    _exif_photo(faces_dir / "knn/test/obama1.jpg", ev / "exif-obama.jpg")
    (ev / "snow.jpg").write_bytes((faces_dir / "knn/test/johnsnow_test1.jpg").read_bytes())
    malware = b"MZ" + os.urandom(500)
    (ev / HOSTILE).write_bytes(malware)
    known = root / "known-bad.txt"
    known.write_text(hashlib.sha256(malware).hexdigest() + "\n")
    HashSetImportJob(nl, known, "partner-malware", "known-bad", "plain", "BKA").run(ignore)
    form = CustodyForm(exhibit="EX-9", seized_from="a van", seized_by="PC Smit")
    ingest(nl, CASE, [ev], form)
    ids = {i.name.rsplit("/", 1)[-1]: i.id for i in items.list_items(nl, CASE)}
    detected = DetectJob(nl, CASE).run(ignore)
    assert not detected.failed  # the .exe is no photo: skipped
    create_watchlist(nl, "EU")
    listing = Listing("fraud", "Politie NL", "AMBER", "2030-01-01")
    enrol(nl, "EU", "P-obama", listing, [faces_dir / "knn/train/obama/obama.jpg"])
    cal = Calibration(0.58, 0.01, 0.009, 0.04, 1200, 300, "eval-set-7", 1500)
    set_calibration(nl, "EU", cal.threshold, cal.to_dict())
    found = search(nl, ["EU"], case_reference=CASE, top=1)
    assert len(found.candidates) == 2  # top 1 for each of the two faces
    top, other = sorted(found.candidates, key=lambda c: c.distance)
    decide(nl, top.id, "confirmed", REASON)
    decide(nl, other.id, "rejected", REJECTED)
    with open_as(folder, "ben") as ben:
        decide(ben, top.id, "confirmed", SECOND)
    yield World(nl, root, folder, ids)
    nl.close()
    de.close()


def _report(w: World, name: str, lang: str = "en", **kw: object) -> ReportResult:
    events: list[object] = []
    res = ReportJob(w.session, CASE, w.root / name, lang=lang, **kw).run(events.append)  # type: ignore[arg-type]
    assert events and all(isinstance(e, Progress) for e in events)
    assert events[-1] == Progress(events[-1].done, events[-1].done, "steps", "done")  # type: ignore[attr-defined]
    return res


def openssl_verify(pem: Path, pdf: Path, sig: Path) -> subprocess.CompletedProcess[str]:
    """The stock tool, as the README tells a court's expert to run it."""
    cmd = [find_tool("openssl"), "pkeyutl", "-verify", "-pubin", "-inkey", str(pem), "-rawin"]
    return subprocess.run(
        [*cmd, "-in", str(pdf), "-sigfile", str(sig)], capture_output=True, text=True
    )


def _pdf_text(path: Path) -> str:
    """The PDF's text with each run of white space (line ends of wrapped cells) as one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


@pytest.fixture(scope="module")
def english(world: World) -> ReportResult:
    return _report(world, "court.pdf")


def test_signature_verifies_with_openssl_and_fails_after_one_changed_byte(
    world: World, english: ReportResult
) -> None:
    f = english.files
    assert [p.name for p in f.all()] == ["court.pdf", "court.html", "court.pdf.sig", "court.pem"]
    ok = openssl_verify(f.public_key, f.pdf, f.signature)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, ok
    data = bytearray(f.pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed = world.root / "court-changed.pdf"
    changed.write_bytes(bytes(data))
    bad = openssl_verify(f.public_key, changed, f.signature)
    assert bad.returncode != 0 and "Signature Verified Successfully" not in bad.stdout
    # the key is the workstation's, the one bundles are signed with
    shown = subprocess.run(
        [find_tool("openssl"), "pkey", "-pubin", "-in", f.public_key, "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    )
    raw = world.session.signing_public.public_bytes_raw().hex()
    assert raw in "".join(shown.stdout.split("pub:")[1].split()).replace(":", "")


def test_pdf_and_html_say_hashes_reviews_calibration_legal_basis_and_head(
    world: World, english: ReportResult
) -> None:
    text = _pdf_text(english.files.pdf)
    html = english.files.html.read_text("utf-8")
    case_items = items.list_items(world.session, CASE)
    assert english.items == len(case_items) == 3 and english.matches == 2
    for doc in (text, html):
        for it in case_items:
            assert it.sha256 in doc and it.sha1 in doc and it.md5 in doc  # type: ignore[operator]
        assert english.head in doc
        assert "anna" in doc and "ben" in doc
        assert "MLA-2026-017" in doc and "BKA" in doc and "Europol" in doc
        assert "no agreement on record" in doc  # Europol: named by the case, no agreement
        assert "eval-set-7" in doc and "0.5800" in doc  # how the threshold was calibrated
        assert "P-obama" in doc and "EX-9" in doc and "PC Smit" in doc
        assert english.report_id in doc
    assert REASON in text
    assert "same scar above the left eyebrow &amp; ear shape" in html  # escaped, not markup
    assert SECOND in text and SECOND in html
    assert REJECTED in text and REJECTED in html and "rejected" in text
    # the HTML twin's hash is printed in the signed PDF
    import hashlib

    assert hashlib.sha256(english.files.html.read_bytes()).hexdigest() in text
    # both pictures of the match are in both files
    assert html.count('src="data:image/jpeg;base64,') == 4
    images = [img for page in PdfReader(english.files.pdf).pages for img in page.images]
    assert len(images) == 4


def test_custody_event_on_each_item_and_the_vault_verifies(
    world: World, english: ReportResult
) -> None:
    s = world.session
    for it in items.list_items(s, CASE):
        reported = [e for e in items.custody(s, it.id) if e.kind == "reported"]
        mine = [e for e in reported if e.details["report"] == english.report_id]
        assert len(mine) == 1, it
        assert mine[0].details["sha256"] == english.sha256
        assert mine[0].details["audit_head"] == english.head
        assert mine[0].actor == "anna"
    made = [json.loads(e.details) for e in audit_rows(s, "report.made")]
    assert any(d["report"] == english.report_id and d["items"] == 3 for d in made)
    # the head the report shows was read before its own entries
    assert int(english.head.split(":")[0]) < history.head(s).seq
    assert verify(s).ok


def test_hostile_names_are_escaped_in_html_and_pdf(world: World, english: ReportResult) -> None:
    html = english.files.html.read_text("utf-8")
    assert "<script" not in html.lower() and "<img src=x" not in html
    shown = "evil&lt;script&gt;alert(1)&lt;img src=x onerror=alert(2)&gt;\\u202egpj.exe"
    assert html.count(shown) >= 3  # heading, name, original path
    assert "\u202e" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    text = _pdf_text(english.files.pdf)
    assert "evil<script>alert(1)<img src=x onerror=alert(2)>\\u202egpj.exe" in text  # as text
    assert "\u202e" not in text


def test_arabic_report_renders_arabic_text(world: World) -> None:
    res = _report(world, "court-ar.pdf", lang="ar")
    f = res.files
    assert openssl_verify(f.public_key, f.pdf, f.signature).returncode == 0
    # pypdf gives the shaped (presentation) forms; NFKC maps them back to the letters
    text = unicodedata.normalize("NFKC", _pdf_text(f.pdf))
    words = ("تقرير", "للمحكمة", "القضية", "المراجع", "السبب")
    found = [w for w in words if w in text or w[::-1] in text]
    assert len(found) >= 3, text[:500]
    assert sum("\u0600" <= c <= "\u06ff" for c in text) > 200
    assert all(i.sha256 in text for i in items.list_items(world.session, CASE))
    html = f.html.read_text("utf-8")
    assert '<html lang="ar" dir="rtl">' in html and "تقرير للمحكمة" in html
    assert REASON.replace("&", "&amp;") in html  # values are never translated


def test_a_selection_reports_only_its_items(world: World) -> None:
    chosen = world.ids["snow.jpg"]
    res = _report(world, "one.pdf", item_ids=[chosen])
    assert res.items == 1 and res.matches == 1
    s = world.session
    others = [i.id for i in items.list_items(s, CASE) if i.id != chosen]
    for item_id in others:
        assert res.report_id not in str(items.custody(s, item_id))
    with pytest.raises(UserError, match="has no item 99999"):
        ReportJob(s, CASE, world.root / "none.pdf", item_ids=[chosen, 99999]).run(ignore)
    assert not (world.root / "none.pdf").exists()


def test_planted_links_and_existing_files_are_refused(world: World) -> None:
    s = world.session
    outside = world.root / "outside.txt"
    outside.write_text("not yours\n")
    for planted in ("linked.pdf", "linked.html", "linked.pdf.sig", "linked.pem"):
        link = world.root / planted
        link.symlink_to(outside)
        before = len(audit_rows(s, "custody.reported"))
        with pytest.raises(UserError, match="already exists"):
            ReportJob(s, CASE, world.root / "linked.pdf").run(ignore)
        assert outside.read_text() == "not yours\n"
        assert len(audit_rows(s, "custody.reported")) == before
        assert sorted(p.name for p in world.root.glob("linked*")) == [planted]
        link.unlink()
    with pytest.raises(UserError, match=r"must end in \.pdf"):
        ReportJob(s, CASE, world.root / "report.txt")


def test_cancel_writes_nothing_and_records_nothing(world: World) -> None:
    s = world.session
    token = CancelToken()
    before = len(audit_rows(s, "custody.reported"))

    def emit(event: object) -> None:
        if isinstance(event, Progress) and event.message == "laying out":
            token.cancel()

    with pytest.raises(Cancelled):
        ReportJob(s, CASE, world.root / "cancelled.pdf", cancel=token).run(emit)
    assert not list(world.root.glob("cancelled*"))
    assert not list(world.root.glob(".cancelled*"))
    assert len(audit_rows(s, "custody.reported")) == before


def test_an_officer_may_not_make_a_report(world: World) -> None:
    with open_as(world.folder, "olga") as olga:
        with pytest.raises(PermissionDenied, match="may not make signed court reports"):
            ReportJob(olga, CASE, world.root / "olga.pdf").run(ignore)
        refused = [json.loads(e.details) for e in audit_rows(olga, "permission.refused")]
        assert refused[-1]["permission"] == "case.report"
    assert not (world.root / "olga.pdf").exists()
    with open_as(world.folder, "ben") as ben:  # an analyst may
        assert ReportJob(ben, CASE, world.root / "ben.pdf").run(ignore).items == 3


def test_a_swapped_face_crop_stops_the_report(world: World, tmp_path: Path) -> None:
    """The probe crop is read through the verified reader: a blob file swapped for another of
    the same vault (both decrypt) is one IntegrityFault line, and no report is written."""
    from sqlalchemy import select

    from matching.models import FaceRecord, Reference

    s = world.session
    with s.db() as db:
        crop = db.scalar(select(FaceRecord.crop_blob).limit(1))
        other = db.scalar(select(Reference.crop_blob).limit(1))
    assert crop and other and crop != other
    saved = read_stored(s, crop)
    write_stored(s, crop, read_stored(s, other))
    try:
        with pytest.raises(IntegrityFault, match="does not match its hash"):
            ReportJob(s, CASE, tmp_path / "swapped.pdf").run(ignore)
        assert not list(tmp_path.iterdir())
    finally:
        write_stored(s, crop, saved)


def test_timeline_orders_by_capture_time_with_source_and_position(world: World) -> None:
    entries = timeline(world.session, CASE)
    assert len(entries) == 3
    first = entries[0]
    assert first.item == world.ids["exif-obama.jpg"]
    assert (first.time, first.source, first.zone) == ("2021-05-04T10:20:30+02:00", "exif", "+02:00")
    assert first.camera == "Canon EOS 5D"
    assert first.lat == pytest.approx(48.8583333) and first.lon == pytest.approx(2.2944444)
    rest = entries[1:]
    assert {e.source for e in rest} == {"file-modified"}  # no EXIF time: the file's, marked
    assert all(e.lat is None for e in rest)
    assert rest[0].time <= rest[1].time  # type: ignore[operator]
    sightings = timeline(world.session, CASE, subject="P-obama")
    assert [e.item for e in sightings] == [world.ids["exif-obama.jpg"]]
    assert sightings[0].sightings[0].status == "confirmed"
    assert timeline(world.session, CASE, subject="nobody") == []


def test_known_file_hits_are_in_the_report(english: ReportResult) -> None:
    """A hash-set hit recorded at ingest (the on_acquired hook) is listed with its set."""
    assert "partner-malware" in _pdf_text(english.files.pdf)
    assert "partner-malware" in english.files.html.read_text("utf-8")
