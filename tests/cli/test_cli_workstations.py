"""Two workstations on one vault, as users run them: two home folders (each with its own key
file) enrolled by an admin, ingesting at once from the command line; one is revoked and its next
ingest is refused in one line and audited; verify passes throughout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vault import workstations
from vaultkit import ROOT, cli_env, one_error_line, run_cli

CASE = "C-1"


def _home(tmp_path: Path, name: str) -> dict[str, str]:
    """The environment of a user on machine ``name``: a home folder of its own."""
    home = tmp_path / "homes" / name
    home.mkdir(parents=True)
    return {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")}


def _files(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        (folder / f"{folder.name}-{i:04}.bin").write_bytes(os.urandom(4096))
    return folder


def _ingest(vault: Path, folder: Path, home: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", "--case", CASE, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(vault, **home),
        cwd=ROOT,
    )


def _audit(vault: Path, home: dict[str, str]) -> list[dict]:
    result = run_cli("audit", "--json", vault=vault, **home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_two_enrolled_workstations_ingest_at_once_and_each_entry_names_its_own(
    vault_dir: Path, tmp_path: Path
) -> None:
    a, b = _home(tmp_path, "a"), _home(tmp_path, "b")
    for home, name in ((a, "desk-a"), (b, "desk-b")):
        enrolled = run_cli("workstation", "enrol", name, vault=vault_dir, **home)
        assert enrolled.returncode == 0, enrolled.stderr
        assert enrolled.stdout.startswith(f"enrolled workstation {name} (key ")
    key_a = Path(a["XDG_DATA_HOME"]) / "custos" / "workstations"
    assert [p.stat().st_mode & 0o777 for p in key_a.iterdir()] == [0o600]

    first = _ingest(vault_dir, _files(tmp_path / "in-a", 150), a)
    second = _ingest(vault_dir, _files(tmp_path / "in-b", 150), b)
    for process in (first, second):
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, out + err

    entries = _audit(vault_dir, a)
    by_station: dict[str, list[dict]] = {}
    for e in entries:
        by_station.setdefault(e["workstation"], []).append(e)
    acquired = {
        station: sum(
            len(e["details"]["items"])
            if e["action"] == "items.acquired"
            else int(e["action"] == "item.acquired")
            for e in found
        )
        for station, found in by_station.items()
    }
    assert acquired.get("desk-a") == 150 and acquired.get("desk-b") == 150
    assert acquired.get("shared", 0) == 0  # nothing after the enrolments by the shared key
    items = run_cli("items", "list", "--case", CASE, "--json", vault=vault_dir, **a)
    names = sorted(i["name"] for i in json.loads(items.stdout))
    assert names == sorted([f"in-a/in-a-{i:04}.bin" for i in range(150)]) + sorted(
        [f"in-b/in-b-{i:04}.bin" for i in range(150)]
    )  # every item once
    verified = run_cli("verify", vault=vault_dir, **b)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    listed = run_cli("workstation", "list", vault=vault_dir, **a)
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert [r[1] if r[0] == "*" else r[0] for r in rows] == ["shared", "desk-a", "desk-b"]
    assert rows[1][0] == "*"  # machine a is desk-a


def test_a_revoked_workstations_next_ingest_is_refused_in_one_line_and_audited(
    vault_dir: Path, tmp_path: Path
) -> None:
    a, b = _home(tmp_path, "a"), _home(tmp_path, "b")
    assert run_cli("workstation", "enrol", "desk-a", vault=vault_dir, **a).returncode == 0
    assert run_cli("workstation", "enrol", "desk-b", vault=vault_dir, **b).returncode == 0
    revoked = run_cli("workstation", "revoke", "desk-a", vault=vault_dir, **b)
    assert revoked.returncode == 0, revoked.stderr
    photo = tmp_path / "late.bin"
    photo.write_bytes(os.urandom(4096))

    refused = run_cli("ingest", "--case", CASE, str(photo), vault=vault_dir, **a)
    line = one_error_line(refused, 4)
    assert line.startswith("error: workstation 'desk-a' was revoked by 'alice' at ")
    assert line.endswith(
        "its writes are refused (an admin may enrol this machine under a new name)"
    )

    entries = _audit(vault_dir, b)
    last = entries[-1]
    assert (last["action"], last["workstation"]) == ("workstation.refused", "desk-a")
    assert last["details"]["workstation"] == "desk-a"
    assert entries[-2]["action"] == "workstation.revoked"
    assert not any(e["action"] in ("item.acquired", "items.acquired") for e in entries)
    verified = run_cli("verify", vault=vault_dir, **b)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    listed = run_cli("workstation", "list", vault=vault_dir, **b)
    assert "revoked by alice at" in next(x for x in listed.stdout.splitlines() if "desk-a" in x)


def _audit_without_key(vault: Path, home: dict[str, str], key: Path) -> list[dict]:
    key.unlink()  # the machine then signs with the shared key again
    return _audit(vault, home)


def test_a_key_file_others_may_read_refuses_the_vault_in_one_line(
    vault_dir: Path, tmp_path: Path
) -> None:
    a = _home(tmp_path, "a")
    assert run_cli("workstation", "enrol", "desk-a", vault=vault_dir, **a).returncode == 0
    [key] = (Path(a["XDG_DATA_HOME"]) / "custos" / "workstations").iterdir()
    key.chmod(0o640)
    line = one_error_line(run_cli("case", "list", vault=vault_dir, **a), 5)
    assert line == (
        f"error: {key}: the workstation key file may be read by others (mode 0640); it must be "
        "the user's alone (chmod 600), and an admin should revoke this workstation and enrol it "
        "again"
    )
    key.write_bytes(key.read_bytes()[:40])
    key.chmod(0o600)
    line = one_error_line(run_cli("case", "list", vault=vault_dir, **a), 5)
    assert line.endswith(
        "not a workstation key of this vault (damaged, truncated or another vault's); "
        "remove it and have an admin enrol this machine again"
    )
    refused = [e for e in _audit_without_key(vault_dir, a, key) if e["action"].endswith("refused")]
    assert [e["action"] for e in refused] == ["workstation.key_refused"] * 2
    assert workstations.NOT_ENROLLED not in line
