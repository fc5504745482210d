"""The database's schema history: Alembic revisions, the same for every back end.

``versions/`` holds one revision per schema change, oldest first (``r0001`` is the schema of
vault format 2); ``env.py`` runs them on the connection the caller hands over (the vault's own
keyed SQLCipher connection, or PostgreSQL). Alembic itself is imported only by
``vault.migrate``, and only when a database is behind: opening a vault whose
``alembic_version`` says ``HEAD`` costs one SELECT (``revision_of``), nothing more.

A schema change from now on: change the model, run ``python scripts/new_migration.py
"what changed"`` (autogenerates ``versions/rNNNN_*.py`` against a database at head), check the
script, add its revision to ``REVISIONS`` below (``HEAD`` is the last).
``tests/vault/test_migrations.py`` fails while the migrated schema and the models differ on
SQLite or on PostgreSQL, or while ``REVISIONS`` is not the scripts' chain.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError

# r0009 (workstations) was merged before r0007 (the server's vault file): the chain is in
# merge order, not number order.
REVISIONS = (
    "r0001",
    "r0002",
    "r0003",
    "r0004",
    "r0005",
    "r0006",
    "r0009",
    "r0007",
    "r0008",
    "r0010",
    "r0011",
    "r0012",
    "r0013",
    "r0014",
    "r0015",
)
"""The revisions in ``versions/``, oldest first (a test checks them against the scripts)."""
HEAD = REVISIONS[-1]

LOCATION = Path(__file__).resolve().parent
"""Where the scripts are, found from the package (so the installed app finds them too)."""

VERSION_TABLE = "alembic_version"

# Alembic's own version table, declared here so a new vault is stamped without importing
# Alembic: the same column, key and constraint name ``alembic.runtime.migration`` creates.
_version = Table(
    VERSION_TABLE,
    MetaData(),
    Column("version_num", String(32), primary_key=True),
)
_version.primary_key.name = "alembic_version_pkc"


def revision_of(conn: Connection) -> str | None:
    """The revision the database is at; None when it has no version table (a vault made before
    the migrations, or an empty database). One plain SELECT, on a connection outside any
    transaction."""
    try:
        rows = conn.execute(select(_version.c.version_num)).scalars().all()
    except (OperationalError, ProgrammingError) as exc:
        conn.rollback()  # PostgreSQL aborts the transaction the failed statement was in
        if VERSION_TABLE in str(exc.orig):  # no such table (anything else is a real fault)
            return None
        raise
    conn.rollback()  # the read's implicit transaction: ends here, holding no lock
    return rows[0] if len(rows) == 1 else None


def known(revision: str) -> bool:
    """Whether this Custos has the revision (else a newer Custos changed the database)."""
    return revision in REVISIONS


def stamp_head(conn: Connection) -> None:
    """Record that a database made from the models (``create_all``) is at ``HEAD``."""
    _version.create(conn, checkfirst=True)
    conn.execute(_version.delete())
    conn.execute(_version.insert().values(version_num=HEAD))
