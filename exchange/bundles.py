"""Verify and import bundles. Import checks everything first, then lands whole or not at all.

Import order: (1) unpack (encrypted bundles) and check the bag: signature against the trust list,
hashes, Payload-Oxum, paths, the local agreements for the sender's labels; any finding refuses the
bundle (audited) with every finding listed. (2) A bundle already imported (same tagmanifest hash)
is refused as a replay. (3) Each payload file is encrypted into the blob store while its SHA-256
is computed again. (4) One transaction adds the items, their "acquired" custody events (the
transfer: sent by, sent on, bundle hash, key fingerprint), the sender's labels and the bundle
record. A crash before (4) leaves only orphan blobs, removed at the next open.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange.checks import BagReport, check_bag
from exchange.directory import agreements_with
from exchange.errors import BundleRejected
from exchange.models import BundleRecord, ItemLabel
from exchange.unpack import discard, unpack
from vault import agefmt
from vault.cases import find_case
from vault.fsutil import syncfs
from vault.hashing import MultiHasher
from vault.jobs import CancelToken, Emit, Progress, ignore
from vault.models import Blob, Case, CustodyEvent, Item, canonical
from vault.session import Session, now

CHUNK = 1 << 20


@dataclass(frozen=True)
class ImportResult:
    bundle_id: str
    sender: str
    items: list[int]


@contextlib.contextmanager
def _opened(
    session: Session, path: Path, cancel: CancelToken
) -> Iterator[tuple[Path | None, list[str]]]:
    if path.is_symlink():
        yield None, [f"{path}: a symbolic link, not a bundle"]
    elif path.is_dir():
        yield path, []
    elif path.is_file():
        work = session.folder / "tmp"
        root, problems = unpack(path, session.age_identity, work, cancel)
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


def _check(session: Session, root: Path | None, found: list[str], emit: Emit) -> BagReport:
    with session.db() as db:
        report = check_bag(db, root, emit) if root is not None else BagReport()
        report.problems[:0] = found
        _policy(db, report)
    return report


def verify_bundle(session: Session, path: Path, emit: Emit = ignore) -> BagReport:
    """Check a bundle (folder or .tar.age) without importing it; every problem is listed."""
    session.require("exchange.bundle", target=f"bundle:{path.name}")
    with _opened(session, path, CancelToken()) as (root, found):
        report = _check(session, root, found, emit)
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


def _refuse(session: Session, path: Path, r: BagReport, problems: list[str]) -> BundleRejected:
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

    def run(self, emit: Emit) -> ImportResult:
        s = self.session
        s.require("exchange.bundle", target=f"case:{self.case_reference}")
        with s.db() as db:
            case = find_case(db, self.case_reference)
        with _opened(s, self.path, self.cancel) as (root, found):
            r = _check(s, root, found, emit)
            if not r.ok or root is None:
                raise _refuse(s, self.path, r, r.problems)
            with s.db() as db:
                seen = db.scalar(
                    select(BundleRecord).where(
                        BundleRecord.direction == "in", BundleRecord.sha256 == r.tag_sha256
                    )
                )
                where = db.get(Case, seen.case_id) if seen else None
            if seen is not None and where is not None:
                raise _refuse(
                    s,
                    self.path,
                    r,
                    [
                        f"bundle {seen.bundle_id} was already imported on {seen.at[:10]} "
                        f"into case {where.reference} (replay); nothing imported"
                    ],
                )
            stored = [self._store(root, item, r, emit) for item in r.meta["items"]]
            syncfs(s.folder)
            ids = self._commit(case, r, stored)
        return ImportResult(r.bundle_id, r.sender, ids)

    def _store(
        self, root: Path, item: dict[str, Any], r: BagReport, emit: Emit
    ) -> tuple[dict[str, Any], str, str, str]:
        """Encrypt one payload file into the blob store; returns (meta, blob, sha1, md5)."""
        blobs, rel = self.session.blobs, str(item["path"])
        fd = os.open(root / rel, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb", buffering=0) as src:
            size = os.fstat(fd).st_size
            hasher = MultiHasher(size)
            read = 0
            try:
                with blobs.temp_file() as (tmp, out):
                    enc = agefmt.Encryptor(out, blobs.recipients)
                    while chunk := src.read(CHUNK):
                        self.cancel.check()
                        hasher.update(chunk)
                        enc.write(chunk)
                        read += len(chunk)
                        emit(Progress(read, size, "bytes", rel))
                    enc.close()
                    out.flush()
                    d = hasher.digests()
                    if d.sha256 != r.manifest[rel] or read != int(item["size"]):
                        raise BundleRejected(
                            self.path.name, [f"{rel}: changed while it was being imported"]
                        )
                    name = blobs.name_for(d.sha256)
                    blobs.move_in(tmp, name)
            finally:
                hasher.close()
        return item, name, d.sha1, d.md5

    def _commit(
        self, case: Case, r: BagReport, stored: list[tuple[dict[str, Any], str, str, str]]
    ) -> list[int]:
        s, at = self.session, now()
        sent_on = str(r.meta.get("created", ""))
        ids: list[int] = []
        with s.transaction() as db:
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
            for meta, blob, sha1, md5 in stored:
                ids.append(self._item(db, case, r, meta, blob, sha1, md5, sent_on, at))
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
