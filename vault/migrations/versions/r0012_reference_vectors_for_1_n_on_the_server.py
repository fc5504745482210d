"""1:N on the server (issue 12, item 3): ``reference_vectors`` (a random 16-byte opaque id and a
pgvector ``vector(128)``, nothing else) and ``reference_vector_ids`` (a reference's opaque id,
sealed to the reference's id). On PostgreSQL the vector type needs the ``vector`` extension,
which only a superuser can install: ``custos server up`` installs it in the agency database;
when it is missing this revision tries ``CREATE EXTENSION`` and otherwise stops with one line
naming what the administrator must run. On SQLite both tables are made and stay empty (the
vector column is a plain blob there; a local vault searches on the workstation).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import UserDefinedType

revision = "r0012"
down_revision = "r0011"
branch_labels = None
depends_on = None


class _Vector(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "vector(128)"


def upgrade() -> None:
    # Idempotent, like the revisions before it: a step repeated after a crash finds its work.
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    tables = set(inspector.get_table_names())
    if bind.dialect.name == "postgresql":
        have = bind.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'"))
        if not have:
            try:
                with bind.begin_nested():
                    bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
            except sa.exc.DBAPIError:
                from vault.errors import UserError

                raise UserError(
                    "pgvector is not installed in this database: ask the server's administrator "
                    "to run 'CREATE EXTENSION vector' in it (as a superuser)"
                ) from None
    if "reference_vectors" not in tables:
        op.create_table(
            "reference_vectors",
            sa.Column("id", sa.LargeBinary(), nullable=False),
            sa.Column(
                "embedding",
                sa.LargeBinary().with_variant(_Vector(), "postgresql"),
                nullable=False,
            ),
            sa.PrimaryKeyConstraint("id"),
        )
    if "reference_vector_ids" not in tables:
        op.create_table(
            "reference_vector_ids",
            sa.Column("reference_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("vector_id", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(["reference_id"], ["references.id"]),
            sa.PrimaryKeyConstraint("reference_id"),
        )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
