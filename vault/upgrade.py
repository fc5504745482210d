"""Upgrading a vault of an earlier format in place, when it is opened by the only process.

Schema and data steps are Alembic revisions (``vault/migrations/versions``, run by
``vault.migrate``); this module holds what the format-3 step does besides, each tested against a
frozen vault of the format it upgrades (``tests/vault/data/``).

Format 2 -> 3 (small-object packs, ``vault.packs``): revision r0003 adds ``blobs.pack`` and
``blobs.pack_offset`` (committed on its own); revision r0004 (``to_packs``) reads every blob of
its own smaller than ``packs.PACK_MAX``, checks it against its SHA-256 and writes it into packs;
then, in order:

1. the packs are sealed, moved into ``packs/`` and made durable (``syncfs``);
2. ONE transaction (r0004's) records each moved object's pack and offset, the
   ``storage_format`` meta row, the ``vault.upgraded`` audit entry (formats, objects and packs)
   and the revision in ``alembic_version``;
3. ``vault.toml`` says format 3 (``finish``: so an older Custos refuses the vault instead of
   missing objects);
4. the blob files now in packs are removed (``finish``).

A crash before 2 leaves packs no row names (removed as orphans at the next open, the store being
marked unsettled before the first pack moved in) and r0004 runs again; after 2, the database is
at its new revision and the next open only finishes 3 and 4 (a loose file whose row names a pack
is an orphan). A blob that cannot be read or does not match its hash stays where it is, for
verify to name.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as DbSession

from vault import packs
from vault.audit import advance_head_file
from vault.config import FORMAT
from vault.errors import IntegrityFault
from vault.fsutil import syncfs
from vault.models import Blob, Meta
from vault.session import Session

UPGRADED = "vault.upgraded"
STORAGE_FORMAT = "storage_format"
PACK_OBJECTS = 4096  # objects per pack at most
PACK_BYTES = 8 << 20


def finish(session: Session) -> None:
    """Steps 3 and 4 once the database is at head: ``vault.toml`` says ``config.FORMAT`` and
    the loose files now in packs go. The caller holds the vault alone."""
    if session.config.format >= FORMAT:
        return
    with contextlib.suppress(OSError), session.db() as db, session.backend.pin_lock():
        advance_head_file(session.pin_folder, db)  # pin the upgrade's entry, as a transaction does
    with session._config_file() as config:
        config.format = FORMAT
    with session.db() as db:
        session.blobs.remove_orphans(db)


def to_packs(conn: Connection, session: Session | None) -> None:
    """Revision r0004: the small blobs of their own go into packs, recorded in the revision's
    transaction on ``conn`` with the ``vault.upgraded`` audit entry (signed as the session's
    user). Without a session (a database that is not a local vault) there must be none."""
    small = conn.execute(
        select(Blob.name, Blob.sha256)
        .where(Blob.pack == "", Blob.size < packs.PACK_MAX)
        .order_by(Blob.name)
    ).all()
    if session is None:
        if small:
            raise RuntimeError("stored objects are moved into packs by opening the vault")
        return
    store = session.blobs
    moved: list[dict[str, object]] = []
    sealed = 0
    writer: packs.PackWriter | None = None

    def seal() -> None:
        nonlocal writer, sealed
        if writer is not None:
            writer.seal()
            store.move_pack_in(writer.path, writer.name)
            sealed += 1
            writer = None

    try:
        for name, sha in small:
            try:
                data = store.read_verified(name, sha)
            except IntegrityFault:
                continue  # stays a blob of its own; verify names it
            if writer is None:
                writer = packs.PackWriter(str(store.tmp), store.recipients)
            offset = writer.add(sha, data)
            moved.append({"b_name": name, "pack": writer.name, "offset": offset})
            if len(writer) >= PACK_OBJECTS or writer.size >= PACK_BYTES:
                seal()
        seal()
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    syncfs(session.folder)
    if moved:
        table = Blob.__table__.c
        conn.execute(
            update(Blob.__table__)  # type: ignore[arg-type]
            .where(table.name == bindparam("b_name"))
            .values(pack=bindparam("pack"), pack_offset=bindparam("offset")),
            moved,
        )
    old = session.config.format
    details: dict[str, object] = {"from": old, "to": 3, "packed": len(moved), "packs": sealed}
    # The revision's transaction, joined: flushed here, committed with the version row.
    with DbSession(bind=conn) as db:
        db.merge(Meta(key=STORAGE_FORMAT, value=b"3"))
        session.audit(db, UPGRADED, None, "vault", **details)
        db.flush()


def record_pack_sizes(conn: Connection, session: Session | None) -> int:
    """Revision r0014: each stored pack's encrypted size into its objects' rows
    (``blobs.pack_size``), from the store as it is (a local vault's file, a server's HEAD
    request); returns the packs recorded. A pack the store cannot size now (missing, the store
    down) keeps NULL: read unbounded with one warning until a verify reads it whole. Without a
    session (a database built from empty) there are no packs."""
    from vault.blobs import pack_key
    from vault.objectstore import ObjectMissing, StoreUnavailable

    if session is None:
        return 0
    table = Blob.__table__.c
    names = conn.execute(select(table.pack).where(table.pack != "").distinct()).scalars().all()
    sizes = []
    for pack in names:
        try:
            sizes.append({"p_name": pack, "p_size": session.blobs.store.size(pack_key(pack))})
        except (ObjectMissing, StoreUnavailable, OSError):
            continue  # NULL: verify names a missing pack; an unsized one gets its size there
    if sizes:
        conn.execute(
            update(Blob.__table__)  # type: ignore[arg-type]
            .where(table.pack == bindparam("p_name"))
            .values(pack_size=bindparam("p_size")),
            sizes,
        )
    return len(sizes)
