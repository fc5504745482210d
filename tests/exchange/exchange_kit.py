"""Helpers of the exchange tests: vault pairs, resealing tampered bags, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from backendkit import vault_place
from sqlalchemy import func, select

from exchange import bagfmt, directory
from exchange.bundles import import_bundle, verify_bundle
from exchange.errors import BundleRejected
from exchange.export import ExportJob, ExportResult
from service.opener import init_vault
from vault.backend import Server
from vault.blobs import blob_key
from vault.cases import create_case, find_case
from vault.ingest import CustodyForm, ingest
from vault.jobs import ignore
from vault.keys import KdfParams
from vault.models import Item
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows, require_tool

PASSWORD = "correct horse battery"
FAST_KDF = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)
ROOT = Path(__file__).resolve().parents[2]


def find_tool(name: str) -> str:
    """An external tool's path (fails in CI when missing); one rule for every suite."""
    return require_tool(name)


def agency_place(request: pytest.FixtureRequest, folder: Path, here: bool = False) -> Any:
    """Where an agency of a fixture parametrized with ``BACKENDS`` keeps its vault: ``folder``
    on the ``local`` run and for an agency that stays ``here`` (on a folder in both runs: a
    bundle then crosses between a server vault and a local one); else a database and bucket of
    its own on the trial server, this workstation's folder for it under ``folder``'s parent
    (``CUSTOS_CACHE_DIR`` while the fixture lasts)."""
    if request.param == "local" or here:
        return folder
    env = pytest.MonkeyPatch()
    env.setenv("CUSTOS_CACHE_DIR", str(folder.parent / "cache"))
    request.addfinalizer(env.undo)
    return vault_place(request, folder)


def where(session: Session) -> Path | Server:
    """The place ``session``'s vault is at, as a face names it: its folder, or the server."""
    backend: Any = session.backend
    if backend.local:
        return session.folder
    return Server(backend.address.url(), backend.credentials)


def new_vault(folder: Path | Server, user: str, agency: str, country: str) -> Session:
    session, _ = init_vault(folder, user, PASSWORD, kdf=FAST_KDF)
    directory.set_agency(session, agency, country, f"desk@{country.lower()}")
    return session


def trust(a: Session, b: Session) -> None:
    """a and b exchange key cards (as after an out-of-band fingerprint check)."""
    card_a, _ = directory.our_card(a)
    card_b, _ = directory.our_card(b)
    directory.add_partner(a, card_b, "card")
    directory.add_partner(b, card_a, "card")


def item_count(session: Session, case: str) -> int:
    with session.db() as db:
        case_id = find_case(db, case).id
        return db.scalar(select(func.count()).where(Item.case_id == case_id)) or 0


def reseal(bag: Path, session: Session) -> None:
    """Recompute the manifests of a tampered bag and sign it with ``session``'s key.

    This is what a *trusted but hostile* partner could do: the bundle is then validly signed,
    so only the path, size and content checks can catch what is wrong with it.
    """
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file() and not p.is_symlink())
    lines = [
        (hashlib.sha256(p.read_bytes()).hexdigest(), p.relative_to(bag).as_posix()) for p in payload
    ]
    (bag / bagfmt.MANIFEST).write_bytes(bagfmt.manifest_text(lines))
    retag(bag, session)


def retag(bag: Path, session: Session | None) -> None:
    """Recompute the tagmanifest; sign it again only when ``session`` is given."""
    tags = ["bagit.txt", "bag-info.txt", bagfmt.MANIFEST, bagfmt.BUNDLE_JSON]
    text = bagfmt.manifest_text(
        (hashlib.sha256((bag / t).read_bytes()).hexdigest(), t) for t in tags
    )
    (bag / bagfmt.TAGMANIFEST).write_bytes(text)
    if session is not None:
        (bag / bagfmt.SIG).write_bytes(session.signing_key().sign(text))


@dataclass
class Kit:
    a: Session  # "Politie NL", case NL-1 with three items
    b: Session  # "BKA", receives in cases DE-*
    root: Path
    items: list[int]
    made: list[Path]
    _n: int = 0

    def export(self, out: str | None = None, **kw: object) -> ExportResult:
        self._n += 1
        target = self.root / (out or f"bundle-{self._n}")
        args: dict[str, object] = {"purpose": "joint-operation"} | kw
        job = ExportJob(self.a, "NL-1", "BKA", out=target, **args)  # type: ignore[arg-type]
        result = job.run(ignore)
        self.made.append(result.path)
        return result

    def copy(self, bag: Path, name: str) -> Path:
        target = self.root / "hostile" / name
        shutil.copytree(bag, target, symlinks=True)
        return target

    def new_case(self) -> str:
        self._n += 1
        ref = f"DE-{self._n}"
        create_case(self.b, ref, "received")
        return ref


def cli_env(vault: Path | Server, user: str) -> dict[str, str]:
    """The environment of a ``custos`` process signing in to ``vault`` (a folder or a server,
    its credentials as ``custos server env`` gives them) as ``user``."""
    env = {k: v for k, v in os.environ.items() if k not in ("CUSTOS_VAULT", "CUSTOS_SERVER")}
    if isinstance(vault, Server):
        env["CUSTOS_SERVER"] = vault.url
        env["PGPASSWORD"] = vault.credentials.password
        env["AWS_ACCESS_KEY_ID"] = vault.credentials.access_key
        env["AWS_SECRET_ACCESS_KEY"] = vault.credentials.secret_key
    else:
        env["CUSTOS_VAULT"] = str(vault)
    env["CUSTOS_USER"] = user
    env["CUSTOS_PASSWORD"] = PASSWORD
    return env


def made_kit(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    stock_check: Callable[[Path, Session | None], None],
    bka_here: bool,
) -> Iterator[Kit]:
    """The ``kit`` fixture's two agencies, trusting each other, NL-1 with three items. On the
    ``server`` run Politie NL's vault is on the trial server; BKA's too unless ``bka_here``.
    When the module is done, every bundle its tests made passes the three stock tools."""
    root = tmp_path_factory.mktemp("exchange")
    a = new_vault(agency_place(request, root / "nl"), "anna", "Politie NL", "NL")
    b = new_vault(agency_place(request, root / "de", here=bka_here), "bernd", "BKA", "DE")
    trust(a, b)
    directory.add_agreement(a, "BKA", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31")
    directory.add_agreement(b, "Politie NL", "joint-operation", "CLEAR,GREEN,AMBER", "2099-12-31")
    create_case(a, "NL-1", "Operation Kite", ["drug-trafficking"])
    ev = root / "ev"
    (ev / "DCIM").mkdir(parents=True)
    (ev / "note.txt").write_text("seized note\n")
    (ev / "DCIM" / "img 1.jpg").write_bytes(os.urandom(300_000))
    (ev / "DCIM" / "percent%name.bin").write_bytes(b"\x00" * 1000)
    form = CustodyForm(exhibit="EX-7", seized_from="a van", seized_by="PC Smit")
    result = ingest(a, "NL-1", [ev], form)
    made: list[Path] = []
    yield Kit(a, b, root, result.saved, made)
    try:
        for bundle in made:  # every bundle the tests made passes the three stock tools
            stock_check(bundle, b)
    finally:
        a.close()
        b.close()


def run_cli(*args: str, vault: Path | Server, user: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(vault, user)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def stored(session: Session) -> list[str]:
    """What the vault's object store holds: every path under a folder's ``blobs/`` (objects,
    the unsettled marker, temp files), every object of a server's bucket."""
    if session.backend.local:
        return [str(p) for p in sorted((session.folder / "blobs").rglob("*"))]
    store: Any = session.backend.store
    return sorted(store._wire.list_keys(store.bucket, ""))  # every key, the marker's too


def read_stored(session: Session, blob_name: str) -> bytes:
    """A blob as stored (the age file): its file in the folder's ``blobs/``, or its object in
    the server's bucket (through the back end's store)."""
    if session.backend.local:
        return session.blobs.path(blob_name).read_bytes()
    with session.backend.store.open(blob_key(blob_name)) as fh:
        return fh.read()


def write_stored(session: Session, blob_name: str, data: bytes) -> None:
    """Replace a blob as stored, as someone with write access to the files or bucket could."""
    if session.backend.local:
        blob = session.blobs.path(blob_name)
        mode = blob.stat().st_mode
        blob.chmod(0o600)
        blob.write_bytes(data)
        blob.chmod(mode)
        return
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "object"
        staged.write_bytes(data)
        session.backend.store.put(blob_key(blob_name), staged)


def flip_stored_byte(session: Session, blob_name: str, at: int = -100) -> None:
    """Flip one bit of a blob as stored."""
    raw = bytearray(read_stored(session, blob_name))
    raw[at] ^= 1
    write_stored(session, blob_name, bytes(raw))


def refused(kit: Kit, path: Path, *patterns: str, intact: bool = False) -> BundleRejected:
    """Import refuses ``path`` with one line matching every pattern, audited, nothing stored;
    verify lists findings too (none when ``intact``), and the receiving vault still verifies."""
    case = kit.new_case()
    blobs = stored(kit.b)
    with pytest.raises(BundleRejected) as info:
        import_bundle(kit.b, path, case)
    assert stored(kit.b) == blobs  # nothing reached the store
    assert not list((kit.b.folder / "tmp").iterdir())  # staged copies removed
    message = str(info.value)
    assert "\n" not in message
    for pattern in patterns:
        assert re.search(pattern, message), message
    assert item_count(kit.b, case) == 0
    report = verify_bundle(kit.b, path)  # verify lists the same findings
    assert report.ok is intact
    assert verify(kit.b).ok
    audited = json.loads(audit_rows(kit.b, "bundle.refused")[-1].details)  # the refusal is audited
    assert audited["problems"] == info.value.problems
    return info.value
