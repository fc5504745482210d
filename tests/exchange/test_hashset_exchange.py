"""Hash sets shared between agencies as signed bundles (issue 11, item 5), and hash-set hits of
evidence arriving in a partner's bundle. Three real vaults; every bundle made here passes
openssl, ``bagit.py --validate`` and ``case_validate`` (``stock_check`` at teardown)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from backendkit import BACKENDS
from exchange_kit import agency_place, new_vault, reseal, run_cli, trust, where
from sqlalchemy import select

from exchange import directory
from exchange.bundles import import_bundle
from exchange.errors import BundleRejected, PolicyRefused
from exchange.export import ExportJob
from exchange.hsexport import HashSetExportJob, HashSetExportResult
from exchange.hsimport import HashSetImportJob, HashSetImportResult, origin
from matching import hashhits, hashparse, hashsets
from matching.hashsets import ImportJob
from matching.models import HashSet, PdqRecord
from vault.cases import create_case
from vault.errors import PermissionDenied, UserError
from vault.ingest import ingest
from vault.jobs import CancelToken, ignore
from vault.models import Case, Item
from vault.sealing import equals
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows


def _content(n: int) -> bytes:
    return f"known file number {n}\n".encode() * (n % 5 + 1)


def _vics(path: Path, numbers: list[int]) -> Path:
    media = []
    for i, n in enumerate(numbers):
        data = _content(n)
        media.append(
            {
                "MediaID": i + 1,
                "Category": n % 3,
                "MD5": hashlib.md5(data).hexdigest().upper(),
                "SHA1": hashlib.sha1(data).hexdigest().upper(),
            }
        )
    path.write_text(json.dumps({"@odata.context": hashsets.VICS_CONTEXT, "value": media}))
    return path


@dataclass
class HsKit:
    nl: Session
    de: Session
    fr: Session
    root: Path
    made: list[Path] = field(default_factory=list)
    n: int = 0

    def export(self, name: str = "VIC-NL", **kw: object) -> HashSetExportResult:
        self.n += 1
        session = kw.pop("session", self.nl)
        to = kw.pop("to", "BKA")
        out = kw.pop("out", self.root / f"hs-{self.n}")
        job = HashSetExportJob(session, name, to, out, **kw)  # type: ignore[arg-type]
        res = job.run(ignore)
        self.made.append(res.path)
        return res

    def import_(self, path: Path, name: str | None = None, session: Session | None = None):
        return HashSetImportJob(session or self.de, path, name).run(ignore)


@pytest.fixture(scope="module", params=BACKENDS)
def hk(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    stock_check: Callable[[Path, Session | None], None],
) -> Iterator[HsKit]:
    """Politie NL sends hash sets to BKA, who may send them on to Police FR; on the ``server``
    run BKA's vault is on the trial server, the other two in folders."""
    root = tmp_path_factory.mktemp("hsx")
    nl = new_vault(root / "nl", "anna", "Politie NL", "NL")
    de = new_vault(agency_place(request, root / "de"), "bernd", "BKA", "DE")
    fr = new_vault(root / "fr", "claire", "Police FR", "FR")
    trust(nl, de)
    trust(de, fr)
    for a, b in ((nl, "BKA"), (de, "Politie NL"), (de, "Police FR"), (fr, "BKA")):
        directory.add_agreement(a, b, "intelligence", "CLEAR,GREEN,AMBER", "2099-12-31")
    ImportJob(nl, _vics(root / "vic.json", [1, 2, 3, 4]), "VIC-NL", "known-bad").run(ignore)
    kit = HsKit(nl, de, fr, root)
    yield kit
    try:
        for bundle in kit.made:
            stock_check(bundle, de)
    finally:
        for s in (nl, de, fr):
            s.close()


def _clean(*sessions: Session) -> None:
    for s in sessions:
        assert verify(s).problems == []


def _row(s: Session, name: str) -> HashSet:
    with s.db() as db:
        row = db.scalar(
            select(HashSet).where(equals(db, HashSet.name, name), HashSet.state != "deleted")
        )
        assert row is not None
        return row


def test_hashset_round_trip_with_vics_file(hk: HsKit) -> None:
    vics = hk.root / "for-partner.json"
    res = hk.export(vics_out=vics)
    sent = _row(hk.nl, "VIC-NL")
    meta = json.loads((res.path / "custos-bundle.json").read_text())
    assert meta["kind"] == "hashset" and meta["hashset"]["entries_digest"] == sent.entries_digest
    payload = res.path / meta["hashset"]["path"]
    assert payload.read_bytes() == vics.read_bytes()
    # a partner without Custos: the VICS file reads back to the very same entries
    parsed = hashparse.read(vics, hashparse.detect(vics), CancelToken(), lambda _: None)
    assert hashparse.entries_digest(parsed) == sent.entries_digest
    got = hk.import_(res.path)
    assert (got.name, got.kind, got.entries, got.label) == (
        "VIC-NL (Politie NL)",
        "known-bad",
        8,
        "AMBER",
    )
    row = _row(hk.de, got.name)
    assert row.entries_digest == sent.entries_digest and row.state == "disabled"
    came = origin(hk.de, got.name)
    assert came is not None and (came.partner, came.bundle_id, came.onward) == (
        "Politie NL",
        res.bundle_id,
        False,
    )
    assert came.agreement is not None
    [entry] = audit_rows(hk.de, "hashset.received")
    assert json.loads(entry.details)["bundle"] == res.bundle_id
    assert [json.loads(e.details)["bundle"] for e in audit_rows(hk.nl, "hashset.exported")] == [
        res.bundle_id
    ]
    # a disabled partner set matches nothing until an analyst enables it
    create_case(hk.de, "DE-HS", "received set")
    (hk.root / "seized").mkdir()
    (hk.root / "seized" / "a.bin").write_bytes(_content(2))
    ingest(hk.de, "DE-HS", [hk.root / "seized" / "a.bin"])
    assert hashhits.alerts(hk.de, "DE-HS") == []
    hashsets.enable_set(hk.de, got.name)
    hashhits.MatchJob(hk.de, "DE-HS").run(ignore)
    found = hashhits.alerts(hk.de, "DE-HS")
    assert {(a.set, a.category, a.algorithm) for a in found} == {
        (got.name, 2, "md5"),
        (got.name, 2, "sha1"),
    }
    _clean(hk.nl, hk.de)


def test_replay_and_other_kinds_refused(hk: HsKit) -> None:
    res = hk.export()
    hk.import_(res.path, "second copy")
    with pytest.raises(BundleRejected, match=r"imported .* as hash set second copy \(replay"):
        hk.import_(res.path, "third copy")
    # the same bundle id re-signed with other content is still that bundle
    copy = hk.root / "resigned"
    import shutil

    shutil.copytree(res.path, copy)
    info = (copy / "bag-info.txt").read_text().replace("hash set VIC-NL", "hash set VIC-NL!")
    (copy / "bag-info.txt").write_text(info)
    reseal(copy, hk.nl)
    with pytest.raises(BundleRejected, match="replay\\); this copy's content differs"):
        hk.import_(copy, "fourth copy")
    create_case(hk.de, "DE-X", "wrong kind")
    with pytest.raises(BundleRejected, match="a hashset bundle, not evidence"):
        import_bundle(hk.de, res.path, "DE-X")
    refused = audit_rows(hk.de, "bundle.refused")
    assert len(refused) >= 3
    _clean(hk.de)


def test_tampered_entries_refused_even_when_signed(hk: HsKit) -> None:
    """A trusted but hostile partner re-signs a bundle whose set differs from its stated
    digest, or whose VICS file is malformed: one line, audited, nothing stored."""
    res = hk.export()
    meta = json.loads((res.path / "custos-bundle.json").read_text())
    rel = meta["hashset"]["path"]
    import shutil

    added = hk.root / "added"
    shutil.copytree(res.path, added)
    doc = json.loads((added / rel).read_text())
    doc["value"].append({"MediaID": 99, "MD5": "0" * 32})
    (added / rel).write_text(json.dumps(doc))
    _fix_item(added, rel)
    reseal(added, hk.nl)
    before = len(hashsets.list_sets(hk.de, include_deleted=True))
    with pytest.raises(BundleRejected, match="entries differ from the signed entries digest"):
        hk.import_(added, "tampered")
    broken = hk.root / "broken"
    shutil.copytree(res.path, broken)
    (broken / rel).write_text('{"value": [{"MediaID": 1, "MD5": "xyz"}]}')
    _fix_item(broken, rel)
    reseal(broken, hk.nl)
    with pytest.raises(BundleRejected, match="value\\[0\\]: MD5 'xyz' is not 32 hex digits"):
        hk.import_(broken, "broken")
    assert len(hashsets.list_sets(hk.de, include_deleted=True)) == before
    _clean(hk.de)


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("repeated", 'value\\[0\\]: a second "MD5" key'),
        ("huge", "a string, number or key longer than 1,048,576 bytes at value\\[0\\].Comments"),
        ("nested", "nested more than 32 deep at value\\[0\\].Comments"),
        ("truncated", "not valid VICS JSON \\(parse error: premature EOF at value"),
        ("long-number", "a number too long or out of range before byte "),
    ],
)
def test_a_hostile_vics_file_in_a_signed_bundle_is_refused_streamed(
    hk: HsKit, hostile: str, expected: str
) -> None:
    """A trusted but hostile partner re-signs a bundle whose VICS file keeps the signed entries
    (its entries digest matches) but is hostile JSON main's ``json.loads`` took (a repeated MD5
    key, a 2 MiB string, deep nesting in a field not read) or is cut short: refused in one line
    naming the place, the refusal audited, nothing stored, no spool left in the vault's tmp/."""
    bag = _hostile_bag(hk, hostile)
    before = len(hashsets.list_sets(hk.de, include_deleted=True))
    refusals = len(audit_rows(hk.de, "bundle.refused"))
    with pytest.raises(BundleRejected, match=expected) as caught:
        hk.import_(bag, "hostile")
    assert "\n" not in str(caught.value)
    assert len(hashsets.list_sets(hk.de, include_deleted=True)) == before
    assert len(audit_rows(hk.de, "bundle.refused")) == refusals + 1
    tmp = Path(hk.de.folder) / "tmp"
    assert not tmp.exists() or not any(n.startswith("spool-") for n in os.listdir(tmp))
    _clean(hk.de)


def test_cli_a_number_too_long_in_a_signed_bundle(hk: HsKit) -> None:
    """The same through ``custos hashset import-bundle``: one line (no traceback), the refusal
    audited, nothing stored."""
    bag = _hostile_bag(hk, "long-number")
    before = len(hashsets.list_sets(hk.de, include_deleted=True))
    refusals = len(audit_rows(hk.de, "bundle.refused"))
    r = run_cli(
        "hashset", "import-bundle", str(bag), "--as", "cli long", vault=where(hk.de), user="bernd"
    )
    assert r.returncode == 5 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "not valid VICS JSON (a number too long or out of range before byte " in r.stderr
    assert len(hashsets.list_sets(hk.de, include_deleted=True)) == before
    [*_, last] = audit_rows(hk.de, "bundle.refused")
    assert len(audit_rows(hk.de, "bundle.refused")) == refusals + 1
    assert "a number too long" in last.details
    _clean(hk.de)


def _hostile_bag(hk: HsKit, hostile: str) -> Path:
    """A copy of a fresh export whose VICS file is made ``hostile``, re-signed by NL."""
    import shutil

    res = hk.export()
    meta = json.loads((res.path / "custos-bundle.json").read_text())
    rel = meta["hashset"]["path"]
    bag = hk.root / f"hostile-{hostile}-{hk.n}"
    shutil.copytree(res.path, bag)
    text = (bag / rel).read_text()
    doc = json.loads(text)
    first = doc["value"][0]
    if hostile == "repeated":
        entry = json.dumps(first)
        text = text.replace(entry, entry[:-1] + f', "MD5": "{first["MD5"]}"}}', 1)
        assert text != (res.path / rel).read_text()
    elif hostile == "huge":
        first["Comments"] = "x" * (2 << 20)
        text = json.dumps(doc)
    elif hostile == "nested":
        first["Comments"] = json.loads("[" * 40 + "]" * 40)
        text = json.dumps(doc)
    elif hostile == "long-number":  # past Python's 4,300 digits: the parser's ValueError
        entry = json.dumps(first)
        text = text.replace(entry, entry[:-1] + ', "Size": ' + "9" * 5000 + "}", 1)
        assert text != (res.path / rel).read_text()
    else:
        text = text[: len(text) // 2]
    (bag / rel).write_text(text)
    _fix_item(bag, rel)
    reseal(bag, hk.nl)
    return bag


def _fix_item(bag: Path, rel: str) -> None:
    """Describe the changed payload file as a hostile sender would (hash and size right)."""
    path = bag / "custos-bundle.json"
    meta = json.loads(path.read_text())
    data = (bag / rel).read_bytes()
    item = meta["items"][0]
    item["size"], item["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    item["sha1"], item["md5"] = hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest()
    path.write_text(json.dumps(meta, indent=1))
    info = bag / "bag-info.txt"
    octets = len(data) + (bag / "data/case.jsonld").stat().st_size
    lines = [
        f"Payload-Oxum: {octets}.2" if line.startswith("Payload-Oxum:") else line
        for line in info.read_text().splitlines()
    ]
    info.write_text("\n".join(lines) + "\n")


def test_received_set_goes_back_only_without_onward_sharing(hk: HsKit) -> None:
    res = hk.export()
    got = hk.import_(res.path, "from NL")
    with pytest.raises(PolicyRefused, match="received from Politie NL without onward sharing"):
        hk.export(got.name, session=hk.de, to="Police FR")
    [refusal] = audit_rows(hk.de, "hashset.export_refused")
    assert "without onward sharing" in refusal.details
    back = hk.export(got.name, session=hk.de, to="Politie NL")
    assert back.label == "AMBER"
    # the sender allows onward sharing: the receiver may pass it on
    for a, b in ((hk.nl, "BKA"), (hk.de, "Politie NL")):
        directory.add_agreement(a, b, "joint-operation", "GREEN", "2099-12-31", onward=True)
    res = hk.export(label="GREEN", purpose="joint-operation")
    onward = hk.import_(res.path, "from NL, onward")
    passed = hk.export(onward.name, session=hk.de, to="Police FR")
    assert passed.label == "GREEN"
    got_fr = hk.import_(passed.path, session=hk.fr)
    assert origin(hk.fr, got_fr.name).partner == "BKA"  # type: ignore[union-attr]
    _clean(hk.de, hk.fr)


def test_policy_refusals_write_nothing(hk: HsKit) -> None:
    out = hk.root / "never"
    with pytest.raises(PolicyRefused, match="label RED is not allowed"):
        HashSetExportJob(hk.nl, "VIC-NL", "BKA", out, label="RED").run(ignore)
    with pytest.raises(PolicyRefused, match="no active agreement with BKA for purpose mla"):
        HashSetExportJob(hk.nl, "VIC-NL", "BKA", out, purpose="mla").run(ignore)
    assert not out.exists() and not list(hk.root.glob(".never*"))
    with pytest.raises(UserError, match="no hash set named 'nope'"):
        HashSetExportJob(hk.nl, "nope", "BKA", out).run(ignore)
    from vault.permissions import ALL_ROLES

    hk.nl.roles = frozenset({"analyst"})  # type: ignore[assignment]
    try:
        with pytest.raises(PermissionDenied):
            HashSetExportJob(hk.nl, "VIC-NL", "BKA", out).run(ignore)
    finally:
        hk.nl.roles = frozenset(ALL_ROLES)


def test_encrypted_round_trip(hk: HsKit) -> None:
    res = hk.export(out=hk.root / "sealed", encrypt=True)
    assert res.path.name == "sealed.tar.age"
    got: HashSetImportResult = hk.import_(res.path, "sealed set")
    assert _row(hk.de, got.name).entries_digest == _row(hk.nl, "VIC-NL").entries_digest


def test_partner_evidence_raises_hash_set_alerts_at_import(hk: HsKit) -> None:
    """Evidence arriving in a partner's bundle is looked up in the active sets through the
    ``on_acquired`` hook, in the import's transaction: a known-bad alert is raised."""
    ImportJob(hk.de, _vics(hk.root / "de-vic.json", [7]), "DE-bad", "known-bad").run(ignore)
    create_case(hk.nl, "NL-EV", "seized", ["cybercrime"])
    ev = hk.root / "ev-nl"
    ev.mkdir()
    (ev / "known.bin").write_bytes(_content(7))
    (ev / "other.bin").write_bytes(b"not known\n")
    ingest(hk.nl, "NL-EV", [ev])
    res = ExportJob(hk.nl, "NL-EV", "BKA", "intelligence", hk.root / "ev-bundle").run(ignore)
    hk.made.append(res.path)
    create_case(hk.de, "DE-EV", "received evidence")
    done = import_bundle(hk.de, res.path, "DE-EV")
    found = hashhits.alerts(hk.de, "DE-EV")
    assert {(a.set, a.found_by, a.algorithm) for a in found} == {
        ("DE-bad", "ingest", "md5"),
        ("DE-bad", "ingest", "sha1"),
    }
    assert {a.item for a in found} < set(done.items)
    assert [json.loads(e.details).get("set") for e in audit_rows(hk.de, "hashset.alert")]
    _clean(hk.de)


def test_cli_export_with_vics_and_import_bundle(hk: HsKit) -> None:
    out, vics = hk.root / "cli-bundle", hk.root / "cli.json"
    r = run_cli(
        "hashset", "export", "VIC-NL", "--to", "BKA", "--out", str(out), "--vics", str(vics),
        vault=where(hk.nl), user="anna",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "hash-set bundle" in r.stdout and "VICS JSON written" in r.stdout
    hk.made.append(out)
    r = run_cli(
        "hashset", "import-bundle", str(out), "--as", "cli set", vault=where(hk.de), user="bernd"
    )
    assert r.returncode == 0, r.stderr
    assert "received from Politie NL, disabled" in r.stdout
    r = run_cli("hashset", "show", "cli set", vault=where(hk.de), user="bernd")
    assert "origin" in r.stdout and "Politie NL" in r.stdout, r.stdout
    r = run_cli("hashset", "import-bundle", str(out), vault=where(hk.de), user="bernd")
    assert r.returncode != 0 and "replay" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_photos_arriving_in_a_bundle_get_their_pdq_hash(hk: HsKit, faces_dir: Path) -> None:
    """A partner's photos are PDQ-hashed as they are staged (folder and ``.tar.age``), as at
    ingest: recorded with the items, the same hash; a file that is no picture gets none."""
    from matching.pdq import hash_image

    create_case(hk.nl, "NL-PH", "photos", ["cybercrime"])
    ev = hk.root / "ph-nl"
    ev.mkdir()
    photo = faces_dir / "more" / "obama-720p.jpg"
    (ev / "scene.jpg").write_bytes(photo.read_bytes())
    (ev / "broken.jpg").write_bytes(b"not a picture\n")
    ingest(hk.nl, "NL-PH", [ev])
    expected = hash_image(photo)
    for encrypt, case in ((False, "DE-PH1"), (True, "DE-PH2")):
        out = hk.root / f"ph-bundle-{int(encrypt)}"
        res = ExportJob(hk.nl, "NL-PH", "BKA", "intelligence", out, encrypt=encrypt).run(ignore)
        hk.made.append(res.path)
        create_case(hk.de, case, "received photos")
        import_bundle(hk.de, res.path, case)
        with hk.de.db() as db:  # items.name and cases.reference are sealed on a server
            rows = db.execute(
                select(Item.name, PdqRecord.hash, PdqRecord.quality)
                .join(Item, Item.id == PdqRecord.item_id)
                .join(Case, Case.id == PdqRecord.case_id)
                .where(equals(db, Case.reference, case))
            )
            got = {Path(n).name: (bytes(h), q) for n, h, q in rows}
        assert got == {"scene.jpg": (expected.bits, expected.quality)}, case
    assert verify(hk.de).problems == []
