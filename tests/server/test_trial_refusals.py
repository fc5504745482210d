"""Hostile or odd input to ``custos server up/down``: each is one clear line, no traceback, and
nothing is started or touched. No server runs in these tests (they refuse before)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from vault.errors import UserError
from vault.server import trial
from vault.server.address import parse
from vault.server.base import Programs, free_port_base
from vaultkit import ROOT, one_error_line, run_cli


def up(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("server", "up", *args, vault=ROOT / "no-vault")


def test_a_file_a_foreign_folder_or_a_symlink_is_refused_untouched(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert one_error_line(up(str(a_file)), 2) == f"error: {a_file}: is a file, not a folder"
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"\xff\xd8")
    assert one_error_line(up(str(foreign)), 2) == (
        f"error: {foreign}: is not empty and not a Custos trial server; not touched"
    )
    assert [p.name for p in foreign.iterdir()] == ["holiday.jpg"]
    link = tmp_path / "link"
    link.symlink_to(foreign)
    assert one_error_line(up(str(link)), 2) == (
        f"error: {link}: is a symbolic link; give the server's own folder"
    )
    down = run_cli("server", "down", str(foreign), vault=ROOT / "no-vault")
    assert "not empty and not a Custos trial server" in one_error_line(down, 2)


def test_a_symlink_planted_inside_a_server_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "srv"
    folder.mkdir()
    (folder / "server.json").write_text('{"kind": "custos-trial-server", "format": 1}')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / "pg").symlink_to(elsewhere)
    assert one_error_line(up(str(folder)), 2) == (
        f"error: {folder / 'pg'}: is a symbolic link; a trial server has none"
    )
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("base", ["80", "65530", "-3"])
def test_a_port_base_out_of_range_is_refused(tmp_path: Path, base: str) -> None:
    line = one_error_line(up(str(tmp_path / "srv"), "--port-base", base), 2)
    assert line == (
        f"error: --port-base {base}: out of range; give a number from 1024 to 65527 "
        "(the server uses 9 ports from there)"
    )
    assert not (tmp_path / "srv").exists()


def test_a_port_in_use_is_named_with_the_way_out(tmp_path: Path) -> None:
    base = free_port_base()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 1))
        taken.listen()
        line = one_error_line(up(str(tmp_path / "srv"), "--port-base", str(base)), 2)
    assert line == (
        f"error: port {base + 1} on 127.0.0.1 (for s3) is already in use; choose other ports "
        "with --port-base"
    )
    assert not (tmp_path / "srv").exists()


def test_a_missing_or_non_executable_program_is_named(tmp_path: Path) -> None:
    real = Programs.installed()
    pg_bin = tmp_path / "bin"
    pg_bin.mkdir()
    for name in ("initdb", "pg_ctl"):
        shutil.copy(real.pg_bin / name, pg_bin / name)
    with pytest.raises(UserError) as missing:
        trial.up(tmp_path / "srv", programs=Programs(pg_bin, real.weed))
    assert str(missing.value) == (
        f"{pg_bin / 'postgres'}: PostgreSQL's postgres program is missing "
        "(run scripts/bootstrap.sh to install it)"
    )
    shutil.copy(real.pg_bin / "postgres", pg_bin / "postgres")
    weed = tmp_path / "weed"
    weed.write_bytes(b"#!/bin/sh\n")
    weed.chmod(0o644)
    with pytest.raises(UserError) as not_exec:
        trial.up(tmp_path / "srv", programs=Programs(pg_bin, weed))
    assert str(not_exec.value) == f"{weed}: SeaweedFS's weed program is not executable"
    assert not (tmp_path / "srv").exists()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://custos@h/custos", "must start with postgresql://"),
        ("postgresql://custos:pw@h:5432/custos?sslrootcert=a&s3=http://h:1/b", "holds a password"),
        ("postgresql://custos@h:5432/custos?s3=http://h:1/b", "needs sslrootcert="),
        ("postgresql://custos@h:5432/custos?sslrootcert=a", "needs s3=http(s)://HOST:PORT/BUCKET"),
        ("postgresql://custos@h:99999/custos", "not a server URL"),
        ("postgresql://custos@h:1/custos?sslrootcert=a&s3=http://k:s@h:1/b", "holds credentials"),
        ("postgresql://custos@h:1/custos?sslrootcert=a&s3=http://h:1/b&x=1", "unknown parameter"),
    ],
)
def test_a_bad_server_url_is_one_line(url: str, said: str) -> None:
    with pytest.raises(
        UserError, match="^--server .*" + said.replace("(", r"\(").replace(")", r"\)")
    ):
        parse(url)


def test_the_url_round_trips() -> None:
    url = "postgresql://custos@127.0.0.1:15432/custos?sslrootcert=/srv/c/ca.pem&s3=https://s3.example:9000/custos&s3ca=/srv/c/s3.pem"
    address = parse(url)
    assert address.s3.tls and address.s3.ca_file == "/srv/c/s3.pem"
    assert parse(address.url()) == address


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_as_root_a_folder_postgresql_cannot_reach_is_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    line = one_error_line(up(str(private / "srv"), "--port-base", str(free_port_base())), 2)
    assert line.startswith(f"error: {private / 'srv'}: the PostgreSQL user ")
    assert line.endswith(
        f"cannot reach it ({private} is private); choose a folder it can pass through, "
        "e.g. under /srv or /var/lib"
    )
    assert list(private.iterdir()) == []
