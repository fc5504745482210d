"""Format 3, data: the small objects of a format-2 vault move into packs (``vault.upgrade``).

The packs are written and made durable first; then this revision's one transaction records
every moved object, the ``storage_format`` meta row, the ``vault.upgraded`` audit entry and the
new revision together. ``vault.upgrade.finish`` then writes format 3 into ``vault.toml`` and
removes the loose files now in packs. A crash before the commit leaves only packs no row names
(orphans, removed at the next open) and this revision runs again.

The move needs the open vault (its keys, its blob store and the acting user's signature for
the audit entry): ``vault.migrate`` passes the ``Session`` in the configuration's
``attributes``. A database without one (an agency server built from empty) holds no objects to
move.
"""

from __future__ import annotations

from alembic import context, op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from vault.upgrade import to_packs

    to_packs(op.get_bind(), context.config.attributes.get("session"))


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
