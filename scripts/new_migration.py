"""Write the next schema revision: ``.venv/bin/python scripts/new_migration.py "what changed"``.

Builds a scratch SQLite database with the revisions up to head, compares it with the models of
every layer (``service.opener.SCHEMA``) and writes ``vault/migrations/versions/rNNNN_*.py``.
Read the script (autogenerate misses renames and data), then add the new revision to
``vault.migrations.REVISIONS`` (``HEAD`` is its last); ``tests/vault/test_migrations.py``
checks the result on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from sqlalchemy import create_engine

from service.opener import SCHEMA
from vault import migrate
from vault.models import Base


def main(message: str) -> None:
    assert SCHEMA.tables  # every layer's models are in Base.metadata
    head = migrate.script_head() or "r0000"
    rev = f"r{int(head[1:]) + 1:04}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        with engine.connect() as conn:
            migrate.upgrade(conn)
            cfg = migrate.config(conn, metadata=Base.metadata)
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev)
        engine.dispose()
    print(f"written {rev}: read it, then add {rev!r} to REVISIONS in vault/migrations/__init__.py")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
