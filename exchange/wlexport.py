"""Watchlist export: a signed bundle (same format as evidence) and optionally an ANSI/NIST file.

Policy first: one active agreement with the partner must cover the purpose and every subject's
label (AMBER+STRICT and RED only when named); a watchlist received from a partner without onward
sharing only goes back to that partner, and so does a reference photo that is (or was cropped
from) evidence received without onward sharing (``exchange.policy.received_contents``). A refusal
names each subject and why, is audited, and nothing is written. Expired listings are not shared.

Bundle: ``data/references/<subject>/<n>.<ext>`` holds each reference photo byte for byte (its
hash re-checked while decrypted from the vault); ``custos-bundle.json`` has ``kind: watchlist``,
the subjects with their listing metadata and, as ``items``, the photos (path, hashes, subject,
label). No embedding travels: the receiver computes its own. ``data/case.jsonld`` describes
each photo as a file with an enrolment action and the transfer. Written by ``exchange.bagwriter``
as evidence bundles are (partial folder, or with ``encrypt`` one tar stream into an age file to
the partner's recipient, ``<out>.tar.age``; renamed into place with the NIST file, removed again
on failure); then one transaction records the bundle (``watchlist.exported``).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange import bagfmt, bagwriter, caseld, heads, nist
from exchange.cards import fingerprint
from exchange.checks import unsafe
from exchange.directory import AgreementInfo
from exchange.models import WatchlistBundle
from exchange.policy import (
    covering_agreements,
    provenance_reasons,
    received_contents,
    refuse_export,
)
from matching.models import Reference, Subject, Watchlist
from matching.tlp import highest
from matching.watchlists import find_watchlist
from vault.errors import UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.models import Blob
from vault.session import Session, now


@dataclass(frozen=True)
class WatchlistExportResult:
    path: Path
    bundle_id: str
    sha256: str
    subjects: int
    references: int
    label: str
    skipped_expired: list[str]
    nist: Path | None


@dataclass(frozen=True)
class _Ref:
    subject: Subject
    ref: Reference
    blob: Blob
    path: str


def photo_ext(data: bytes, source: str) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    suffix = Path(source).suffix.lower().lstrip(".")
    return suffix if suffix.isalnum() and len(suffix) <= 5 else "bin"


def subject_folder(ref: str, taken: set[str], subject_id: int) -> str:
    name = bagfmt.portable_path(ref).replace("/", "_").strip() or f"subject-{subject_id}"
    if unsafe(name) or name in taken:
        name = f"subject-{subject_id}"
    taken.add(name)
    return name


def _refusals(
    db: DbSession, wl: Watchlist, subjects: list[Subject], partner: str, purpose: str
) -> tuple[AgreementInfo | None, list[str]]:
    """The agreement that covers every subject, or the reasons (one line per subject)."""
    received = db.scalars(
        select(WatchlistBundle).where(
            WatchlistBundle.direction == "in", WatchlistBundle.watchlist_id == wl.id
        )
    ).first()
    origin_rule: str | None = None
    if received is not None and not received.onward and received.partner != partner:
        origin_rule = f"received from {received.partner} without onward sharing"
    photos: dict[int, list[str]] = {}
    q = (
        select(Reference.subject_id, Blob.sha256)
        .join(Blob, Blob.name == Reference.photo_blob)
        .where(Reference.subject_id.in_([x.id for x in subjects]))
    )
    for subject_id, sha in db.execute(q):
        photos.setdefault(subject_id, []).append(sha)
    provenance = received_contents(db, [sha for shas in photos.values() for sha in shas])
    covering, why = covering_agreements(db, partner, purpose, None, "a watchlist")
    if not covering:
        return None, [f"subject {s.ref}: {why}" for s in subjects]
    best: tuple[AgreementInfo | None, list[str]] = (None, [])
    for ag in covering:
        reasons: list[str] = []
        for s in subjects:
            found: list[str] = []
            if s.label not in ag.labels:
                found.append(
                    f"label {s.label} is not allowed by agreement {ag.id} "
                    f"(allows {', '.join(ag.labels)})"
                )
            if origin_rule:
                found.append(origin_rule)
            for sha in photos.get(s.id, []):  # a photo received in evidence, or derived from it
                found += provenance_reasons(
                    provenance.get(sha, []), partner, ag, own_watchlist=wl.id
                )
            found = list(dict.fromkeys(found))
            if found:
                reasons.append(f"subject {s.ref}: " + "; ".join(found))
        if best[0] is None or len(reasons) < len(best[1]):
            best = (ag, reasons)
    return best


class WatchlistExportJob:
    def __init__(
        self,
        session: Session,
        watchlist: str,
        partner: str,
        out: Path,
        purpose: str = "intelligence",
        nist_out: Path | None = None,
        cancel: CancelToken | None = None,
        encrypt: bool = False,
    ) -> None:
        self.session, self.watchlist, self.partner = session, watchlist, partner
        self.target = bagwriter.encrypted_target(out) if encrypt else out
        self.purpose, self.nist_out, self.encrypt = purpose, nist_out, encrypt
        self.cancel = cancel or CancelToken()
        self.bundle_id = str(uuid.uuid4())

    def _gather(self) -> tuple[Watchlist, list[_Ref], list[str], AgreementInfo, dict[str, str]]:
        s = self.session
        with s.db() as db:
            wl = find_watchlist(db, self.watchlist)
            who = bagwriter.parties(db, self.partner)
            today = date.today().isoformat()
            q = select(Subject).where(Subject.watchlist_id == wl.id)
            subjects = sorted(db.scalars(q), key=lambda x: x.ref)  # sealed on a server
            expired = [x.ref for x in subjects if x.expires_on and x.expires_on < today]
            subjects = [x for x in subjects if x.ref not in expired]
            if not subjects:
                raise UserError(f"watchlist {wl.name} has no subject to share")
            ag, refusals = _refusals(db, wl, subjects, self.partner, self.purpose)
            refs: list[_Ref] = []
            taken: set[str] = set()
            for subj in subjects:
                folder = subject_folder(subj.ref, taken, subj.id)
                rq = select(Reference).where(Reference.subject_id == subj.id)
                for n, ref in enumerate(db.scalars(rq.order_by(Reference.id)), 1):
                    blob = db.get(Blob, ref.photo_blob)
                    assert blob is not None
                    refs.append(_Ref(subj, ref, blob, f"data/references/{folder}/{n}"))
            if not refs:
                raise UserError(f"watchlist {wl.name} has no reference photo to share")
        if ag is None or refusals:
            refuse_export(
                s,
                "watchlist.export_refused",
                f"watchlist:{wl.name}",
                self.partner,
                self.purpose,
                refusals,
                f"export of watchlist {wl.name} to {self.partner} refused for {len(refusals)} "
                f"of {len(subjects)} subject(s)",
            )
        return wl, refs, expired, ag, who

    def _photo(self, r: _Ref) -> bytes:
        what = f"photo of reference {r.ref.id} of subject {r.subject.ref}"
        return self.session.blobs.read_verified(r.blob.name, r.blob.sha256, what)

    def run(self, emit: Emit) -> WatchlistExportResult:
        s = self.session
        s.require("exchange.bundle", target=f"watchlist:{self.watchlist}")
        bagwriter.check_targets(self.target, self.nist_out)
        wl, refs, expired, ag, who = self._gather()
        nist_tmp = None
        beside: list[tuple[Path, Path]] = []
        if self.nist_out is not None:
            nist_tmp = self.nist_out.with_name(f".{self.nist_out.name}.custos-partial")
            beside.append((nist_tmp, self.nist_out))
        tag_sha, _ = bagwriter.write_bundle(
            self.target,
            self.bundle_id,
            who["recipient"] if self.encrypt else None,
            lambda sink: self._write_bag(sink, nist_tmp, wl, refs, ag, who, emit),
            lambda shas: self._record(wl, refs, *shas),
            beside,
        )
        subjects = {r.subject.id for r in refs}
        label = highest(sorted({r.subject.label for r in refs}))
        return WatchlistExportResult(
            self.target, self.bundle_id, tag_sha, len(subjects), len(refs), label, expired,
            self.nist_out,
        )  # fmt: skip

    def _write_bag(
        self,
        sink: bagfmt.Sink,
        nist_tmp: Path | None,
        wl: Watchlist,
        refs: list[_Ref],
        ag: AgreementInfo,
        who: dict[str, str],
        emit: Emit,
    ) -> tuple[str, str | None]:
        s, created = self.session, now()
        nist_fh = None
        writer = None
        order = list(dict.fromkeys(r.subject.id for r in refs))
        if nist_tmp is not None:
            fd = os.open(nist_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            nist_fh = os.fdopen(fd, "wb")
            counts = [sum(1 for r in refs if r.subject.id == sid) for sid in order]
            writer = nist.NistWriter(
                nist_fh, counts, who["sender"], who["receiver"], self.bundle_id, created
            )
        try:
            manifest: list[tuple[str, str]] = []
            files: list[caseld.FileEntry] = []
            items: list[dict[str, Any]] = []
            actions: list[caseld.Action] = []
            subjects: dict[int, dict[str, Any]] = {}
            for done, r in enumerate(refs):
                self.cancel.check()
                data = self._photo(r)
                rel = f"{r.path}.{photo_ext(data, r.ref.source)}"
                sink.write_bytes(rel, data)
                sha1, md5 = hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest()
                manifest.append((r.blob.sha256, rel))
                key = f"reference/{r.ref.id}"
                desc = f"reference photo of subject {r.subject.ref} on watchlist {wl.name}"
                exhibit = f"subject {r.subject.ref}"
                files.append(
                    caseld.FileEntry(key, rel, len(data), r.blob.sha256, sha1, md5, exhibit, desc)
                )
                actions.append(
                    caseld.Action(key, "enrolled", r.subject.created_by, r.ref.created_at, desc)
                )
                items.append(
                    {
                        "path": rel, "size": len(data), "sha256": r.blob.sha256, "sha1": sha1,
                        "md5": md5, "subject": r.subject.ref, "tlp": r.subject.label,
                        "onward": ag.onward, "source": r.ref.source,
                    }
                )  # fmt: skip
                subj = subjects.setdefault(r.subject.id, self._subject_meta(r.subject))
                subj["references"].append(rel)
                if writer is not None:
                    idc = order.index(r.subject.id)
                    if len(subj["references"]) == 1:
                        writer.subject(idc, self._subject_text(r.subject, wl, refs))
                    writer.face(idc, nist.face_image(data, rel), r.ref.created_at)
                emit(Progress(done + 1, len(refs), "references", r.subject.ref))
            actions.append(caseld.Action(None, "transferred", s.user, created, self.bundle_id))
            graph = caseld.build(self.bundle_id, files, actions)
            sink.write_bytes("data/case.jsonld", graph)
            manifest.append((hashlib.sha256(graph).hexdigest(), "data/case.jsonld"))
            nist_sha = None
            if writer is not None and nist_fh is not None and nist_tmp is not None:
                writer.close()
                nist_fh.flush()
                os.fsync(nist_fh.fileno())
                nist_fh.close()
                nist_sha = _sha256_file(nist_tmp)
        finally:
            if nist_fh is not None:
                nist_fh.close()
        info = bagwriter.bag_info(
            who,
            s,
            bundle_id=self.bundle_id,
            external_id=ag.reference or f"watchlist {wl.name}",
            description=f"watchlist {wl.name}",
            purpose=self.purpose,
            label=highest(sorted({r.subject.label for r in refs})),
            onward=ag.onward,
            manifest=manifest,
            octets=sum(int(i["size"]) for i in items) + len(graph),
        )
        meta = bagwriter.bundle_meta(
            "watchlist",
            self.bundle_id,
            created,
            who,
            self.purpose,
            ag.reference,
            heads.current_head(s),
            watchlist={"name": wl.name, "second_review": wl.second_review},
            subjects=list(subjects.values()),
            items=items,
        )
        return bagwriter.seal_bag(sink, s, info, meta, manifest), nist_sha

    @staticmethod
    def _subject_meta(x: Subject) -> dict[str, Any]:
        keys = ("ref", "reason", "agency", "label", "review_on", "expires_on")
        return {k: getattr(x, k) for k in keys} | {"references": []}

    @staticmethod
    def _subject_text(x: Subject, wl: Watchlist, refs: list[_Ref]) -> nist.SubjectText:
        n = sum(1 for r in refs if r.subject.id == x.id)
        return nist.SubjectText(
            x.ref, x.reason, x.agency, x.label, x.review_on, x.expires_on, wl.name, n
        )

    def _record(self, wl: Watchlist, refs: list[_Ref], tag_sha: str, nist_sha: str | None) -> None:
        s = self.session
        details: dict[str, object] = {"encrypted": self.encrypt}
        if nist_sha:
            details |= {"nist": str(self.nist_out), "nist_sha256": nist_sha}
        with s.transaction() as db:
            rec = WatchlistBundle(
                direction="out",
                bundle_id=self.bundle_id,
                sha256=tag_sha,
                partner=self.partner,
                watchlist_id=wl.id,
                purpose=self.purpose,
                subjects=len({r.subject.id for r in refs}),
                references=len(refs),
                onward=False,
                key_fingerprint=fingerprint(s.signing_public.public_bytes_raw()),
                details=json.dumps(details, sort_keys=True),
                by=s.user,
                at=now(),
            )
            db.add(rec)
            s.audit(db, "watchlist.exported", rec, partner=self.partner, bundle=self.bundle_id)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
