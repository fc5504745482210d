"""Roles and what each may do. Checked in the core for every operation, never in a face."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    ANALYST = "analyst"
    LIAISON = "liaison"


ALL_ROLES = tuple(Role)
ALL_ROLES_SET = frozenset(Role)

# permission -> (roles that hold it, what it lets a user do, for refusal messages)
PERMISSIONS: dict[str, tuple[frozenset[Role], str]] = {
    "user.manage": (frozenset({Role.ADMIN}), "manage users and roles"),
    "vault.verify": (frozenset({Role.ADMIN}), "verify the vault"),
    "vault.push": (frozenset({Role.ADMIN}), "push the vault to an agency server"),
    "keys.manage": (frozenset({Role.ADMIN}), "manage keys"),
    "audit.read": (frozenset({Role.ADMIN}), "read the audit log"),
    "workstation.manage": (frozenset({Role.ADMIN}), "enrol or revoke workstations"),
    "case.create": (frozenset({Role.OFFICER}), "create cases"),
    "case.read": (
        frozenset({Role.OFFICER, Role.ANALYST, Role.LIAISON}),
        "read cases and their evidence",
    ),
    "case.report": (
        frozenset({Role.ANALYST, Role.LIAISON}),
        "make signed court reports of cases",
    ),
    "item.ingest": (frozenset({Role.OFFICER}), "ingest evidence"),
    "item.annotate": (frozenset({Role.OFFICER}), "annotate or correct evidence records"),
    "item.export": (frozenset({Role.OFFICER, Role.ANALYST}), "export a copy of evidence"),
    "match.run": (frozenset({Role.ANALYST}), "run face detection and search"),
    "match.review": (frozenset({Role.ANALYST}), "record review decisions"),
    "watchlist.manage": (frozenset({Role.ANALYST}), "manage watchlists"),
    "hashset.read": (frozenset(ALL_ROLES_SET), "see the known-file hash sets"),
    "hashset.manage": (
        frozenset({Role.ANALYST, Role.ADMIN}),
        "import, disable or delete known-file hash sets",
    ),
    "hashset.match": (
        frozenset({Role.ANALYST}),
        "match a case against hash sets and acknowledge their alerts",
    ),
    "exchange.manage": (frozenset({Role.LIAISON}), "manage partners and agreements"),
    "exchange.bundle": (frozenset({Role.LIAISON}), "export or import evidence bundles"),
    "exchange.label": (
        frozenset({Role.OFFICER, Role.LIAISON}),
        "set handling labels (TLP) on evidence",
    ),
}


def parse_roles(names: list[str] | tuple[str, ...]) -> frozenset[Role]:
    from vault.errors import UserError

    roles = set()
    for name in names:
        try:
            roles.add(Role(name.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise UserError(f"unknown role {name!r} (known roles: {known})") from None
    if not roles:
        raise UserError("a user needs at least one role")
    return frozenset(roles)


def allowed(roles: frozenset[Role], permission: str) -> bool:
    return bool(PERMISSIONS[permission][0] & roles)
