"""The last plain sensitive text columns of the matching layer sealed on a server (issue 12,
item 2): ``media_info.error`` and ``thumbnails.error`` (why a file could not be analysed or
shown: they quote the file's own damage and sometimes its name) and ``watchlists.calibration``
(the measured accuracy of a watchlist: which error rates the agency accepts). On PostgreSQL
they become ``bytea`` holding ciphertext (``vault.sealing``); on SQLite nothing changes.

A server database's existing values in these columns keep their bytes (``convert_to``), which
then fail authentication when read (one line, as any value that does not open): such a
database is re-made at head, as for r0010.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0011"
down_revision = "r0010"
branch_labels = None
depends_on = None

SEALED = {
    "media_info": ["error"],
    "thumbnails": ["error"],
    "watchlists": ["calibration"],
}


def upgrade() -> None:
    # Idempotent, like the revisions before it: a step repeated after a crash finds its work.
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    for table, columns in SEALED.items():
        types = {c["name"]: c["type"] for c in inspector.get_columns(table)}
        for column in columns:
            if isinstance(types[column], sa.LargeBinary):
                continue
            op.alter_column(
                table,
                column,
                type_=sa.LargeBinary(),
                postgresql_using=f"convert_to(\"{column}\", 'UTF8')",
            )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
