"""Verify and import bundles. Import checks everything first, then lands whole or not at all.

Import order: (1) unpack (encrypted bundles) and check the bag: signature against the trust list,
hashes, Payload-Oxum, paths, the local agreements for the sender's labels; any finding refuses the
bundle (audited) with every finding listed. (2) A bundle already imported (same tagmanifest hash,
or the same bundle id from the same partner, evidence or watchlist) is refused as a replay.
(3) Each payload file is encrypted into the blob store while its SHA-256
is computed again. (4) One transaction adds the items, their "acquired" custody events (the
transfer: sent by, sent on, bundle hash, key fingerprint), the sender's labels and the bundle
record, and the sender's audit head it carried (``exchange.heads``: a head gone backwards is a
warning, audited). A crash before (4) leaves only orphan blobs, removed at the next open.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange import heads
from exchange.bagfmt import BUNDLE_JSON
from exchange.checks import BagReport, check_bag
from exchange.directory import agreements_with
from exchange.errors import BundleRejected
from exchange.models import BundleRecord, HashSetBundle, ItemLabel, WatchlistBundle
from exchange.unpack import discard, unpack
from matching.models import HashSet, Watchlist
from vault import agefmt
from vault.cases import find_case
from vault.fsutil import syncfs
from vault.hashing import Digests, MultiHasher
from vault.jobs import CancelToken, Emit, ignore
from vault.models import Blob, Case, CustodyEvent, Item, canonical
from vault.schema import Acquired
from vault.session import Session, now

CHUNK = 1 << 20


@dataclass(frozen=True)
class ImportResult:
    bundle_id: str
    sender: str
    items: list[int]
    warnings: list[str] = field(default_factory=list)  # e.g. the sender's head went backwards


class Replayed(Exception):
    """Found a replay inside the import's own transaction (another process was faster)."""


@contextlib.contextmanager
def open_bundle(
    session: Session, path: Path, cancel: CancelToken
) -> Iterator[tuple[Path | None, list[str]]]:
    if path.is_symlink():
        yield None, [f"{path}: a symbolic link, not a bundle"]
    elif path.is_dir():
        yield path, []
    elif path.is_file():
        work = session.folder / "tmp"
        root, problems = unpack(path, session.age_identities, work, cancel)
        try:
            yield root, problems
        finally:
            discard(root, work)
    else:
        yield None, [f"{path}: no such bundle"]


def _policy(db: DbSession, r: BagReport) -> None:
    """The local agreements with the sender must cover the bundle's purpose and every label."""
    if not r.sender or not r.meta:
        return
    purpose = r.meta.get("purpose")
    active = [a for a in agreements_with(db, r.sender) if a.active() and a.purpose == purpose]
    if not active:
        r.problems.append(f"no active agreement with {r.sender} for purpose {purpose}")
        return
    allowed = {label for a in active for label in a.labels}
    for item in r.meta.get("items", []):
        if item.get("tlp") not in allowed:
            r.problems.append(
                f"{item.get('path')}: label {item.get('tlp')} is not covered by the "
                f"agreements with {r.sender} (allow {', '.join(sorted(allowed))})"
            )


def check_opened(
    session: Session,
    root: Path | None,
    found: list[str],
    emit: Emit,
    store: Callable[[Path, CancelToken], str] | None = None,
    digest: Callable[[Path, CancelToken], str] | None = None,
) -> BagReport:
    with session.db() as db:
        report = (
            check_bag(db, root, emit, store=store, digest=digest)
            if root is not None
            else BagReport()
        )
        report.problems[:0] = found
        _policy(db, report)
        if report.ok:
            warning = heads.backwards(db, report.sender, heads.carried(report.meta))
            if warning:
                report.warnings.append(warning)
    return report


def verify_bundle(
    session: Session,
    path: Path,
    emit: Emit = ignore,
    digest: Callable[[Path, CancelToken], str] | None = None,
) -> BagReport:
    """Check a bundle (folder or .tar.age) without importing it; every problem is listed.

    ``digest`` hashes a payload file (default: read and SHA-256 it); see ``check_bag``.
    """
    session.require("exchange.bundle", target=f"bundle:{path.name}")
    with open_bundle(session, path, CancelToken()) as (root, found):
        report = check_opened(session, root, found, emit, digest=digest if root == path else None)
    with session.transaction() as db:
        session.audit(
            db,
            "bundle.verified",
            target=f"bundle:{report.bundle_id or path.name}",
            ok=report.ok,
            problems=report.problems,
            fingerprint=report.fingerprint,
        )
    return report


_Record = TypeVar("_Record", BundleRecord, WatchlistBundle, HashSetBundle)


def _first_in(db: DbSession, model: type[_Record], r: BagReport) -> _Record | None:
    """The first bundle of this kind received with the same hash, or the same id and partner."""
    same = (model.sha256 == r.tag_sha256) | (
        (model.bundle_id == r.bundle_id) & (model.partner == r.sender)
    )
    q = select(model).where(model.direction == "in", same).order_by(model.id)
    return db.scalars(q).first()


def replayed(db: DbSession, r: BagReport) -> str | None:
    """Why a checked bundle is a replay, or None: a bundle (evidence, watchlist or hash set)
    with the same tagmanifest hash was imported before, or one from the same partner with the
    same bundle id (re-signed with other content is still the same bundle: the sender's id
    names it)."""
    ev = _first_in(db, BundleRecord, r)
    wl = _first_in(db, WatchlistBundle, r)
    hs = _first_in(db, HashSetBundle, r)
    if ev is not None:
        case = db.get(Case, ev.case_id)
        what, where = "bundle", f"into case {case.reference if case else ev.case_id}"
        seen: BundleRecord | WatchlistBundle | HashSetBundle = ev
    elif wl is not None:
        found = db.get(Watchlist, wl.watchlist_id)
        what, where = "watchlist bundle", f"as watchlist {found.name if found else '?'}"
        seen = wl
    elif hs is not None:
        local = db.get(HashSet, hs.hashset_id)
        what, where, seen = "hash-set bundle", f"as hash set {local.name if local else '?'}", hs
    else:
        return None
    differs = "" if seen.sha256 == r.tag_sha256 else "; this copy's content differs"
    return (
        f"{what} {seen.bundle_id} from {seen.partner} was already imported on {seen.at[:10]} "
        f"{where} (replay){differs}; nothing imported"
    )


def refuse(session: Session, path: Path, r: BagReport, problems: list[str]) -> BundleRejected:
    with session.transaction() as db:
        session.audit(
            db,
            "bundle.refused",
            target=f"bundle:{r.bundle_id or path.name}",
            problems=problems,
            fingerprint=r.fingerprint,
            sha256=r.tag_sha256,
        )
    return BundleRejected(path.name, problems)


class ImportJob:
    def __init__(
        self, session: Session, path: Path, case_reference: str, cancel: CancelToken | None = None
    ) -> None:
        self.session, self.path, self.case_reference = session, path, case_reference
        self.cancel = cancel or CancelToken()
        self.warnings: list[str] = []

    def run(self, emit: Emit) -> ImportResult:
        s = self.session
        s.require("exchange.bundle", target=f"case:{self.case_reference}")
        with s.db() as db:
            case = find_case(db, self.case_reference)
        staged: dict[Path, tuple[Path, Digests, int]] = {}
        with open_bundle(s, self.path, self.cancel) as (root, found):
            try:
                r = check_opened(s, root, found, emit, store=self._stager(staged))
                ids = self._land(case, root, r, staged)
            finally:
                for tmp, _, _ in staged.values():
                    tmp.unlink(missing_ok=True)
        return ImportResult(r.bundle_id, r.sender, ids, self.warnings)

    def _land(
        self,
        case: Case,
        root: Path | None,
        r: BagReport,
        staged: dict[Path, tuple[Path, Digests, int]],
    ) -> list[int]:
        s = self.session
        if r.ok and r.meta.get("kind", "evidence") != "evidence":
            r.problems.append(
                f"a {r.meta.get('kind')} bundle, not evidence "
                "(import it with 'custos watchlist import' or 'custos hashset import-bundle')"
            )
        if not r.ok or root is None:
            raise refuse(s, self.path, r, r.problems)
        with s.db() as db:
            again = replayed(db, r)
        if again:
            raise refuse(s, self.path, r, [again])
        stored = []
        for item in r.meta["items"]:
            rel = str(item["path"])
            tmp, d, size = staged[root / rel]  # every listed file was staged (checks passed)
            if size != int(item["size"]):
                raise refuse(s, self.path, r, [f"{rel}: size differs from {BUNDLE_JSON}"])
            s.blobs.move_in(tmp, s.blobs.name_for(d.sha256))
            stored.append((item, s.blobs.name_for(d.sha256), d.sha1 or "", d.md5 or ""))
        syncfs(s.folder)
        try:
            return self._commit(case, r, stored)
        except Replayed as exc:
            raise refuse(s, self.path, r, [str(exc)]) from None

    def _stager(
        self, staged: dict[Path, tuple[Path, Digests, int]]
    ) -> Callable[[Path, CancelToken], str]:
        """Encrypt each payload file into the vault's tmp/ while hashing it (one read).

        Nothing reaches the blob store before every check passed; the staged files are removed
        whatever happens. What is stored is exactly what was hashed.
        """
        blobs = self.session.blobs

        def stage(path: Path, cancel: CancelToken) -> str:
            tmp = blobs.tmp / uuid.uuid4().hex
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb", buffering=0) as src:
                hasher = MultiHasher(os.fstat(fd).st_size)
                size = 0
                try:
                    out_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    staged[path] = (tmp, Digests("", "", ""), 0)
                    with os.fdopen(out_fd, "wb", buffering=CHUNK) as out:
                        enc = agefmt.Encryptor(out, blobs.recipients)
                        while chunk := src.read(CHUNK):
                            cancel.check()
                            hasher.update(chunk)
                            enc.write(chunk)
                            size += len(chunk)
                        enc.close()
                    d = hasher.digests()
                finally:
                    hasher.close()
            staged[path] = (tmp, d, size)
            return d.sha256

        return stage

    def _commit(
        self, case: Case, r: BagReport, stored: list[tuple[dict[str, Any], str, str, str]]
    ) -> list[int]:
        s, at = self.session, now()
        sent_on = str(r.meta.get("created", ""))
        ids: list[int] = []
        with s.transaction() as db:
            if again := replayed(db, r):  # another process imported it meanwhile
                raise Replayed(again)
            warning = heads.record_head(
                s, db, r.sender, heads.carried(r.meta), r.bundle_id, "evidence"
            )
            self.warnings = [warning] if warning else []
            record = BundleRecord(
                direction="in",
                bundle_id=r.bundle_id,
                sha256=r.tag_sha256,
                partner=r.sender,
                case_id=case.id,
                purpose=str(r.meta.get("purpose")),
                items=len(stored),
                key_fingerprint=r.fingerprint,
                by=s.user,
                at=at,
            )
            db.add(record)
            s.audit(db, "bundle.imported", record, partner=r.sender, bundle=r.bundle_id)
            acquired = []
            for meta, blob, sha1, md5 in stored:
                ids.append(self._item(db, case, r, meta, blob, sha1, md5, sent_on, at))
                sha = r.manifest[str(meta["path"])]
                acquired.append(Acquired(ids[-1], case.id, sha, sha1 or None, md5 or None))
            s.schema.acquired(s, db, acquired)  # looked up in the hash sets, as at ingest
        return ids

    def _item(
        self,
        db: DbSession,
        case: Case,
        r: BagReport,
        meta: dict[str, Any],
        blob: str,
        sha1: str,
        md5: str,
        sent_on: str,
        at: str,
    ) -> int:
        s, rel = self.session, str(meta["path"])
        sha, size = r.manifest[rel], int(meta["size"])
        if db.get(Blob, blob) is None:
            db.add(Blob(name=blob, sha256=sha, size=size))

        def text(key: str) -> str | None:
            value = meta.get(key)
            return None if value is None else str(value)

        item = Item(
            case_id=case.id,
            name=rel.removeprefix("data/evidence/"),
            original_path=f"bundle {r.bundle_id} from {r.sender}: {rel}",
            size=size,
            sha256=sha,
            md5=md5,
            sha1=sha1,
            blob_name=blob,
            **{k: text(k) for k in ("exhibit", "seized_from", "seized_at", "seized_on")},
            seized_by=text("seized_by"),
            description=text("description"),
            acquired_by=s.user,
            acquired_at=at,
        )
        db.add(item)
        db.flush()
        details = {
            "via": "transfer",
            "sent_by": r.sender,
            "sent_on": sent_on,
            "bundle_id": r.bundle_id,
            "bundle_sha256": r.tag_sha256,
            "key_fingerprint": r.fingerprint,
            "sender_acquired_by": meta.get("acquired_by"),
            "sender_acquired_at": meta.get("acquired_at"),
            "sha256": sha,
            "size": size,
        }
        event = CustodyEvent(
            item_id=item.id, kind="acquired", actor=s.user, at=at, details=canonical(details)
        )
        label = ItemLabel(
            item_id=item.id,
            tlp=str(meta["tlp"]),
            origin=r.sender,
            onward=bool(meta.get("onward", False)),
            set_by=s.user,
            set_at=at,
        )
        db.add_all([event, label])
        s.audit(db, "item.acquired", item, sha256=sha, case=case.id, bundle=r.bundle_id)
        s.audit(db, "custody.acquired", event, item=item.id)
        s.audit(db, "label.received", label, item=item.id, tlp=label.tlp, origin=r.sender)
        return item.id


def import_bundle(
    session: Session,
    path: Path,
    case_reference: str,
    emit: Emit = ignore,
    cancel: CancelToken | None = None,
) -> ImportResult:
    return ImportJob(session, path, case_reference, cancel).run(emit)
