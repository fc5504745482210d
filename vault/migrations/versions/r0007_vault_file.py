"""The agency server's ``vault.toml`` (issue 12): ``vault_file``, one row holding the file's text
(slots, KDF parameters, recipients, their MACs), MAC'd as the file is. A local vault keeps its
``vault.toml`` and leaves the table empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0007"
down_revision = "r0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_file",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
