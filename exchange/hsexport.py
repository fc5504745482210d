"""Hash-set export: a known-file hash set as a signed bundle (same format as evidence and
watchlists, written by ``exchange.bagwriter``), optionally a VICS JSON file beside it.

Policy first: one active agreement with the partner must list the purpose (``intelligence`` by
default) and the set's label, and not be limited to crime areas (a set records none). A set
received from a partner keeps at least that partner's label and, received without onward
sharing, only goes back to that partner. A refusal is audited (``hashset.export_refused``) and
nothing is written.

Bundle: ``data/hashset/<name>.json`` is the set as VICS 2.0 JSON (``hashsets.write_vics``: one
media entry per digest, with its category), the one payload file; ``custos-bundle.json`` has
``kind: hashset`` and ``hashset`` (name, kind, source, format, label, counts, the entries
digest, the payload path), so the receiver recomputes the digest over what it read and refuses
any other; ``data/case.jsonld`` describes the file, its compilation and the transfer. With
``vics_out`` the same bytes are written beside the bundle (placed and removed with it), for a
partner without Custos. The JSON is written once, as the entries are read, to a sealed spool in
the vault's ``tmp/`` (``vault.tmpspool``: its size and digests are needed before the bag's
files), then copied from it into the bag and beside it: memory stays bounded whatever the set's
size. Then one transaction records the bundle (``hashset.exported``).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session as DbSession

from exchange import bagfmt, bagwriter, caseld, heads
from exchange.cards import fingerprint
from exchange.directory import AgreementInfo
from exchange.hsimport import received
from exchange.models import HashSetBundle
from exchange.policy import covering_agreements, refuse_export
from matching.hashsets import find_set, write_vics
from matching.models import HashSet
from matching.tlp import DEFAULT, highest, parse_tlp
from vault.jobs import CancelToken, Emit, Progress
from vault.session import Session, now
from vault.tmpspool import Spool


@dataclass(frozen=True)
class HashSetExportResult:
    path: Path
    bundle_id: str
    sha256: str
    name: str
    entries: int
    label: str
    vics: Path | None


@dataclass(frozen=True)
class _Spooled:
    """The set's VICS JSON written once to a sealed spool (``vault.tmpspool``), with its size
    and digests: the bag's manifest and the tar header need them before the bytes are copied,
    and a national set's JSON (gigabytes) is never held in memory."""

    spool: Spool
    at: tuple[int, int]
    size: int
    sha256: str
    sha1: str
    md5: str

    def chunks(self) -> Iterator[bytes]:
        return self.spool.read(*self.at)


def _spooled_vics(session: Session, set_id: int, cancel: CancelToken, spool: Spool) -> _Spooled:
    hashes = [hashlib.sha256(), hashlib.sha1(), hashlib.md5()]
    start, plain = spool.size, spool.plain
    pending: list[bytes] = []
    held = 0

    def flush() -> None:
        nonlocal held
        chunk = b"".join(pending)
        for h in hashes:
            h.update(chunk)
        spool.write(chunk)
        pending.clear()
        held = 0

    def write(part: bytes) -> None:
        nonlocal held
        pending.append(part)
        held += len(part)
        if held >= 1 << 20:
            flush()

    write_vics(session, set_id, cancel, write)
    flush()
    sha256, sha1, md5 = (h.hexdigest() for h in hashes)
    at = (start, spool.size - start)
    return _Spooled(spool, at, spool.plain - plain, sha256, sha1, md5)


def _refusals(
    db: DbSession, row: HashSet, label: str, partner: str, purpose: str
) -> tuple[AgreementInfo | None, list[str]]:
    """The agreement that covers the set, or why none does (each reason one line)."""
    where = f"hash set {row.name}"
    origin = received(db, row.id)
    reasons: list[str] = []
    if origin is not None and not origin.onward and origin.partner != partner:
        reasons.append(
            f"{where}: received from {origin.partner} without onward sharing "
            f"(bundle {origin.bundle_id})"
        )
    covering, why = covering_agreements(db, partner, purpose, None, "a hash set")
    if not covering:
        return None, [*reasons, f"{where}: {why}"]
    fits = [a for a in covering if label in a.labels]
    if not fits:
        allowed = sorted({x for a in covering for x in a.labels})
        reasons.append(
            f"{where}: label {label} is not allowed by the agreements with {partner} "
            f"(allow {', '.join(allowed)})"
        )
        return None, reasons
    return fits[0], reasons


class HashSetExportJob:
    def __init__(
        self,
        session: Session,
        name: str,
        partner: str,
        out: Path,
        purpose: str = "intelligence",
        label: str | None = None,
        vics_out: Path | None = None,
        cancel: CancelToken | None = None,
        encrypt: bool = False,
    ) -> None:
        self.session, self.name, self.partner = session, name, partner
        self.target = bagwriter.encrypted_target(out) if encrypt else out
        self.purpose, self.vics_out, self.encrypt = purpose, vics_out, encrypt
        self.label = parse_tlp(label) if label else None
        self.cancel = cancel or CancelToken()
        self.bundle_id = str(uuid.uuid4())

    def run(self, emit: Emit) -> HashSetExportResult:
        s = self.session
        s.require("exchange.bundle", target=f"hashset:{self.name}")
        bagwriter.check_targets(self.target, self.vics_out)
        with s.db() as db:
            row = find_set(db, self.name)
            who = bagwriter.parties(db, self.partner)
            origin = received(db, row.id)
            # a partner's set keeps at least the label it came with
            # (by default exactly that label), a set of ours AMBER unless told otherwise
            theirs = [origin.label] if origin else []
            label = highest([self.label or (origin.label if origin else DEFAULT), *theirs])
            ag, refusals = _refusals(db, row, label, self.partner, self.purpose)
        if ag is None or refusals:
            refuse_export(
                s,
                "hashset.export_refused",
                f"hashset:{row.name}",
                self.partner,
                self.purpose,
                refusals,
                f"export of hash set {row.name} to {self.partner} refused",
            )
        emit(Progress(0, 1, "sets", f"reading {row.name}"))
        beside: list[tuple[Path, Path]] = []
        vics_tmp = None
        if self.vics_out is not None:
            vics_tmp = self.vics_out.with_name(f".{self.vics_out.name}.custos-partial")
            beside.append((vics_tmp, self.vics_out))
        with Spool(Path(s.folder) / "tmp") as spool:
            data = _spooled_vics(s, row.id, self.cancel, spool)
            tag_sha = bagwriter.write_bundle(
                self.target,
                self.bundle_id,
                who["recipient"] if self.encrypt else None,
                lambda sink: self._write_bag(sink, vics_tmp, row, data, label, ag, who),
                lambda sha: self._record(row, sha, label, ag),
                beside,
            )
        emit(Progress(1, 1, "sets", row.name))
        entries = sum(json.loads(row.counts).values())
        return HashSetExportResult(
            self.target, self.bundle_id, tag_sha, row.name, entries, label, self.vics_out
        )

    def _write_bag(
        self,
        sink: bagfmt.Sink,
        vics_tmp: Path | None,
        row: HashSet,
        data: _Spooled,
        label: str,
        ag: AgreementInfo,
        who: dict[str, str],
    ) -> str:
        s, created = self.session, now()
        if vics_tmp is not None:
            fd = os.open(vics_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                for chunk in data.chunks():
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        stem = bagfmt.portable_path(row.name).replace("/", "_").strip(". ") or f"set-{row.id}"
        rel = f"data/hashset/{stem}.json"
        sink.write_stream(rel, data.size, data.chunks())
        sha256, sha1, md5, size = data.sha256, data.sha1, data.md5, data.size
        key, desc = f"hashset/{row.id}", f"{row.kind} hash set {row.name} (VICS JSON)"
        files = [caseld.FileEntry(key, rel, size, sha256, sha1, md5, row.name, desc)]
        actions = [
            caseld.Action(key, "hash set imported", row.imported_by, row.imported_at, desc),
            caseld.Action(None, "transferred", s.user, created, self.bundle_id),
        ]
        graph = caseld.build(self.bundle_id, files, actions)
        sink.write_bytes("data/case.jsonld", graph)
        manifest = [(sha256, rel), (hashlib.sha256(graph).hexdigest(), "data/case.jsonld")]
        info = bagwriter.bag_info(
            who,
            s,
            bundle_id=self.bundle_id,
            external_id=ag.reference or f"hash set {row.name}",
            description=f"hash set {row.name}",
            purpose=self.purpose,
            label=label,
            onward=ag.onward,
            manifest=manifest,
            octets=size + len(graph),
        )
        item = {
            "path": rel, "size": size, "sha256": sha256, "sha1": sha1, "md5": md5,
            "tlp": label, "onward": ag.onward, "description": desc,
        }  # fmt: skip
        meta = bagwriter.bundle_meta(
            "hashset",
            self.bundle_id,
            created,
            who,
            self.purpose,
            ag.reference,
            heads.current_head(s),
            hashset={
                "name": row.name,
                "kind": row.kind,
                "source": row.source,
                "format": row.format,
                "label": label,
                "counts": json.loads(row.counts),
                "entries_digest": row.entries_digest,
                "path": rel,
            },
            items=[item],
        )
        return bagwriter.seal_bag(sink, s, info, meta, manifest)

    def _record(self, row: HashSet, tag_sha: str, label: str, ag: AgreementInfo) -> None:
        s = self.session
        details: dict[str, object] = {"encrypted": self.encrypt}
        if self.vics_out is not None:
            details["vics"] = str(self.vics_out)
        with s.transaction() as db:
            rec = HashSetBundle(
                direction="out",
                bundle_id=self.bundle_id,
                sha256=tag_sha,
                partner=self.partner,
                hashset_id=row.id,
                set_name=row.name,
                purpose=self.purpose,
                agreement_id=ag.id,
                label=label,
                onward=ag.onward,
                entries=sum(json.loads(row.counts).values()),
                entries_digest=row.entries_digest,
                key_fingerprint=fingerprint(s.signing_public.public_bytes_raw()),
                details=json.dumps(details, sort_keys=True),
                by=s.user,
                at=now(),
            )
            db.add(rec)
            s.audit(
                db,
                "hashset.exported",
                rec,
                partner=self.partner,
                bundle=self.bundle_id,
                set=row.name,
                agreement=ag.id,
                label=label,
            )
