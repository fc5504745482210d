"""The schema of vault format 2 (main at 21b2d5c, the frozen vault in tests/vault/data/format2).

Vaults of format 2 made by sessions 3-5 hold different subsets of these tables: each Custos made
the tables it knew with ``create_all`` whenever it opened a vault. So every table and index here
is made only if missing (``if_not_exists``): a vault without an ``alembic_version`` table runs
this revision to fill in what its Custos did not know (``vault.migrate``). Later revisions are
plain, except r0002-r0005, which complete what session 5's Custos added at opening."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None

# Sizes in bytes are 64-bit on PostgreSQL too (``vault.models.BYTES``); SQLite's INTEGER is.
BYTES = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("user_signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("seq"),
        if_not_exists=True,
    )
    op.create_index("ix_audit_target", "audit", ["target"], unique=False, if_not_exists=True)
    op.create_table(
        "blobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", BYTES, nullable=False),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("sha256"),
        if_not_exists=True,
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("crime_areas", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=True),
        sa.Column("partners", sa.Text(), nullable=False),
        sa.Column("hash_sets", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
        if_not_exists=True,
    )
    op.create_table(
        "exchange_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "exchange_partner_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("bundle_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("backwards", sa.Boolean(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_exchange_partner_heads_partner",
        "exchange_partner_heads",
        ["partner", "seq"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "exchange_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        if_not_exists=True,
    )
    op.create_table(
        "hashsets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("entries_digest", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.String(length=40), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=True),
        sa.Column("changed_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        if_not_exists=True,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=True),
        sa.Column("signing_public", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        if_not_exists=True,
    )
    op.create_table(
        "watchlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("alert_threshold", sa.Double(), nullable=False),
        sa.Column("calibration", sa.Text(), nullable=True),
        sa.Column("second_review", sa.Boolean(), nullable=False),
        sa.Column("source_agency", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        if_not_exists=True,
    )
    op.create_table(
        "exchange_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("crime_areas", sa.Text(), nullable=False),
        sa.Column("onward", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.String(length=10), nullable=False),
        sa.Column("valid_until", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["exchange_partners.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "exchange_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("direction", "sha256"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_exchange_bundles_id",
        "exchange_bundles",
        ["bundle_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "exchange_case_labels",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
        if_not_exists=True,
    )
    op.create_table(
        "exchange_hashset_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("hashset_id", sa.Integer(), nullable=False),
        sa.Column("set_name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("onward", sa.Boolean(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("entries_digest", sa.String(length=64), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["hashset_id"],
            ["hashsets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("direction", "sha256"),
        if_not_exists=True,
    )
    op.create_table(
        "exchange_partner_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("public", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("added_at", sa.String(length=40), nullable=False),
        sa.Column("changed_at", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["exchange_partners.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fingerprint"),
        if_not_exists=True,
    )
    op.create_table(
        "exchange_watchlist_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("references", sa.Integer(), nullable=False),
        sa.Column("onward", sa.Boolean(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("direction", "sha256"),
        if_not_exists=True,
    )
    op.create_table(
        "hashset_categories",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["hashsets.id"],
        ),
        sa.PrimaryKeyConstraint("set_id", "key"),
        sqlite_with_rowid=False,
        if_not_exists=True,
    )
    op.create_table(
        "hashset_entries",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["hashsets.id"],
        ),
        sa.PrimaryKeyConstraint("set_id", "key"),
        sqlite_with_rowid=False,
        if_not_exists=True,
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("original_path", sa.Text(), nullable=False),
        sa.Column("size", BYTES, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("sha1", sa.String(length=40), nullable=False),
        sa.Column("blob_name", sa.String(length=64), nullable=False),
        sa.Column("exhibit", sa.Text(), nullable=True),
        sa.Column("seized_from", sa.Text(), nullable=True),
        sa.Column("seized_at", sa.Text(), nullable=True),
        sa.Column("seized_on", sa.String(length=40), nullable=True),
        sa.Column("seized_by", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("modified_at", sa.String(length=40), nullable=True),
        sa.Column("acquired_by", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_name"],
            ["blobs.name"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_items_case", "items", ["case_id"], unique=False, if_not_exists=True)
    op.create_table(
        "search_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("probe", sa.Text(), nullable=False),
        sa.Column("watchlists", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("top", sa.Integer(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("review_on", sa.String(length=10), nullable=False),
        sa.Column("expires_on", sa.String(length=10), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("watchlist_id", "ref"),
        if_not_exists=True,
    )
    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("refers_to", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["refers_to"],
            ["custody_events.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_custody_item", "custody_events", ["item_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "exchange_item_labels",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.Column("onward", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("item_id"),
        if_not_exists=True,
    )
    op.create_table(
        "faces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("frame_time", sa.Double(), nullable=True),
        sa.Column("start", sa.Double(), nullable=True),
        sa.Column("end", sa.Double(), nullable=True),
        sa.Column("box", sa.Text(), nullable=False),
        sa.Column("landmarks", sa.Text(), nullable=False),
        sa.Column("quality", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("crop_blob", sa.String(length=64), nullable=False),
        sa.Column("captured_at", sa.String(length=40), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["crop_blob"],
            ["blobs.name"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_faces_case", "faces", ["case_id"], unique=False, if_not_exists=True)
    op.create_index("ix_faces_item", "faces", ["item_id"], unique=False, if_not_exists=True)
    op.create_table(
        "hashset_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("set_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("category", sa.Integer(), nullable=True),
        sa.Column("found_by", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["hashsets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "set_id", "algorithm"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_hashset_hits_case", "hashset_hits", ["case_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "media_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("analysed_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "pdq_hashes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("frame_time", sa.Double(), nullable=True),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_pdq_case", "pdq_hashes", ["case_id"], unique=False, if_not_exists=True)
    op.create_index("ix_pdq_item", "pdq_hashes", ["item_id"], unique=False, if_not_exists=True)
    op.create_table(
        "references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("photo_blob", sa.String(length=64), nullable=False),
        sa.Column("crop_blob", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("quality", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["crop_blob"],
            ["blobs.name"],
        ),
        sa.ForeignKeyConstraint(
            ["photo_blob"],
            ["blobs.name"],
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_references_subject", "references", ["subject_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["face_id"],
            ["faces.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["search_runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_candidates_run", "candidates", ["run_id"], unique=False, if_not_exists=True)
    op.create_table(
        "hashset_acks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hit_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["hit_id"],
            ["hashset_hits.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hit_id"),
        if_not_exists=True,
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_decisions_candidate", "decisions", ["candidate_id"], unique=False, if_not_exists=True
    )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
