"""Indexes verify streams by (issue 12, small files): the items of a blob, packed objects in
pack order. ``verify`` reads packed objects pack by pack in offset order a visit at a time
(``ix_blobs_pack``) and finds each object's items, and the objects no item names, by
``ix_items_blob``, so its memory does not grow with the number of items.
"""

from __future__ import annotations

from alembic import op

revision = "r0006"
down_revision = "r0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_blob", "items", ["blob_name"], unique=False, if_not_exists=True)
    op.create_index(
        "ix_blobs_pack", "blobs", ["pack", "pack_offset"], unique=False, if_not_exists=True
    )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
