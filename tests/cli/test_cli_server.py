"""``custos --server URL COMMAND``: the agency vault on a real trial server (PostgreSQL over TLS
+ SeaweedFS S3; a database and a bucket of each test's own), driven as a user drives it: the
``custos`` program in a subprocess, credentials in the environment."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from serverkit import TrialServer

from vault.backend import Server
from vaultkit import ROOT, cli_env, one_error_line, run_cli

FACES = ROOT.parent / "shared" / "faces" / "knn"
INGEST = ("ingest", "--case", "C-1", "--exhibit", "EX-1", "--seized-by", "Sgt P")


def _photos(tmp_path: Path) -> Path:
    if not FACES.is_dir():
        pytest.fail(f"{FACES}: the shared test photos are missing")
    folder = tmp_path / "photos"
    shutil.copytree(FACES, folder)
    return folder


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def _cli(*args: str, tmp_path: Path, env: dict[str, str], **more: str) -> Any:
    return run_cli(*args, vault=tmp_path / "no-vault-here", **{**env, **more})


def _init(tmp_path: Path, env: dict[str, str]) -> None:
    made = _cli(
        "init",
        "--admin",
        "alice",
        "--recovery-identity-out",
        str(tmp_path / "recovery.txt"),
        tmp_path=tmp_path,
        env=env,
    )
    _ok(made)
    assert "vault created at the agency server postgresql://" in made.stdout
    _ok(_cli("case", "create", "C-1", "--title", "Harbour", tmp_path=tmp_path, env=env))


def test_init_on_a_server_then_ingest_real_photos_list_export_audit_and_verify(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    _init(tmp_path, env)
    assert not (tmp_path / "no-vault-here").exists()  # nothing went into a local vault
    photos = _photos(tmp_path)
    count = sum(1 for p in photos.rglob("*") if p.is_file())
    said = _ok(_cli(*INGEST, str(photos), tmp_path=tmp_path, env=env))
    assert f"saved {count} item(s) to case C-1" in said
    items = json.loads(
        _ok(_cli("items", "list", "--case", "C-1", "--json", tmp_path=tmp_path, env=env))
    )
    assert len(items) == count
    first = next(i for i in items if i["name"].endswith("obama1.jpg"))
    target = tmp_path / "obama1.jpg"
    _ok(_cli("items", "export", str(first["id"]), "--to", str(target), tmp_path=tmp_path, env=env))
    assert target.read_bytes() == (FACES / "test" / "obama1.jpg").read_bytes()
    _ok(
        _cli(
            "user",
            "add",
            "bob",
            "--role",
            "analyst",
            tmp_path=tmp_path,
            env=env,
            CUSTOS_NEW_PASSWORD="another long password",
        )
    )
    users = json.loads(_ok(_cli("user", "list", "--json", tmp_path=tmp_path, env=env)))
    assert [u["name"] for u in users] == ["alice", "bob"]
    entries = json.loads(_ok(_cli("audit", "--json", tmp_path=tmp_path, env=env)))
    assert entries[0]["action"] == "vault.created"
    verified = _ok(_cli("verify", tmp_path=tmp_path, env=env))
    assert f"checked {count} items in {count} blobs" in verified
    assert verified.rstrip().endswith(": OK")
    # the objects are in the server's bucket; this workstation keeps only its sign-in ledger
    # the audit head it last saw (its pin: a number and a hash, nothing sealed) and its note of
    # the vault's salt and KDF settings (vault.backend.kdf_hint)
    assert len(list(trial_server.store_of(place).names("blobs"))) == count
    kept = {p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    assert kept <= {"signin.json", "signin.lock", "pin.lock", "audit.head", "kdf.json"}


def test_init_on_a_server_enrols_this_machine_whose_own_login_then_works(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    """The issue: "``init`` on an empty server creates the agency vault and enrols this
    workstation". The key stays on this machine, the workstation's own PostgreSQL login is
    shown once, and a command run with that login signs its entries as the workstation."""
    made = _cli(
        "init", "--admin", "alice", "--workstation", "desk-1",
        "--recovery-identity-out", str(tmp_path / "recovery.txt"), tmp_path=tmp_path, env=env,
    )  # fmt: skip
    said = _ok(made)
    assert "enrolled workstation desk-1 (key " in said
    keys = list((tmp_path / "machine" / "custos" / "workstations").glob("*.key"))
    assert len(keys) == 1 and keys[0].stat().st_mode & 0o077 == 0
    login = re.search(r"PostgreSQL login: user (\S+), password (\S+) ", said)
    url = re.search(r"--server (\S+)", said)
    assert login and url and login.group(2) not in env.values()
    listed = _ok(_cli("workstation", "list", tmp_path=tmp_path, env=env))
    assert re.search(r"^\* desk-1\s", listed, re.M), listed  # this machine, marked
    own = {**env, "CUSTOS_SERVER": url.group(1), "PGPASSWORD": login.group(2)}
    _ok(_cli("case", "create", "C-9", "--title", "Docks", tmp_path=tmp_path, env=own))
    entries = json.loads(_ok(_cli("audit", "--json", tmp_path=tmp_path, env=own)))
    made_case = next(e for e in entries if e["action"] == "case.created")
    assert made_case["workstation"] == "desk-1"
    _ok(_cli("verify", tmp_path=tmp_path, env=own))
    # another machine (no key of its own) may read, but writes only once an admin enrols it
    elsewhere = {**env, "XDG_DATA_HOME": str(tmp_path / "other-machine")}
    assert "C-9" in _ok(_cli("case", "list", tmp_path=tmp_path, env=elsewhere))
    refused = _cli("case", "create", "C-8", "--title", "Quay", tmp_path=tmp_path, env=elsewhere)
    assert "this workstation is not enrolled; an admin runs custos workstation enrol NAME here" in (
        one_error_line(refused, 4)
    )
    _ok(_cli("workstation", "enrol", "desk-2", tmp_path=tmp_path, env=elsewhere))
    _ok(_cli("case", "create", "C-8", "--title", "Quay", tmp_path=tmp_path, env=elsewhere))


def test_init_refuses_a_bad_workstation_name_before_making_anything(
    place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    bad = _cli("init", "--admin", "alice", "--workstation", "../etc", tmp_path=tmp_path, env=env)
    assert "is not a workstation name" in one_error_line(bad, 2)
    _init(tmp_path, env)  # the server is still empty: init works


def test_init_on_a_server_that_holds_a_vault_is_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    _init(tmp_path, env)
    again = _cli("init", "--admin", "mallory", tmp_path=tmp_path, env=env)
    line = one_error_line(again, 2)
    assert "the database already holds an agency vault; init needs an empty database" in line


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:1/custos", "must start with postgresql://"),
        ("postgresql://custos:pw@127.0.0.1:1/custos", "holds a password"),
        ("postgresql://custos@127.0.0.1:1/custos?s3=http://127.0.0.1:2/b", "sslrootcert"),
        # red team: weaker TLS, plain http off this machine, a URL that is not one line
        (
            "postgresql://custos@127.0.0.1:1/custos?sslrootcert=/ca&s3=https://h/b&sslmode=disable",
            "unknown parameter 'sslmode'",
        ),
        (
            "postgresql://custos@db.example:1/custos?sslrootcert=/ca&s3=http://s3.example:2/b",
            "plain http is allowed to this machine only",
        ),
        ("postgresql://custos@h\n\x1b[2J:1/c?sslrootcert=/ca&s3=https://h/b", "not a server URL"),
    ],
)
def test_a_hostile_server_url_is_one_line(url: str, says: str, tmp_path: Path) -> None:
    refused = run_cli("case", "list", vault=tmp_path / "v", CUSTOS_SERVER=url)
    assert says in one_error_line(refused, 2)


def test_a_server_no_one_answers_at_is_one_line(
    trial_server: TrialServer, env: dict[str, str], tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    good = str(trial_server.connection.address.port)
    url = env["CUSTOS_SERVER"].replace(f"127.0.0.1:{good}/", f"127.0.0.1:{port}/", 1)
    refused = _cli("case", "list", tmp_path=tmp_path, env={**env, "CUSTOS_SERVER": url})
    assert one_error_line(refused, 6).endswith(
        f"PostgreSQL at 127.0.0.1:{port}: no server answers "
        "(is it running? custos server status DIR)"
    )


def test_an_object_store_no_one_answers_at_is_one_line(
    trial_server: TrialServer, env: dict[str, str], tmp_path: Path
) -> None:
    import socket

    _init(tmp_path, env)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    good = f"s3=http://127.0.0.1:{trial_server.connection.address.s3.endpoint.rsplit(':', 1)[1]}/"
    url = env["CUSTOS_SERVER"].replace(good, f"s3=http://127.0.0.1:{port}/", 1)
    assert url != env["CUSTOS_SERVER"]
    refused = _cli("case", "list", tmp_path=tmp_path, env={**env, "CUSTOS_SERVER": url})
    assert one_error_line(refused, 6).endswith("no S3 store answers there (is it running?)")


def test_an_object_deleted_from_the_store_and_an_audit_row_changed_are_named_by_verify(
    trial_server: TrialServer, place: Server, env: dict[str, str], tmp_path: Path
) -> None:
    _init(tmp_path, env)
    photos = _photos(tmp_path)
    _ok(_cli(*INGEST, str(photos / "test"), tmp_path=tmp_path, env=env))
    items = json.loads(
        _ok(_cli("items", "list", "--case", "C-1", "--json", tmp_path=tmp_path, env=env))
    )
    victim = next(i for i in items if i["name"].endswith("obama1.jpg"))
    # the operator (or a thief with the S3 key) removes one object; and edits one audit row
    store = trial_server.store_of(place)
    database = place.url.split("?")[0].rsplit("/", 1)[1]
    with trial_server.superuser(database) as su:
        su.execute("SET ROLE custos")
        names = [
            r[0]
            # sealed: the operator cannot find a blob by its SHA-256, only by the item's id
            for r in su.execute("SELECT blob_name FROM items WHERE id = %s", (victim["id"],))
        ]
        seq = su.execute("SELECT seq FROM audit WHERE action = 'case.created'").fetchone()[0]
        su.execute("UPDATE audit SET actor = 'mallory' WHERE seq = %s", (seq,))
    [name] = names
    store.delete(f"blobs/{name[:2]}/{name}")
    result = _cli("verify", tmp_path=tmp_path, env=env)
    assert result.returncode == 5, (result.stdout, result.stderr)
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert f"item {victim['id']} ({victim['name']}): stored copy is missing" in text
    assert f"audit #{seq}" in text


def test_two_workstations_ingesting_at_once_append_to_one_chain(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Two processes (each with a workstation folder of its own) ingest into one server at
    once: every reported item is there once, and the audit chain verifies."""
    _init(tmp_path, env)
    folders = []
    for w in ("a", "b"):
        folder = tmp_path / f"dump-{w}"
        folder.mkdir()
        for i in range(40):
            (folder / f"{w}{i:03}.txt").write_bytes(f"workstation {w} file {i}\n".encode() * 20)
        folders.append(folder)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cli.main", *INGEST, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=cli_env(
                tmp_path / "no-vault-here",
                **{**env, "CUSTOS_CACHE_DIR": str(tmp_path / f"cache-{w}")},
            ),
        )
        for w, folder in zip("ab", folders, strict=True)
    ]
    for proc in procs:
        out, errs = proc.communicate(timeout=600)
        assert proc.returncode == 0, (out, errs)
        assert "saved 40 item(s) to case C-1" in out
    items = json.loads(
        _ok(_cli("items", "list", "--case", "C-1", "--json", tmp_path=tmp_path, env=env))
    )
    names = sorted(Path(i["name"]).name for i in items)
    assert names == sorted(f"{w}{i:03}.txt" for w in "ab" for i in range(40))
    _ok(_cli("verify", tmp_path=tmp_path, env=env))
