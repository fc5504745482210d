"""Workstations (issue 12 item 4): the ``workstations`` registry and the workstation each audit
entry names (``vault.workstations``). Existing entries name none ("": the vault's shared key,
which stays the first workstation), so old chains verify unchanged; no data moves.

Revision r0009 follows r0006 on this branch; the lead re-chains it after r0007/r0008 at merge.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0009"
down_revision = "r0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workstations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", sa.String(length=40), nullable=False),
        sa.Column("enrolled_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.String(length=40), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.add_column(
        "audit",
        sa.Column(
            "workstation", sa.String(length=64), server_default=sa.text("''"), nullable=False
        ),
    )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
