"""``server push``: move a local vault into an empty agency server, then verify it there.

The server ends up holding the same vault, not a new one made from it: the same vault id, key
slots and MACs (``vault.toml``'s text becomes the ``vault_file`` row), the same vault key and
recipients (every age file and pack copied byte for byte, never decrypted), every row with its
id, and the audit chain as it is (its digests cover the rows' plain values, so it verifies on
the server, where the sensitive values are sealed on the way in: ``vault.sealing.insert_params``
seals each value to its table, column and row id and fills the blind indexes). Users
sign in with their passwords; a workstation enrolled on the local vault keeps its key file
(it is named by the vault id, which does not change).

Steps (``PushJob.run``):

1. the local vault held alone (no other process writes while it is copied) and verified as a
   whole, without recording the run (the local vault is never changed); any problem refuses
   the push in one line;
2. the server must be empty (database and bucket), or hold an interrupted push of this same
   vault (below); the schema, stamped at the head revision, and a ``meta`` row ``push_pending``
   holding the vault id are made in ONE transaction;
3. every table's rows copied in key order with their keys, through the server's engine, in
   batches; each table's id sequence then set past its largest id;
4. the stored objects copied as stored (``vault.objectstore.copy_objects``: only the missing);
5. ONE transaction on the server opens the vault: the ``vault_file`` row written, the
   ``push_pending`` row deleted, and the ``vault.pushed`` entry appended (signed by the pushing
   user and workstation);
6. a full verify on the server (recorded there as ``vault.verified``), reported.

Crash safety: until step 5 commits the server has no ``vault_file`` row, so every command
says there is no agency vault there (never a half vault that looks whole). The next push of
the same vault finds ``push_pending`` naming it, drops the half-made tables and starts again,
keeping the objects already copied (an S3 object exists only once wholly uploaded). A server
holding anything else is refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, delete, func, insert, select, text

from vault import sealing
from vault.backend import Server, ServerBackend
from vault.errors import IntegrityFault, UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.models import AuditEntry, Base, Meta, VaultFile
from vault.objectstore import SPACES, copy_objects

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from vault.session import Session
    from vault.verify import VerifyReport

PENDING = "push_pending"  # meta row on the server while a push is under way: the vault id
BATCH = 2000  # rows per INSERT


@dataclass
class PushReport:
    """What was copied, and the verify of the result on the server."""

    server: str = ""
    resumed: bool = False
    tables: int = 0
    rows: int = 0
    objects: int = 0  # copied by this run (an interrupted push's are kept)
    audit_entries: int = 0
    verify: VerifyReport | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verify is not None and self.verify.ok


class PushJob:
    """Copy ``source`` (an unlocked local vault, an admin's session) into ``server``."""

    def __init__(self, source: Session, server: Server, cancel: CancelToken | None = None) -> None:
        self.source = source
        self.server = server
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> PushReport:
        source = self.source
        source.require("vault.push", target="vault")
        if not source.backend.local:
            raise UserError("push copies a local vault: give its folder with --vault")
        if not source.hold_alone():
            raise UserError(
                f"{source.backend.label}: the vault is open in another Custos process; "
                "close it there and push again"
            )
        try:
            self._verify_source(emit)
            return self._push(emit)
        finally:
            if source.backend.lock.held:
                source.share_lock()

    def _verify_source(self, emit: Emit) -> None:
        from vault.verify import VerifyJob

        report = VerifyJob(self.source, self.cancel, record=False).run(emit)
        self.cancel.check()
        if report.problems:
            first = report.problems[0]
            raise IntegrityFault(
                f"{self.source.backend.label}: the vault has {len(report.problems)} problem(s) "
                f"(first: {first}); nothing was pushed (custos verify lists them)"
            )

    def _push(self, emit: Emit) -> PushReport:
        source = self.source
        backend = ServerBackend(self.server)
        report = PushReport(server=backend.label)
        try:
            # The server to this push alone until the vault is whole: a second push (or init)
            # started meanwhile is refused instead of taking the half-made vault for its own.
            backend.lock.acquire()
            if not backend.lock.exclusive:
                raise UserError(
                    f"{backend.label}: another Custos process is using the server; "
                    "push needs it alone"
                )
            engine = backend.engine(source.vault_key_for_rotation())
            report.resumed = self._prepare(backend, engine)
            # every table but the vault file (empty in a local vault; written last)
            tables = [t for t in self._tables() if t.name != VaultFile.__tablename__]
            self._copy_rows(engine, tables, report, emit)
            self._copy_objects(backend, report, emit)
            backend.lock.share()  # still excludes another push; lets the session below in
            session = self._open(self.server, report)
        finally:
            backend.close()
        try:
            from vault.verify import VerifyJob

            report.verify = VerifyJob(session, self.cancel).run(emit)
        finally:
            session.close()
        return report

    # --- the server: empty, or an interrupted push of this vault -----------------------------
    def _prepare(self, backend: ServerBackend, engine: Engine) -> bool:
        """Make the schema and the ``push_pending`` row in one transaction; True when an
        interrupted push of this vault was found (its tables dropped, its objects kept)."""
        from vault import migrations

        vault_id = self.source.config.vault_id
        resumed = self._interrupted(engine, vault_id, backend.label)
        if not resumed:
            backend.check_new("push")
        with engine.begin() as conn:
            if resumed:
                Base.metadata.drop_all(conn, tables=self._tables())
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            Base.metadata.create_all(conn, tables=self._tables())
            migrations.stamp_head(conn)
            pending = [{"key": PENDING, "value": vault_id.encode()}]
            conn.execute(insert(Meta), _sealed(conn, Meta.__table__, pending))
        return resumed

    def _interrupted(self, engine: Engine, vault_id: str, label: str) -> bool:
        with engine.connect() as conn:
            names = set(
                conn.scalars(
                    text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public'"
                    )
                )
            )
            if not names or "meta" not in names or "vault_file" not in names:
                return False
            if conn.scalar(select(func.count()).select_from(VaultFile.__table__)):
                return False  # a vault: check_new refuses it
            pending = conn.scalar(select(Meta.value).where(Meta.key == PENDING))
        if pending is None:
            return False
        if bytes(pending).decode() != vault_id:
            raise UserError(
                f"{label}: the server holds an interrupted push of another vault; "
                "push needs an empty server (ask its administrator to empty it)"
            )
        return True

    def _tables(self) -> list[Table]:
        """The vault's tables in the order their foreign keys need (parents first)."""
        wanted = {t.name for t in self.source.schema.tables}
        return [t for t in Base.metadata.sorted_tables if t.name in wanted]

    # --- rows ------------------------------------------------------------------------------
    def _copy_rows(
        self, engine: Engine, tables: list[Table], report: PushReport, emit: Emit
    ) -> None:
        counts: dict[str, int] = {}
        with self.source.db() as db:
            for table in tables:
                counts[table.name] = db.scalar(select(func.count()).select_from(table)) or 0
        total = sum(counts.values())
        copied = [la.on_copied for la in self.source.schema.layers if la.on_copied is not None]
        done = 0
        emit(Progress(0, total, "rows", "copying records"))
        for table in tables:
            self.cancel.check()
            keys = list(table.primary_key.columns) or list(table.columns)
            columns = [c.key for c in table.columns]
            with self.source.db() as db, engine.begin() as conn:
                rows = db.execute(select(table).order_by(*keys)).yield_per(BATCH)
                for part in rows.partitions():
                    batch = [dict(zip(columns, row, strict=True)) for row in part]
                    conn.execute(insert(table), _sealed(conn, table, batch))
                    for hook in copied:  # in the batch's transaction (the references' vectors)
                        hook(conn, table.name, batch)
                    done += len(batch)
                    emit(Progress(done, total, "rows", f"copying records ({table.name})"))
                    self.cancel.check()
                _advance_sequence(conn, table)
        report.tables = len(tables)
        report.rows = total
        report.counts = counts
        report.audit_entries = counts.get("audit", 0)

    # --- objects ---------------------------------------------------------------------------
    def _copy_objects(self, backend: ServerBackend, report: PushReport, emit: Emit) -> None:
        source = self.source.backend.store
        total = sum(1 for space in SPACES for _ in source.names(space))
        seen = [0]
        emit(Progress(0, total, "objects", "copying stored objects"))

        def copied(_: str) -> None:
            self.cancel.check()
            seen[0] += 1
            emit(Progress(seen[0], total, "objects", "copying stored objects"))

        report.objects = copy_objects(source, backend.store, copied)
        self.cancel.check()

    # --- the vault opened on the server ----------------------------------------------------
    def _open(self, server: Server, report: PushReport) -> Session:
        """The pushing user's session on the server; its first transaction makes the vault
        whole (vault file, pending row gone, ``vault.pushed``)."""
        from vault.session import open_pushed

        source = self.source
        config = source.config
        session = open_pushed(server, source)
        try:
            with self.source.db() as db:
                head = db.execute(
                    select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
                ).first()
            with session.transaction() as db:
                db.add(VaultFile(id=1, content=config.text()))
                db.execute(delete(Meta).where(Meta.key == PENDING))
                session.audit(
                    db,
                    "vault.pushed",
                    target="vault",
                    vault_id=config.vault_id,
                    local_head=f"{head[0]}:{head[1]}" if head is not None else "",
                    rows=report.rows,
                    objects=report.objects,
                    resumed=report.resumed,
                )
        except BaseException:
            session.close()
            raise
        return session


def _sealed(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parameter sets of ``rows`` for the server: each sensitive value sealed to its row
    (its id, copied from the local vault) and the blind indexes filled (``vault.sealing``);
    the rows as they are for a table with nothing sealed."""
    return sealing.insert_params(conn, table, rows) or rows


def _advance_sequence(conn: Connection, table: Table) -> None:
    """Set a table's id sequence past its largest id (the rows came with their ids)."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1:
        return
    key = keys[0]
    sequence = conn.scalar(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": key.name}
    )
    if sequence is None:
        return
    conn.execute(
        text(
            f'SELECT setval(CAST(:s AS regclass), COALESCE((SELECT max("{key.name}") '
            f'FROM "{table.name}"), 0) + 1, false)'
        ),
        {"s": sequence},
    )
