"""Tables session 5 added to format-2 vaults at opening: thumbnails, curation (cluster edits, face
marks, track boxes) and an agreement's redaction demand. Made only if missing (see r0001)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("faces", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_cluster_edits_case", "cluster_edits", ["case_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "exchange_agreement_redaction",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["exchange_agreements.id"],
        ),
        sa.PrimaryKeyConstraint("agreement_id"),
        if_not_exists=True,
    )
    op.create_table(
        "thumbnails",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("blob", sa.String(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("frame_time", sa.Double(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("made_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob"],
            ["blobs.name"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("item_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_thumbnails_case", "thumbnails", ["case_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "face_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["face_id"],
            ["faces.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_face_marks_case", "face_marks", ["case_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "track_boxes",
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("boxes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["face_id"],
            ["faces.id"],
        ),
        sa.PrimaryKeyConstraint("face_id"),
        if_not_exists=True,
    )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
