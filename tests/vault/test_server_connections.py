"""Signing in to an agency server (issue 12 "Speed"): one connection, not four: the vault
file's reads (the face's check, the throttle's, the vault's own) and the vault lock share the
connection the first read made (``vault.backend._Spare``); a kept connection the server ended,
or one kept too long, is never used. The key derivation starts at the command line's start
from this workstation's note of the vault's salt and settings (``vault.backend.kdf_hint``),
used only if the server's vault file agrees. Real trial server, real TLS and SCRAM."""

from __future__ import annotations

import json
import os
import select
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serverkit import TrialServer

from cli.main import _derive_ahead
from cli.startup import StartUp
from service.opener import init_vault, unlock
from vault import backend
from vault.backend import Server
from vault.cases import create_case, list_cases
from vault.server import postgres
from vault.session import check_vault
from vaultkit import FAST_KDF, PASSWORD, run_cli


@pytest.fixture()
def agency(server_place: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    session, _ = init_vault(server_place, "alice", PASSWORD, kdf=FAST_KDF)
    create_case(session, "C-1", "Harbour seizure")
    session.close()
    return server_place


@pytest.fixture()
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The PostgreSQL backend pid of every connection ``postgres.connect`` makes from now on
    (the real function, counted)."""
    backend._SPARE.take(("", ""))  # nothing kept from a test before
    pids: list[int] = []
    real = postgres.connect

    def counted(*args: Any, **kwargs: Any) -> Any:
        conn = real(*args, **kwargs)
        pids.append(conn.execute("SELECT pg_backend_pid()").fetchone()[0])  # behind pgbouncer
        return conn

    monkeypatch.setattr(postgres, "connect", counted)
    yield pids


def test_a_sign_in_reads_the_vault_file_three_times_and_takes_the_lock_on_one_connection(
    agency: Server, made: list[int]
) -> None:
    check_vault(agency)  # the face's check before it asks for the password
    assert len(made) == 1
    session = unlock(agency, "alice", PASSWORD)  # the throttle's read, the vault's, the lock
    try:
        assert len(made) <= 2  # + the engine's first connection (4 or 5 before)
        assert [c.reference for c in list_cases(session)] == ["C-1"]
    finally:
        session.close()


def test_a_kept_connection_the_server_ended_is_not_used(
    agency: Server, trial_server: TrialServer, made: list[int]
) -> None:
    check_vault(agency)
    [kept] = made
    with trial_server.superuser() as su:
        assert su.execute("SELECT pg_terminate_backend(%s)", (kept,)).fetchone()[0]
    # pgbouncer passes the ending on to the client connection (its socket turns readable);
    # the next read sees that and makes a new connection instead of failing
    kept_now = backend._SPARE._kept
    assert kept_now is not None
    readable, _, _ = select.select([kept_now[1].fileno()], [], [], 30)
    assert readable
    check_vault(agency)
    assert len(made) == 2
    session = unlock(agency, "alice", PASSWORD)
    session.close()


def test_a_connection_kept_longer_than_allowed_is_closed_not_used(
    agency: Server, made: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend, "SPARE_SECONDS", -1.0)
    check_vault(agency)
    check_vault(agency)
    assert len(made) == 2


def test_a_connection_is_kept_only_for_the_same_database_and_login(
    agency: Server, trial_server: TrialServer, made: list[int], tmp_path: Path
) -> None:
    other = trial_server.new_place()
    try:
        init_vault(other, "bob", PASSWORD, kdf=FAST_KDF)[0].close()
        made.clear()
        check_vault(agency)
        check_vault(other)  # another database: its own connection
        check_vault(agency)  # the kept one was the other's: a new one
        assert len(made) == 3
    finally:
        backend._SPARE.take(("", ""))
        trial_server.drop_place(other)


def test_the_note_holds_the_vaults_salt_and_settings_and_nothing_else(agency: Server) -> None:
    config = check_vault(agency)
    assert backend.kdf_hint(agency.url) == (config.salt, config.kdf)
    note = next((Path(os.environ["CUSTOS_CACHE_DIR"]) / "servers").glob("*/" + backend.KDF_NOTE))
    assert note.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(note.read_text())) == {"salt", "memory_kib", "iterations", "lanes"}


def test_the_command_line_starts_the_derivation_from_the_note(
    agency: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = check_vault(agency)  # noted
    monkeypatch.setenv("CUSTOS_SERVER", agency.url)
    monkeypatch.setenv("CUSTOS_USER", "alice")
    startup = StartUp(secrets={"CUSTOS_PASSWORD": PASSWORD})
    _derive_ahead(["case", "list"], startup)
    ahead = startup.take_derivation()
    assert ahead is not None
    assert ahead.take(PASSWORD, "alice", config.salt, config.kdf) is not None


@pytest.mark.parametrize(
    "planted",
    [
        {"iterations": 4294967295},  # months of derivation
        {"memory_kib": 1 << 40},
        {"lanes": 0},  # Argon2id refuses: a traceback from thread custos-kdf
        {"iterations": 0},
        {"iterations": "many"},
        {"salt": 5},
        {"lanes": [1]},
        "{not json",
    ],
)
def test_a_hostile_note_is_as_if_absent(
    agency: Server, planted: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No derivation is started from a note out of bounds or malformed, and the command runs."""
    config = check_vault(agency)
    note = next((Path(os.environ["CUSTOS_CACHE_DIR"]) / "servers").glob("*/" + backend.KDF_NOTE))
    if isinstance(planted, dict):
        note.write_text(json.dumps({**json.loads(note.read_text()), **planted}))
    else:
        note.write_text(planted)
    assert backend.kdf_hint(agency.url) is None
    startup = StartUp(secrets={"CUSTOS_PASSWORD": PASSWORD})
    with monkeypatch.context() as env:
        env.setenv("CUSTOS_SERVER", agency.url)
        env.setenv("CUSTOS_USER", "alice")
        _derive_ahead(["case", "list"], startup)
    assert startup.take_derivation() is None
    listed = run_cli("case", "list", vault=agency)
    assert listed.returncode == 0, listed.stderr
    assert "C-1" in listed.stdout and "Traceback" not in listed.stderr
    assert backend.kdf_hint(agency.url) == (config.salt, config.kdf)  # noted again


def test_a_stale_or_planted_note_costs_a_derivation_not_the_sign_in(agency: Server) -> None:
    check_vault(agency)
    note = next((Path(os.environ["CUSTOS_CACHE_DIR"]) / "servers").glob("*/" + backend.KDF_NOTE))
    planted = json.loads(note.read_text())
    planted["salt"] = "00" * 16
    note.write_text(json.dumps(planted))
    listed = run_cli("case", "list", vault=agency)
    assert listed.returncode == 0, listed.stderr
    assert "C-1" in listed.stdout
    assert json.loads(note.read_text())["salt"] != planted["salt"]  # noted again
    refused = run_cli("case", "list", vault=agency, password="not the password")
    assert refused.returncode != 0
    assert "wrong password" in refused.stderr and "Traceback" not in refused.stderr


def test_a_server_older_than_postgresql_15_is_refused_at_connect_in_one_line(
    agency: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oldest PostgreSQL Custos supports is 15 (the issue's; nothing the workstation sends
    needs a later one): a server that reports an older ``server_version_num`` at connect is
    refused there, in one line naming the version found. The trial server is 18: the minimum
    is raised past it to stand for an older server (the real connection, the real check)."""
    from vault.errors import VaultUnavailable

    backend._SPARE.take(("", ""))
    from vault.server.address import parse

    found = postgres.connect(parse(agency.url), agency.credentials.password)
    real = found.info.server_version
    found.close()
    assert real >= postgres.MIN_SERVER_VERSION
    monkeypatch.setattr(postgres, "MIN_SERVER_VERSION", (real // 10000 + 1) * 10000)
    with pytest.raises(VaultUnavailable) as refused:
        check_vault(agency)
    line = str(refused.value)
    assert "\n" not in line
    assert f"PostgreSQL {real // 10000}.{real % 10000} found" in line
    assert f"needs PostgreSQL {real // 10000 + 1}.0 or later" in line
