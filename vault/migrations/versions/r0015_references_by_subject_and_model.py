"""The references by subject, model and version (``ix_references_subject_model``), replacing the
index by subject alone (``ix_references_subject``).

A server search counts the watchlist's searchable references on every run
(:func:`matching.servervectors.coverage`: references of the watchlist's subjects, of the current
model and version, joined to the mapping by id). With the subject alone indexed that count read
the references' heap, whose rows carry their sealed embeddings (about half of ``custos search``'s
time through pgvector at 100,000 references); with every column it reads in the index it is an
index-only scan (PERFORMANCE.md). The new index leads with ``subject_id``, so every look-up the
old one served (a subject's references) is served by it; keeping both would cost every
enrolment a second index write for nothing.
"""

from __future__ import annotations

from alembic import op

revision = "r0015"
down_revision = "r0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_references_subject_model",
        "references",
        ["subject_id", "model", "model_version", "id"],
        unique=False,
        if_not_exists=True,
    )
    op.drop_index("ix_references_subject", table_name="references", if_exists=True)


def downgrade() -> None:
    raise NotImplementedError("a vault is never downgraded")
