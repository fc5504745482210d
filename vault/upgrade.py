"""Upgrading a vault of an earlier format in place, when it is opened by the only process.

Numbered steps, each tested against a frozen vault of the format it upgrades (``tests/vault/
data/``), as electrum's ``wallet_db.upgrade`` does.

Format 2 -> 3 (small-object packs, ``vault.packs``): the ``blobs`` table gains ``pack`` and
``pack_offset`` (columns with a server default, added when the vault opens:
``models.add_missing_columns``); every blob of its own smaller than ``packs.PACK_MAX`` is read,
checked against its SHA-256 and written into packs; then, in order:

1. the packs are sealed, moved into ``packs/`` and made durable (``syncfs``);
2. ONE transaction records each moved object's pack and offset, the ``storage_format`` meta row
   and the ``vault.upgraded`` audit entry (formats, objects and packs);
3. ``vault.toml`` says format 3 (so an older Custos refuses the vault instead of missing
   objects);
4. the blob files now in packs are removed.

A crash before 2 leaves packs no row names (removed as orphans at the next open, the store being
marked unsettled before the first pack moved in) and the upgrade runs again; after 2, the next
open finds the meta row and only finishes 3 and 4 (a loose file whose row names a pack is an
orphan). A blob that cannot be read or does not match its hash stays where it is, for verify to
name.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from vault import packs
from vault.config import FORMAT
from vault.errors import IntegrityFault
from vault.fsutil import syncfs
from vault.models import Blob, Meta
from vault.session import Session

UPGRADED = "vault.upgraded"
STORAGE_FORMAT = "storage_format"
PACK_OBJECTS = 4096  # objects per pack at most
PACK_BYTES = 8 << 20


def upgrade(session: Session) -> None:
    """Bring the vault to ``config.FORMAT``; the caller holds the vault alone."""
    if session.config.format >= FORMAT:
        return
    with session.db() as db:
        done = db.get(Meta, STORAGE_FORMAT)
    if done is None or int(done.value) < 3:
        _to_packs(session, session.config.format)
    with session._config_file() as config:
        config.format = FORMAT
    with session.db() as db:
        session.blobs.remove_orphans(db)


def _to_packs(session: Session, old: int) -> None:
    store = session.blobs
    with session.db() as db:
        small = db.execute(
            select(Blob.name, Blob.sha256)
            .where(Blob.pack == "", Blob.size < packs.PACK_MAX)
            .order_by(Blob.name)
        ).all()
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
    with session.transaction() as db:
        if moved:
            table = Blob.__table__.c
            db.execute(
                update(Blob.__table__)  # type: ignore[arg-type]
                .where(table.name == bindparam("b_name"))
                .values(pack=bindparam("pack"), pack_offset=bindparam("offset")),
                moved,
            )
        db.merge(Meta(key=STORAGE_FORMAT, value=b"3"))
        details: dict[str, object] = {"from": old, "to": 3, "packed": len(moved), "packs": sealed}
        session.audit(db, UPGRADED, None, "vault", **details)
