"""Bundle export: policy first, then a signed BagIt bag written atomically, then custody.

Order: (1) the policy decides on every item; a refusal is audited and nothing is written.
(2) The bag is written into ``.<name>.custos-partial-*`` next to the target (folder), or streamed
as tar into an age file to the partner's recipient (no clear copy on disk); each item is
decrypted from the vault and its SHA-256 re-checked while it is written. (3) The finished bag is
renamed into place. (4) One transaction adds a "transferred" custody event per item and the
bundle record. If (4) fails the bundle is removed again, so no bundle exists unrecorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange import bagfmt, caseld, matchld
from exchange.cards import fingerprint
from exchange.directory import AgreementInfo, find_partner, get_agency
from exchange.hashpipe import Copied, Sha256Thread, batched
from exchange.models import BundleRecord
from exchange.policy import Decision, Refusal, check_export, refuse_export
from exchange.tlp import highest
from vault import agefmt
from vault.cases import find_case
from vault.errors import IntegrityFault, UserError
from vault.fsutil import fsync_dir
from vault.jobs import CancelToken, Emit, Progress
from vault.models import Case, CustodyEvent, Item, canonical
from vault.session import Session, now

SOFTWARE = "Custos 0.1.0"


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


def encrypted_target(out: Path) -> Path:
    return out if out.name.endswith(".tar.age") else out.with_name(out.name + ".tar.age")


@contextlib.contextmanager
def encrypted_sink(tmp: Path, target: Path, recipient: str) -> Iterator[bagfmt.TarSink]:
    """A bag written as one tar stream into an age file (``tmp``) to the partner's recipient.

    Nothing is written in clear: the tar goes straight into the encryptor. On leaving without
    an error the tar and the age stream are closed and the file is synced; the caller renames
    ``tmp`` to ``target`` (whose name, less ``.tar.age``, is the tar's top folder).
    """
    key = agefmt.Recipient.parse(recipient)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
        enc = agefmt.Encryptor(fh, [key])
        sink = bagfmt.TarSink(enc, target.name.removesuffix(".tar.age"), time.time())  # type: ignore[arg-type]
        yield sink
        sink.close()
        enc.close()
        fh.flush()
        os.fsync(fh.fileno())


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
    found = None
    if matches:
        found = matchld.gather(db, items, decision.labels)
        decision = _match_policy(decision, items, found)
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
    for r in decision.refusals:
        why.setdefault(r.item, []).append(r.reason)
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
        self.target = encrypted_target(out) if encrypt else out
        self.cancel = cancel or CancelToken()
        self.bundle_id = str(uuid.uuid4())
        self._done = 0
        self._total = 0

    # --- 1. policy ---------------------------------------------------------------------------
    def _decide(self) -> tuple[Case, list[Item], Decision, dict[str, str]]:
        s = self.session
        with s.db() as db:
            partner = find_partner(db, self.partner)
            agency = get_agency(db)
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
            who = {
                "sender": agency.name,
                "sender_country": agency.country,
                "contact": agency.contact,
                "receiver": partner.name,
                "receiver_country": partner.country,
                "recipient": partner.recipient,
            }
        if not decision.allowed:
            reasons = [str(r) for r in decision.refusals]
            refuse_export(
                s,
                "bundle.export_refused",
                f"case:{case.reference}",
                self.partner,
                self.purpose,
                reasons,
                f"export to {self.partner} refused for {len(reasons)} of {len(items)} item(s): ",
            )
        return case, items, decision, who

    # --- 2.-4. ---------------------------------------------------------------------------------
    def run(self, emit: Emit) -> ExportResult:
        self.session.require("exchange.bundle", target=f"case:{self.case_reference}")
        if self.target.exists() or self.target.is_symlink():
            raise UserError(f"{self.target}: already exists; not overwritten")
        if not self.target.parent.is_dir():
            raise UserError(f"{self.target.parent}: no such folder")
        case, items, decision, who = self._decide()
        self._total = sum(i.size for i in items)
        emit(Progress(0, self._total, "bytes", f"{len(items)} items"))
        tmp = self.target.with_name(f".{self.target.name}.custos-partial-{self.bundle_id[:8]}")
        try:
            tag_sha = self._write(tmp, case, items, decision, who, emit)
            os.replace(tmp, self.target)
            fsync_dir(self.target.parent)
        except BaseException:
            remove_written(tmp)
            raise
        try:
            self._record(case, items, decision, tag_sha)
        except BaseException:
            remove_written(self.target)
            raise
        label = highest([decision.labels[i.id].tlp for i in items])
        return ExportResult(self.target, self.bundle_id, tag_sha, len(items), label)

    def _write(
        self,
        tmp: Path,
        case: Case,
        items: list[Item],
        decision: Decision,
        who: dict[str, str],
        emit: Emit,
    ) -> str:
        if not self.encrypt:
            folder = bagfmt.DirSink(tmp)
            try:
                tag_sha = self._write_bag(folder, case, items, decision, who, emit)
            finally:
                folder.close()
            folder.sync()
            return tag_sha
        with encrypted_sink(tmp, self.target, who["recipient"]) as sink:
            return self._write_bag(sink, case, items, decision, who, emit)

    def _copy_item(self, folder: bagfmt.DirSink, rel: str, item: Item, emit: Emit) -> Copied:
        """A payload file of a folder bag: decrypted into the copier's blocks, then written and
        re-hashed from them (the hash is compared in ``_check_copied``)."""
        damaged = IntegrityFault(
            f"item {item.id} ({item.name}): stored copy is missing or damaged; run verify"
        )

        def progress(n: int) -> None:
            self.cancel.check()
            self._done += n
            emit(Progress(self._done, self._total, "bytes", item.name))

        with contextlib.ExitStack() as stack:
            try:
                blob = stack.enter_context(self.session.blobs.open_decrypted(item.blob_name))
            except (agefmt.AgeError, OSError):  # the blob or its header
                raise damaged from None

            def fill(view: memoryview) -> int:
                try:
                    return blob.readinto(view)
                except (agefmt.AgeError, OSError):  # reading the vault (write errors: later)
                    raise damaged from None

            return folder.copy_in(rel, fill, progress)

    @staticmethod
    def _check_copied(pending: list[tuple[Item, Copied]], wait: bool) -> None:
        """Each item written must be exactly the bytes its stored SHA-256 names."""
        while pending and (wait or pending[0][1].done()):
            item, copied = pending.pop(0)
            sha, size = copied.result()
            if size != item.size or sha != item.sha256:
                raise IntegrityFault(
                    f"item {item.id} ({item.name}): content does not match its hash"
                )

    def _item_chunks(self, item: Item, emit: Emit) -> Iterator[bytes]:
        digest = Sha256Thread(item.size)  # hashing overlaps decryption and writing
        size = 0
        try:
            for chunk in batched(self.session.blobs.read_chunks(item.blob_name)):
                self.cancel.check()
                digest.update(chunk)
                size += len(chunk)
                self._done += len(chunk)
                emit(Progress(self._done, self._total, "bytes", item.name))
                yield chunk
        except (agefmt.AgeError, OSError):
            raise IntegrityFault(
                f"item {item.id} ({item.name}): stored copy is missing or damaged; run verify"
            ) from None
        finally:
            digest.close()
        if size != item.size or digest.hexdigest() != item.sha256:
            raise IntegrityFault(f"item {item.id} ({item.name}): content does not match its hash")

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
        pending: list[tuple[Item, Copied]] = []  # written and hashed behind the decryption
        for item in items:
            self.cancel.check()
            if isinstance(sink, bagfmt.DirSink):
                pending.append((item, self._copy_item(sink, paths[item.id], item, emit)))
                self._check_copied(pending, wait=False)
            else:
                sink.write_stream(paths[item.id], item.size, self._item_chunks(item, emit))
            manifest.append((item.sha256, paths[item.id]))
        self._check_copied(pending, wait=True)
        graph = self._graph(items, paths)
        sink.write_bytes("data/case.jsonld", graph)
        manifest.append((hashlib.sha256(graph).hexdigest(), "data/case.jsonld"))
        octets = sum(i.size for i in items) + len(graph)
        label = highest([decision.labels[i.id].tlp for i in items])
        key_raw = s.signing_public.public_bytes_raw()
        info = [
            ("Source-Organization", who["sender"]),
            ("Contact-Name", who["contact"] or who["sender"]),
            ("Receiving-Organization", who["receiver"]),
            ("External-Identifier", ag.reference or case.reference),
            ("Internal-Sender-Identifier", self.bundle_id),
            ("Internal-Sender-Description", f"case {case.reference}"),
            ("Exchange-Purpose", self.purpose),
            ("Handling-Label", f"TLP:{label}"),
            ("Onward-Sharing", "allowed" if ag.onward else "not allowed"),
            ("Signing-Key-Fingerprint", fingerprint(key_raw)),
            ("Bagging-Date", date.today().isoformat()),
            ("Payload-Oxum", f"{octets}.{len(manifest)}"),
            ("Bag-Software-Agent", SOFTWARE),
        ]
        meta = {
            "format": "custos-bundle/1",
            "kind": "evidence",
            "bundle_id": self.bundle_id,
            "created": now(),
            "sender": {"name": who["sender"], "country": who["sender_country"]},
            "receiver": {"name": who["receiver"], "country": who["receiver_country"]},
            "purpose": self.purpose,
            "reference": ag.reference,
            "case": case.reference,
            "crime_areas": json.loads(case.crime_areas),
            "items": [self._item_meta(i, paths[i.id], decision, ag.onward) for i in items],
        }
        return seal_bag(sink, s, info, meta, manifest)

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


def _match_policy(decision: Decision, items: list[Item], found: matchld.MatchSet) -> Decision:
    """Match results go only where the agreement allows their label (item's or subject's)."""
    ag = decision.agreement
    if ag is None:
        return decision
    names = {i.id: i.name for i in items}
    extra = [
        Refusal(item, names[item], f"{what} is labelled {label}, not allowed by agreement {ag.id}")
        for item, what, label in found.labels
        if label not in ag.labels
    ]
    return Decision(ag, decision.labels, [*decision.refusals, *extra])


def seal_bag(
    sink: bagfmt.Sink,
    session: Session,
    info: list[tuple[str, str]],
    meta: Mapping[str, object],
    manifest: list[tuple[str, str]],
) -> str:
    """Write the tag files, the tagmanifest and its signature; returns the bundle hash."""
    tags = {
        "bagit.txt": bagfmt.BAGIT_TXT,
        "bag-info.txt": bagfmt.bag_info_text(info),
        bagfmt.MANIFEST: bagfmt.manifest_text(manifest),
        bagfmt.BUNDLE_JSON: (json.dumps(meta, indent=1, ensure_ascii=False) + "\n").encode(),
    }
    for name, data in tags.items():
        sink.write_bytes(name, data)
    tagmanifest = bagfmt.manifest_text((hashlib.sha256(d).hexdigest(), n) for n, d in tags.items())
    sink.write_bytes(bagfmt.TAGMANIFEST, tagmanifest)
    sink.write_bytes(bagfmt.SIG, session.signing_key().sign(tagmanifest))
    pem = session.signing_public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sink.write_bytes(bagfmt.PEM, pem)
    return hashlib.sha256(tagmanifest).hexdigest()


def remove_written(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
