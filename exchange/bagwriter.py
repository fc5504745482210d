"""The one writer of outgoing bundles, evidence (``exchange.export``) and watchlist
(``exchange.wlexport``) alike.

Flow (:func:`write_bundle`): the bag is written into ``.<name>.custos-partial-<id>`` next to the
target, as a folder (:class:`~exchange.bagfmt.DirSink`, synced once) or as one tar stream into an
age file to the partner's recipient (no clear copy on disk); files written beside it (a NIST
file) likewise under partial names. Then everything is renamed into place, the folder synced, and
the caller's ``record`` runs (one transaction: custody, bundle record). If anything fails,
partial and placed files are removed again, so no bundle exists unrecorded.

Tag files (:func:`seal_bag`): ``bagit.txt``, ``bag-info.txt`` (the 13 fields of
:func:`bag_info`), the payload manifest, ``custos-bundle.json`` (header of
:func:`bundle_meta`), the tagmanifest, its Ed25519 signature and the sender's public key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session as DbSession

from exchange import bagfmt
from exchange.cards import fingerprint
from exchange.directory import find_partner, get_agency
from exchange.signature import sign_detached
from vault import agefmt
from vault.errors import UserError
from vault.fsutil import fsync_dir
from vault.session import Session

SOFTWARE = "Custos 0.1.0"
FORMAT = "custos-bundle/1"

T = TypeVar("T")


def parties(db: DbSession, partner: str) -> dict[str, str]:
    """Sender (our agency) and receiver (``partner``) as the bag and its metadata name them."""
    p = find_partner(db, partner)
    agency = get_agency(db)
    return {
        "sender": agency.name,
        "sender_country": agency.country,
        "contact": agency.contact,
        "receiver": p.name,
        "receiver_country": p.country,
        "recipient": p.recipient,
    }


def check_targets(*targets: Path | None) -> None:
    """Nothing is overwritten, and each target's folder exists."""
    for t in targets:
        if t is None:
            continue
        if t.exists() or t.is_symlink():
            raise UserError(f"{t}: already exists; not overwritten")
        if not t.parent.is_dir():
            raise UserError(f"{t.parent}: no such folder")


def encrypted_target(out: Path) -> Path:
    return out if out.name.endswith(".tar.age") else out.with_name(out.name + ".tar.age")


def partial_path(target: Path, bundle_id: str) -> Path:
    return target.with_name(f".{target.name}.custos-partial-{bundle_id[:8]}")


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


def _write_sink(
    tmp: Path, target: Path, recipient: str | None, write: Callable[[bagfmt.Sink], T]
) -> T:
    """``write`` on a folder sink at ``tmp`` (``recipient`` None) or an encrypted one."""
    if recipient is not None:
        with encrypted_sink(tmp, target, recipient) as sink:
            return write(sink)
    folder = bagfmt.DirSink(tmp)
    try:
        result = write(folder)
    finally:
        folder.close()
    folder.sync()
    return result


def write_bundle(
    target: Path,
    bundle_id: str,
    recipient: str | None,
    write: Callable[[bagfmt.Sink], T],
    record: Callable[[T], None],
    beside: Sequence[tuple[Path, Path]] = (),
) -> T:
    """Write a bundle at ``target`` (see the module docstring) and return what ``write`` gave.

    ``recipient``: None for a folder bag, else the age recipient of an encrypted one.
    ``beside``: ``(partial, final)`` files ``write`` makes next to the bag, placed with it.
    ``record(result)`` runs once everything is in place; if it fails, all is removed again.
    """
    tmp = partial_path(target, bundle_id)
    placed: list[Path] = []
    try:
        result = _write_sink(tmp, target, recipient, write)
        os.replace(tmp, target)
        placed.append(target)
        for partial, final in beside:
            os.replace(partial, final)
            placed.append(final)
        fsync_dir(target.parent)
        record(result)
    except BaseException:
        for p in (tmp, *(partial for partial, _ in beside), *placed):
            remove_written(p)
        raise
    return result


def bag_info(
    who: Mapping[str, str],
    session: Session,
    *,
    bundle_id: str,
    external_id: str,
    description: str,
    purpose: str,
    label: str,
    onward: bool,
    manifest: Sequence[tuple[str, str]],
    octets: int,
) -> list[tuple[str, str]]:
    """The 13 ``bag-info.txt`` fields of a Custos bundle, in order."""
    return [
        ("Source-Organization", who["sender"]),
        ("Contact-Name", who["contact"] or who["sender"]),
        ("Receiving-Organization", who["receiver"]),
        ("External-Identifier", external_id),
        ("Internal-Sender-Identifier", bundle_id),
        ("Internal-Sender-Description", description),
        ("Exchange-Purpose", purpose),
        ("Handling-Label", f"TLP:{label}"),
        ("Onward-Sharing", "allowed" if onward else "not allowed"),
        ("Signing-Key-Fingerprint", fingerprint(session.signing_public.public_bytes_raw())),
        ("Bagging-Date", date.today().isoformat()),
        ("Payload-Oxum", f"{octets}.{len(manifest)}"),
        ("Bag-Software-Agent", SOFTWARE),
    ]


def bundle_meta(
    kind: str,
    bundle_id: str,
    created: str,
    who: Mapping[str, str],
    purpose: str,
    reference: str | None,
    audit_head: str,
    **more: object,
) -> dict[str, object]:
    """The header of ``custos-bundle.json``; ``more`` follows it (case or watchlist, items).

    ``audit_head`` is the sender's audit head ("SEQ:HASH", ``exchange.heads.current_head``): the
    file is covered by the signed tagmanifest, so the receiver can keep it as a pinned head."""
    return {
        "format": FORMAT,
        "kind": kind,
        "bundle_id": bundle_id,
        "created": created,
        "sender": {"name": who["sender"], "country": who["sender_country"]},
        "receiver": {"name": who["receiver"], "country": who["receiver_country"]},
        "purpose": purpose,
        "reference": reference,
        "audit_head": audit_head,
        **more,
    }


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
    signed = sign_detached(session, tagmanifest)
    sink.write_bytes(bagfmt.SIG, signed.signature)
    sink.write_bytes(bagfmt.PEM, signed.public_pem)
    return hashlib.sha256(tagmanifest).hexdigest()


def remove_written(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
