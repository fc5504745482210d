"""The agency server's back end attacked as its operator would (issue 12, red team; SECURITY.md
"The agency server's threat model"): whatever the operator changes, verify from a workstation
finds it, or the test says plainly what is not found.

The operator holds the database and the bucket, not the vault key: they can delete, replay and
move rows and ciphertexts, never seal a value of their own. Tests run on the real trial server
(``server_place``); the workstation's own folder (``CUSTOS_CACHE_DIR``) is the test's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.opener import init_vault, unlock
from vault.audit import read_head
from vault.models import AuditEntry
from vault.session import Session
from vault.users import add_user, set_roles
from vault.verify import Problem, VerifyJob
from vaultkit import FAST_KDF, PASSWORD, _server_connection, place_of

pytestmark = pytest.mark.server


def _ignore(*_: object) -> None:
    pass


def _problems(session: Session) -> list[Problem]:
    return VerifyJob(session).run(_ignore).problems


@pytest.fixture()
def alice(server_place: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """alice on a new agency vault, this workstation's folder the test's own."""
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "desk-a"))
    session, _ = init_vault(server_place, "alice", PASSWORD, kdf=FAST_KDF)
    add_user(session, "bob", ["officer"], PASSWORD)
    yield session
    session.close()


def _operator(session: Session, statement: str, *params: object) -> list[tuple]:
    """SQL as the server's operator runs it: on the database, no vault key."""
    with _server_connection(place_of(session)) as conn:  # type: ignore[arg-type]
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _head(session: Session) -> int:
    with session.db() as db:
        return read_head(db).seq


def test_a_tail_the_operator_cut_off_is_named_by_the_workstation_that_saw_it(
    alice: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The operator deletes the newest entries (and the row they recorded): a shorter chain
    that verifies on its own. This workstation saw the later head, so its verify names the cut;
    a workstation that never saw it cannot (said in SECURITY.md)."""
    place = place_of(alice)
    before = _head(alice)
    add_user(alice, "carol", ["analyst"], PASSWORD)
    seen = _head(alice)
    assert seen > before
    alice.close()
    _operator(alice, "DELETE FROM audit WHERE seq > %s", before)
    _operator(alice, "DELETE FROM users WHERE id = (SELECT max(id) FROM users)")
    with unlock(place, "alice", PASSWORD) as again:
        problems = _problems(again)
    assert Problem(f"audit #{before + 1}", f"entries up to #{seen} were removed") in problems
    # another desk, which never saw the later head, has no head to compare with: it names
    # only carol's slot, left in the vault file (put the file back too and it would name
    # nothing: said in SECURITY.md)
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "desk-b"))
    with unlock(place, "alice", PASSWORD) as elsewhere:
        [left] = _problems(elsewhere)
    assert left.where == "vault_file" and "held by no enabled user" in left.what


def test_a_row_and_its_history_rolled_back_together_are_named(alice: Session) -> None:
    """An older ciphertext of the same cell is replayed (its associated data still matches:
    same table, column and row) and the entry that recorded the change is cut off with it: the
    database is a consistent older copy. The first half alone is named by the row's digest;
    together only the head this workstation saw names it."""
    place = place_of(alice)
    [(row, old_roles)] = _operator(alice, "SELECT id, roles FROM users ORDER BY id DESC LIMIT 1")
    before = _head(alice)
    set_roles(alice, "bob", ["officer", "analyst"])
    seen = _head(alice)
    alice.close()
    _operator(alice, "UPDATE users SET roles = %s WHERE id = %s", old_roles, row)
    with unlock(place, "alice", PASSWORD) as again:
        replayed = _problems(again)
        now = _head(again)
    assert any(p.where.startswith("user") and "roles" in p.what for p in replayed), replayed
    _operator(alice, "DELETE FROM audit WHERE seq > %s", before)
    with unlock(place, "alice", PASSWORD) as again:
        problems = _problems(again)
    assert now > seen
    assert Problem(f"audit #{before + 1}", f"entries up to #{now} were removed") in problems


def test_an_audit_entry_deleted_in_the_middle_is_named_on_any_workstation(
    alice: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    place = place_of(alice)
    add_user(alice, "carol", ["analyst"], PASSWORD)
    with alice.db() as db:
        middle = db.query(AuditEntry.seq).filter(AuditEntry.action == "user.added").first()
    assert middle is not None
    alice.close()
    _operator(alice, "DELETE FROM audit WHERE seq = %s", middle[0])
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "desk-b"))
    with unlock(place, "alice", PASSWORD) as elsewhere:
        problems = _problems(elsewhere)
    assert any(p.where == f"audit #{middle[0] + 1}" for p in problems), problems


@pytest.mark.parametrize("blind_too", [False, True], ids=["row", "row-and-blind-index"])
def test_a_revocation_the_operator_undoes_in_the_table_still_refuses_the_write(
    alice: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blind_too: bool
) -> None:
    """``revoked_at`` is a plain column on the server: the operator clears it (no vault key
    needed) and would re-enable the PostgreSQL login. The write check must still find the
    revocation, in the signed chain, and refuse (audited); verify names the edited row. The
    operator may also clear the revocation entry's blind index (``target_bidx``, a plain
    column verify does not check): the check must not depend on it."""
    from vault.cases import create_case
    from vault.errors import PermissionDenied
    from vault.history import list_audit
    from vaultkit import revoked_desk

    place = place_of(alice)
    undo = ["UPDATE workstations SET revoked_at = NULL"]
    if blind_too:
        undo.append("UPDATE audit SET target_bidx = NULL WHERE action = 'workstation.revoked'")
    desk_a = revoked_desk(alice, tmp_path, monkeypatch, *undo)
    try:
        with pytest.raises(PermissionDenied, match="workstation 'desk-a' was revoked"):
            create_case(desk_a, "C-9", "after the revocation", ["fraud"])
    finally:
        desk_a.close()
    with unlock(place, "alice", PASSWORD) as b:
        refused = [e for e in list_audit(b, action="workstation.refused")]
        assert [(e.workstation, e.details["refused"]) for e in refused] == [
            ("desk-a", "case.created")
        ]
        assert not any(e.target.startswith("cases:") for e in list_audit(b)[-3:])
        problems = [str(p) for p in _problems(b)]
    assert any("revoked_at" in p and "changed" in p for p in problems), problems


def test_objects_of_a_history_cut_back_are_never_taken_for_orphans(
    alice: Session, tmp_path: Path
) -> None:
    """The database loses an ingest (the operator cuts it back, or restores a backup taken
    before it) while the bucket still holds its object, marked unsettled (a crash's marker, or
    the operator's). Opening the vault alone removes orphans: it must not destroy the evidence
    of the history this workstation saw. The object stays; verify names the cut."""
    from vault.cases import create_case
    from vault.ingest import ingest
    from vaultkit import stored_names

    place = place_of(alice)
    create_case(alice, "C-1", "Harbour seizure", ["drug trafficking"])
    before = _head(alice)
    evidence = tmp_path / "ledger.txt"
    evidence.write_text("cash, 14 March, pier 4\n")
    ingest(alice, "C-1", [evidence])
    [name] = stored_names(alice)
    alice.close()
    _operator(alice, "DELETE FROM audit WHERE seq > %s", before)
    _operator(alice, "DELETE FROM custody_events")
    _operator(alice, "DELETE FROM items")
    _operator(alice, "DELETE FROM blobs")
    with unlock(place, "alice", PASSWORD) as again:
        again.blobs.store.mark_unsettled()  # the operator holds the bucket as well
    with unlock(place, "alice", PASSWORD) as again:
        assert stored_names(again) == [name]
        problems = _problems(again)
    assert any(p.what.startswith("entries up to #") for p in problems), problems


def test_the_shared_keys_row_deleted_lets_a_write_past_the_check_and_verify_names_it(
    alice: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not prevented (SECURITY.md says so): the shared key's row is made at its revocation and
    is all the write check reads for it; the operator deletes it (no key needed), and a desk
    nobody enrolled writes as ``shared`` again. Verify names the row and the entry."""
    from vault import workstations
    from vault.cases import create_case

    place = place_of(alice)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine-a"))
    workstations.enrol(alice, "desk-a")
    workstations.revoke(alice, "shared")
    alice.close()
    _operator(alice, "DELETE FROM workstations WHERE public_key = ''")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine-b"))  # no key: signs as shared
    with unlock(place, "alice", PASSWORD) as nobody:
        create_case(nobody, "C-7", "written past the check", ["fraud"])
        seq = _head(nobody)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine-a"))
    with unlock(place, "alice", PASSWORD) as desk_a:
        problems = [str(p) for p in _problems(desk_a)]
    assert any(p.startswith(f"audit #{seq}: ") and "shared" in p for p in problems), problems
    assert any(p.startswith("workstation 'shared'") for p in problems), problems
