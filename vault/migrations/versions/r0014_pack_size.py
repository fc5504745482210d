"""The encrypted size of each pack (``blobs.pack_size``), recorded for the packs already stored.

Every read of a pack stops at its recorded size (``vault.blobs.BlobStore``): a hostile object
store cannot hand more. Packs written before this revision get theirs here
(``vault.upgrade.record_pack_sizes``): a local vault's from the file, an agency server's from a
HEAD request; a pack whose size cannot be had now (missing, the store down) keeps NULL, is read
unbounded with one warning, and gets its size from the next verify that reads it whole. No
object moves: the column is derived from the store as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "r0014"
down_revision = "r0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from vault.upgrade import record_pack_sizes

    op.add_column(
        "blobs",
        sa.Column("pack_size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    )
    record_pack_sizes(op.get_bind(), context.config.attributes.get("session"))


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
