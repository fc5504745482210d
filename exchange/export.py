"""Bundle export: policy first, then a signed BagIt bag written atomically, then custody.

Order: (1) the policy decides on every item; a refusal is audited and nothing is written.
(2) The bag is written by ``exchange.bagwriter`` (partial name, folder or encrypted tar, rename,
rollback); each item is decrypted from the vault and its SHA-256 re-checked while it is written
(each sink's own fast path, ``Sink.write_blob``). (3) One transaction adds a "transferred"
custody event per item and the bundle record. If (3) fails the bundle is removed again, so no
bundle exists unrecorded.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange import bagfmt, bagwriter, caseld, heads, matchld
from exchange.cards import fingerprint
from exchange.directory import AgreementInfo, find_partner
from exchange.models import BundleRecord
from exchange.policy import (
    Decision,
    Refusal,
    by_item,
    check_export,
    provenance_reasons,
    received_contents,
    redacted_in_place,
    refuse_export,
)
from matching.tlp import highest
from vault.cases import find_case
from vault.errors import UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.models import Case, CustodyEvent, Item, canonical
from vault.session import Session, now


@dataclass(frozen=True)
class ExportResult:
    path: Path
    bundle_id: str
    sha256: str  # of tagmanifest-sha256.txt: the bundle's identity
    items: int
    label: str


def _payload_paths(items: list[Item]) -> dict[int, str]:
    seen: set[str] = set()
    paths: dict[int, str] = {}
    for item in items:
        name = bagfmt.portable_path(item.name)
        rel = f"data/evidence/{name}"
        if rel in seen:  # the same name twice in one case (two ingests): keep both
            rel = f"data/evidence/item-{item.id}/{name}"
        seen.add(rel)
        paths[item.id] = rel
    return paths


def _decide_items(
    db: DbSession,
    case_reference: str,
    partner: str,
    purpose: str,
    item_ids: list[int] | None,
    matches: bool,
) -> tuple[Case, list[Item], Decision, matchld.MatchSet | None]:
    """The items to export (all of the case's when ``item_ids`` is empty) and the policy's
    decision on them, match results' labels included when ``matches``."""
    case = find_case(db, case_reference)
    find_partner(db, partner)
    q = select(Item).where(Item.case_id == case.id).order_by(Item.id)
    items = list(db.scalars(q))
    if item_ids:
        missing = sorted(set(item_ids) - {i.id for i in items})
        if missing:
            raise UserError(f"item(s) {missing} are not in case {case.reference}")
        items = [i for i in items if i.id in set(item_ids)]
    if not items:
        raise UserError(f"case {case.reference} has no items to export")
    decision = check_export(db, partner, purpose, case, items)
    items, decision = redacted_in_place(db, items, decision)
    found = None
    if matches:
        found = matchld.gather(db, items, decision.labels)
        decision = _match_policy(db, partner, decision, items, found)
    return case, items, decision, found


@dataclass(frozen=True)
class ItemVerdict:
    """The export policy's word on one item: its label, allowed or not, and why not."""

    item: int
    name: str
    label: str  # TLP label without the "TLP:" prefix
    allowed: bool
    reason: str


@dataclass(frozen=True)
class ExportPreview:
    """What an export would do, decided by the same policy as the export; nothing written."""

    verdicts: list[ItemVerdict]
    agreement: AgreementInfo | None
    allowed: bool


def preview_export(
    session: Session,
    case_reference: str,
    partner: str,
    purpose: str,
    item_ids: list[int] | None = None,
    matches: bool = False,
) -> ExportPreview:
    """The export policy's decision per item (nothing written, nothing sent, nothing audited:
    the export itself audits a refusal)."""
    session.require("exchange.bundle", target=f"case:{case_reference}")
    with session.db() as db:
        _case, items, decision, _found = _decide_items(
            db, case_reference, partner, purpose, item_ids, matches
        )
    why: dict[int, list[str]] = {}
    for r in by_item(decision.refusals):
        why[r.item] = list(r.reasons)
    decided = [
        ItemVerdict(
            i.id, i.name, decision.labels[i.id].tlp, i.id not in why, "; ".join(why.get(i.id, []))
        )
        for i in items
    ]
    return ExportPreview(decided, decision.agreement, decision.allowed)


class ExportJob:
    def __init__(
        self,
        session: Session,
        case_reference: str,
        partner: str,
        purpose: str,
        out: Path,
        item_ids: list[int] | None = None,
        encrypt: bool = False,
        cancel: CancelToken | None = None,
        matches: bool = False,
    ) -> None:
        self.session, self.case_reference, self.partner = session, case_reference, partner
        self.matches: matchld.MatchSet | None = matchld.MatchSet([], [], []) if matches else None
        self.purpose, self.item_ids, self.encrypt = purpose, item_ids, encrypt
        self.target = bagwriter.encrypted_target(out) if encrypt else out
        self.cancel = cancel or CancelToken()
        self.bundle_id = str(uuid.uuid4())
        self._done = 0
        self._total = 0

    # --- 1. policy ---------------------------------------------------------------------------
    def _decide(self) -> tuple[Case, list[Item], Decision, dict[str, str]]:
        s = self.session
        with s.db() as db:
            who = bagwriter.parties(db, self.partner)
            case, items, decision, found = _decide_items(
                db,
                self.case_reference,
                self.partner,
                self.purpose,
                self.item_ids,
                self.matches is not None,
            )
            if found is not None:
                self.matches = found
        if not decision.allowed:
            refused = by_item(decision.refusals)  # one per item, each reason once
            refuse_export(
                s,
                "bundle.export_refused",
                f"case:{case.reference}",
                self.partner,
                self.purpose,
                [str(r) for r in refused],
                f"export to {self.partner} refused for {len(refused)} of {len(items)} item(s)",
                [(r.subject, list(r.reasons)) for r in refused],
            )
        return case, items, decision, who

    # --- 2.-3. ---------------------------------------------------------------------------------
    def run(self, emit: Emit) -> ExportResult:
        self.session.require("exchange.bundle", target=f"case:{self.case_reference}")
        bagwriter.check_targets(self.target)
        case, items, decision, who = self._decide()
        self._total = sum(i.size for i in items)
        emit(Progress(0, self._total, "bytes", f"{len(items)} items"))
        tag_sha = bagwriter.write_bundle(
            self.target,
            self.bundle_id,
            who["recipient"] if self.encrypt else None,
            lambda sink: self._write_bag(sink, case, items, decision, who, emit),
            lambda sha: self._record(case, items, decision, sha),
        )
        label = highest([decision.labels[i.id].tlp for i in items])
        return ExportResult(self.target, self.bundle_id, tag_sha, len(items), label)

    def _write_bag(
        self,
        sink: bagfmt.Sink,
        case: Case,
        items: list[Item],
        decision: Decision,
        who: dict[str, str],
        emit: Emit,
    ) -> str:
        s, ag = self.session, decision.agreement
        assert ag is not None
        paths = _payload_paths(items)
        manifest: list[tuple[str, str]] = []
        for item in items:
            self.cancel.check()
            expected = bagfmt.Expected(
                item.blob_name, item.size, item.sha256, f"item {item.id} ({item.name})"
            )

            def progress(n: int, name: str = item.name) -> None:
                self.cancel.check()
                self._done += n
                emit(Progress(self._done, self._total, "bytes", name))

            sink.write_blob(paths[item.id], s.blobs, expected, progress)
            manifest.append((item.sha256, paths[item.id]))
        sink.settle()
        graph = self._graph(items, paths)
        sink.write_bytes("data/case.jsonld", graph)
        manifest.append((hashlib.sha256(graph).hexdigest(), "data/case.jsonld"))
        octets = sum(i.size for i in items) + len(graph)
        info = bagwriter.bag_info(
            who,
            s,
            bundle_id=self.bundle_id,
            external_id=ag.reference or case.reference,
            description=f"case {case.reference}",
            purpose=self.purpose,
            label=highest([decision.labels[i.id].tlp for i in items]),
            onward=ag.onward,
            manifest=manifest,
            octets=octets,
        )
        meta = bagwriter.bundle_meta(
            "evidence",
            self.bundle_id,
            now(),
            who,
            self.purpose,
            ag.reference,
            heads.current_head(s),
            case=case.reference,
            crime_areas=json.loads(case.crime_areas),
            items=[self._item_meta(i, paths[i.id], decision, ag.onward) for i in items],
        )
        return bagwriter.seal_bag(sink, s, info, meta, manifest)

    @staticmethod
    def _item_meta(item: Item, path: str, decision: Decision, onward: bool) -> dict[str, object]:
        label = decision.labels[item.id]
        fields = ("name", "size", "sha256", "sha1", "md5", "exhibit", "seized_from", "seized_at")
        more = ("seized_on", "seized_by", "description", "acquired_by", "acquired_at")
        return {
            "path": path,
            **{f: getattr(item, f) for f in (*fields, *more)},
            "sha1": item.sha1 or None,  # "" in the vault: the case computes no hash-set digests
            "md5": item.md5 or None,
            "tlp": label.tlp,
            "onward": onward and label.onward,
        }

    def _graph(self, items: list[Item], paths: dict[int, str]) -> bytes:
        files = [
            caseld.FileEntry(
                str(i.id), paths[i.id], i.size, i.sha256, i.sha1, i.md5, i.exhibit, i.description
            )
            for i in items
        ]
        actions: list[caseld.Action] = []
        with self.session.db() as db:
            q = (
                select(CustodyEvent)
                .where(CustodyEvent.item_id.in_([i.id for i in items]))
                .order_by(CustodyEvent.id)
            )
            for ev in db.scalars(q):
                actions.append(caseld.Action(str(ev.item_id), ev.kind, ev.actor, ev.at, ev.details))
        actions.append(
            caseld.Action(None, "transferred", self.session.user, now(), f"bundle {self.bundle_id}")
        )
        m = self.matches or matchld.MatchSet([], [], [])
        return caseld.build(self.bundle_id, files, actions, m.searches, m.matches)

    def _record(self, case: Case, items: list[Item], decision: Decision, tag_sha: str) -> None:
        s, at = self.session, now()
        fpr = fingerprint(s.signing_public.public_bytes_raw())
        ref = decision.agreement.reference if decision.agreement else None
        with s.transaction() as db:
            record = BundleRecord(
                direction="out",
                bundle_id=self.bundle_id,
                sha256=tag_sha,
                partner=self.partner,
                case_id=case.id,
                purpose=self.purpose,
                items=len(items),
                key_fingerprint=fpr,
                by=s.user,
                at=at,
            )
            db.add(record)
            s.audit(db, "bundle.exported", record, partner=self.partner, bundle=self.bundle_id)
            for item in items:
                details = {
                    "to": self.partner,
                    "bundle_id": self.bundle_id,
                    "bundle_sha256": tag_sha,
                    "purpose": self.purpose,
                    "reference": ref,
                    "label": decision.labels[item.id].tlp,
                }
                ev = CustodyEvent(item_id=item.id, kind="transferred", actor=s.user, at=at)
                ev.details = canonical(details)
                db.add(ev)
                s.audit(db, "custody.transferred", ev, item=item.id)


def _match_policy(
    db: DbSession, partner: str, decision: Decision, items: list[Item], found: matchld.MatchSet
) -> Decision:
    """Match results go only where the agreement allows their label (item's or subject's) and
    the matched reference photo's provenance allows them to go (a received watchlist's subject
    without onward sharing goes back to its sender only)."""
    ag = decision.agreement
    if ag is None:
        return decision
    names = {i.id: i.name for i in items}
    extra = [
        Refusal(
            item, names[item], (f"{what} is labelled {label}, not allowed by agreement {ag.id}",)
        )
        for item, what, label in found.labels
        if label not in ag.labels
    ]
    received = received_contents(db, [sha for _, _, sha in found.contents])
    for item, what, sha in found.contents:
        why = provenance_reasons(received.get(sha, []), partner, ag)
        if why:
            extra.append(Refusal(item, names[item], tuple(f"{what}: {w}" for w in why)))
    return Decision(ag, decision.labels, by_item([*decision.refusals, *extra]))
