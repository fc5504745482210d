"""A keyed blind index of the opaque vector id (issue 12, item 3, branch ``pgrerank``):
``reference_vector_ids.vector_id_bidx`` (HMAC-SHA-256 under the vault subkey
``blind:reference_vector_ids.vector_id``, 16 bytes; ``vault.sealing``), with a unique partial
index over the rows that have one. A server search looks up the references of the few opaque
ids pgvector shortlisted by it instead of reading and opening the whole sealed mapping.

The migration has no vault key, so rows written before it keep a NULL blind index: a search
of a watchlist with such rows stays exact on the workstation (one warning line) until
``custos watchlist index`` fills them. On SQLite (a local vault) the column is added and stays
NULL (the table is empty there).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0013"
down_revision = "r0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Idempotent, like the revisions before it: a step repeated after a crash finds its work.
    inspector = sa.inspect(op.get_bind())
    if "vector_id_bidx" not in {c["name"] for c in inspector.get_columns("reference_vector_ids")}:
        op.add_column(
            "reference_vector_ids",
            sa.Column("vector_id_bidx", sa.LargeBinary(length=16), nullable=True),
        )
    where = sa.text("vector_id_bidx IS NOT NULL")
    op.create_index(
        "ix_reference_vector_ids_vector_id_bidx",
        "reference_vector_ids",
        ["vector_id_bidx"],
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
        if_not_exists=True,
    )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
