"""Users and their roles. Only admins manage them; every change is audited."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from vault import sealing
from vault.errors import CustosError, PermissionDenied, UserError
from vault.jobs import Emit, ignore
from vault.models import User
from vault.permissions import Role, parse_roles
from vault.rotation import VaultRotation, check_alone, rotate
from vault.session import Session, _check_new_password, now, requires


@dataclass(frozen=True)
class UserInfo:
    name: str
    roles: list[str]
    disabled: bool
    created_at: str


def _info(u: User) -> UserInfo:
    return UserInfo(u.name, [r for r in u.roles.split(",") if r], u.disabled, u.created_at)


def _find(db: DbSession, name: str) -> User:
    user = db.scalar(select(User).where(sealing.equals(db, User.name, name)))
    if user is None or user.name != name:  # unsealed: a blind index moved on a server
        raise UserError(f"no user named {name!r}")
    return user


@requires("user.manage")
def add_user(session: Session, name: str, roles: list[str], password: str) -> UserInfo:
    name = name.strip()
    if not name:
        raise UserError("a user needs a name")
    parsed = parse_roles(roles)
    _check_new_password(password)
    with _slots_dropped_unless_committed(session) as written, session.transaction() as db:
        if db.scalar(select(User.id).where(sealing.equals(db, User.name, name))) is not None:
            raise UserError(f"a user named {name!r} already exists")
        user = User(name=name, roles=",".join(sorted(parsed)), created_at=now())
        user.slot, own = session.set_password(name, password)
        written.append(user.slot)
        user.signing_public = own.public_hex
        db.add(user)
        session.audit(
            db, "user.added", user, name=name, roles=user.roles, signing_public=own.public_hex
        )
    return _info(user)


@contextlib.contextmanager
def _slots_dropped_unless_committed(session: Session) -> Iterator[list[str]]:
    """The slots ``set_password`` wrote to the vault file (before the ``users`` row commits),
    dropped again if the transaction entered inside this does not commit (refused, failed, its
    commit too): else the file kept a slot no row names, which verify names
    (``_check_slots``)."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for slot in written:
            with contextlib.suppress(CustosError, OSError):
                session.drop_slot(slot)
        raise


@requires("user.manage")
def set_roles(session: Session, name: str, roles: list[str]) -> UserInfo:
    parsed = parse_roles(roles)
    with session.transaction() as db:
        user = _find(db, name)
        if name == session.user and Role.ADMIN not in parsed:
            raise UserError("you cannot remove your own admin role (ask another admin)")
        user.roles = ",".join(sorted(parsed))
        session.audit(db, "user.roles", user, name=name, roles=user.roles)
    return _info(user)


@requires("user.manage")
def list_users(session: Session) -> list[UserInfo]:
    with session.db() as db:
        # sorted here: on a server the names are sealed, the database cannot order them
        users = sorted(db.scalars(select(User)), key=lambda u: u.name)
        return [_info(u) for u in users]


def change_password(
    session: Session, name: str, password: str, emit: Emit = ignore
) -> VaultRotation:
    """Users change their own password; admins may set anyone's.

    The user gets new keys with the new slot, and the vault key is rotated (``vault.rotation``):
    an old ``vault.toml`` with the old password opens nothing current. So it needs the vault to
    itself, checked before anything changes. The entry is signed with the acting user's key in
    force before the change."""
    if name != session.user and not session.may("user.manage"):
        session.require("user.manage", target="change_password")
    _check_new_password(password)
    with session.write_lock:
        check_alone(session)
        _change_password(session, name, password)
        return rotate(
            session, f"password of {name!r} changed", emit, trigger="user.password", name=name
        )


def _change_password(session: Session, name: str, password: str) -> None:
    with _slots_dropped_unless_committed(session) as written, session.transaction() as db:
        user = _find(db, name)
        if user.disabled:
            raise UserError(f"user {name!r} is disabled")
        old = user.slot
        new, own = session.set_password(name, password)
        user.slot = new
        written.append(new)
        user.signing_public = own.public_hex
        session.audit(db, "user.password", user, name=name, signing_public=own.public_hex)
    if old != new:  # only once the row names the new one (a refusal keeps the old)
        session.drop_slot(old)
    if name == session.user:
        session.use_user_keys(own)


@requires("user.manage")
def disable_user(session: Session, name: str, emit: Emit = ignore) -> VaultRotation:
    """Disable ``name``: their slot goes and the vault key is rotated (``vault.rotation``), so a
    copy of ``vault.toml`` they kept, with their password, opens nothing current. Needs the vault
    to itself, checked before anything changes."""
    if name == session.user:
        raise PermissionDenied("you cannot disable yourself")
    with session.write_lock:
        check_alone(session)
        with session.transaction() as db:
            user = _find(db, name)
            session.drop_slot(user.slot)
            user.slot = None
            user.disabled = True
            session.audit(db, "user.disabled", user, name=name)
        return rotate(session, f"user {name!r} disabled", emit, trigger="user.disabled", name=name)


class PasswordJob:
    """``change_password`` as a job (``Progress`` of the vault-key rotation it runs). Not
    cancellable: once the password is changed, the rotation must follow."""

    def __init__(self, session: Session, name: str, password: str) -> None:
        self.session, self.name, self._password = session, name, password

    def run(self, emit: Emit) -> VaultRotation:
        password, self._password = self._password, ""
        return change_password(self.session, self.name, password, emit)


class DisableJob:
    """``disable_user`` as a job (``Progress`` of the vault-key rotation); not cancellable."""

    def __init__(self, session: Session, name: str) -> None:
        self.session, self.name = session, name

    def run(self, emit: Emit) -> VaultRotation:
        return disable_user(self.session, self.name, emit)
