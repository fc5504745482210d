"""Bundle verification: every check runs and every finding is kept (bagit's habit, not first-fail).

Nothing in a bundle is trusted before the signature is checked against the partner directory,
and even then paths, sizes and counts are bounded and every file is re-hashed. A folder is walked
without following links; whatever is not a plain file or folder is a finding, as are hard links,
Unicode-normalisation twins, unlisted files and files listed but absent.

One checker reads every bag through a ``BagView``: ``FolderBag`` (a bundle folder) here, and
``exchange.unpack.StreamedBag`` (a ``.tar.age`` read in one stream: tag files in memory, each
payload file hashed, and for an import encrypted into the vault's staging, as it went by, so
no decrypted byte is written to a file system). The findings are the same words either way.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.orm import Session as DbSession

from exchange import bagfmt, jsonshape
from exchange.cards import MAX_NAME, fingerprint, grouped
from exchange.constants import MAX_BYTES, MAX_FILES
from exchange.directory import trusted_key
from exchange.hashpipe import hash_many, sha256_file
from exchange.heads import HEAD_PATTERN
from exchange.jsonshape import Arr, Flag, Obj, Text, Whole
from exchange.models import Agency
from exchange.staging import Staged, stage
from matching.tlp import RANK
from vault import agefmt
from vault.jobs import CancelToken, Emit, Progress
from vault.storework import Derivers

MAX_TAG = 16 << 20
MAX_PATH = 1024
MAX_DEPTH = 32
PAYLOAD_CHUNK = 64 << 10  # a payload file streamed from a bundle folder (``payload_chunks``)
TAG_FILES = ("bagit.txt", "bag-info.txt", bagfmt.MANIFEST, bagfmt.BUNDLE_JSON)
OUTSIDE = {bagfmt.TAGMANIFEST, bagfmt.SIG, bagfmt.PEM}
MAX_FREE = 64 << 10  # free text: a description, a listing reason, where something was seized

# custos-bundle.json as export.py and wlexport.py write it; keys not named here are not read.
_FREE = Text(MAX_FREE, null=True, free=True)
_PARTY = Obj({"name": Text(MAX_NAME), "country": Text(8, null=True)}, required=("name",))
_ITEM = Obj(
    {
        "path": Text(MAX_PATH),
        "size": Whole(MAX_BYTES),
        "sha256": Text(64, pattern="[0-9a-f]{64}"),
        "sha1": Text(40, null=True, pattern="[0-9a-f]{40}"),
        "md5": Text(32, null=True, pattern="[0-9a-f]{32}"),
        "tlp": Text(20),
        "onward": Flag(),
        "subject": Text(MAX_NAME),
        **dict.fromkeys(
            ("exhibit", "seized_from", "seized_at", "seized_on", "seized_by", "description"),
            _FREE,
        ),
        **dict.fromkeys(("acquired_by", "acquired_at", "source"), _FREE),
    },
    required=("path", "size", "sha256", "tlp"),
)
_SUBJECT = Obj(  # presence and meaning are checked by wlimport.shape_problems
    {
        "ref": Text(MAX_NAME),
        "reason": Text(MAX_FREE, free=True),
        "agency": Text(MAX_NAME),
        "label": Text(20),
        "review_on": Text(40),
        "expires_on": Text(40, null=True),
        "references": Arr(Text(MAX_PATH), MAX_FILES),
    }
)
_HASHSET = Obj(  # presence and meaning are checked by hsimport.shape_problems
    {
        "name": Text(MAX_NAME),
        "kind": Text(20),
        "source": Text(MAX_NAME, null=True, free=True),
        "format": Text(20),
        "label": Text(20),
        "counts": Obj(dict.fromkeys(("md5", "sha1", "sha256"), Whole(MAX_BYTES))),
        "entries_digest": Text(64, pattern="[0-9a-f]{64}"),
        "path": Text(MAX_PATH),
    },
    required=("name", "kind", "label", "counts", "entries_digest", "path"),
)
BUNDLE_SHAPE = Obj(
    {
        "format": Text(64, choices=("custos-bundle/1",)),
        "kind": Text(32),
        "bundle_id": Text(100),
        "created": Text(64, null=True),
        "sender": _PARTY,
        "receiver": _PARTY,
        "purpose": Text(64),
        "reference": Text(MAX_NAME, null=True),
        "audit_head": Text(84, null=True, pattern=HEAD_PATTERN),  # the sender's, "SEQ:HASH"
        "case": Text(MAX_NAME, null=True),
        "crime_areas": Arr(Text(MAX_NAME), 1000),
        "items": Arr(_ITEM, MAX_FILES),
        "watchlist": Obj({"name": Text(MAX_NAME), "second_review": Flag()}),
        "subjects": Arr(_SUBJECT, MAX_FILES),
        "hashset": _HASHSET,
    },
    required=("format", "bundle_id", "sender", "receiver", "purpose", "items"),
)


@dataclass
class BagReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # not refusals: a head gone backwards
    bundle_id: str = ""
    sender: str = ""  # the partner whose key signed it ("" when unknown)
    fingerprint: str = ""
    key_status: str = ""
    tag_sha256: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, str] = field(default_factory=dict)  # path -> sha256
    files: int = 0
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        keys = (
            "problems",
            "warnings",
            "bundle_id",
            "sender",
            "fingerprint",
            "key_status",
            "tag_sha256",
        )
        return {k: getattr(self, k) for k in keys} | {
            "ok": self.ok,
            "files": self.files,
            "bytes": self.bytes,
            "purpose": self.meta.get("purpose"),
            "label": self.info.get("Handling-Label"),
        }


def unsafe(rel: str) -> str | None:
    """Why a path from a bundle is not acceptable, or None."""
    if not rel:
        return "empty path"
    if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        return "absolute path"
    parts = rel.split("/")
    if ".." in parts:
        return "path leads outside the bundle (..)"
    if "" in parts or "." in parts:
        return "non-canonical path (empty or '.' component)"
    if "\\" in rel:
        return "backslash in path"
    if any(unicodedata.category(c) in bagfmt.BREAKS for c in rel):
        return "control character or line separator in path"
    if "%" in rel:
        return "percent sign in path (BagIt readers decode it differently)"
    if len(rel.encode("utf-8", "surrogateescape")) > MAX_PATH or len(parts) > MAX_DEPTH:
        return "path too long or too deep"
    return None


class BagView(Protocol):
    """A bag as the checks read it. ``staged`` (import): payload path -> its staged copy."""

    staged: dict[str, Staged]

    def listing(self, r: BagReport) -> dict[str, int] | None:
        """Every plain file (relative path -> size); other entries are findings in ``r``.
        None (with a finding) when this is no bag at all."""

    def present(self, rel: str) -> bool:
        """Something not a plain file is at ``rel`` (a folder, a link: reported by listing)."""

    def is_link(self, rel: str) -> bool:
        """``rel`` is a symbolic link (reported by listing)."""

    def read(self, rel: str) -> bytes:
        """A tag file of the listing, at most ``MAX_TAG`` + 1 bytes."""

    def tag_sha256(self, rel: str, cancel: CancelToken) -> str:
        """SHA-256 of a file of the listing of at most ``MAX_TAG`` bytes."""

    def payload_sha256(
        self, rels: list[str], trusted: bool, cancel: CancelToken
    ) -> Iterator[tuple[str, str]]:
        """(path, SHA-256) of each payload file, as they finish. ``trusted``: every earlier
        check passed (an import may then stage what it hashes)."""

    def read_payload(self, rel: str, limit: int) -> bytes:
        """A payload file of the listing as bytes (at most ``limit`` + 1), after the checks."""

    def payload_chunks(self, rel: str) -> Iterator[bytes]:
        """A payload file of the listing, after the checks, as a stream of chunks (a hash
        set's VICS file: read in bounded memory, never all of it held)."""


class FolderBag:
    """A bundle folder. ``digest(path, cancel)`` replaces plain hashing of the payload (the
    command line's ``exchange.prehash``); ``stage_to`` (folder, recipients): a clean, trusted
    bag's payload is encrypted there while it is hashed (import: one read, and what is stored
    is exactly what was hashed)."""

    def __init__(
        self,
        root: Path,
        digest: Callable[[Path, CancelToken], str] | None = None,
        stage_to: tuple[Path, list[agefmt.Recipient]] | None = None,
        derivers: Derivers | None = None,
    ) -> None:
        self.root, self._digest, self._stage_to = root, digest, stage_to
        self._derivers = derivers  # evidence import: what the layers make of each file
        self.staged: dict[str, Staged] = {}

    def listing(self, r: BagReport) -> dict[str, int] | None:
        if self.root.is_symlink() or not self.root.is_dir():
            r.problems.append(f"{self.root}: not a bundle folder")
            return None
        return _walk(self.root, r)

    def present(self, rel: str) -> bool:
        return (self.root / rel).exists() or (self.root / rel).is_symlink()

    def is_link(self, rel: str) -> bool:
        return (self.root / rel).is_symlink()

    def read(self, rel: str) -> bytes:
        fd = os.open(self.root / rel, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            return fh.read(MAX_TAG + 1)

    def tag_sha256(self, rel: str, cancel: CancelToken) -> str:
        return sha256_file(self.root / rel, cancel)

    def _stage(self, path: Path, cancel: CancelToken) -> str:
        assert self._stage_to is not None
        folder, recipients = self._stage_to
        rel = path.relative_to(self.root).as_posix()
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            derive = (self._derivers, rel) if self._derivers else None
            done = stage(fd, os.fstat(fd).st_size, folder, recipients, cancel, derive=derive)
        finally:
            os.close(fd)
        self.staged[rel] = done
        return done.digests.sha256

    def payload_sha256(
        self, rels: list[str], trusted: bool, cancel: CancelToken
    ) -> Iterator[tuple[str, str]]:
        # A clean, trusted bag may be staged (import: hash and encrypt in one pass); anything
        # else is only hashed, two files at a time.
        jobs: Iterable[tuple[str, Path]] = ((rel, self.root / rel) for rel in rels)
        if self._stage_to is not None and trusted:
            return hash_many(jobs, self._stage, cancel, 1)
        return hash_many(jobs, self._digest or sha256_file, cancel, 2)

    def read_payload(self, rel: str, limit: int) -> bytes:
        fd = os.open(self.root / rel, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            return fh.read(limit + 1)

    def payload_chunks(self, rel: str) -> Iterator[bytes]:
        fd = os.open(self.root / rel, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            while chunk := fh.read(PAYLOAD_CHUNK):
                yield chunk

    def discard(self) -> None:
        """Remove the staged copies (those moved into the store are gone already)."""
        for done in self.staged.values():
            done.tmp.unlink(missing_ok=True)


def _walk(root: Path, report: BagReport) -> dict[str, int]:
    """Regular files (relative path -> size); every other kind of entry is a finding."""
    files: dict[str, int] = {}
    twins: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        for name in sorted(dirs + names):
            path = here / name
            rel = path.relative_to(root).as_posix()
            nfc = unicodedata.normalize("NFC", rel)
            if nfc in twins:
                report.problems.append(f"{rel}: Unicode-normalisation twin of {twins[nfc]}")
            twins[nfc] = rel
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                report.problems.append(f"{rel}: symbolic link (not allowed in a bundle)")
                dirs[:] = [d for d in dirs if d != name]
            elif stat.S_ISDIR(st.st_mode):
                continue
            elif not stat.S_ISREG(st.st_mode):
                report.problems.append(f"{rel}: device file, pipe or socket")
            elif st.st_nlink > 1:
                report.problems.append(f"{rel}: hard link (not allowed in a bundle)")
            else:
                files[rel] = st.st_size
            if len(files) > MAX_FILES:
                report.problems.append(f"more than {MAX_FILES} files; not checked further")
                return files
    return files


def _read_tag(bag: BagView, rel: str, files: dict[str, int], report: BagReport) -> bytes | None:
    if rel not in files:
        if bag.present(rel):
            return None  # already reported as a link or device
        report.problems.append(f"{rel}: missing")
        return None
    if files[rel] > MAX_TAG:
        report.problems.append(f"{rel}: larger than {MAX_TAG} bytes")
        return None
    return bag.read(rel)


def _signature(db: DbSession, bag: BagView, files: dict[str, int], r: BagReport) -> None:
    tagmanifest = _read_tag(bag, bagfmt.TAGMANIFEST, files, r)
    sig = _read_tag(bag, bagfmt.SIG, files, r)
    pem = _read_tag(bag, bagfmt.PEM, files, r)
    if tagmanifest is not None:
        r.tag_sha256 = hashlib.sha256(tagmanifest).hexdigest()
    if pem is None or sig is None or tagmanifest is None:
        r.problems.append("bundle is not signed (signature files missing); origin unknown")
        return
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        r.problems.append(f"{bagfmt.PEM}: not an Ed25519 public key")
        return
    r.fingerprint = fingerprint(key.public_bytes_raw())
    found = trusted_key(db, r.fingerprint)
    if found is None:
        r.problems.append(
            f"signed by an unknown key {grouped(r.fingerprint)} (not in the partner directory)"
        )
        return
    partner, pkey = found
    r.sender, r.key_status = partner.name, pkey.status
    if pkey.status == "revoked":
        r.problems.append(f"signed by a revoked key of {partner.name} ({grouped(r.fingerprint)})")
    trusted = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pkey.public))
    try:
        trusted.verify(sig, tagmanifest)
    except InvalidSignature:
        r.problems.append(
            f"{bagfmt.SIG}: signature does not match {bagfmt.TAGMANIFEST} (forged or altered)"
        )


def _manifest(
    bag: BagView, name: str, files: dict[str, int], r: BagReport
) -> dict[str, str] | None:
    data = _read_tag(bag, name, files, r)
    if data is None:
        return None
    entries, problems = bagfmt.parse_manifest(data, name)
    r.problems.extend(problems)
    listed: dict[str, str] = {}
    for sha, rel in entries:
        why = unsafe(rel)
        if why:
            r.problems.append(f"{name}: {rel!r}: {why}")
        elif rel in listed:
            r.problems.append(f"{name}: {rel} listed twice")
        else:
            listed[rel] = sha
    return listed


def _tags(bag: BagView, files: dict[str, int], r: BagReport, cancel: CancelToken) -> None:
    listed = _manifest(bag, bagfmt.TAGMANIFEST, files, r)
    if listed is None:
        return
    for rel in TAG_FILES:
        if rel not in listed:
            r.problems.append(f"{rel}: not covered by {bagfmt.TAGMANIFEST}")
    for rel, sha in listed.items():
        if rel.startswith(("data/", "signature/")) or rel in OUTSIDE:
            r.problems.append(f"{bagfmt.TAGMANIFEST}: {rel} is not a tag file")
        elif rel not in files:
            r.problems.append(f"{rel}: listed in {bagfmt.TAGMANIFEST} but missing")
        elif files[rel] > MAX_TAG:
            r.problems.append(f"{rel}: larger than {MAX_TAG} bytes")
        elif bag.tag_sha256(rel, cancel) != sha:
            r.problems.append(f"{rel}: checksum does not match {bagfmt.TAGMANIFEST} (altered)")
    for rel in files:
        if not rel.startswith("data/") and rel not in listed and rel not in OUTSIDE:
            r.problems.append(f"{rel}: unlisted file outside the payload")


def _oxum(files: dict[str, int], r: BagReport) -> bool:
    """Check Payload-Oxum and the size bounds; False when the payload is too large to hash."""
    payload = {k: v for k, v in files.items() if k.startswith("data/")}
    r.files, r.bytes = len(payload), sum(payload.values())
    ok = r.bytes <= MAX_BYTES
    if not ok:
        r.problems.append(f"payload holds {r.bytes} bytes, over the limit of {MAX_BYTES}")
    oxum = r.info.get("Payload-Oxum", "")
    found = re.fullmatch(r"([0-9]{1,20})\.([0-9]{1,20})", oxum)  # ASCII digits: str.isdigit
    if found is None:  # takes '²' and '١', which int() refuses or reads as another number
        shown = oxum if len(oxum) <= 40 else oxum[:40] + "..."
        r.problems.append(f"bag-info.txt: Payload-Oxum {shown!r} missing or malformed")
        return ok
    octets, count = found.groups()
    if int(octets) > MAX_BYTES or int(count) > MAX_FILES:
        r.problems.append(
            f"bag-info.txt: Payload-Oxum declares {octets} bytes in {count} files, "
            f"over the limit of {MAX_BYTES} bytes / {MAX_FILES} files"
        )
    elif (int(octets), int(count)) != (r.bytes, r.files):
        r.problems.append(
            f"bag-info.txt: Payload-Oxum {oxum} but the payload holds {r.bytes}.{r.files}"
        )
    return ok


def read_meta(data: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    """``custos-bundle.json`` read strictly and checked against ``BUNDLE_SHAPE``: (the
    description, []) or (None, every finding). Nothing of it is used before this passed."""
    meta, problems = jsonshape.read(data, BUNDLE_SHAPE, bagfmt.BUNDLE_JSON, MAX_TAG)
    if meta is None:
        return None, problems
    paths = [item["path"] for item in meta["items"]]
    if len(set(paths)) != len(paths):
        return None, [f"{bagfmt.BUNDLE_JSON}: an item path is listed twice"]
    return meta, []


def _meta(db: DbSession, data: bytes | None, r: BagReport) -> None:
    if data is None:
        return
    meta, problems = read_meta(data)
    if meta is None:
        r.problems.extend(problems)
        return
    r.meta, r.bundle_id = meta, meta["bundle_id"]
    receiver, sender = meta["receiver"]["name"], meta["sender"]["name"]
    paths = {item["path"]: item for item in meta["items"]}
    ours = db.get(Agency, 1)
    if ours is not None and receiver != ours.name:
        r.problems.append(f"bundle is addressed to {receiver}, not to us ({ours.name})")
    if r.sender and sender != r.sender:
        r.problems.append(f"bundle claims to come from {sender} but is signed by {r.sender}")
    expected = {k for k in r.manifest if k != "data/case.jsonld"}
    for rel in sorted(paths.keys() ^ expected):
        r.problems.append(f"{rel}: {bagfmt.BUNDLE_JSON} and {bagfmt.MANIFEST} disagree")
    for rel, item in paths.items():
        if rel in r.manifest and item["sha256"] != r.manifest[rel]:
            r.problems.append(f"{rel}: hash in {bagfmt.BUNDLE_JSON} differs from the manifest")
        if item["tlp"] not in RANK:
            r.problems.append(f"{rel}: unknown handling label {item['tlp']!r}")


def check_bag(
    db: DbSession,
    bag: Path | BagView,
    emit: Emit,
    cancel: CancelToken | None = None,
    digest: Callable[[Path, CancelToken], str] | None = None,
) -> BagReport:
    """Check a bag (a folder, or any ``BagView``); the report lists every problem found.

    ``digest(path, cancel) -> sha256`` replaces plain hashing of a folder's payload (the command
    line's ``exchange.prehash``, digests computed while it was starting); see ``FolderBag``.
    """
    cancel = cancel or CancelToken()
    view: BagView = FolderBag(bag, digest) if isinstance(bag, Path) else bag
    r = BagReport()
    files = view.listing(r)
    if files is None:
        return r
    bagit = _read_tag(view, "bagit.txt", files, r)
    if bagit is not None and not bagit.startswith(b"BagIt-Version: "):
        r.problems.append("bagit.txt: not a BagIt declaration")
    _signature(db, view, files, r)
    _tags(view, files, r, cancel)
    info = _read_tag(view, "bag-info.txt", files, r)
    if info is not None:
        r.info, problems = bagfmt.parse_bag_info(info)
        r.problems.extend(problems)
    r.manifest = _manifest(view, bagfmt.MANIFEST, files, r) or {}
    _meta(db, _read_tag(view, bagfmt.BUNDLE_JSON, files, r), r)
    if not _oxum(files, r):
        return r
    for rel in sorted(k for k in files if k.startswith("data/") and k not in r.manifest):
        r.problems.append(f"{rel}: in the payload but not in {bagfmt.MANIFEST} (added)")
    todo: list[str] = []
    for rel in sorted(r.manifest):
        if rel not in files:
            if not view.is_link(rel):
                r.problems.append(f"{rel}: listed in {bagfmt.MANIFEST} but missing")
        elif not rel.startswith("data/"):
            r.problems.append(f"{bagfmt.MANIFEST}: {rel} is outside data/")
        else:
            todo.append(rel)
    done, altered = 0, []
    for rel, sha in view.payload_sha256(todo, r.ok, cancel):
        if sha != r.manifest[rel]:
            altered.append(rel)
        done += files[rel]
        emit(Progress(done, r.bytes, "bytes", "checking payload"))
    for rel in sorted(altered):
        r.problems.append(f"{rel}: checksum does not match {bagfmt.MANIFEST} (altered)")
    return r
