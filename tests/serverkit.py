"""A real trial server for tests: PostgreSQL 18 + pgvector (behind pgbouncer for TLS) and a
SeaweedFS S3 store, started with Custos's own ``vault.server.trial`` on free loopback ports in a
temporary folder, stopped at the end of the session.

Use the session fixture ``trial_server`` (``tests/conftest.py``)::

    def test_something(trial_server):
        with trial_server.connect() as conn:          # the custos role, TLS verify-full
            conn.execute("SELECT 1")
        with trial_server.superuser("custos") as su:   # over the Unix socket (CREATE DATABASE, ...)
            ...
        store = trial_server.object_store()            # vault.objectstore.S3Store on the bucket

Outside CI, a machine without the programs (``scripts/bootstrap.sh`` not run) skips; under
``CI=true`` that is a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vault.backend import Server
from vault.errors import UserError
from vault.objectstore import S3Store, s3_client
from vault.server import postgres, trial
from vault.server.address import parse
from vault.server.base import Layout, Programs, account, free_port_base

IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass(frozen=True)
class TrialServer:
    folder: Path
    connection: trial.Connection

    @property
    def url(self) -> str:
        """The ``--server`` value (no credentials in it)."""
        return self.connection.address.url()

    @property
    def env(self) -> dict[str, str]:
        """The variables a workstation process gets the server and its credentials from."""
        c = self.connection
        return {
            "CUSTOS_SERVER": self.url,
            "PGPASSWORD": c.credentials.password,
            "AWS_ACCESS_KEY_ID": c.credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": c.credentials.secret_key,
        }

    @property
    def s3_data(self) -> Path:
        return Layout(self.folder).s3_data

    @property
    def pg_data(self) -> Path:
        return Layout(self.folder).pg_data

    def connect(self, database: str | None = None) -> Any:
        """A psycopg connection as the ``custos`` role: TLS, verify-full, autocommit; to the
        ``custos`` database or another one (``superuser().execute("CREATE DATABASE x OWNER
        custos")`` makes one of a test's own)."""
        return postgres.connect(
            self.connection.address, self.connection.credentials.password, database=database
        )

    def superuser(self, database: str = "custos") -> Any:
        return trial.superuser_connection(self.folder, database)

    def object_store(self) -> S3Store:
        return self._store

    @functools.cached_property
    def _store(self) -> S3Store:
        # one client for the session: making a boto3 client costs ~0.3-1 s of CPU, and every
        # place made, copied and dropped wants one
        return S3Store(self.connection.address.s3, self.connection.credentials)

    def s3_client(self) -> Any:
        """A boto3 client of the store (buckets made and dropped; the vault's own requests go
        through ``vault.s3wire``): one for the session, making one costs ~0.3-1 s of CPU."""
        return self._boto

    @functools.cached_property
    def _boto(self) -> Any:
        return s3_client(self.connection.address.s3, self.connection.credentials)

    def new_place(self) -> Server:
        """An empty database and an empty bucket of a test's own on this server, as the
        ``vault.backend.Server`` a face would pass (the custos role's credentials)."""
        name = "t" + uuid.uuid4().hex[:16]
        with self.superuser() as su:
            su.execute(f"CREATE DATABASE {name} OWNER custos")
        with self.superuser(name) as su:  # as `custos server up` does in the agency database
            su.execute("CREATE EXTENSION IF NOT EXISTS vector")
        self.s3_client().create_bucket(Bucket=name)
        address = self.connection.address
        place = dataclasses.replace(
            address, database=name, s3=dataclasses.replace(address.s3, bucket=name)
        )
        return Server(place.url(), self.connection.credentials)

    @contextlib.contextmanager
    def place(self) -> Iterator[Server]:
        """``new_place`` for the length of a test, then dropped: pgbouncer keeps idle server
        connections per database for minutes, so databases left behind by many tests would take
        every PostgreSQL connection slot."""
        place = self.new_place()
        try:
            yield place
        finally:
            self.drop_place(place)

    def drop_place(self, place: Server) -> None:
        where = parse(place.url)
        with self.superuser() as su:
            su.execute(f"DROP DATABASE IF EXISTS {where.database} WITH (FORCE)")
        client = self.s3_client()
        with contextlib.suppress(Exception):
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=where.s3.bucket):
                for entry in page.get("Contents", ()):
                    client.delete_object(Bucket=where.s3.bucket, Key=entry["Key"])
            client.delete_bucket(Bucket=where.s3.bucket)

    def copy_place(self, place: Server) -> Server:
        """A new place holding a copy of ``place``'s vault (as ``shutil.copytree`` copies a
        vault folder): the database made from it as a template, every object copied into a new
        bucket. Nothing may have ``place`` open (its vault closed): the connections pgbouncer
        still keeps to it are ended first."""
        source = parse(place.url)
        copy = parse(self.new_place().url)
        with self.superuser() as su:
            su.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (source.database,),
            )
            su.execute(f"DROP DATABASE {copy.database}")
            su.execute(f"CREATE DATABASE {copy.database} TEMPLATE {source.database} OWNER custos")
        client = self.s3_client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=source.s3.bucket):
            for entry in page.get("Contents", ()):
                client.copy_object(
                    Bucket=copy.s3.bucket,
                    Key=entry["Key"],
                    CopySource={"Bucket": source.s3.bucket, "Key": entry["Key"]},
                )
        return Server(copy.url(), self.connection.credentials)

    def restore_place(self, place: Server, backup: Server) -> None:
        """The operator restores ``place``'s database from ``backup`` (a ``copy_place`` taken
        earlier): same name, the backup's rows; the bucket is left as it is. Nothing may have
        either open."""
        where, source = parse(place.url), parse(backup.url)
        with self.superuser() as su:
            su.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname IN (%s, %s) AND pid <> pg_backend_pid()",
                (where.database, source.database),
            )
            su.execute(f"DROP DATABASE {where.database} WITH (FORCE)")
            su.execute(f"CREATE DATABASE {where.database} TEMPLATE {source.database} OWNER custos")

    def env_for(self, place: Server) -> dict[str, str]:
        """``env`` naming ``place`` (its database and bucket) as the server."""
        return {**self.env, "CUSTOS_SERVER": place.url}

    def store_of(self, place: Server) -> S3Store:
        return S3Store(parse(place.url).s3, self.connection.credentials)

    def restart_postgresql(self, mode: str = "fast") -> None:
        """Stop PostgreSQL alone (``pg_ctl stop -m fast``: sessions are ended, open
        transactions rolled back; ``immediate``: as a crash, WAL replayed at the start) and start
        it again; pgbouncer and the S3 store keep running. For a trial server of a test's own
        (``running_trial_server``): the session's shared one serves other tests."""
        from vault.server.base import Programs, account
        from vault.server.trial import _bin_dir

        layout, who = Layout(self.folder), account()
        bin_dir = _bin_dir(layout, Programs.installed())
        stopped = who.run([str(bin_dir / "pg_ctl"), "stop", "-D", str(layout.pg_data), "-m", mode])
        assert stopped.returncode == 0, stopped
        postgres.start(layout, bin_dir, who)

    def ingest_elsewhere(self, place: Server, home: Path, n: int, case: str = "C-1") -> None:
        """Another workstation (the ``custos`` program in a process, its cache folder under
        ``home``) ingests ``n`` small files into ``case`` on ``place``."""
        import subprocess
        import sys

        from vaultkit import cli_env

        folder = home / "dump"
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"note-{i:03}.txt").write_text(f"seized note {i}\n")
        env = cli_env(
            home / "no-vault-here", **self.env_for(place), CUSTOS_CACHE_DIR=str(home / "cache")
        )
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "ingest", "--case", case, str(folder)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert f"saved {n} item(s)" in done.stdout


def listing_also_naming(key: str) -> Any:
    """``S3Store.names`` as a store answers after ``key`` was deleted once listed (a streamed
    listing can name it still): for ``monkeypatch.setattr(S3Store, "names", ...)``."""
    listed = S3Store.names

    def stale(self: S3Store, prefix: str) -> Iterator[str]:
        yield from listed(self, prefix)
        if prefix == key.partition("/")[0]:
            yield key

    return stale


def markers_in_data_folder(
    server: TrialServer, database: str, needles: list[bytes]
) -> dict[bytes, list[str]]:
    """needle -> the files of PostgreSQL's data folder (WAL included) that hold it, after a
    CHECKPOINT (heap and index pages on disk besides the WAL). A plain control value written
    to ``database`` first must be found, or the search proves nothing (asserted here)."""
    control = uuid.uuid4().hex.encode()
    with server.superuser(database) as su:
        su.execute("CREATE TABLE plain_control (t text)")
        su.execute(f"INSERT INTO plain_control VALUES ('{control.decode()}')")
        su.execute("CHECKPOINT")
    found: dict[bytes, list[str]] = {n: [] for n in [control, *needles]}
    for path in server.pg_data.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in found:
                if needle in data:
                    found[needle].append(str(path.relative_to(server.pg_data)))
    assert found.pop(control), "the plain control value should be in the data folder"
    return found


def missing_programs() -> str | None:
    try:
        Programs.installed().check()
        account()
    except UserError as exc:
        return str(exc)
    return None


@contextlib.contextmanager
def running_trial_server() -> Iterator[TrialServer]:
    """Start a trial server in a new temporary folder; stop it and remove the folder after.

    The folder is made under the system's temp folder with a short name (PostgreSQL's socket
    path must fit in 108 bytes) and is traversable (0711): run as root, PostgreSQL runs as an
    unprivileged user that must reach its own data folder."""
    parent = Path(tempfile.mkdtemp(prefix="custos-srv-"))
    os.chmod(parent, 0o711)
    folder = parent / "s"
    try:
        connection, _ = trial.up(folder, free_port_base())
        try:
            yield TrialServer(folder, connection)
        finally:
            trial.down(folder)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
