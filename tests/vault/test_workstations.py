"""Workstations on a local vault: each machine signs with a key of its own, kept on that machine;
an admin enrols and revokes them; a revoked workstation's writes are refused (and that is
audited); verify checks every entry against the registry as of its point in the chain.

Each "machine" here is a data folder of its own (``XDG_DATA_HOME``), which is where a
workstation's key lives: two processes of one vault with two data folders are two workstations.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from vault import sealing, workstations
from vault.audit import SHARED, AuditLog
from vault.backend import Server
from vault.cases import create_case
from vault.errors import IntegrityFault, PermissionDenied, UserError
from vault.history import list_audit
from vault.models import AuditEntry
from vault.session import Session, now
from vault.users import add_user
from vault.verify import Problem, verify
from vaultkit import PASSWORD, new_vault, open_as, place_of

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture()
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Switch to the data folder of machine ``name`` (later opens and enrols happen there)."""

    def use(name: str) -> Path:
        home = tmp_path / "machines" / name
        monkeypatch.setenv("XDG_DATA_HOME", str(home))
        return home

    use("first")
    return use


def _entries(session: Session, action: str) -> list[object]:
    return [e for e in list_audit(session, action=action)]


def test_enrol_keeps_the_key_on_this_machine_sealed_and_signs_with_it(
    admin: Session, machine
) -> None:
    listed = workstations.enrol(admin, "desk-1")
    path = workstations.key_path(admin.config.vault_id)
    assert path.is_file() and (path.stat().st_mode & 0o777) == 0o600
    station = admin.workstation
    assert station is not None and station.name == "desk-1"
    private = station.key.private_bytes_raw()
    data = path.read_bytes()
    assert private not in data and private.hex().encode() not in data  # sealed
    assert b"desk-1" not in data
    create_case(admin, "C-9", "after enrolment", ["fraud"])
    [enrolled] = _entries(admin, "workstation.enrolled")
    assert enrolled.workstation == "desk-1"  # its own enrolment is signed by the new key
    assert enrolled.details["public_key"] == station.public_hex
    assert _entries(admin, "case.created")[-1].workstation == "desk-1"
    assert list_audit(admin)[0].workstation == SHARED  # the vault's creation: the shared key
    names = [(w.name, w.here, w.fingerprint) for w in workstations.listing(admin)]
    assert names[0][:2] == (SHARED, False) and names[1][:2] == ("desk-1", True)
    assert listed.fingerprint == names[1][2]
    assert verify(admin).problems == []
    # Opening again on the same machine signs with the same key; on another, with the shared key.
    with open_as(place_of(admin)) as again:
        assert again.workstation is not None and again.workstation.name == "desk-1"
    machine("second")
    with open_as(place_of(admin)) as elsewhere:
        assert elsewhere.workstation is None


def test_names_are_checked_and_never_reused(admin: Session, machine) -> None:
    for bad in ("", "-x", "a b", "x" * 65, "shared", "SHARED", "desk/1"):
        with pytest.raises(UserError):
            workstations.enrol(admin, bad)
    workstations.enrol(admin, "desk-1")
    with pytest.raises(UserError, match="already enrolled in this vault as 'desk-1'"):
        workstations.enrol(admin, "desk-2")
    machine("second")
    with open_as(place_of(admin)) as other, pytest.raises(UserError, match="'desk-1' is taken"):
        workstations.enrol(other, "desk-1")
    assert not workstations.key_path(admin.config.vault_id).exists()


def test_only_an_admin_enrols_lists_or_revokes(admin: Session, machine) -> None:
    add_user(admin, "olga", ["officer"], PASSWORD)
    with open_as(place_of(admin), "olga") as officer:
        for call in (
            lambda: workstations.enrol(officer, "desk-9"),
            lambda: workstations.revoke(officer, SHARED),
            lambda: workstations.listing(officer),
        ):
            with pytest.raises(PermissionDenied):
                call()
    refused = _entries(admin, "permission.refused")
    assert [e.details["permission"] for e in refused] == ["workstation.manage"] * 3
    assert not workstations.key_path(admin.config.vault_id).exists()


def test_a_revoked_workstations_next_write_is_refused_and_audited(admin: Session, machine) -> None:
    workstations.enrol(admin, "desk-a")
    desk_a = open_as(place_of(admin))  # opened before the revocation, still open after it
    try:
        machine("b")
        with open_as(place_of(admin)) as b:
            workstations.enrol(b, "desk-b")
            workstations.revoke(b, "desk-a")
        with pytest.raises(PermissionDenied, match="workstation 'desk-a' was revoked by 'alice'"):
            create_case(desk_a, "C-2", "after the revocation", ["fraud"])
        with pytest.raises(PermissionDenied, match="revoked"):
            workstations.revoke(desk_a, "desk-b")  # nor may it undo anything
        assert desk_a.workstation is not None  # reads go on (it holds the vault key)
        assert [w.name for w in workstations.listing(desk_a)] == [SHARED, "desk-a", "desk-b"]
    finally:
        desk_a.close()
    with open_as(place_of(admin)) as b:  # machine b
        refused = _entries(b, "workstation.refused")
        assert [(e.workstation, e.details) for e in refused] == [
            ("desk-a", {"workstation": "desk-a", "refused": "case.created"}),
            ("desk-a", {"workstation": "desk-a", "refused": "workstation.revoked"}),
        ]
        assert not any(e.target.startswith("cases:") for e in list_audit(b)[-3:])
        [listed] = [w for w in workstations.listing(b) if w.name == "desk-a"]
        assert listed.revoked_by == "alice" and listed.revoked_at
        assert verify(b).problems == []


def test_a_revocation_between_two_batches_of_an_ingest_refuses_the_next_one(
    admin: Session, machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest's session was opened, and its job started, before the revocation: its next
    transaction is refused all the same (the check is inside each write transaction)."""
    from vault import ingest as ingest_module
    from vault.ingest import ingest
    from vault.items import list_items
    from vault.jobs import Finished

    monkeypatch.setattr(ingest_module, "BATCH_FILES", 4)
    files = tmp_path / "files"
    files.mkdir()
    for i in range(12):
        (files / f"f{i:02}.bin").write_bytes(os.urandom(512))
    create_case(admin, "C-2", "ingest raced by a revocation", ["fraud"])
    workstations.enrol(admin, "desk-a")
    machine("b")
    b = open_as(place_of(admin))
    try:
        workstations.enrol(b, "desk-b")

        revoked_once: list[bool] = []

        def emit(event: object) -> None:  # after the first batch's commit, on the job's thread
            if isinstance(event, Finished) and event.ok and not revoked_once:
                revoked_once.append(True)
                workstations.revoke(b, "desk-a")

        with pytest.raises(PermissionDenied, match="workstation 'desk-a' was revoked"):
            ingest(admin, "C-2", [files], emit=emit)
        assert len(list_items(b, "C-2")) == 4  # the first batch, and nothing after it
        entries = list_audit(b)
        [revoked] = [e.seq for e in entries if e.action == "workstation.revoked"]
        after = [(e.action, e.workstation) for e in entries if e.seq > revoked]
        assert after == [("workstation.refused", "desk-a")]
        assert verify(b).problems == []
    finally:
        b.close()


def test_revoking_the_shared_key_leaves_only_enrolled_workstations_writing(
    admin: Session, machine
) -> None:
    workstations.enrol(admin, "desk-a")
    workstations.revoke(admin, SHARED)
    create_case(admin, "C-2", "from an enrolled desk", ["fraud"])
    machine("not-enrolled")
    with open_as(place_of(admin)) as stranger:
        with pytest.raises(PermissionDenied) as refused:
            create_case(stranger, "C-3", "from a desk nobody enrolled", ["fraud"])
        assert str(refused.value) == workstations.NOT_ENROLLED
        # Its own enrolment is the one write it may make: signed by its new key.
        workstations.enrol(stranger, "desk-c")
        create_case(stranger, "C-3", "now enrolled", ["fraud"])
        assert verify(stranger).problems == []
    with pytest.raises(UserError, match="already revoked"):
        workstations.revoke(admin, SHARED)


def test_a_refused_add_user_or_password_change_leaves_the_vault_file_as_it_was(
    admin: Session, machine
) -> None:
    """``set_password`` writes the new slot to the vault file before the ``users`` row commits:
    a desk nobody enrolled (the shared key revoked) is refused at the transaction's first entry,
    after that. The new slot must go with the rolled-back row (else verify names a slot no user
    holds), and a refused password change must keep the old slot (else the user, whose row
    still names it, could no longer sign in). Both back ends."""
    from vault.users import change_password
    from vaultkit import vault_file_text

    workstations.enrol(admin, "desk-a")
    workstations.revoke(admin, SHARED)
    place = place_of(admin)
    kept = vault_file_text(place)
    admin.close()
    machine("not-enrolled")
    with open_as(place) as stranger:
        with pytest.raises(PermissionDenied):
            add_user(stranger, "dave", ["analyst"], PASSWORD)
        assert vault_file_text(place) == kept
        with pytest.raises(PermissionDenied):
            change_password(stranger, "alice", PASSWORD + "-new")
        assert vault_file_text(place) == kept
    machine("first")  # desk-a
    with open_as(place) as again:  # her old password still opens her slot
        assert [p.what for p in verify(again).problems if "slot" in p.what] == []


def test_an_entry_signed_by_a_revoked_key_after_its_revocation_is_a_verify_fault(
    admin: Session, machine
) -> None:
    workstations.enrol(admin, "desk-a")
    stolen = admin.workstation
    assert stolen is not None
    machine("b")
    with open_as(place_of(admin)) as b:
        workstations.revoke(b, "desk-a")
        revoked_at = _entries(b, "workstation.revoked")[0].seq
    # Whoever holds desk-a's key file (and the vault key) writes an entry past the check.
    assert admin._user_keys is not None
    with DbSession(admin.engine) as db, db.begin():
        forged = (
            AuditLog(stolen.key, admin._user_keys.signing, "desk-a")
            .append(db, now(), "alice", "vault.verified", "vault", {"problems": 0})
            .seq
        )
    with open_as(place_of(admin)) as b:
        problems = verify(b).problems
    assert problems == [
        Problem(
            f"audit #{forged}",
            f"signed by workstation 'desk-a' after its revocation (audit #{revoked_at})",
        )
    ]


def test_an_entry_naming_a_workstation_never_enrolled_is_a_verify_fault(
    admin: Session, machine
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    assert admin._user_keys is not None
    with DbSession(admin.engine) as db, db.begin():
        forged = (
            AuditLog(Ed25519PrivateKey.generate(), admin._user_keys.signing, "ghost")
            .append(db, now(), "alice", "vault.verified", "vault", {"problems": 0})
            .seq
        )
    assert verify(admin).problems == [
        Problem(
            f"audit #{forged}",
            "signed by workstation 'ghost', which is not enrolled at this point of the chain",
        )
    ]


def test_a_revocation_undone_in_the_table_is_named_by_verify(admin: Session, machine) -> None:
    workstations.enrol(admin, "desk-a")
    workstations.revoke(admin, "desk-a")
    with DbSession(admin.engine) as db, db.begin():  # someone with the vault key un-revokes it
        row = db.scalar(
            select(workstations.Workstation).where(
                sealing.equals(db, workstations.Workstation.name, "desk-a")
            )
        )
        assert row is not None
        row.revoked_at = row.revoked_by = None
    # the write check finds the revocation in the chain too (red team: on a server the operator
    # clears the plain revoked_at without any key): still refused, and audited
    with pytest.raises(PermissionDenied, match=r"changed\s+outside Custos since"):
        create_case(admin, "C-2", "written as if never revoked", ["fraud"])
    assert [e.details["refused"] for e in _entries(admin, "workstation.refused")] == [
        "case.created"
    ]
    admin.close()  # desk-a's own verify would be refused too (it records vault.verified)
    machine("b")
    with open_as(place_of(admin)) as b:
        problems = [str(p) for p in verify(b).problems]
    assert (
        "workstation 'desk-a': revoked_at, revoked_by changed (edited outside Custos)" in problems
    )
    assert not any("signed by workstation 'desk-a' after" in p for p in problems), problems


def _key_file_refused(folder: Path | Server, match: str) -> None:
    with pytest.raises(IntegrityFault, match=match) as refused:
        open_as(folder)
    assert "\n" not in str(refused.value)


def test_hostile_key_files_are_refused_in_one_line(admin: Session, machine, tmp_path: Path) -> None:
    workstations.enrol(admin, "desk-a")
    admin.close()
    path = workstations.key_path(admin.config.vault_id)
    good = path.read_bytes()
    path.chmod(0o644)
    _key_file_refused(place_of(admin), r"may be read by others \(mode 0644\)")
    path.chmod(0o600)
    path.write_bytes(good[:-5])  # truncated
    _key_file_refused(place_of(admin), "not a workstation key of this vault")
    path.write_bytes(b"")
    _key_file_refused(place_of(admin), "not a workstation key of this vault")
    path.write_bytes(os.urandom(1 << 20))  # large garbage
    _key_file_refused(place_of(admin), "not a workstation key of this vault")
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere.key")
    _key_file_refused(place_of(admin), "cannot be used")
    path.unlink()
    # Another vault's key file, put in this vault's place.
    other, _ = new_vault(tmp_path / "other")
    try:
        workstations.enrol(other, "desk-x")
        theirs = workstations.key_path(other.config.vault_id).read_bytes()
    finally:
        other.close()
    path.write_bytes(theirs)
    path.chmod(0o600)
    _key_file_refused(place_of(admin), "not a workstation key of this vault")
    path.write_bytes(good)
    with open_as(place_of(admin)) as back:
        assert back.workstation is not None and back.workstation.name == "desk-a"
        # Each refusal is in the log once the user was known, naming the file and the problem.
        refused = _entries(back, "workstation.key_refused")
        assert len(refused) == 6 and all(str(path) in e.details["problem"] for e in refused)
        assert "mode 0644" in refused[0].details["problem"]
        assert {e.workstation for e in refused} == {SHARED}
        assert verify(back).problems == []


def test_a_key_file_of_a_workstation_this_vault_never_enrolled_is_refused(
    admin: Session, machine
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    fake = workstations.Station("desk-z", Ed25519PrivateKey.generate())
    path = workstations.key_path(admin.config.vault_id)
    path.parent.mkdir(parents=True)
    path.write_bytes(
        workstations.seal(fake, admin.config.vault_id, admin.subkey(workstations.SUBKEY))
    )
    path.chmod(0o600)
    _key_file_refused(place_of(admin), "names workstation 'desk-z', which this vault has not")


@pytest.mark.parametrize("name", ["format2", "format3"])
def test_frozen_vaults_open_verify_and_enrol(name: str, tmp_path: Path, machine) -> None:
    folder = tmp_path / name
    shutil.copytree(DATA / name / "vault", folder)
    (folder / "tmp").mkdir(mode=0o700, exist_ok=True)
    with open_as(folder) as session:
        assert verify(session).problems == []
        assert [w.name for w in workstations.listing(session)] == [SHARED]
        workstations.enrol(session, "desk-1")
        create_case(session, "C-NEW", "after the upgrade", ["fraud"])
        assert verify(session).problems == []
        rows = session.db
        with rows() as db:
            last = db.scalars(
                select(AuditEntry.workstation).order_by(AuditEntry.seq.desc()).limit(2)
            ).all()
        assert last[0] == "desk-1"
