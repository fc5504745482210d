"""Format 3, schema: where a small object is packed (``blobs.pack``, ``blobs.pack_offset``).

Committed on its own before the objects move (r0004), as session 5's Custos added the columns
at opening before its upgrade: a vault it left between the two already has them, so each is
added only if missing. The defaults say "a blob of its own", true of every row of format 2.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("blobs")}
    if "pack" not in have:
        op.add_column(
            "blobs", sa.Column("pack", sa.String(64), server_default=sa.text("''"), nullable=False)
        )
    if "pack_offset" not in have:
        op.add_column(
            "blobs",
            sa.Column("pack_offset", sa.Integer(), server_default=sa.text("0"), nullable=False),
        )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
