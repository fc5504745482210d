"""``custos server push --vault PATH``: a local vault moved into an empty agency server (the real
trial server: PostgreSQL over TLS + SeaweedFS S3, a database and a bucket of each test's own),
driven as a user drives it: the ``custos`` program in a subprocess."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from serverkit import TrialServer

from vault.backend import Server
from vaultkit import (
    FAST_KDF,
    PASSWORD,
    ROOT,
    cli_env,
    one_error_line,
    run_cli,
)

FACES = ROOT.parent / "shared" / "faces" / "knn"
INGEST = ("ingest", "--case", "C-1", "--exhibit", "EX-1", "--seized-by", "Sgt P")
MARKER = "Quayside-Marker-7Q3Z"  # a string the push must never leave readable on the server
SMALL = 300  # small files: an ingest of 256 or more of them writes packs


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def _local(*args: str, vault: Path, **more: str) -> Any:
    """A command on the local vault (no server in the environment)."""
    return run_cli(*args, vault=vault, **more)


def _server(*args: str, tmp_path: Path, env: dict[str, str], **more: str) -> Any:
    return run_cli(*args, vault=tmp_path / "no-vault-here", **{**env, **more})


def _push(vault: Path, tmp_path: Path, env: dict[str, str]) -> Any:
    return _server("server", "push", "--vault", str(vault), tmp_path=tmp_path, env=env)


def _small_files(folder: Path) -> Path:
    folder.mkdir()
    for i in range(SMALL):
        (folder / f"note-{i:03d}.txt").write_bytes(f"{MARKER} note {i}\n".encode() * 20)
    return folder


def _new_local(tmp_path: Path, title: str | None = None) -> Path:
    """A new local vault (alice, every role), closed; with case C-1 if ``title`` is given."""
    from service.opener import init_vault

    vault = tmp_path / "vault"
    session, _ = init_vault(vault, "alice", PASSWORD, kdf=FAST_KDF)
    session.close()
    if title is not None:
        _ok(_local("case", "create", "C-1", "--title", title, vault=vault))
    return vault


def _local_vault(tmp_path: Path) -> Path:
    """A local vault with a case, real photos, a packed folder of small files, a second user
    and a hash set made from the case."""

    if not FACES.is_dir():
        pytest.fail(f"{FACES}: the shared test photos are missing")
    vault = _new_local(tmp_path, f"Harbour {MARKER}")
    photos = tmp_path / "photos"
    shutil.copytree(FACES, photos)
    _ok(_local(*INGEST, str(photos), vault=vault))
    _ok(_local(*INGEST, str(_small_files(tmp_path / "small")), vault=vault))
    _ok(
        _local("user", "add", "bob", "--role", "analyst", vault=vault, CUSTOS_NEW_PASSWORD=PASSWORD)
    )
    _ok(
        _local(
            "user", "add", "olga", "--role", "officer", vault=vault, CUSTOS_NEW_PASSWORD=PASSWORD
        )
    )
    _ok(
        _local(
            "hashset", "from-case", "--case", "C-1", "--name", "harbour-set", "--items", "1",
            vault=vault, CUSTOS_USER="bob",
        )
    )  # fmt: skip
    # a watchlist with a subject enrolled from a real photo (face detected and encoded)
    _ok(_local("watchlist", "create", "harbour-watch", vault=vault, CUSTOS_USER="bob"))
    _ok(
        _local(
            "watchlist", "enrol", "harbour-watch", "--subject", "S-1", "--reason", "warrant",
            "--agency", "Harbour Police", "--review-on", "2027-06-01",
            str(FACES / "test" / "obama1.jpg"), vault=vault, CUSTOS_USER="bob",
        )
    )  # fmt: skip
    return vault


def _items(result: Any) -> list[dict[str, Any]]:
    return sorted(json.loads(_ok(result)), key=lambda i: i["id"])


def _audit(result: Any) -> list[dict[str, Any]]:
    return json.loads(_ok(result))


def test_push_moves_a_vault_with_its_history_and_it_verifies_on_the_server(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    vault = _local_vault(tmp_path)
    local_items = _items(_local("items", "list", "--case", "C-1", "--json", vault=vault))
    local_audit = _audit(_local("audit", "--json", vault=vault))
    toml = (vault / "vault.toml").read_bytes()
    assert any(p.name for p in (vault / "packs").rglob("*") if p.is_file())

    said = _ok(_push(vault, tmp_path, env))
    assert "verified on the server:" in said and said.rstrip().endswith(": OK"), said

    # the local vault is unchanged: same file, same log (the push's verify records nothing)
    assert (vault / "vault.toml").read_bytes() == toml
    assert _audit(_local("audit", "--json", vault=vault)) == local_audit

    # the server: same items, a packed one exports its original bytes, verify passes
    server_items = _items(
        _server("items", "list", "--case", "C-1", "--json", tmp_path=tmp_path, env=env)
    )
    assert server_items == local_items
    packed = next(i for i in server_items if i["name"].endswith("note-123.txt"))
    out = tmp_path / "exported.txt"
    _ok(_server("items", "export", str(packed["id"]), "--to", str(out), tmp_path=tmp_path, env=env))
    original = (tmp_path / "small" / "note-123.txt").read_bytes()
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(original).digest()
    verified = _ok(_server("verify", tmp_path=tmp_path, env=env))
    assert verified.rstrip().endswith(": OK"), verified

    # users sign in with their local passwords (bob is an analyst: he reads the case)
    assert (
        _items(
            _server(
                "items",
                "list",
                "--case",
                "C-1",
                "--json",
                tmp_path=tmp_path,
                env=env,
                CUSTOS_USER="bob",
            )
        )
        == local_items
    )
    sets = json.loads(_ok(_server("hashset", "list", "--json", tmp_path=tmp_path, env=env)))
    assert [s["name"] for s in sets] == ["harbour-set"]
    shown = ("watchlist", "show", "harbour-watch", "--json")
    watch = json.loads(_ok(_local(*shown, vault=vault, CUSTOS_USER="bob")))
    assert watch == json.loads(_ok(_server(*shown, tmp_path=tmp_path, env=env, CUSTOS_USER="bob")))
    assert "S-1" in json.dumps(watch)

    # the server's log is the local one, then the push
    server_audit = _audit(_server("audit", "--json", tmp_path=tmp_path, env=env))
    assert server_audit[: len(local_audit)] == local_audit
    after = [e["action"] for e in server_audit[len(local_audit) :]]
    # the push's entry and its verify; then what this test did (an export, a verify)
    assert after == ["vault.pushed", "vault.verified", "custody.exported", "vault.verified"]
    # objects as stored: every local age file is in the bucket, byte for byte
    store = trial_server.store_of(place)
    for space in ("blobs", "packs"):
        local = sorted(p for p in (vault / space).rglob("*") if p.is_file())
        assert len(list(store.names(space))) == len(local) > 0
        for path in local[:3]:
            key = f"{space}/{path.relative_to(vault / space).as_posix()}"
            assert b"".join(store.get_chunks(key)) == path.read_bytes()


def test_push_to_a_server_that_holds_a_vault_is_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    vault = _new_local(tmp_path)
    _ok(_push(vault, tmp_path, env))
    again = _push(vault, tmp_path, env)
    line = one_error_line(again, 2)
    assert "the database already holds an agency vault; push needs an empty database" in line


def test_a_vault_with_a_tampered_row_is_not_pushed(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    from service.opener import unlock
    from vaultkit import sql

    vault = _new_local(tmp_path, "Harbour")
    session = unlock(vault, "alice", PASSWORD)
    try:
        sql(session, "UPDATE cases SET title = 'Harbor' WHERE reference = 'C-1'")
    finally:
        session.close()
    refused = _push(vault, tmp_path, env)
    line = one_error_line(refused, 5)
    assert "problem(s)" in line and "nothing was pushed" in line, line
    # the server is still empty: a push of the repaired vault (or another) may use it
    with trial_server.superuser(_database(place)) as su:
        tables = su.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    assert tables == 0


def _database(place: Server) -> str:
    from vault.server.address import parse

    return parse(place.url).database


def test_a_push_killed_midway_is_finished_by_the_next_push(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    vault = _local_vault(tmp_path)
    local_items = _items(_local("items", "list", "--case", "C-1", "--json", vault=vault))
    command = [sys.executable, "-m", "cli.main", "server", "push", "--vault", str(vault)]
    full_env = cli_env(tmp_path / "no-vault-here", **env)
    # kill it once the copy of the records has begun on the server (its tables exist)
    proc = subprocess.Popen(
        command, env=full_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        while proc.poll() is None and not _tables_made(trial_server, place):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the push ended before it could be killed"
    # no half vault that looks whole: the server says there is no agency vault
    looked = _server("items", "list", "--case", "C-1", tmp_path=tmp_path, env=env)
    assert "no agency vault there" in one_error_line(looked, looked.returncode)
    said = _ok(_push(vault, tmp_path, env))
    assert "(an interrupted push resumed)" in said and said.rstrip().endswith(": OK"), said
    assert (
        _items(_server("items", "list", "--case", "C-1", "--json", tmp_path=tmp_path, env=env))
        == local_items
    )
    actions = [e["action"] for e in _audit(_server("audit", "--json", tmp_path=tmp_path, env=env))]
    assert actions.count("vault.pushed") == 1


def _tables_made(trial_server: TrialServer, place: Server) -> bool:
    with trial_server.superuser(_database(place)) as su:
        found = su.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    return bool(found)


def test_push_needs_a_server(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    result = run_cli("server", "push", "--vault", str(vault), vault=tmp_path / "x")
    assert "no server given" in one_error_line(result, 2)


def test_marker_strings_of_the_local_vault_never_reach_the_server_s_data_folder(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:

    marker = "MRK" + uuid.uuid4().hex[:12].upper()
    vault = _new_local(tmp_path, f"Harbour {marker}")
    folder = tmp_path / "small"
    folder.mkdir()
    for i in range(SMALL):
        (folder / f"{marker}-{i:03d}.txt").write_bytes(f"{marker} note {i}\n".encode() * 20)
    _ok(_local(*INGEST, "--description", f"seized {marker}", str(folder), vault=vault))
    _ok(_local("items", "annotate", "1", "--note", f"note {marker}", vault=vault))
    _ok(_push(vault, tmp_path, env))
    # the control: the same kind of string in a plain column is found, so the search works
    control = marker[::-1]
    with trial_server.superuser(_database(place)) as su:
        su.execute("CREATE TABLE plain_control (t text)")
        su.execute(f"INSERT INTO plain_control VALUES ('{control}')")
        su.execute("CHECKPOINT")  # heap and index pages on disk, besides the WAL
    found = {
        needle: subprocess.run(
            ["grep", "-rlF", needle, str(trial_server.pg_data)], capture_output=True, text=True
        ).stdout.split()
        for needle in (marker, control)
    }
    assert found[control], "the control string should be in the data folder"
    assert found[marker] == [], f"{marker} found in {found[marker]}"
    # nor in the bucket's files (the objects are age files)
    stored = subprocess.run(
        ["grep", "-rlF", marker, str(trial_server.s3_data)], capture_output=True, text=True
    ).stdout.split()
    assert stored == []


def test_a_push_by_a_non_admin_or_of_no_vault_or_with_a_wrong_password_is_one_line(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    vault = _new_local(tmp_path)
    _ok(
        _local("user", "add", "bob", "--role", "analyst", vault=vault, CUSTOS_NEW_PASSWORD=PASSWORD)
    )
    by_bob = _server(
        "server", "push", "--vault", str(vault), tmp_path=tmp_path, env=env, CUSTOS_USER="bob"
    )
    assert "may not push the vault to an agency server" in one_error_line(by_bob, 4)
    refusals = [e for e in _audit(_local("audit", "--json", vault=vault)) if e["actor"] == "bob"]
    assert [e["action"] for e in refusals] == ["permission.refused"]
    wrong = _server(
        "server", "push", "--vault", str(vault), tmp_path=tmp_path, env=env,
        CUSTOS_PASSWORD="not the password",
    )  # fmt: skip
    one_error_line(wrong, 3)
    nowhere = _push(tmp_path / "no-such-vault", tmp_path, env)
    assert "no-such-vault" in one_error_line(nowhere, nowhere.returncode)
    assert nowhere.returncode != 0
    assert not _tables_made(trial_server, place)  # nothing reached the server


def test_a_push_while_another_process_holds_the_server_is_one_line(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    from vault.backend import VAULT_LOCK

    vault = _new_local(tmp_path)
    with trial_server.superuser(_database(place)) as su:
        su.execute("SELECT pg_advisory_lock_shared(%s)", (VAULT_LOCK,))  # another process
        busy = _push(vault, tmp_path, env)
    assert "another Custos process is using the server; push needs it alone" in one_error_line(
        busy, 2
    )
    assert not _tables_made(trial_server, place)
    _ok(_push(vault, tmp_path, env))  # once it is gone
