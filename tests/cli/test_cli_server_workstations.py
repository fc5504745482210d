"""Many workstations, one truth (issue 12 item 4), as users run them against a real trial server:
two machines (two home folders, each with its own enrolled workstation key and cache folder) run
``custos --server`` at once: ingest, a watchlist search on real faces, review decisions.
Afterwards every reported item is there once, ``verify`` passes and each entry names its
workstation. Then the hard ways: a workstation SIGKILLed mid-ingest and PostgreSQL stopped
and started mid-ingest, several rounds at randomised moments, on a trial server of the test's
own: nothing reported saved is lost, nothing is half-recorded, the ingest resumes, and the
restart costs the user one clear line and a non-zero exit."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serverkit
from serverkit import TrialServer
from sqlalchemy import func, select

from matching.casefaces import DetectJob
from matching.watchlists import Listing, create_watchlist, enrol
from service.opener import unlock
from vault.backend import Server
from vault.blobs import blob_key, pack_key
from vault.ingest import ingest
from vault.models import Blob
from vault.session import Session
from vaultkit import PASSWORD, ROOT, cli_env, unavailable

CASE = "C-1"
LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")


class Desk:
    """One workstation: a home folder (its key file) and a cache folder of its own."""

    def __init__(self, tmp_path: Path, name: str, server_env: dict[str, str], **more: str) -> None:
        self.name = name
        home = tmp_path / "homes" / name
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.env = cli_env(
            home / "no-vault-here",
            **server_env,
            HOME=str(home),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            CUSTOS_CACHE_DIR=str(home / "cache"),
            **more,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=ROOT,
        )

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=600,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done.stdout


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, (process.args, out, err)
    assert "Traceback" not in err
    return out


def _files(folder: Path, n: int, small: bool = True) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        size = 4096 if small or i % 3 else 300_000
        (folder / f"{folder.name}-{i:04}.bin").write_bytes(os.urandom(size))
    return folder


def _acquired(entry: dict) -> int:
    if entry["action"] == "items.acquired":
        return len(entry["details"]["items"])
    return int(entry["action"] == "item.acquired")


@pytest.fixture()
def faces_case(server_alice: Session, server_place: Server, faces_dir: Path) -> Iterator[Server]:
    """On the server (in this process, before the workstations): case C-1 with the probe photos
    and their faces detected, and a watchlist of two subjects enrolled from other photos."""
    ingest(server_alice, CASE, [faces_dir / "knn" / "test"])
    DetectJob(server_alice, CASE).run(lambda _: None)
    create_watchlist(server_alice, "EU-fraud")
    for who in ("obama", "biden"):
        enrol(
            server_alice,
            "EU-fraud",
            who,
            LISTING,
            sorted((faces_dir / "knn/train" / who).iterdir()),
        )
    yield server_place


def test_two_workstations_ingest_search_and_decide_at_once_on_one_server(
    trial_server: TrialServer, faces_case: Server, tmp_path: Path
) -> None:
    env = trial_server.env_for(faces_case)
    a, b = Desk(tmp_path, "desk-a", env), Desk(tmp_path, "desk-b", env)
    for desk in (a, b):
        said = desk.run("workstation", "enrol", desk.name)
        assert said.startswith(f"enrolled workstation {desk.name} (key ")

    # At once: both ingest; desk-a searches the case against the watchlist meanwhile.
    ingesting = [
        a.start("ingest", "--case", CASE, str(_files(tmp_path / "in-a", 150))),
        b.start("ingest", "--case", CASE, str(_files(tmp_path / "in-b", 150))),
    ]
    searching = a.start("search", "--case", CASE, "--watchlist", "EU-fraud", "--json")
    for process in ingesting:
        assert "saved 150 item(s)" in _finish(process)
    found = json.loads(_finish(searching))
    candidates = [c["id"] for c in found["candidates"]]
    assert len(candidates) >= 2, found  # obama and biden are in the probe photos

    # At once: each desk decides its half of the candidates, one after another (a user's
    # commands on one machine), while desk-b also ingests more.
    half = [candidates[0::2][:3], candidates[1::2][:3]]
    said: list[str] = []

    def decide(desk: Desk, mine: list[int]) -> None:
        for c in mine:
            said.append(desk.run("review", "decide", str(c), "--reject", "--reason", "not him"))

    more = b.start("ingest", "--case", CASE, str(_files(tmp_path / "more-b", 40)))
    deciders = [
        threading.Thread(target=decide, args=(desk, mine))
        for desk, mine in zip((a, b), half, strict=True)
    ]
    for t in deciders:
        t.start()
    for t in deciders:
        t.join(timeout=600)
    assert len(said) == len(half[0]) + len(half[1])
    assert all(": rejected" in line for line in said)
    assert "saved 40 item(s)" in _finish(more)

    entries = json.loads(a.run("audit", "--json"))
    by_desk: dict[str, dict[str, int]] = {}
    for e in entries:
        counts = by_desk.setdefault(e["workstation"], {})
        counts["items"] = counts.get("items", 0) + _acquired(e)
        counts[e["action"]] = counts.get(e["action"], 0) + 1
    assert by_desk["desk-a"]["items"] == 150 and by_desk["desk-b"]["items"] == 190
    assert by_desk["desk-a"].get("search.candidate", 0) == len(candidates)
    decided = {d: by_desk[d].get("review.decided", 0) for d in ("desk-a", "desk-b")}
    assert decided == {"desk-a": len(half[0]), "desk-b": len(half[1])}
    # nothing the workstations did is signed by the shared key
    shared = by_desk.get("", {})
    assert shared.get("review.decided", 0) == 0 and shared.get("search.candidate", 0) == 0
    seqs = [e["seq"] for e in entries]
    assert seqs == list(range(1, len(seqs) + 1))  # one chain, no gap, no fork

    items = json.loads(b.run("items", "list", "--case", CASE, "--json"))
    names = [i["name"] for i in items if i["name"].endswith(".bin")]
    expected = (
        [f"in-a/in-a-{i:04}.bin" for i in range(150)]
        + [f"in-b/in-b-{i:04}.bin" for i in range(150)]
        + [f"more-b/more-b-{i:04}.bin" for i in range(40)]
    )
    assert sorted(names) == sorted(expected)  # every item once
    verified = b.run("verify")
    assert verified.rstrip().endswith(": OK")


# --- the hard ways: a workstation killed, PostgreSQL restarted, mid-ingest ---------------------
@pytest.fixture(scope="module")
def own_server() -> Iterator[TrialServer]:
    """A trial server of this module's own: its PostgreSQL is stopped and started under
    running ingests, which the session's shared server must not see."""
    problem = serverkit.missing_programs()
    if problem:
        unavailable(f"trial server cannot start: {problem}")
    with serverkit.running_trial_server() as server:
        yield server


def _objects(server: TrialServer, place: Server) -> int:
    store = server.store_of(place)
    return sum(1 for _ in store.names("blobs")) + sum(1 for _ in store.names("packs"))


def _stored_alone(place: Server) -> tuple[set[str], set[str]]:
    """Open the vault alone (orphans of killed ingests are removed at the close) and return
    (object keys the rows name, object keys in the store)."""
    session = unlock(place, "alice", PASSWORD)
    store = session.blobs.store
    session.close()
    session = unlock(place, "alice", PASSWORD)
    try:
        with session.db() as db:
            rows = db.execute(select(Blob.name, Blob.pack)).all()
            assert db.execute(select(func.count()).select_from(Blob)).scalar_one() == len(rows)
    finally:
        session.close()
    named = {pack_key(p) if p else blob_key(n) for n, p in rows}
    return named, set(store.names("blobs")) | set(store.names("packs"))


def test_killed_workstations_and_postgresql_restarts_mid_ingest_lose_nothing_reported_saved(
    own_server: TrialServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.opener import init_vault
    from vault.cases import create_case
    from vaultkit import FAST_KDF

    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache-here"))
    with own_server.place() as place:
        session, _ = init_vault(place, "alice", PASSWORD, kdf=FAST_KDF)
        create_case(session, CASE, "Harbour seizure", ["drug trafficking"])
        session.close()
        env = own_server.env_for(place)
        a, b = Desk(tmp_path, "desk-a", env), Desk(tmp_path, "desk-b", env)
        for desk in (a, b):
            desk.run("workstation", "enrol", desk.name)

        folders: list[Path] = []
        restarted_lines: list[str] = []
        for round_ in range(4):
            # desk-a is killed or sees PostgreSQL restart; desk-b ingests alongside each time
            victim = _files(tmp_path / f"a{round_}", 400, small=round_ % 2 == 0)
            other = _files(tmp_path / f"b{round_}", 120)
            folders += [victim, other]
            before = _objects(own_server, place)
            killed = a.start("ingest", "--case", CASE, str(victim))
            alongside = b.start("ingest", "--case", CASE, str(other))
            if round_ % 2 == 0:
                time.sleep(rng.uniform(0.5, 5.0))  # a randomised moment of the command
            else:  # mid-ingest for sure: its first objects are in the store, its rows are not
                while _objects(own_server, place) == before and killed.poll() is None:
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.0, 1.0))
            if round_ % 2 == 0:
                killed.send_signal(signal.SIGKILL)
                killed.communicate(timeout=60)
            else:
                own_server.restart_postgresql("immediate" if round_ == 3 else "fast")
                _, err = killed.communicate(timeout=600)
                if killed.returncode != 0:  # it was working on the server at that moment
                    lines = err.strip().splitlines()
                    assert len(lines) == 1 and "Traceback" not in err, err
                    assert killed.returncode == 6
                    assert "the connection was lost" in lines[0]
                    assert "run the command again to resume" in lines[0]
                    restarted_lines.append(lines[0])
            _, err = alongside.communicate(timeout=600)
            if alongside.returncode != 0:  # a restart reached it too: the same one line
                assert len(err.strip().splitlines()) == 1 and "the connection was lost" in err
            # whatever happened, the ingest resumes: run again, every file ends up stored once
            for desk, folder in ((a, victim), (b, other)):
                again = desk.run("ingest", "--case", CASE, str(folder))
                assert "saved" in again

        items = json.loads(a.run("items", "list", "--case", CASE, "--json"))
        names = sorted(i["name"] for i in items)
        expected = sorted(f"{f.name}/{p.name}" for f in folders for p in f.iterdir())
        assert names == expected  # each file once: nothing lost, nothing twice
        verified = b.run("verify")
        assert verified.rstrip().endswith(": OK")
        named, stored = _stored_alone(place)
        assert named == stored  # no row without its object, no object left without its row
        # each restart came while the victim still had rows to commit (its objects were going
        # up): it said so in one line, unless it had finished and reported its items saved
        assert restarted_lines


# --- each workstation logs in to PostgreSQL as a role of its own -------------------------------
def test_an_enrolled_workstation_logs_in_as_its_own_role_and_a_revoked_one_is_refused_by_the_server(
    trial_server: TrialServer, server_alice: Session, server_place: Server, tmp_path: Path
) -> None:
    admin = Desk(tmp_path, "admin", trial_server.env_for(server_place))
    said = Desk(tmp_path, "desk-a", trial_server.env_for(server_place)).run(
        "workstation", "enrol", "desk-a"
    )
    login_line = next(x for x in said.splitlines() if x.startswith("its PostgreSQL login: "))
    user = login_line.split("user ", 1)[1].split(",", 1)[0]
    password = login_line.split("password ", 1)[1].split(" ", 1)[0]
    url = next(x for x in said.splitlines() if x.startswith("  --server ")).split(" ", 3)[3]
    assert user.startswith("custos_ws_") and "desk" not in user  # the sealed name stays sealed
    assert url.startswith(f"postgresql://{user}@")
    with trial_server.connect() as su:
        row = su.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", (user,)
        ).fetchone()
    assert row == (True, False, False)

    # desk-a from now on: its own login (the agency's custos password not given to it)
    desk = Desk(tmp_path, "desk-a", {}, CUSTOS_SERVER=url, PGPASSWORD=password)
    desk.env.update({k: v for k, v in admin.env.items() if k.startswith("AWS_")})
    note = tmp_path / "note.bin"
    note.write_bytes(os.urandom(4096))
    assert "saved 1 item(s)" in desk.run("ingest", "--case", CASE, str(note))
    entries = json.loads(admin.run("audit", "--json"))
    acquired = [e for e in entries if e["action"] == "item.acquired"]
    assert [e["workstation"] for e in acquired][-1:] == ["desk-a"]

    revoked = admin.run("workstation", "revoke", "desk-a")
    assert "revoked workstation desk-a" in revoked
    with trial_server.connect() as su:
        assert su.execute(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (user,)
        ).fetchone() == (False,)
    late = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", "--case", CASE, str(note), "--again"],
        capture_output=True,
        text=True,
        env=desk.env,
        cwd=ROOT,
        timeout=300,
    )
    assert late.returncode == 6 and "Traceback" not in late.stderr
    [line] = late.stderr.strip().splitlines()
    assert f"no login {user} (this workstation's login was revoked" in line
    assert admin.run("verify").rstrip().endswith(": OK")


def _own_logins(said: str) -> dict[str, str]:
    """The environment an enrolment tells the admin to give the workstation: its --server URL,
    its PostgreSQL password and its own S3 key (each shown once)."""
    lines = said.splitlines()
    login = next(x for x in lines if x.startswith("its PostgreSQL login: "))
    key = next(x for x in lines if x.startswith("its S3 key: "))
    assert "  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set to that S3 key" in lines
    return {
        "CUSTOS_SERVER": next(x for x in lines if x.startswith("  --server ")).split(" ", 3)[3],
        "PGPASSWORD": login.split("password ", 1)[1].split(" ", 1)[0],
        "AWS_ACCESS_KEY_ID": key.split("access key ", 1)[1].split(",", 1)[0],
        "AWS_SECRET_ACCESS_KEY": key.split("secret ", 1)[1].split(" ", 1)[0],
    }


def test_each_workstation_has_an_s3_key_of_its_own_which_cannot_delete_and_dies_at_revocation(
    trial_server: TrialServer, server_alice: Session, server_place: Server, tmp_path: Path
) -> None:
    """The store itself, not Custos, enforces what a desk's key may do: read, write and list
    the vault's bucket; never delete an evidence object or administer the bucket or the store's
    identities. Revoking the desk removes its key in the store: its next GET, PUT, DELETE or
    listing is refused there, while the other desks go on. Its secret is nowhere in plain in
    the desk's folders, PostgreSQL's data or the server's logs."""
    from vault import s3wire
    from vault.server.address import parse

    admin_env = trial_server.env_for(server_place)
    admin = Desk(tmp_path, "admin", admin_env)
    owns: dict[str, dict[str, str]] = {}
    for name in ("desk-a", "desk-b"):
        said = Desk(tmp_path, name, admin_env).run("workstation", "enrol", name)
        owns[name] = _own_logins(said)
        assert owns[name]["AWS_ACCESS_KEY_ID"] != admin_env["AWS_ACCESS_KEY_ID"]
    desks = {name: Desk(tmp_path, name, own) for name, own in owns.items()}
    for name, desk in desks.items():
        assert "saved 3 item(s)" in desk.run(
            "ingest", "--case", CASE, str(_files(tmp_path / name, 3))
        )
    entries = json.loads(admin.run("audit", "--json"))
    assert {e["workstation"] for e in entries if _acquired(e)} >= set(desks)

    where = parse(server_place.url).s3
    bucket = where.bucket
    secret = owns["desk-a"]["AWS_SECRET_ACCESS_KEY"]
    own = s3wire.S3Client(where.endpoint, owns["desk-a"]["AWS_ACCESS_KEY_ID"], secret)
    admin_wire = s3wire.S3Client(
        where.endpoint, admin_env["AWS_ACCESS_KEY_ID"], admin_env["AWS_SECRET_ACCESS_KEY"]
    )
    evidence = next(k for k in admin_wire.list_keys(bucket, "blobs/") if k.startswith("blobs/"))
    body = admin_wire.get(bucket, evidence)
    assert own.get(bucket, evidence) == body  # it reads
    assert evidence in set(own.list_keys(bucket, "blobs/"))  # it lists
    own.put_bytes(bucket, "blobs/00/" + "0" * 64, b"a desk writes")  # it writes

    def refused(call: Callable[[], object], code: str = "AccessDenied") -> None:
        with pytest.raises(s3wire.S3Error) as said:
            call()
        assert said.value.code == code, said.value

    refused(lambda: own.delete(bucket, evidence))
    multi = (
        f"<Delete><Object><Key>{evidence}</Key></Object></Delete>".encode()
    )  # DeleteObjects: answered 200 with the key's refusal inside, the object kept
    with contextlib.suppress(s3wire.S3Error):
        own.request(
            "POST", bucket, query={"delete": ""}, body=multi,
            headers={"Content-MD5": base64.b64encode(hashlib.md5(multi).digest()).decode()},
        )  # fmt: skip
    refused(lambda: own.request("PUT", "another-bucket"))  # create a bucket
    refused(lambda: own.request("DELETE", bucket))  # delete the vault's bucket
    refused(lambda: own.request("PUT", bucket, query={"policy": ""}, body=b'{"Statement":[]}'))
    iam = s3wire.S3Client(
        where.endpoint, owns["desk-a"]["AWS_ACCESS_KEY_ID"], secret, service="iam"
    )
    with pytest.raises(s3wire.S3Error):  # the store's identities are not the desk's to change
        iam.request(
            "POST", "", body=b"Action=CreateUser&UserName=evil&Version=2010-05-08",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
    assert admin_wire.get(bucket, evidence) == body  # every evidence object is still there
    # a crash's orphan (an object no row names) is left by a desk, which may not delete it,
    # and removed by the next session with the admin's key
    server_alice.close()  # (it holds the vault open: no session would be the only one)
    orphan = "blobs/ab/" + "ab" * 32
    admin_wire.put_bytes(bucket, orphan, b"left by a crash")
    admin_wire.put_bytes(bucket, ".unsettled", b"")
    desks["desk-a"].run("case", "list")
    assert admin_wire.get(bucket, orphan) and admin_wire.head(bucket, ".unsettled")
    admin.run("case", "list")
    refused(lambda: admin_wire.head(bucket, orphan), "404")

    revoked = admin.run("workstation", "revoke", "desk-a")
    assert "revoked workstation desk-a" in revoked and "S3 key is still valid" not in revoked
    for call in (
        lambda: own.get(bucket, evidence),
        lambda: own.put_bytes(bucket, "blobs/00/" + "1" * 64, b"late"),
        lambda: own.delete(bucket, ".unsettled"),
        lambda: list(own.list_keys(bucket, "blobs/")),
    ):
        refused(call, "InvalidAccessKeyId")
    assert "saved 2 item(s)" in desks["desk-b"].run(
        "ingest", "--case", CASE, str(_files(tmp_path / "desk-b-later", 2))
    )
    assert admin.run("verify").rstrip().endswith(": OK")
    entries = json.loads(admin.run("audit", "--json"))
    assert not [e for e in entries if e["action"] == "workstation.store_key_kept"]

    # the secret in plain: never in the desks' folders, PostgreSQL's data or the logs
    needle = secret.encode()
    for path in (tmp_path / "homes").rglob("*"):
        assert not path.is_file() or needle not in path.read_bytes(), path
    leaked = serverkit.markers_in_data_folder(
        trial_server, parse(server_place.url).database, [needle]
    )
    assert leaked == {needle: []}
    # (the store's own identity store, in its filer's database under s3/data, holds it: SigV4
    # is a shared secret, which the store must know to check a signature)
    logs = [trial_server.folder / "pg" / n for n in ("postgres.log", "pgbouncer.log")]
    logs.append(trial_server.folder / "s3" / "weed.log")
    assert not [p for p in logs if needle in p.read_bytes()]


def test_an_admin_key_that_may_not_use_the_iam_api_is_said_in_one_line_and_audited(
    trial_server: TrialServer, server_alice: Session, server_place: Server, tmp_path: Path
) -> None:
    """Enrol and revoke with an S3 key the store's IAM API refuses (here another desk's): enrol
    goes on and says what the admin makes by hand; revoke goes on (the database refuses the
    desk) and says in one line that the store could not be told, recorded in the chain as
    ``workstation.store_key_kept``, which verify accepts."""
    admin_env = trial_server.env_for(server_place)
    admin = Desk(tmp_path, "admin", admin_env)
    desk_b = _own_logins(Desk(tmp_path, "desk-b", admin_env).run("workstation", "enrol", "desk-b"))
    weak = {**admin_env, **{k: v for k, v in desk_b.items() if k.startswith("AWS_")}}
    said = Desk(tmp_path, "desk-a", weak).run("workstation", "enrol", "desk-a")
    [line] = [x for x in said.splitlines() if x.startswith("its S3 key was not made: ")]
    assert "refused CreateUser" in line and "make by hand" in line
    assert "s3:ListBucket on arn:aws:s3:::" in line
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" not in said

    weak_admin = Desk(tmp_path, "admin", weak)
    revoked = weak_admin.run("workstation", "revoke", "desk-b").splitlines()
    assert revoked[0] == "revoked workstation desk-b; its writes are refused from now on"
    assert revoked[1].startswith("its S3 key is still valid: the store could not be told (")
    assert "remove by hand the access keys of user custos_ws_" in revoked[1]
    assert len(revoked) == 2
    entries = json.loads(admin.run("audit", "--json"))
    kept = [e for e in entries if e["action"] == "workstation.store_key_kept"]
    assert len(kept) == 1 and kept[0]["details"]["name"] == "desk-b"
    assert "could not be told" in kept[0]["details"]["problem"]
    assert admin.run("verify").rstrip().endswith(": OK")

    # desk-a got no S3 key of its own (it uses the one it was given: here another desk's, else
    # the admin's or one made by hand): revoking it with the admin's key removes nothing in the
    # store, and says so (the key it uses still works), audited as workstation.store_key_kept
    revoked = admin.run("workstation", "revoke", "desk-a").splitlines()
    assert revoked == [
        "revoked workstation desk-a; its writes are refused from now on",
        "its S3 key is still valid: it had no S3 key of its own: the key it was given still "
        "works; rotate it",
    ]
    entries = json.loads(admin.run("audit", "--json"))
    kept = [e for e in entries if e["action"] == "workstation.store_key_kept"]
    assert [e["details"]["name"] for e in kept] == ["desk-b", "desk-a"]
    assert "it had no S3 key of its own" in kept[1]["details"]["problem"]
    assert admin.run("verify").rstrip().endswith(": OK")
