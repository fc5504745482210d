"""Sealed columns of the matching and exchange layers (issue 12, item 2, after ``r0008`` sealed
the vault layer's): on PostgreSQL their sensitive columns hold ciphertext (``bytea``,
``vault.sealing``), and the columns looked up by value get a keyed blind index.

On SQLite (a local vault) the column types do not change; the blind-index columns are added
there too, NULL and outside their partial indexes (one model, one write path). A server
database's existing rows in these columns are plain text: the type change keeps their bytes
(``convert_to``), which then fail authentication when read (named in one line, as any value
that does not open). Server vaults were trial databases when this was written; a real one
made before it is re-made at head, or re-sealed by the re-sealing step (not built, see
ARCHITECTURE "Sealed columns").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0010"
down_revision = "r0008"
branch_labels = None
depends_on = None

SEALED = {
    "media_info": ["meta"],
    "faces": ["place"],
    "face_marks": ["reason", "actor"],
    "cluster_edits": ["reason", "actor"],
    "watchlists": ["name", "source_agency", "created_by"],
    "subjects": ["ref", "reason", "agency", "created_by"],
    "references": ["source"],
    "search_runs": ["probe", "watchlists", "actor"],
    "decisions": ["reason", "actor"],
    "hashsets": ["name", "source", "file_name", "file_sha256", "imported_by", "changed_by"],
    "hashset_hits": ["set_name", "digest", "actor"],
    "hashset_acks": ["reason", "actor"],
    "exchange_agency": ["name", "contact", "set_by"],
    "exchange_partners": ["name", "contact", "added_by"],
    "exchange_agreements": ["reference", "crime_areas", "created_by"],
    "exchange_agreement_redaction": ["set_by"],
    "exchange_item_labels": ["origin", "set_by"],
    "exchange_case_labels": ["set_by"],
    "exchange_bundles": ["partner", "by"],
    "exchange_watchlist_bundles": ["partner", "details", "by"],
    "exchange_hashset_bundles": ["partner", "set_name", "details", "by"],
    "exchange_partner_heads": ["partner"],
}

# (table, blind-index column, the index's columns, unique)
BLIND = [
    ("watchlists", "name_bidx", ["name_bidx"], True),
    ("subjects", "ref_bidx", ["watchlist_id", "ref_bidx"], True),
    ("hashsets", "name_bidx", ["name_bidx"], False),
    ("exchange_partners", "name_bidx", ["name_bidx"], True),
    ("exchange_bundles", "partner_bidx", None, False),
    ("exchange_watchlist_bundles", "partner_bidx", None, False),
    ("exchange_hashset_bundles", "partner_bidx", None, False),
    ("exchange_partner_heads", "partner_bidx", ["partner_bidx", "seq"], False),
]


def upgrade() -> None:
    # Idempotent, like the revisions before it: a step repeated after a crash finds its work.
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if bind.dialect.name == "postgresql":
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
    for table, column, indexed, unique in BLIND:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column(column, sa.LargeBinary(length=16), nullable=True))
        if indexed is None:
            continue
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_{table}_{column}",
            table,
            indexed,
            unique=unique,
            postgresql_where=where,
            sqlite_where=where,
            if_not_exists=True,
        )


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
