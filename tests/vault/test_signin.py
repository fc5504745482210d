"""Failed sign-ins, as someone guessing passwords through Custos would meet them: slowed per
typed name on ``vault.signin``'s schedule, recorded outside the database without naming anybody,
audited (never the password) at the next successful sign-in, and a hostile record file handled.

Time is ``vault.signin.clock``, moved by the tests: nothing here waits."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.opener import recover
from vault import signin
from vault.backend import Server
from vault.errors import AuthenticationFailed, PermissionDenied, VaultUnavailable
from vault.history import head, list_audit
from vault.session import Session, check_vault
from vault.signin import (
    FILENAME,
    FREE_FAILURES,
    MAX_NAME,
    MAX_WAIT,
    SignInThrottled,
    security_overview,
    wait_after,
)
from vault.users import add_user
from vault.verify import verify
from vaultkit import NEW_PASSWORD, PASSWORD, audit_rows, open_as, place_of

WRONG = "hunter2-not-it"  # a wrong password: must never be written anywhere


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_700_000_000.0
        monkeypatch.setattr(signin, "clock", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


# The vault of a working folder: the folder itself, or (on a server) the server's database.
PLACES: dict[Path, Path | Server] = {}


@pytest.fixture()
def folder(admin: Session) -> Iterator[Path]:
    """A closed vault: alice (every role), bob (officer). The folder that holds the sign-in
    ledger: the vault's own, or on a server this workstation's working folder for it."""
    add_user(admin, "bob", ["officer"], PASSWORD)
    admin.close()
    PLACES[admin.folder] = place_of(admin)
    yield admin.folder
    del PLACES[admin.folder]


def sign_in(folder: Path, user: str = "alice", password: str = PASSWORD) -> Session:
    """``open_as`` the vault whose sign-in ledger is in ``folder``."""
    return open_as(PLACES[folder], user, password)


def attempt(folder: Path, user: str) -> signin.Attempt:
    """``signin.attempt`` as a sign-in makes it: a server's settings come from its database."""
    place = PLACES[folder]
    return signin.attempt(folder, user, None if isinstance(place, Path) else check_vault(place))


def fail(folder: Path, user: str = "alice", password: str = WRONG) -> str:
    """One attempt with a wrong password; the error's class name and line."""
    with pytest.raises(AuthenticationFailed) as caught:
        sign_in(folder, user, password)
    return f"{type(caught.value).__name__}: {caught.value}"


def ledger(folder: Path) -> dict:
    return json.loads((folder / FILENAME).read_text())


def test_the_schedule_is_free_then_doubling_and_capped() -> None:
    waits = [wait_after(n) for n in range(12)]
    assert waits[:FREE_FAILURES] == [0] * FREE_FAILURES
    assert waits[FREE_FAILURES:] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert wait_after(10**12) == MAX_WAIT  # no huge number from a planted count


def test_guessing_one_name_is_slowed_even_with_the_right_password(folder: Path, clock: Clock):
    for _ in range(FREE_FAILURES):
        assert fail(folder) == "AuthenticationFailed: unknown user or wrong password"
    # the next attempt waits, whatever its password: the right one learns nothing either
    with pytest.raises(SignInThrottled, match="wait 1 s") as refused:
        sign_in(folder, "alice", PASSWORD)
    assert refused.value.exit_code == 3
    clock.advance(1)
    fail(folder)  # the 4th failure: now 2 s
    clock.advance(1)
    assert fail(folder) == (
        "SignInThrottled: too many failed sign-ins for this name: wait 1 s and try again"
    )
    for expected in (2, 4, 8, 16, 32, 60, 60):
        clock.advance(expected)
        fail(folder)
        with pytest.raises(SignInThrottled) as waiting:
            sign_in(folder, "alice", PASSWORD)
        assert waiting.value.wait == min(MAX_WAIT, expected * 2)
    # another name is not slowed by alice's failures
    sign_in(folder, "bob").close()
    clock.advance(MAX_WAIT)
    sign_in(folder, "alice").close()


def test_an_unknown_name_waits_exactly_like_a_known_one(folder: Path, clock: Clock):
    said = {}
    for user in ("alice", "mallory"):
        said[user] = [fail(folder, user) for _ in range(FREE_FAILURES + 1)]
    assert said["alice"] == said["mallory"]
    assert said["mallory"][-1].startswith("SignInThrottled")


@pytest.mark.local_only(
    "the ledger is this workstation's file on both back ends, the same code: on a server, "
    "test_failures_are_audited_at_the_next_sign_in_without_the_password"
)
def test_a_success_resets_only_its_own_name(folder: Path, clock: Clock):
    for _ in range(FREE_FAILURES):
        fail(folder, "alice")
        fail(folder, "bob")
    clock.advance(1)
    sign_in(folder, "alice").close()
    for _ in range(FREE_FAILURES):  # alice counts from zero again: free
        assert fail(folder, "alice").startswith("AuthenticationFailed:")
    assert fail(folder, "bob").startswith("AuthenticationFailed:")  # his 4th failure
    assert fail(folder, "bob").startswith("SignInThrottled:")


def test_failures_are_audited_at_the_next_sign_in_without_the_password(
    folder: Path, clock: Clock
) -> None:
    fail(folder, "alice")
    fail(folder, "alice")
    clock.advance(5)
    fail(folder, "mallory")
    # nothing in the folder names anybody or holds the password
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (b"alice", b"mallory", WRONG.encode()):
                assert secret not in data, (path, secret)
    clock.advance(5)
    with sign_in(folder, "bob"):  # an officer: anyone who signs in writes them down
        pass
    with sign_in(folder, "alice") as s:
        entries = audit_rows(s, "signin.failed")
        assert [e.actor for e in entries] == ["bob", "bob"]
        details = {json.loads(e.details)["name"]: json.loads(e.details) for e in entries}
        assert details["alice"]["failures"] == 2
        assert details["alice"]["first"] == details["alice"]["last"] == "2023-11-14T22:13:20+00:00"
        assert details["mallory"]["failures"] == 1
        assert "then_signed_in" not in details["alice"]
        assert not any(WRONG in e.details for e in audit_rows(s))
        # alice's own sign-in reset her counter; audited once, not again
        assert len(audit_rows(s, "signin.failed")) == 2
        assert verify(s).ok
    assert ledger(folder)["names"].keys().isdisjoint({signin.name_key(s.config.salt, "alice")})
    for _ in range(FREE_FAILURES):  # free again
        assert fail(folder, "alice").startswith("AuthenticationFailed")


def test_a_user_who_mistyped_then_signed_in_is_one_entry(folder: Path, clock: Clock):
    fail(folder, "alice")
    fail(folder, "alice")
    with sign_in(folder, "alice") as s:
        (entry,) = audit_rows(s, "signin.failed")
        assert json.loads(entry.details) | {"first": "", "last": ""} == {
            "name": "alice",
            "failures": 2,
            "first": "",
            "last": "",
            "then_signed_in": True,
        }
    with sign_in(folder, "alice") as s:  # nothing pending: no noise
        assert len(audit_rows(s, "signin.failed")) == 1


def test_an_attempt_counts_before_its_answer(folder: Path, clock: Clock) -> None:
    """A process killed during the key derivation has still used its guess."""
    for _ in range(FREE_FAILURES):
        attempt(folder, "alice")  # counted, and the process "dies" before the answer
    with pytest.raises(SignInThrottled):
        sign_in(folder, "alice")


@pytest.mark.local_only("damages the SQLCipher file of the vault folder")
def test_a_damaged_database_is_not_counted_as_a_guess(folder: Path, clock: Clock) -> None:
    db = folder / "custos.db"
    saved = db.read_bytes()
    db.write_bytes(b"\0" * len(saved))
    for _ in range(FREE_FAILURES + 2):
        with pytest.raises(VaultUnavailable):
            sign_in(folder, "alice")
    db.write_bytes(saved)
    sign_in(folder, "alice").close()


@pytest.mark.local_only(
    "the ledger is this workstation's file on both back ends, the same code: on a server, "
    "test_failures_are_audited_at_the_next_sign_in_without_the_password"
)
def test_a_typed_name_is_bounded_and_kept_as_typed(folder: Path, clock: Clock) -> None:
    long_name = "\x1b[2J" + "x" * 10_000
    fail(folder, long_name)
    assert (folder / FILENAME).stat().st_size < 4096
    with sign_in(folder) as s:
        (entry,) = security_overview(s).failed
    assert entry.name is not None and entry.name.startswith("\x1b[2J")  # escaped when shown
    assert len(entry.name) == MAX_NAME + 1 and entry.name.endswith("…")


@pytest.mark.local_only(
    "the ledger is this workstation's file on both back ends, the same code: on a server, "
    "test_failures_are_audited_at_the_next_sign_in_without_the_password"
)
def test_many_names_keep_the_file_bounded_and_say_what_was_lost(
    folder: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin, "MAX_NAMES", 5)
    for n in range(8):
        clock.advance(1)
        attempt(folder, f"spray{n}")
    assert len(ledger(folder)["names"]) == 5
    with sign_in(folder) as s:  # alice's own attempt takes a place too
        failed = security_overview(s).failed
    assert {f.name for f in failed} == {None, *(f"spray{n}" for n in range(4, 8))}
    assert next(f for f in failed if f.name is None).failures == 4


@pytest.mark.local_only(
    "the ledger is this workstation's file on both back ends, the same code: on a server, "
    "test_failures_are_audited_at_the_next_sign_in_without_the_password"
)
def test_a_planted_future_time_and_count_wait_no_more_than_the_cap(
    folder: Path, clock: Clock
) -> None:
    fail(folder, "alice")
    raw = ledger(folder)
    for rec in raw["names"].values():
        rec.update(failures=10**15, last=clock.now + 10**9)
    (folder / FILENAME).write_text(json.dumps(raw))
    with pytest.raises(SignInThrottled) as waiting:
        sign_in(folder)
    assert waiting.value.wait == MAX_WAIT
    clock.advance(MAX_WAIT)
    sign_in(folder).close()


@pytest.mark.local_only(
    "the ledger is this workstation's file on both back ends, the same code: on a server, "
    "test_failures_are_audited_at_the_next_sign_in_without_the_password"
)
@pytest.mark.parametrize(
    "plant",
    ["link", "garbage", "oversized", "wrong shape", "fifo", "deep"],
)
def test_a_hostile_record_file_is_replaced_audited_and_never_followed(
    folder: Path, clock: Clock, tmp_path: Path, plant: str
) -> None:
    path = folder / FILENAME
    outside = tmp_path / "outside.json"
    for _ in range(FREE_FAILURES + 1):
        fail(folder, "bob")  # bob waits now
    throttled = path.read_text()
    outside.write_text(throttled)
    path.unlink()
    if plant == "link":  # a link to a file that would throttle everyone: not read, not written
        path.symlink_to(outside)
    elif plant == "garbage":
        path.write_bytes(os.urandom(300))
    elif plant == "oversized":
        path.write_text(" " * (signin.MAX_FILE + 1) + throttled)
    elif plant == "wrong shape":
        path.write_text(json.dumps({"format": 1, "names": {"a" * 64: {"failures": "x"}}}))
    elif plant == "fifo":
        os.mkfifo(path)
    else:
        path.write_text("[" * 100_000 + "]" * 100_000)
    fail(folder, "alice")  # one line, no traceback, no hang
    assert outside.read_text() == throttled
    assert not path.is_symlink() and path.is_file()
    with sign_in(folder, "alice") as s:
        damaged = security_overview(s).damaged
        assert len(damaged) == 1 and FILENAME in damaged[0]
    assert ledger(folder)["damaged"] == ""


@pytest.mark.local_only(
    "the ledger is this workstation's file on both back ends, the same code: on a server, "
    "test_failures_are_audited_at_the_next_sign_in_without_the_password"
)
def test_a_record_file_that_cannot_be_written_refuses_in_one_line(
    folder: Path, clock: Clock
) -> None:
    (folder / FILENAME).mkdir()
    (folder / FILENAME / "x").write_text("keeps the folder from being replaced")
    with pytest.raises(VaultUnavailable, match="failed sign-ins cannot be recorded"):
        sign_in(folder, "alice")


def test_recovery_audits_pending_failures_and_resets_the_admin(
    folder: Path, clock: Clock, recovery_file: Path
) -> None:
    for _ in range(FREE_FAILURES + 1):
        fail(folder, "alice")
    recover(PLACES[folder], recovery_file.read_text(), "alice", NEW_PASSWORD).close()
    with sign_in(folder, "alice", NEW_PASSWORD) as s:
        (entry,) = security_overview(s).failed
    assert (entry.name, entry.failures, entry.refused, entry.then_signed_in) == (
        "alice",
        FREE_FAILURES,
        1,
        True,
    )


def test_the_overview_gives_the_head_to_pin_and_is_for_admins_only(folder: Path, clock: Clock):
    fail(folder, "bob")
    with sign_in(folder, "bob") as bob, pytest.raises(PermissionDenied):
        security_overview(bob)
    with sign_in(folder) as s:
        overview = security_overview(s)
        assert overview.head == head(s)
        assert str(overview.head) == f"{overview.head.seq}:{overview.head.hash}"
        assert [f.name for f in overview.failed] == ["bob"]
        refused = list_audit(s, action="permission.refused")
        assert refused[-1].actor == "bob" and refused[-1].target == "security_overview"


@pytest.mark.local_only(
    "the ledger is this workstation's file on both back ends, the same code: on a server, "
    "test_failures_are_audited_at_the_next_sign_in_without_the_password"
)
def test_attempts_at_once_each_see_the_others(folder: Path, clock: Clock) -> None:
    """Guesses sent in parallel get no more free tries than guesses in a row."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_: int) -> str:
        try:
            attempt(folder, "alice")
        except SignInThrottled:
            return "refused"
        return "counted"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(one, range(8)))
    assert outcomes == ["counted"] * FREE_FAILURES + ["refused"] * (8 - FREE_FAILURES)
    (record,) = ledger(folder)["names"].values()
    assert (record["failures"], record["refused"]) == (FREE_FAILURES, 8 - FREE_FAILURES)


def _take_pin(place: Path | Server, said: Any) -> None:
    """In a process of its own: take the pin's lock of ``place``'s vault, then let go."""
    from vault.backend import open_backend

    backend = open_backend(place)
    said.put("trying")
    with backend.pin_lock():
        said.put("held")


def test_the_pin_lock_is_not_lost_when_the_sign_in_ledger_lets_go_of_its_own(admin: Session):
    """The head pin's lock and the sign-in ledger's were both fcntl record locks on one file
    (``<folder>/lock``): the ledger closing its descriptor dropped this process's pin lock, and
    another process then took the pin while it was being rewritten here."""
    place = place_of(admin)
    said = multiprocessing.get_context("spawn").Queue()
    other = multiprocessing.get_context("spawn").Process(target=_take_pin, args=(place, said))
    with admin.backend.pin_lock():
        done = signin.attempt(admin.folder, "mallory", check_vault(place))
        signin.undo(done)  # the ledger taken and let go while the pin is held
        other.start()
        assert said.get(timeout=120) == "trying"
        other.join(1.0)
        assert other.is_alive() and said.empty(), "another process took the held pin lock"
    other.join(120)
    assert other.exitcode == 0
    assert said.get(timeout=5) == "held"


def test_the_pin_lock_excludes_this_process_s_other_threads(admin: Session):
    """fcntl record locks belong to the process: a second thread took the pin's lock at once."""
    got = threading.Event()

    def take() -> None:
        with admin.backend.pin_lock():
            got.set()

    with admin.backend.pin_lock():
        thread = threading.Thread(target=take)
        thread.start()
        assert not got.wait(0.5), "another thread took the held pin lock"
    thread.join(60)
    assert got.is_set()


def test_pinning_on_two_threads_while_one_holds_the_write_lock_never_deadlocks(admin: Session):
    """A transaction pins the head at its end with the write lock held (a rotation, a password
    change): a job pinning on another thread at that moment took the pin's lock first and then
    waited for the write lock, while the first waited for the pin's lock: both hung for ever
    (the desktop frozen, a server's vault held alone). Every pin now takes the write lock first."""
    holding, job_started = threading.Event(), threading.Event()
    finished: list[str] = []

    def transaction_end() -> None:
        with admin.write_lock:
            holding.set()
            assert job_started.wait(60)
            job_started.wait(0.5)  # let the job reach its locks first (no timing asserted)
            admin.pin_head()
        finished.append("transaction")

    def job() -> None:
        assert holding.wait(60)
        job_started.set()
        admin.pin_head()
        finished.append("job")

    threads = [threading.Thread(target=f, daemon=True) for f in (transaction_end, job)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(finished) == ["job", "transaction"], "the two pins deadlocked"
