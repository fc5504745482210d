"""Hash-set import: a partner's set, verified like any bundle, stored in one transaction.

Order: (1) the bundle is unpacked and checked exactly as an evidence bundle (signature against
the trust list, hashes, Payload-Oxum, paths, local agreements for purpose and labels) and must
be a well-formed hash-set bundle (``shape_problems``); any finding refuses it, audited, with
every finding listed. (2) A bundle already imported (same tagmanifest hash, or the same bundle
id from the same partner) is refused as a replay. (3) The VICS file is read by the same reader
as ``hashset import`` (every malformed entry named, nothing imported), streamed from the bag
(decrypted chunk by chunk) and sorted on a sealed spool (``hashsets.spooled_vics``: bounded
memory), and its entries digest must be the one the signed description states.
(4) One transaction adds the set, **disabled**
(a partner's set decides what is hidden or alerts here only once someone holding
``hashset.manage`` enables it), its origin (``HashSetBundle``: partner, bundle, the local
agreement that covered it, the sender's label and onward rule) and the partner's head.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange import heads
from exchange.bundles import Replayed, opened_received, refuse, replayed
from exchange.checks import BagReport, BagView
from exchange.directory import agreements_with
from exchange.models import HashSetBundle
from matching.hashsets import (
    KINDS,
    SpooledSet,
    checked_name,
    find_set,
    live_set,
    spooled_vics,
    store_spooled,
)
from matching.tlp import LABELS
from vault.errors import UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.session import Session, now


@dataclass(frozen=True)
class HashSetImportResult:
    bundle_id: str
    sender: str
    name: str
    kind: str
    entries: int
    label: str
    onward: bool
    warnings: list[str] = field(default_factory=list)


def shape_problems(meta: dict[str, Any]) -> list[str]:
    """What is wrong with a hash-set bundle's description (beyond the generic bag checks)."""
    if meta.get("kind") != "hashset":
        return [f"not a hash-set bundle (kind {meta.get('kind', 'evidence')!r})"]
    hs = meta.get("hashset")
    if not isinstance(hs, dict):
        return ["custos-bundle.json: hash set description missing"]
    problems: list[str] = []
    if hs.get("kind") not in KINDS:
        problems.append(f"hash set: unknown kind {hs.get('kind')!r}")
    if hs.get("label") not in LABELS:
        problems.append(f"hash set: unknown handling label {hs.get('label')!r}")
    items = meta.get("items", [])
    path = hs.get("path")
    if len(items) != 1 or items[0].get("path") != path or not str(path).startswith("data/hashset/"):
        problems.append("hash set: the bundle must hold exactly its one data/hashset/ file")
    elif items[0].get("tlp") != hs.get("label"):
        problems.append(f"{path}: described with another label than the set")
    return problems


class HashSetImportJob:
    def __init__(
        self,
        session: Session,
        path: Path,
        name: str | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.session, self.path, self.name = session, path, name
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> HashSetImportResult:
        s = self.session
        s.require("exchange.bundle", target=f"bundle:{self.path.name}")
        with contextlib.ExitStack() as spool:
            with opened_received(s, self.path, self.cancel, emit, shape_problems) as (root, r):
                hs = r.meta["hashset"]
                name = checked_name(self.name or f"{hs['name']} ({r.sender})")
                with s.db() as db:
                    self._free(db, name)
                spooled = self._read(root, r, spool, emit)
            try:
                return self._commit(name, r, spooled, emit)
            except Replayed as exc:
                raise refuse(s, self.path, r, [str(exc)]) from None

    @staticmethod
    def _free(db: DbSession, name: str) -> None:
        if live_set(db, name) is not None:
            raise UserError(f"a hash set named {name!r} exists already (choose another with --as)")

    def _read(
        self, root: BagView, r: BagReport, spool: contextlib.ExitStack, emit: Emit
    ) -> SpooledSet:
        """The set as read by ``hashparse`` (hostile input: one line, audited); its entries
        digest must be the signed one, whatever bytes were read. Streamed from the checked
        bag (a ``.tar.age``'s payload is only ever staged encrypted) onto a sealed spool that
        ``spool`` closes."""
        hs = r.meta["hashset"]
        file_name = Path(hs["path"]).name
        size = max(1, int(r.meta["items"][0].get("size") or 1))

        def report(done: int) -> None:
            emit(Progress(min(done, size), size, "bytes", f"reading {file_name}"))

        try:
            chunks = root.payload_chunks(hs["path"])
            got = spool.enter_context(
                spooled_vics(self.session, file_name, chunks, self.cancel, report)
            )
        except UserError as exc:
            raise refuse(self.session, self.path, r, [str(exc)]) from None
        if got.entries_digest != hs["entries_digest"]:
            raise refuse(
                self.session,
                self.path,
                r,
                [f"{hs['path']}: its entries differ from the signed entries digest"],
            )
        return got

    def _commit(
        self, name: str, r: BagReport, parsed: SpooledSet, emit: Emit
    ) -> HashSetImportResult:
        s, at = self.session, now()
        hs, item = r.meta["hashset"], r.meta["items"][0]
        onward, purpose = bool(item.get("onward")), str(r.meta["purpose"])
        emit(Progress(0, parsed.total, "entries", "storing"))
        with s.transaction() as db:
            if again := replayed(db, r):  # another process imported it meanwhile
                raise Replayed(again)
            self._free(db, name)
            warning = heads.record_head(
                s, db, r.sender, heads.carried(r.meta), r.bundle_id, "hashset"
            )
            covering = [
                a
                for a in agreements_with(db, r.sender)
                if a.active() and a.purpose == purpose and hs["label"] in a.labels
            ]
            agreement = covering[0].id if covering else None
            source = hs.get("source") or r.sender
            row = store_spooled(
                s, db, name, hs["kind"], source, parsed, Path(hs["path"]).name,
                r.manifest[hs["path"]], "disabled", emit,
            )  # fmt: skip
            s.audit(
                db,
                "hashset.received",
                row,
                name=name,
                kind=row.kind,
                source=source,
                counts=json.loads(row.counts),
                entries_digest=row.entries_digest,
                sender=r.sender,
                bundle=r.bundle_id,
                agreement=agreement,
                label=hs["label"],
                onward=onward,
            )
            record = HashSetBundle(
                direction="in",
                bundle_id=r.bundle_id,
                sha256=r.tag_sha256,
                partner=r.sender,
                hashset_id=row.id,
                set_name=str(hs["name"]),
                purpose=purpose,
                agreement_id=agreement,
                label=hs["label"],
                onward=onward,
                entries=parsed.total,
                entries_digest=row.entries_digest,
                key_fingerprint=r.fingerprint,
                details="{}",
                by=s.user,
                at=at,
            )
            db.add(record)
            s.audit(db, "bundle.imported", record, partner=r.sender, bundle=r.bundle_id)
        warnings = [warning] if warning else []
        return HashSetImportResult(
            r.bundle_id, r.sender, name, row.kind, parsed.total, hs["label"], onward, warnings
        )


def received(db: DbSession, set_id: int) -> HashSetBundle | None:
    """The bundle a set came in, if a partner sent it: where it came from."""
    q = select(HashSetBundle).where(
        HashSetBundle.direction == "in", HashSetBundle.hashset_id == set_id
    )
    return db.scalars(q.order_by(HashSetBundle.id)).first()


@dataclass(frozen=True)
class Origin:
    """Where a received set came from, as ``hashset show`` says it."""

    partner: str
    bundle_id: str
    agreement: int | None
    label: str
    onward: bool
    received_by: str
    received_at: str
    sender_name: str  # the set's name at the sender

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def origin(session: Session, name: str) -> Origin | None:
    """The origin of the set ``name`` (None: imported here from a file)."""
    session.require("hashset.read", target=f"hashset:{name}")
    with session.db() as db:
        rec = received(db, find_set(db, name).id)
        if rec is None:
            return None
        return Origin(
            rec.partner, rec.bundle_id, rec.agreement_id, rec.label, rec.onward, rec.by, rec.at,
            rec.set_name,
        )  # fmt: skip
