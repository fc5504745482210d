"""Sealed columns (issue 12, item 2): on PostgreSQL every sensitive column holds ciphertext
(``bytea``, ``vault.sealing``) and the columns looked up by value get a keyed blind index.

On SQLite (a local vault) the column types do not change (the whole file is encrypted); the
blind-index columns are added there too, NULL and outside their partial indexes, so the models,
the write paths and the lookups stay one code path for both back ends. No server database holds
rows before this revision (a server vault is made at head), so the type change converts nothing
that exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0008"
down_revision = "r0007"
branch_labels = None
depends_on = None

SEALED = {
    "meta": ["value"],
    "users": ["name", "roles"],
    "cases": ["reference", "title", "crime_areas", "operation", "partners", "created_by"],
    "blobs": ["sha256"],
    "items": [
        "name",
        "original_path",
        "sha256",
        "md5",
        "sha1",
        "exhibit",
        "seized_from",
        "seized_at",
        "seized_on",
        "seized_by",
        "description",
        "modified_at",
        "acquired_by",
    ],
    "custody_events": ["actor", "details"],
    "audit": ["actor", "target", "details"],
    "workstations": ["name", "enrolled_by", "revoked_by"],
}

# (table, blind-index column, unique)
BLIND = [
    ("users", "name_bidx", True),
    ("cases", "reference_bidx", True),
    ("blobs", "sha256_bidx", True),
    ("items", "sha256_bidx", False),
    ("audit", "target_bidx", False),
    ("workstations", "name_bidx", True),
]


def upgrade() -> None:
    # Idempotent, like the revisions before it: a step repeated after a crash finds its work.
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if bind.dialect.name == "postgresql":
        for table, columns in SEALED.items():
            types = {c["name"]: c["type"] for c in inspector.get_columns(table)}
            for column in columns:
                if isinstance(types[column], sa.LargeBinary) and table != "meta":
                    continue
                using = column if table == "meta" else f"convert_to({column}, 'UTF8')"
                op.alter_column(table, column, type_=sa.LargeBinary(), postgresql_using=using)
    for table, column, unique in BLIND:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column(column, sa.LargeBinary(length=16), nullable=True))
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_{table}_{column}",
            table,
            [column],
            unique=unique,
            postgresql_where=where,
            sqlite_where=where,
            if_not_exists=True,
        )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
