"""The schema's history as Alembic revisions (``vault/migrations``), on both back ends.

The revisions build exactly the models' schema (every layer) on SQLCipher and on PostgreSQL 18,
so a model changed without a revision fails here; a new vault is at the head revision with the
same schema; frozen vaults of format 2 and of today's format 3 (made before the migrations, as
users hold them) open, are stamped at the revision their state shows and upgraded to head with
their items, custody and audit chain intact; a vault a newer Custos changed is refused in one
line; and opening a vault at head imports no Alembic.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text
from sqlalchemy.engine import URL, Connection, Engine

from service.opener import SCHEMA, recover
from vault import migrate, migrations, sealing
from vault.audit import read_head_file
from vault.backend import sqlcipher_engine as _engine
from vault.config import VaultConfig
from vault.errors import VaultUnavailable
from vault.items import custody, list_items, read_item_bytes
from vault.models import Blob
from vault.rotation import rotate_vault_key
from vault.session import Session
from vault.verify import verify
from vaultkit import (
    audit_rows,
    blob_files,
    new_vault,
    one_error_line,
    open_as,
    pack_files,
    run_cli,
)

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


def _models() -> MetaData:
    """Every table a vault opened by the opener has (all layers), as the models declare it."""
    metadata = MetaData()
    for table in SCHEMA.tables:
        table.to_metadata(metadata)
    return metadata


def _differences(conn: Connection) -> list[Any]:
    opts = {"compare_server_default": True, "include_object": migrate.include_object}
    context = MigrationContext.configure(conn, opts=opts)
    return list(compare_metadata(context, _models()))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return migrations.revision_of(conn)


def _frozen(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(DATA / name / "vault", folder)
    (folder / "tmp").mkdir(mode=0o700, exist_ok=True)
    return folder


@pytest.fixture
def sqlcipher(tmp_path: Path) -> Iterator[Engine]:
    """An empty keyed SQLCipher database on the vault's own engine (pragmas included)."""
    engine = _engine(tmp_path / "custos.db", os.urandom(32))
    yield engine
    engine.dispose()


def test_the_code_knows_every_revision_and_head_is_the_scripts_head() -> None:
    script = ScriptDirectory(str(migrations.LOCATION))
    chain = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert tuple(chain) == migrations.REVISIONS
    assert migrate.script_head() == migrations.HEAD


def test_the_revisions_build_the_models_schema_on_sqlcipher(sqlcipher: Engine) -> None:
    with sqlcipher.connect() as conn:
        assert migrate.upgrade(conn) is None  # from empty
    assert _revision(sqlcipher) == migrations.HEAD
    with sqlcipher.connect() as conn:
        assert _differences(conn) == []


@pytest.mark.filterwarnings("error::sqlalchemy.exc.SAWarning")  # pgvector's type known too
def test_the_revisions_build_the_models_schema_on_postgresql(postgres_url: URL) -> None:
    engine = create_engine(postgres_url)
    sealing.attach(engine, bytes(32))
    try:
        with engine.connect() as conn:
            assert migrate.upgrade(conn) is None
        assert _revision(engine) == migrations.HEAD
        with engine.connect() as conn:
            assert conn.execute(text("SHOW server_version")).scalar().startswith("18")
            assert _differences(conn) == []
            assert set(inspect(conn).get_table_names()) == {t.name for t in SCHEMA.tables} | {
                migrations.VERSION_TABLE
            }
        with engine.begin() as conn:  # a disk image of 5 GiB: sizes are 64-bit there too
            big = {"name": "n", "sha256": "s", "size": 5 << 30}
            conn.execute(insert(Blob), sealing.insert_params(conn, Blob, [big]))
            assert conn.execute(select(Blob.size)).scalar() == 5 << 30
    finally:
        engine.dispose()


def test_a_new_vault_is_at_head_with_the_models_schema(tmp_path: Path) -> None:
    session, _ = new_vault(tmp_path / "v")
    with session:
        assert _revision(session.engine) == migrations.HEAD
        with session.engine.connect() as conn:
            assert _differences(conn) == []


def test_a_frozen_vault_of_format_2_is_upgraded_to_head_through_the_revisions(
    tmp_path: Path,
) -> None:
    folder = _frozen("format2", tmp_path)
    assert VaultConfig.load(folder).format == 2
    with open_as(folder) as session:
        assert VaultConfig.load(folder).format == 3
        assert _revision(session.engine) == migrations.HEAD
        with session.engine.connect() as conn:  # tables its Custos never knew are there now
            assert _differences(conn) == []
        assert len(blob_files(folder)) == 1 and len(pack_files(folder)) == 1
        _assert_pack_sizes_recorded(session, folder)
        [entry] = audit_rows(session, "vault.upgraded")
        assert entry.actor == "alice" and '"packed":6' in entry.details
        pinned = read_head_file(folder)  # audit.head pins it, as after any transaction
        assert pinned is not None and pinned.seq >= entry.seq
        items = list_items(session, "C-OLD")
        assert len(items) == 8
        for item in items:
            assert hashlib.sha256(read_item_bytes(session, item.id)).hexdigest() == item.sha256
            assert [e.kind for e in custody(session, item.id)][:1] == ["acquired"]
        report = verify(session)
        assert report.ok, report.problems
    with open_as(folder) as session:  # at head: nothing more happens
        assert len(audit_rows(session, "vault.upgraded")) == 1


def _assert_pack_sizes_recorded(session: Session, folder: Path) -> None:
    """r0014 recorded each pack's file size in every row of its objects."""
    with session.db() as db:
        rows = db.execute(select(Blob.pack, Blob.pack_size).where(Blob.pack != "")).all()
    sizes = {p.name: p.stat().st_size for p in pack_files(folder)}
    assert rows and {pack: size for pack, size in rows} == sizes
    assert len({(pack, size) for pack, size in rows}) == len(sizes)


def _format3_note(n: int) -> bytes:
    return (f"frozen format-3 object {n}\n" * (n % 4 + 1)).encode()


def test_a_frozen_vault_of_todays_format_opens_and_is_upgraded_to_head(tmp_path: Path) -> None:
    folder = _frozen("format3", tmp_path)
    assert VaultConfig.load(folder).format == 3
    stores = (blob_files(folder), pack_files(folder))
    with open_as(folder) as session:
        assert _revision(session.engine) == migrations.HEAD
        with session.engine.connect() as conn:
            assert _differences(conn) == []
        assert (blob_files(folder), pack_files(folder)) == stores  # nothing to move
        _assert_pack_sizes_recorded(session, folder)
        assert not audit_rows(session, "vault.upgraded")
        items = list_items(session, "C-NOW")
        assert len(items) == 262
        for item in items:
            data = read_item_bytes(session, item.id)
            assert hashlib.sha256(data).hexdigest() == item.sha256
            if item.name.startswith("sources/note"):
                assert data == _format3_note(int(item.name[12:15]))
        kinds = [e.kind for e in custody(session, 1)]
        assert kinds[:3] == ["acquired", "annotated", "corrected"]  # then "viewed" (read above)
        report = verify(session)
        assert report.ok, report.problems


def test_a_vault_a_newer_custos_changed_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    session, _ = new_vault(folder)
    with session, session.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'r9999'"))
    with pytest.raises(VaultUnavailable) as refused:
        open_as(folder)
    message = str(refused.value)
    assert "newer Custos" in message and "'r9999'" in message and "\n" not in message
    line = one_error_line(run_cli("case", "list", vault=folder), 6)  # as the CLI says it
    assert line.endswith("(schema 'r9999'); update Custos")


def test_opening_a_vault_at_head_imports_no_alembic(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    new_vault(folder)[0].close()
    script = f"""
import sys
sys.path.insert(0, {str(REPO / "tests")!r})
from vaultkit import open_as
with open_as(__import__("pathlib").Path({str(folder)!r})) as session:
    pass
print(sorted(m for m in sys.modules if m.split(".")[0] in ("alembic", "mako", "numpy", "cv2")))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr


_KILL_AT = {
    # r0003 (the columns) committed, r0004 not begun
    "before the move": "vault.upgrade.to_packs",
    # packs sealed and durable, r0004's transaction not committed
    "before the commit": "vault.upgrade.syncfs",
    # r0004 committed (rows, audit entry, revision); vault.toml still says format 2
    "after the commit": "vault.upgrade.finish",
}


@pytest.mark.parametrize("moment", sorted(_KILL_AT))
def test_an_upgrade_killed_at_any_step_is_finished_once_at_the_next_open(
    moment: str, tmp_path: Path
) -> None:
    """SIGKILL (no clean-up, no session close) at each step of the format-2 upgrade: the next
    open upgrades once, nothing is lost, no pack or loose copy is left over."""
    folder = _frozen("format2", tmp_path)
    module, _, name = _KILL_AT[moment].rpartition(".")
    script = f"""
import os, signal, sys
sys.path.insert(0, {str(REPO / "tests")!r})
import {module} as target
from vaultkit import open_as
real = getattr(target, {name!r})

def killed(*args, **kwargs):
    if {name!r} == "syncfs":
        real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

setattr(target, {name!r}, killed)
open_as(__import__("pathlib").Path({str(folder)!r}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == -9, out.stderr
    with open_as(folder) as session:
        assert VaultConfig.load(folder).format == 3
        assert _revision(session.engine) == migrations.HEAD
        assert len(audit_rows(session, "vault.upgraded")) == 1
        assert len(blob_files(folder)) == 1 and len(pack_files(folder)) == 1
        _assert_pack_sizes_recorded(session, folder)
        for item in list_items(session, "C-OLD"):
            assert hashlib.sha256(read_item_bytes(session, item.id)).hexdigest() == item.sha256
        report = verify(session)
        assert report.ok, report.problems


def test_a_frozen_vault_reopened_with_its_recovery_identity_is_upgraded_too(
    tmp_path: Path,
) -> None:
    folder = _frozen("format2", tmp_path)
    identity = (DATA / "format2" / "recovery.txt").read_text()
    with recover(folder, identity, "alice", "a new password 1") as session:
        assert VaultConfig.load(folder).format == 3
        assert _revision(session.engine) == migrations.HEAD
        assert [e.action for e in audit_rows(session)][-2:] == ["vault.recovered", "vault.upgraded"]
        report = verify(session)
        assert report.ok, report.problems


def test_a_vault_key_rotation_keeps_the_schema_revision(tmp_path: Path) -> None:
    """The rotation re-encrypts the whole database into a new file (``sqlcipher_export``): the
    revision goes with it, so the next open stays a single SELECT."""
    session, _ = new_vault(tmp_path / "v")
    with session:
        rotate_vault_key(session, "scheduled")
        assert _revision(session.engine) == migrations.HEAD
    with open_as(tmp_path / "v") as again:
        assert not again.schema_behind()
