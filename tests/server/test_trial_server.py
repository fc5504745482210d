"""``custos server up/down/status/env/check`` against the real trial server: PostgreSQL 18 with
pgvector behind TLS (pgbouncer), SeaweedFS S3, on loopback only, credentials nowhere but in the
server's own folder (0600) and the environment of who uses it."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
from pathlib import Path

import psycopg
import pytest
from serverkit import TrialServer

from vault.server import trial
from vault.server.address import Credentials, parse
from vault.server.base import port_in_use
from vault.server.check import check
from vaultkit import ROOT, one_clear_line, run_cli


def custos(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``custos`` as a subprocess with none of the caller's server variables (only ``env``)."""
    clean = {k: "" for k in ("PGPASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    return run_cli(*args, vault=ROOT / "no-vault", **{**clean, **(env or {})})


def children(parent: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent:
                found.add(int(entry.name))
    return found


def test_a_client_connects_with_tls_verified_and_pgvector_works(trial_server: TrialServer) -> None:
    with trial_server.connect() as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("18")
        conn.execute("CREATE TABLE IF NOT EXISTS probe (id int, v vector(3))")
        conn.execute("INSERT INTO probe VALUES (1, '[1,0,0]'), (2, '[0,1,0]')")
        nearest = conn.execute("SELECT id FROM probe ORDER BY v <-> '[0.9,0.1,0]' LIMIT 1")
        assert nearest.fetchone()[0] == 1
        conn.execute("DROP TABLE probe")


def test_a_test_can_make_a_database_of_its_own_and_reach_it_over_tls(
    trial_server: TrialServer,
) -> None:
    with trial_server.superuser() as su:
        su.execute("DROP DATABASE IF EXISTS own_db")
        su.execute("CREATE DATABASE own_db OWNER custos")
    with trial_server.superuser("own_db") as su:
        su.execute("CREATE EXTENSION vector")
    with trial_server.connect("own_db") as conn:
        assert conn.pgconn.ssl_in_use
        conn.execute("CREATE TABLE t (v vector(2))")
        assert conn.execute("SELECT current_database()").fetchone()[0] == "own_db"
    with trial_server.superuser() as su:
        su.execute("DROP DATABASE own_db WITH (FORCE)")


def test_without_tls_or_with_a_wrong_password_or_ca_the_server_refuses(
    trial_server: TrialServer, tmp_path: Path
) -> None:
    address = trial_server.connection.address
    good = trial_server.connection.credentials
    common = dict(host=address.host, port=address.port, user="custos", dbname="custos")
    with pytest.raises(psycopg.OperationalError, match="SSL required"):
        psycopg.connect(**common, password=good.password, sslmode="disable")
    # the superuser has no way in over the network at all
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            **{**common, "user": "postgres"},
            password="x",
            sslmode="verify-full",
            sslrootcert=address.ca_file,
        )
    other_ca = tmp_path / "other-ca.pem"
    from vault.server import tls

    other_ca.write_bytes(tls.make("another").ca_pem)
    wrong_pw = check(address, Credentials("not the password", good.access_key, good.secret_key))
    assert wrong_pw.problems == [
        f"PostgreSQL at 127.0.0.1:{address.port}: password refused for custos (check PGPASSWORD)"
    ]
    wrong_ca = check(parse(address.url().replace(address.ca_file, str(other_ca))), good)
    assert wrong_ca.problems == [
        f"PostgreSQL at 127.0.0.1:{address.port}: its TLS certificate does not verify against "
        f"{other_ca}"
    ]
    wrong_key = check(address, Credentials(good.password, good.access_key, "wrong secret"))
    assert len(wrong_key.problems) == 1 and "access key or secret refused" in wrong_key.problems[0]
    assert check(address, good).ok


def test_it_listens_on_loopback_only_and_keeps_its_secrets_to_itself(
    trial_server: TrialServer,
) -> None:
    folder = trial_server.folder
    info = json.loads((folder / "server.json").read_text())
    secrets = json.loads((folder / "secrets.json").read_text())
    assert stat.S_IMODE((folder / "secrets.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "s3" / "identities.json").stat().st_mode) == 0o600
    text = (folder / "server.json").read_text() + trial_server.url
    for value in secrets.values():
        assert value not in text  # neither server.json nor the URL holds a secret
    hba = (folder / "pg" / "pgbouncer_hba.conf").read_text()
    assert [line for line in hba.splitlines() if not line.startswith("#")] == [
        "hostssl all all 127.0.0.1/32 scram-sha-256"
    ]
    assert "trust" not in (folder / "pg" / "data" / "pg_hba.conf").read_text()
    # no secret in any other file: logs, configuration, the cluster, the store's data
    holders = {"secrets.json", "identities.json"}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name not in holders:
            data = path.read_bytes()
            assert not [k for k, v in secrets.items() if v.encode() in data], path
    listening = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True).stdout
    ours = {str(p) for p in info["ports"].values()}
    seen = [
        line.split()[3]
        for line in listening.splitlines()
        if line.split()[3].rsplit(":", 1)[-1] in ours
    ]
    assert seen and all(addr.startswith("127.0.0.1:") for addr in seen), seen


def test_up_again_says_already_running_status_env_and_check_from_the_cli(
    trial_server: TrialServer,
) -> None:
    folder = str(trial_server.folder)
    again = custos("server", "up", folder)
    assert again.returncode == 0, again.stderr
    assert f"trial server already running in {folder}" in again.stdout
    assert f"--server '{trial_server.url}'" in again.stdout
    status = custos("server", "status", folder, "--json")
    assert json.loads(status.stdout)["running"] == {
        "PostgreSQL": True,
        "pgbouncer": True,
        "SeaweedFS": True,
    }
    exported = custos("server", "env", folder).stdout
    env = dict(line.removeprefix("export ").split("=", 1) for line in exported.splitlines())
    env = {k: v.strip("'") for k, v in env.items()}
    assert env == trial_server.env
    ok = custos("server", "check", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "pgvector 0.8" in ok.stdout and "bucket custos answers" in ok.stdout
    bad = custos("server", "check", env={**env, "PGPASSWORD": "wrong"})
    assert bad.returncode == 1
    assert one_clear_line(bad).splitlines() == [
        f"- PostgreSQL at 127.0.0.1:{trial_server.connection.address.port}: password refused "
        "for custos (check PGPASSWORD)",
        "error: server check: 1 problem(s)",
    ]
    nobody = custos("server", "check", env={**env, "PGPASSWORD": ""} | {"CUSTOS_SERVER": ""})
    assert "no server given" in one_clear_line(nobody)
    named = custos(
        "--server", trial_server.url, "server", "check", env={**env, "CUSTOS_SERVER": ""}
    )
    assert named.returncode == 0, named.stderr  # the global --server, as every command takes it
    assert "bucket custos answers" in named.stdout


def test_a_crashed_server_is_started_again_and_stale_pids_are_never_killed(tmp_path: Path) -> None:
    """SIGKILL every process of a trial server (a crash, a power cut): ``up`` starts it again
    with its data; a pid file naming another process (a reboot reused the number) is ignored
    by ``down`` and ``up`` alike."""
    import serverkit

    with serverkit.running_trial_server() as server:
        with server.connect() as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (42)")
        store = server.object_store()
        source = tmp_path / "o"
        source.write_bytes(b"kept object")
        key = "blobs/ab/" + "ab" * 32
        store.put(key, source)
        info = json.loads((server.folder / "server.json").read_text())
        pids = set(info["pids"].values())
        pids |= children(info["pids"]["postgresql"])  # the postmaster's backends die with it
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # a backend that ended meanwhile
                os.kill(pid, 9)
        stale = os.getpid()  # a live process that is not ours to stop
        (server.folder / "s3" / "weed.pid").write_text(f"{stale}\n")
        assert trial.status(server.folder).s3 is False
        _, already = trial.up(server.folder)
        assert not already
        with server.connect() as conn:
            assert conn.execute("SELECT n FROM kept").fetchone()[0] == 42
        assert b"".join(server.object_store().get_chunks(key)) == b"kept object"
    assert not any(port_in_use(p) for p in info["ports"].values())
