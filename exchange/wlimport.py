"""Watchlist import: verified like any bundle, then enrolled again locally, in one transaction.

Order: (1) the bundle is unpacked and checked exactly as an evidence bundle (signature against the
trust list, hashes, Payload-Oxum, paths, local agreements for purpose and labels) and must be a
well-formed watchlist bundle; any finding refuses it, audited, with every finding listed.
(2) A bundle already imported (same tagmanifest hash, or the same bundle id from the same partner)
is refused as a replay. (3) Every reference
photo is read again (its SHA-256 must still match the manifest) and enrolled with the local face
engine and quality rules: the embedding is computed here, nothing shipped is trusted; a photo the
rules refuse is listed and left out. Accepted photos and crops are stored as blobs first.
(4) One transaction creates the watchlist (``source_agency`` = the sender), its subjects, their
references and the bundle record. A crash before (4) leaves orphan blobs, removed at next open.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from exchange import heads
from exchange.bundles import Replayed, opened_received, refuse, replayed
from exchange.checks import BagReport, BagView
from exchange.errors import BundleRejected
from exchange.models import WatchlistBundle
from matching.images import load_rgb
from matching.models import Watchlist
from matching.search import DEFAULT_ALERT_THRESHOLD
from matching.tlp import LABELS
from matching.watchlists import (
    Enrolment,
    Listing,
    enrol_into,
    reference_face,
    store_enrolment,
    watchlist_named,
)
from vault.errors import UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.session import Session, now

MAX_PHOTO = 64 << 20


@dataclass(frozen=True)
class WatchlistImportResult:
    bundle_id: str
    sender: str
    watchlist: str
    subjects: int
    references: int
    refused: list[tuple[str, str]]  # (photo path in the bundle, reason)
    warnings: list[str] = field(default_factory=list)  # e.g. the sender's head went backwards


def _date_ok(value: object, optional: bool) -> bool:
    if value is None:
        return optional
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def shape_problems(meta: dict[str, Any]) -> list[str]:
    """What is wrong with a watchlist bundle's description (beyond the generic bag checks)."""
    if meta.get("kind") != "watchlist":
        return [f"not a watchlist bundle (kind {meta.get('kind', 'evidence')!r})"]
    problems: list[str] = []
    wl, subjects = meta.get("watchlist"), meta.get("subjects")
    if not isinstance(wl, dict) or not str(wl.get("name", "")).strip():
        problems.append("custos-bundle.json: watchlist name missing")
    if not isinstance(subjects, list) or not subjects:
        return [*problems, "custos-bundle.json: no subjects"]
    items = {str(i.get("path")): i for i in meta.get("items", [])}
    seen: set[str] = set()
    listed: set[str] = set()
    for n, s in enumerate(subjects):
        ref = str(s.get("ref", "")).strip() if isinstance(s, dict) else ""
        where = f"subject {ref or n}"
        if not ref or ref in seen:
            problems.append(f"{where}: missing or repeated subject reference")
            continue
        seen.add(ref)
        if not str(s.get("reason", "")).strip() or not str(s.get("agency", "")).strip():
            problems.append(f"{where}: listing reason or issuing agency missing")
        if s.get("label") not in LABELS:
            problems.append(f"{where}: unknown handling label {s.get('label')!r}")
        if not _date_ok(s.get("review_on"), False) or not _date_ok(s.get("expires_on"), True):
            problems.append(f"{where}: review or expiry date is not a date")
        refs = s.get("references")
        if not isinstance(refs, list) or not refs:
            problems.append(f"{where}: no reference photos")
            continue
        for rel in map(str, refs):
            item = items.get(rel)
            if item is None or not rel.startswith("data/references/"):
                problems.append(f"{where}: {rel} is not a reference photo of the bundle")
            elif item.get("subject") != ref or item.get("tlp") != s.get("label"):
                problems.append(f"{where}: {rel} is described for another subject or label")
            listed.add(rel)
    for rel in sorted(items.keys() - listed):
        problems.append(f"{rel}: in the bundle but belongs to no subject")
    return problems


class WatchlistImportJob:
    def __init__(
        self,
        session: Session,
        path: Path,
        name: str | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.session, self.path, self.name = session, path, name
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> WatchlistImportResult:
        s = self.session
        s.require("exchange.bundle", target=f"bundle:{self.path.name}")
        with opened_received(s, self.path, self.cancel, emit, shape_problems) as (bag, r):
            with s.db() as db:
                name = self.name or f"{r.meta['watchlist']['name']} ({r.sender})"
                if watchlist_named(db, name) is not None:
                    raise UserError(
                        f"a watchlist named {name!r} already exists (choose another with --as)"
                    )
            enrolled, refused = self._enrol(bag, r, emit)
        if not enrolled:
            raise UserError(
                "no reference photo passed the local quality rules; nothing imported: "
                + "; ".join(f"{p}: {why}" for p, why in refused)
            )
        try:
            return self._commit(name, r, enrolled, refused)
        except Replayed as exc:
            raise refuse(s, self.path, r, [str(exc)]) from None

    def _read(self, bag: BagView, rel: str, r: BagReport) -> bytes:
        data = bag.read_payload(rel, MAX_PHOTO)
        if len(data) > MAX_PHOTO or hashlib.sha256(data).hexdigest() != r.manifest[rel]:
            raise BundleRejected(self.path.name, [f"{rel}: changed while it was being imported"])
        return data

    def _enrol(
        self, bag: BagView, r: BagReport, emit: Emit
    ) -> tuple[dict[str, list[Enrolment]], list[tuple[str, str]]]:
        """Detect and check each photo here; store the good ones (photo, crop) as blobs."""
        enrolled: dict[str, list[Enrolment]] = {}
        refused: list[tuple[str, str]] = []
        total = sum(len(x["references"]) for x in r.meta["subjects"])
        done = 0
        for subj in r.meta["subjects"]:
            for rel in subj["references"]:
                self.cancel.check()
                data = self._read(bag, rel, r)
                try:
                    face = reference_face(data, rel)
                    crop = face.crop_jpeg(load_rgb(data, name=rel))
                except UserError as exc:
                    refused.append((rel, str(exc).removeprefix(f"{rel}: ")))
                else:
                    source = f"bundle {r.bundle_id} from {r.sender}: {rel}"
                    stored = store_enrolment(self.session, source, data, face, crop)
                    enrolled.setdefault(subj["ref"], []).append(stored)
                done += 1
                emit(Progress(done, total, "references", rel))
        return enrolled, refused

    def _commit(
        self,
        name: str,
        r: BagReport,
        enrolled: dict[str, list[Enrolment]],
        refused: list[tuple[str, str]],
    ) -> WatchlistImportResult:
        s, at = self.session, now()
        onward = all(bool(i.get("onward")) for i in r.meta["items"])
        second = bool(r.meta["watchlist"].get("second_review", False))
        with s.transaction() as db:
            if again := replayed(db, r):  # another process imported it meanwhile
                raise Replayed(again)
            warning = heads.record_head(
                s, db, r.sender, heads.carried(r.meta), r.bundle_id, "watchlist"
            )
            wl = Watchlist(
                name=name,
                alert_threshold=DEFAULT_ALERT_THRESHOLD,
                second_review=second,
                source_agency=r.sender,
                created_by=s.user,
                created_at=at,
            )
            db.add(wl)
            s.audit(db, "watchlist.imported", wl, name=name, sender=r.sender, bundle=r.bundle_id)
            count = 0
            for meta in r.meta["subjects"]:
                stored = enrolled.get(meta["ref"])
                if not stored:
                    continue
                listing = Listing(
                    meta["reason"],
                    meta["agency"],
                    meta["label"],
                    meta["review_on"],
                    meta.get("expires_on"),
                )
                enrol_into(
                    s, db, wl, meta["ref"], listing, stored, at, bundle=r.bundle_id, sender=r.sender
                )
                count += len(stored)
            record = WatchlistBundle(
                direction="in",
                bundle_id=r.bundle_id,
                sha256=r.tag_sha256,
                partner=r.sender,
                watchlist_id=wl.id,
                purpose=str(r.meta.get("purpose")),
                subjects=len(enrolled),
                references=count,
                onward=onward,
                key_fingerprint=r.fingerprint,
                details=json.dumps({"refused": refused}, sort_keys=True),
                by=s.user,
                at=at,
            )
            db.add(record)
            s.audit(db, "bundle.imported", record, partner=r.sender, bundle=r.bundle_id)
        warnings = [warning] if warning else []
        return WatchlistImportResult(
            r.bundle_id, r.sender, name, len(enrolled), count, refused, warnings
        )
