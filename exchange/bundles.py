"""Verify and import bundles. Import checks everything first, then lands whole or not at all.

Import order: (1) check the bag: signature against the trust list, hashes, Payload-Oxum, paths,
the local agreements for the sender's labels; any finding refuses the bundle (audited) with every
finding listed. Each payload file is hashed while it is encrypted into the vault's private
``tmp/`` (``exchange.staging``): a folder's once its tag checks passed, a ``.tar.age``'s as the
decrypted stream goes by (``exchange.unpack``: nothing decrypted is written to disk). (2) A
bundle already imported (same tagmanifest hash, or the same bundle id from the same partner,
evidence or watchlist) is refused as a replay. (3) The staged files move into the blob store;
on any refusal they are removed. (4) One transaction adds the items, their "acquired" custody
events (the transfer: sent by, sent on, bundle hash, key fingerprint), the sender's labels and the
bundle record, and the sender's audit head it carried (``exchange.heads``: a head gone backwards
is a warning, audited). A crash before (4) leaves only orphan blobs, removed at the next open.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange import heads
from exchange.bagfmt import BUNDLE_JSON
from exchange.checks import BagReport, BagView, FolderBag, check_bag
from exchange.directory import agreements_with
from exchange.errors import BundleRejected
from exchange.models import BundleRecord, HashSetBundle, ItemLabel, WatchlistBundle
from exchange.unpack import unpack
from matching.models import HashSet, Watchlist
from vault import sealing
from vault.cases import find_case
from vault.fsutil import syncfs
from vault.jobs import CancelToken, Emit, ignore
from vault.models import Blob, Case, CustodyEvent, Item, canonical
from vault.schema import Acquired
from vault.session import Session, now
from vault.storework import Derivers


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
    session: Session,
    path: Path,
    cancel: CancelToken,
    *,
    store: bool = False,
    reread: bool = False,
    digest: Callable[[Path, CancelToken], str] | None = None,
    emit: Emit = ignore,
    derive: bool = False,
) -> Iterator[tuple[BagView | None, list[str]]]:
    """The bag at ``path`` (a folder or a ``.tar.age``) for the checks, and what stopped it.

    ``store``: the payload is staged for the blob store (``BagView.staged``), encrypted while
    it is hashed; ``reread``: the payload is read again after the checks (``read_payload``), so
    a ``.tar.age``'s is staged too (never in clear). ``digest``: a folder's payload digests
    computed ahead (``exchange.prehash``). Staged files not moved into the store are removed.
    ``derive`` (evidence import): each staged file also goes through the layers' ``Derive``
    (a photo's PDQ hash, as at ingest), in ``Staged.derived``.
    """
    blobs = session.blobs
    derivers = Derivers.of(session.schema.derivers) if derive else None
    if path.is_symlink():
        yield None, [f"{path}: a symbolic link, not a bundle"]
    elif path.is_dir():
        stage_to = (blobs.tmp, blobs.recipients) if store else None
        folder = FolderBag(path, digest, stage_to, derivers)
        try:
            yield folder, []
        finally:
            folder.discard()
    elif path.is_file():
        recipients = blobs.recipients if store or reread else None
        bag, problems = unpack(
            path, session.age_identities, blobs.tmp, cancel, recipients, emit, derivers
        )
        try:
            yield bag, problems
        finally:
            if bag is not None:
                bag.discard()
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


def check_opened(session: Session, bag: BagView | None, found: list[str], emit: Emit) -> BagReport:
    with session.db() as db:
        report = check_bag(db, bag, emit) if bag is not None else BagReport()
        report.problems[:0] = found
        _policy(db, report)
        if report.ok:
            warning = heads.backwards(db, report.sender, heads.carried(report.meta))
            if warning:
                report.warnings.append(warning)
    return report


@contextlib.contextmanager
def opened_received(
    session: Session,
    path: Path,
    cancel: CancelToken,
    emit: Emit,
    shape: Callable[[dict[str, Any]], list[str]],
) -> Iterator[tuple[BagView, BagReport]]:
    """A partner's bundle of one kind (a watchlist, a hash set), open for reading its payload
    once every check passed: signature and trust, our agreements, the kind's own ``shape``, not
    a replay. Any finding is one audited refusal (``BundleRejected``)."""
    with open_bundle(session, path, cancel, reread=True) as (bag, found):
        r = check_opened(session, bag, found, emit)
        if r.ok:
            r.problems.extend(shape(r.meta))
        if not r.ok or bag is None:
            raise refuse(session, path, r, r.problems)
        with session.db() as db:
            again = replayed(db, r)
        if again:
            raise refuse(session, path, r, [again])
        yield bag, r


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
    with open_bundle(session, path, CancelToken(), digest=digest, emit=emit) as (bag, found):
        report = check_opened(session, bag, found, emit)
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
        (model.bundle_id == r.bundle_id) & sealing.equals(db, model.partner, r.sender)
    )
    q = select(model).where(model.direction == "in", same).order_by(model.id)
    for row in db.scalars(q):  # the partner re-checked unsealed after its blind index
        if row.sha256 == r.tag_sha256 or (row.bundle_id == r.bundle_id and row.partner == r.sender):
            return row
    return None


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
        opened = open_bundle(s, self.path, self.cancel, store=True, emit=emit, derive=True)
        with opened as (bag, found):
            r = check_opened(s, bag, found, emit)
            ids = self._land(case, bag, r)
        return ImportResult(r.bundle_id, r.sender, ids, self.warnings)

    def _land(self, case: Case, bag: BagView | None, r: BagReport) -> list[int]:
        s = self.session
        if r.ok and r.meta.get("kind", "evidence") != "evidence":
            r.problems.append(
                f"a {r.meta.get('kind')} bundle, not evidence "
                "(import it with 'custos watchlist import' or 'custos hashset import-bundle')"
            )
        if not r.ok or bag is None:
            raise refuse(s, self.path, r, r.problems)
        with s.db() as db:
            again = replayed(db, r)
        if again:
            raise refuse(s, self.path, r, [again])
        stored = []
        for item in r.meta["items"]:
            rel = str(item["path"])
            done = bag.staged[rel]  # every listed file was staged (checks passed)
            d = done.digests
            if done.size != int(item["size"]):
                raise refuse(s, self.path, r, [f"{rel}: size differs from {BUNDLE_JSON}"])
            s.blobs.move_in(done.tmp, s.blobs.name_for(d.sha256))
            stored.append(
                (item, s.blobs.name_for(d.sha256), d.sha1 or "", d.md5 or "", done.derived)
            )
        syncfs(s.folder)
        try:
            return self._commit(case, r, stored)
        except Replayed as exc:
            raise refuse(s, self.path, r, [str(exc)]) from None

    def _commit(
        self,
        case: Case,
        r: BagReport,
        stored: list[tuple[dict[str, Any], str, str, str, dict[str, Any]]],
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
            for meta, blob, sha1, md5, derived in stored:
                ids.append(self._item(db, case, r, meta, blob, sha1, md5, sent_on, at))
                sha = r.manifest[str(meta["path"])]
                acquired.append(Acquired(ids[-1], case.id, sha, sha1 or None, md5 or None, derived))
            # looked up in the hash sets and photos' PDQ recorded, as at ingest
            s.schema.acquired(s, db, acquired)
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
