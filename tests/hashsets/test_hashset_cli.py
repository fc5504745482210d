"""``custos hashset`` and ``items list --hits`` as a user runs them (subprocess, real vault)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hashkit import CASE, content, digests, new_case, nsrl_file, plain_list, vics_file, write_files

from vault.users import add_user
from vaultkit import PASSWORD, new_vault, one_error_line, run_cli


@pytest.fixture()
def vault(tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    session, _ = new_vault(folder)
    try:
        new_case(session)
        add_user(session, "olga", ["officer"], PASSWORD)
    finally:
        session.close()
    return folder


def ok(*args: str, vault: Path, user: str = "alice") -> str:
    result = run_cli(*args, vault=vault, user=user)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_hashset_commands_end_to_end(vault: Path, tmp_path: Path) -> None:
    vics = vics_file(tmp_path / "vic.json", [1], categories={1: 2})
    out = ok("hashset", "import", str(vics), "--name", "VIC", "--kind", "known-bad",
             "--source", "Project VIC", vault=vault)  # fmt: skip
    assert out.strip() == "hash set VIC imported (known-bad, vics): 1 MD5, 1 SHA1"
    nsrl = nsrl_file(tmp_path / "rds.db", [2])
    ok("hashset", "import", str(nsrl), "--name", "NSRL", "--kind", "known-good", vault=vault)
    listed = json.loads(ok("hashset", "list", "--json", vault=vault))
    assert [(s["name"], s["kind"], s["source"], s["entries"]) for s in listed] == [
        ("VIC", "known-bad", "Project VIC", 2),
        ("NSRL", "known-good", "NSRL RDS 2026.03.1", 3),
    ]
    shown = ok("hashset", "show", "NSRL", vault=vault)
    assert "counts          md5=1, sha1=1, sha256=1" in shown

    files = write_files(tmp_path / "card", range(4))
    ok("ingest", "--case", CASE, str(tmp_path / "card"), vault=vault, user="olga")
    rows = json.loads(ok("items", "list", "--case", CASE, "--hits", "--json", vault=vault))
    by_name = {Path(r["name"]).name: r["hits"] for r in rows}
    d1 = digests(content(1))
    assert [
        (h["set"], h["kind"], h["category"], h["digest"]) for h in by_name["file00001.bin"]
    ] == [
        ("VIC", "known-bad", 2, d1["md5"]),
        ("VIC", "known-bad", 2, d1["sha1"]),
    ]
    assert {h["set"] for h in by_name["file00002.bin"]} == {"NSRL"}
    assert by_name["file00000.bin"] == [] and len(files) == 4
    plain = ok("items", "list", "--case", CASE, "--hits", vault=vault)
    assert "known-bad VIC category 2 (md5)" in plain

    late = plain_list(tmp_path / "late.txt", [3])
    ok("hashset", "import", str(late), "--name", "late", "--kind", "info", vault=vault)
    matched = ok("hashset", "match", "--case", CASE, vault=vault)
    assert matched.strip() == (
        "checked 4 item(s) against 3 set(s) (NSRL, VIC, late): 1 new hit(s), "
        "0 known-bad alert(s), 5 hit(s) recorded before"
    )
    alerts = json.loads(ok("hashset", "alerts", "--json", vault=vault))
    assert [a["set"] for a in alerts] == ["VIC", "VIC"]
    ok("hashset", "ack", str(alerts[0]["id"]), "--reason", "seen, category 2", vault=vault)
    assert len(json.loads(ok("hashset", "alerts", "--json", vault=vault))) == 1

    assert ok("hashset", "disable", "late", vault=vault).strip() == "hash set late disabled"
    assert ok("hashset", "delete", "VIC", vault=vault).strip() == (
        "hash set VIC deleted; evidence and recorded hits are kept"
    )
    names = [s["name"] for s in json.loads(ok("hashset", "list", "--json", vault=vault))]
    assert names == ["NSRL", "late"]
    assert ok("verify", vault=vault).rstrip().endswith("OK")


def test_refusals_are_one_line(vault: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("0123\n")
    result = run_cli("hashset", "import", str(bad), "--name", "b", "--kind", "info", vault=vault)
    assert one_error_line(result, 2) == (
        "error: bad.txt: not imported (1 malformed line): line 1: '0123' is not an MD5, SHA-1 "
        "or SHA-256 digest (4 characters)"
    )
    good = plain_list(tmp_path / "good.txt", [1])
    result = run_cli(
        "hashset", "import", str(good), "--name", "g", "--kind", "info", vault=vault, user="olga"
    )
    assert one_error_line(result, 4) == (
        "error: user 'olga' may not import, disable or delete known-file hash sets "
        "(needs role admin or analyst)"
    )
    result = run_cli("hashset", "show", "nope", vault=vault)
    assert one_error_line(result, 2) == (
        "error: no hash set named 'nope' (see 'custos hashset list')"
    )


def test_a_number_too_long_is_one_line(vault: Path, tmp_path: Path) -> None:
    """An integer past Python's 4,300 digits (even in a key never read): one line, not a
    traceback (the JSON parser raised ``ValueError``)."""
    bad = tmp_path / "long.json"
    entry = json.dumps({"MediaID": 1, "MD5": digests(content(1))["md5"]})
    bad.write_text('{"value": [' + entry[:-1] + ', "Size": ' + "9" * 5000 + "}]}")
    result = run_cli("hashset", "import", str(bad), "--name", "b", "--kind", "info", vault=vault)
    assert "Traceback" not in result.stderr
    assert one_error_line(result, 2) == (
        "error: long.json: not valid VICS JSON (a number too long or out of range before byte "
        f"{bad.stat().st_size:,}); nothing imported"
    )
    assert ok("verify", vault=vault).rstrip().endswith("OK")


def test_a_case_without_hash_sets_says_so(vault: Path, tmp_path: Path) -> None:
    from service.opener import unlock

    with unlock(vault, "alice", PASSWORD) as session:
        new_case(session, "NOHS-1", hash_sets=False)
    ok("hashset", "import", str(plain_list(tmp_path / "l.txt", [0], "md5")), "--name", "m",
       "--kind", "known-bad", vault=vault)  # fmt: skip
    write_files(tmp_path / "card", [0])
    ok("ingest", "--case", "NOHS-1", str(tmp_path / "card"), vault=vault, user="olga")
    out = ok("hashset", "match", "--case", "NOHS-1", vault=vault)
    assert out.splitlines()[0] == (
        "case NOHS-1 keeps SHA-256 only (made with --no-hash-sets): looked up by SHA-256; "
        "MD5 and SHA-1 entries cannot match it"
    )
