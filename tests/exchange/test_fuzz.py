"""Fuzzing every parser of unsigned input with hypothesis: custos-bundle.json, key cards,
bag-info.txt, manifest lines, age headers and the tar headers of a .tar.age.

For every generated input: one clean refusal (a ``CustosError``, or the module's documented
error: ``AgeError`` for age, a list of one-line findings for the bag parsers) or a value of the
promised shape, never another exception; and nothing is written outside a temporary folder the
test owns. Inputs are valid documents with a few parts replaced by any JSON value or deleted,
byte-level damage, and the tokens that broke the parsers before (NaN, 1e400, long digit runs,
lone surrogates, a BOM, deep nesting, duplicate keys, sparse tar headers).

Example counts are modest, so the file runs in well under a minute; hypothesis is a dev
dependency and nothing here is skipped, in CI or elsewhere.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from exchange_kit import Kit, retag
from hypothesis import HealthCheck, given, settings

from exchange import bagfmt
from exchange.bundles import import_bundle, verify_bundle
from exchange.cards import Card, make_card, read_card
from exchange.checks import BagReport, _oxum, read_meta, unsafe
from exchange.export import ExportResult
from exchange.unpack import unpack
from exchange.wlimport import shape_problems
from vault import agefmt
from vault.errors import CustosError, UserError
from vault.jobs import CancelToken
from vault.models import canonical

# The bags are imported by BKA, in a folder on both runs of ``kit``: the server run would repeat
# the same imports into the same kind of vault.
pytestmark = pytest.mark.local_only(
    "BKA imports into a folder on both runs; on a server: test_a_server_vault_refuses_hostile_bags"
)

# CUSTOS_FUZZ_SCALE=20 for a long run by hand; no example database is written (database=None).
SCALE = int(os.environ.get("CUSTOS_FUZZ_SCALE", "1"))
QUICK = settings(max_examples=150 * SCALE, deadline=None, database=None)
SLOW = settings(
    max_examples=25 * SCALE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NASTY = [
    b"NaN", b"-Infinity", b"1e400", b"9" * 40, b'"\\ud800"', b"\xef\xbb\xbf", b"\xff\xfe",
    b"[" * 3000, b'{"a": 1, "a": 2}', b"\x00", "\u2028".encode(), b'"\x1b[2J"', b"\r", b"\n", b":",
]  # fmt: skip

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "data/../../x", "/etc/passwd", "AMBER", "RED", "\x1b", "é" * 300])
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _slots(doc: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key or index) in ``doc``."""
    todo = [doc]
    while todo:
        node = todo.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            yield node, key
            if isinstance(node[key], dict | list):
                todo.append(node[key])


def _mutated(data: st.DataObject, doc: Any) -> Any:
    """``doc`` with one to three parts replaced by any JSON value or deleted."""
    holder = {"": copy.deepcopy(doc)}
    for _ in range(data.draw(st.integers(1, 3))):
        node, key = data.draw(st.sampled_from(list(_slots(holder))))
        if isinstance(node, dict) and key != "" and data.draw(st.booleans()):
            del node[key]
        else:
            node[key] = data.draw(values)
    return holder[""]


def _damaged(data: st.DataObject, raw: bytes) -> bytes:
    """``raw`` as is, or with bytes or one of the ``NASTY`` tokens put in somewhere."""
    for _ in range(data.draw(st.integers(0, 2))):
        at = data.draw(st.integers(0, len(raw)))
        cut = data.draw(st.integers(0, 4))
        put = data.draw(st.sampled_from(NASTY) | st.binary(max_size=6))
        raw = raw[:at] + put + raw[at + cut :]
    return raw


def _json(data: st.DataObject, doc: Any) -> bytes:
    text = json.dumps(doc, ensure_ascii=data.draw(st.booleans()))
    return _damaged(data, text.encode("utf-8", "surrogatepass"))


def _one_line(findings: list[str]) -> None:
    assert all(isinstance(f, str) and "\n" not in f for f in findings), findings


# --- custos-bundle.json --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good(kit: Kit) -> ExportResult:
    return kit.export("good-fuzz")


@pytest.fixture(scope="module")
def meta(good: ExportResult) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((good.path / bagfmt.BUNDLE_JSON).read_bytes())
    return loaded


@QUICK
@given(data=st.data())
def test_fuzz_bundle_description(meta: dict[str, Any], data: st.DataObject) -> None:
    raw = _json(data, _mutated(data, meta)) if data.draw(st.booleans()) else _json(data, meta)
    parsed, findings = read_meta(raw)
    _one_line(findings)
    assert (parsed is None) == bool(findings)
    if parsed is not None:  # what the import reads is of the promised type
        assert all(isinstance(i["path"], str) and type(i["size"]) is int for i in parsed["items"])
        _one_line(shape_problems(parsed))


@SLOW
@given(data=st.data())
def test_fuzz_bundle_description_through_import(
    kit: Kit, good: ExportResult, meta: dict[str, Any], data: st.DataObject
) -> None:
    """A trusted but hostile partner: the description is fuzzed and the bag signed again."""
    with tempfile.TemporaryDirectory(dir=kit.root) as tmp:
        bag = Path(tmp) / "bag"
        shutil.copytree(good.path, bag)
        (bag / bagfmt.BUNDLE_JSON).write_bytes(_json(data, _mutated(data, meta)))
        retag(bag, kit.a)
        _one_line(verify_bundle(kit.b, bag).problems)
        try:
            import_bundle(kit.b, bag, kit.new_case())
        except CustosError as exc:
            assert "\n" not in str(exc)
        assert not list((kit.b.folder / "tmp").iterdir())


# --- key cards ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def card() -> tuple[dict[str, Any], Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    made = Card("Guardia", "ES", "desk", key.public_key().public_bytes_raw(),
                str(agefmt.Identity.generate().recipient), "2026-01-01T00:00:00Z")  # fmt: skip
    return json.loads(make_card(made, key)), key


@QUICK
@given(data=st.data())
def test_fuzz_key_card(card: tuple[dict[str, Any], Ed25519PrivateKey], data: st.DataObject) -> None:
    body, key = card
    doc = _mutated(data, body)
    if isinstance(doc, dict) and data.draw(st.booleans()):  # signed again: the shape is all
        doc.pop("signature", None)
        with contextlib.suppress(ValueError):
            doc["signature"] = key.sign(canonical(doc).encode()).hex()
    try:
        read_card(_json(data, doc), "card")
    except UserError as exc:
        assert "\n" not in str(exc)


# --- bag-info.txt and manifest lines -------------------------------------------------------------

lines = st.lists(
    st.one_of(
        st.sampled_from(["Payload-Oxum", "Handling-Label", "Contact-Name", "", " "]).flatmap(
            lambda label: st.text(max_size=30).map(lambda v: f"{label}: {v}")
        ),
        st.text(max_size=30).map(lambda v: f"  {v}"),
        st.text(max_size=40),
        st.from_regex(r"[0-9a-fA-F]{64}[ \t]+[^\r\n]{0,40}", fullmatch=True),
    ),
    max_size=8,
)


@QUICK
@given(data=st.data(), text=lines, eol=st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x85"]))
def test_fuzz_bag_info_and_manifest_lines(data: st.DataObject, text: list[str], eol: str) -> None:
    raw = _damaged(data, eol.join(text).encode("utf-8", "surrogatepass"))
    info, findings = bagfmt.parse_bag_info(raw)
    _one_line(findings)
    r = BagReport(info=info)
    _oxum({"data/x": 1}, r)
    _one_line(r.problems)
    entries, findings = bagfmt.parse_manifest(raw, bagfmt.MANIFEST)
    _one_line(findings)
    for sha, path in entries:
        assert len(sha) == 64 and "\n" not in path and "\r" not in path
        unsafe(path)


# --- age headers and the tar inside a .tar.age ----------------------------------------------------


@pytest.fixture(scope="module")
def identity() -> agefmt.Identity:
    return agefmt.Identity.generate()


@QUICK
@given(data=st.data(), body=st.binary(max_size=200))
def test_fuzz_age_header(identity: agefmt.Identity, data: st.DataObject, body: bytes) -> None:
    """vault/agefmt.py is hardened elsewhere; read only here: AgeError is its one refusal."""
    sealed = agefmt.encrypt_bytes(body, [identity.recipient])
    end = sealed.index(b"\n--- ") + 50
    damaged = _damaged(data, sealed[:end]) + sealed[end:]
    with contextlib.suppress(agefmt.AgeError):
        assert agefmt.decrypt_bytes(damaged, identity) == body or damaged != sealed


TYPES = [
    tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.CHRTYPE,
    tarfile.BLKTYPE, tarfile.DIRTYPE, tarfile.FIFOTYPE, tarfile.CONTTYPE, tarfile.GNUTYPE_SPARSE,
    tarfile.GNUTYPE_LONGNAME, tarfile.XHDTYPE, tarfile.XGLTYPE, b"Z",
]  # fmt: skip
PAX_KEYS = ["size", "path", "linkpath", "GNU.sparse.map", "GNU.sparse.size", "GNU.sparse.realsize",
            "GNU.sparse.major", "GNU.sparse.name", "mtime", "uid"]  # fmt: skip


@st.composite
def members(draw: st.DrawFn) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(
        draw(st.sampled_from(["b/data/x", "b", "b/", "../x", "/abs", "b/./y", "b/é"]) | st.text())
    )
    info.type = draw(st.sampled_from(TYPES))
    info.size = draw(st.sampled_from([0, 1, 511, 512, 2**33, 100 << 30]) | st.integers(0, 4096))
    info.linkname = draw(st.sampled_from(["", "/etc/passwd", "../b", "b/data/x"]))
    keys = st.sampled_from(PAX_KEYS)
    info.pax_headers = draw(
        st.dictionaries(keys, st.text(max_size=12) | st.just("1" * 30), max_size=3)
    )
    return info, draw(st.binary(max_size=1500))


@SLOW
@given(data=st.data(), found=st.lists(members(), min_size=1, max_size=4))
def test_fuzz_tar_headers_of_an_encrypted_bundle(
    identity: agefmt.Identity, data: st.DataObject, found: list[tuple[tarfile.TarInfo, bytes]]
) -> None:
    raw = io.BytesIO()
    fmt = data.draw(st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT]))
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tar:
        tar.addfile(tarfile.TarInfo("b/"), None)
        for info, payload in found:
            try:
                raw.write(info.tobuf(fmt, "utf-8", "surrogateescape") + payload)
            except ValueError:  # not encodable in this format: left out
                continue
            raw.write(b"\0" * (-raw.tell() % tarfile.BLOCKSIZE))
    plain = _damaged(data, raw.getvalue()) if data.draw(st.booleans()) else raw.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src, work = root / "fuzz.tar.age", root / "work"
        src.write_bytes(agefmt.encrypt_bytes(plain, [identity.recipient]))
        work.mkdir(mode=0o700)
        bag, problems = unpack(src, identity, work, CancelToken(), [identity.recipient])
        _one_line(problems)
        assert bag is not None or problems  # never "no bag" without saying why
        staged = [] if bag is None else [p.tmp for p in bag.staged.values()]
        assert all(p.is_relative_to(work) for p in staged)  # staged as an import would
        if bag is not None:
            bag.discard()
        assert sorted(p.name for p in root.iterdir()) == ["fuzz.tar.age", "work"]
        assert not list(work.iterdir())  # nothing left, nothing outside


# --- hash-set files: plain lists, hashdeep, VICS JSON, NSRL SQLite -----------------------------


@pytest.fixture(scope="module")
def hashset_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One valid file of each hash-set format (``tests/hashsets/hashkit.py``), as bytes."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hashsets"))
    import hashkit

    folder = tmp_path_factory.mktemp("hashsets")
    numbers = [0, 1, 2]
    made = {
        "plain": hashkit.plain_list(folder / "p.txt", numbers, eol="\r\n"),
        "hashdeep": hashkit.hashdeep_file(folder / "h.txt", numbers),
        "vics": hashkit.vics_file(folder / "v.json", numbers),
        "nsrl": hashkit.nsrl_file(folder / "n.db", numbers),
    }
    return {fmt: path.read_bytes() for fmt, path in made.items()}


def _nothing(_: int) -> None:
    """Progress of a read, not watched."""


def _hashset_read(raw: bytes, fmt: str | None) -> None:
    """One clean refusal or a set of the promised shape, nothing written outside the folder."""
    from matching import hashparse

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "set"
        path.write_bytes(raw)
        try:
            parsed = hashparse.read(path, fmt or hashparse.detect(path), CancelToken(), _nothing)
        except UserError as exc:
            assert "\n" not in str(exc) and str(exc).startswith("set")
            return
        finally:
            assert [p.name for p in Path(tmp).iterdir()] == ["set"]
        for d in parsed.sets:
            assert d.values.dtype.itemsize == hashparse.ALGORITHMS[d.algorithm][1]
            assert len(d.values) == len(set(d.values.tolist()))


@QUICK
@given(data=st.data(), fmt=st.sampled_from(["plain", "hashdeep", "vics", None]))
def test_fuzz_hashset_text_and_json(
    hashset_files: dict[str, bytes], data: st.DataObject, fmt: str | None
) -> None:
    source = fmt or data.draw(st.sampled_from(["plain", "hashdeep", "vics"]))
    if source == "vics" and data.draw(st.booleans()):
        raw = _json(data, _mutated(data, json.loads(hashset_files["vics"])))
    else:
        raw = _damaged(data, hashset_files[source])
    _hashset_read(raw, fmt)


@SLOW
@given(
    data=st.data(),
    cells=st.lists(
        st.integers(min_value=-(2**63), max_value=2**63 - 1)
        | st.floats(allow_nan=True)
        | st.text(max_size=70)
        | st.binary(max_size=40),
        min_size=3,
        max_size=3,
    ),
)
def test_fuzz_hashset_nsrl(
    hashset_files: dict[str, bytes], data: st.DataObject, cells: list[Any]
) -> None:
    """A damaged RDS file, or one whose FILE row holds any SQLite value."""
    import sqlite3

    if data.draw(st.booleans()):
        _hashset_read(_damaged(data, hashset_files["nsrl"]), "nsrl")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.db"
        path.write_bytes(hashset_files["nsrl"])
        con = sqlite3.connect(path)
        con.execute("INSERT INTO FILE VALUES (?, ?, ?, '0', 'x', 1, 1)", cells)
        con.commit()
        con.close()
        raw = path.read_bytes()
    _hashset_read(raw, "nsrl")


@SLOW
@given(data=st.data(), fmt=st.sampled_from(["plain", "hashdeep", "vics", "nsrl"]))
def test_fuzz_hashset_import_writes_nothing_when_refused(
    hashset_vault: Any, hashset_files: dict[str, bytes], data: st.DataObject, fmt: str
) -> None:
    from matching.hashsets import ImportJob, list_sets
    from vault.jobs import ignore

    session = hashset_vault
    before = [s.name for s in list_sets(session)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "set"
        path.write_bytes(_damaged(data, hashset_files[fmt]))
        name = f"fuzz-{len(before)}"
        try:
            ImportJob(session, path, name, "info", fmt).run(ignore)
        except UserError as exc:
            assert "\n" not in str(exc)
            assert [s.name for s in list_sets(session)] == before
            return
    assert [s.name for s in list_sets(session)] == [*before, name]


@pytest.fixture(scope="module")
def hashset_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from vaultkit import new_vault

    session, _ = new_vault(tmp_path_factory.mktemp("hashset-vault") / "vault")
    yield session
    assert session is not None
    from vault.verify import verify

    assert verify(session).problems == []
    session.close()
