"""The permission matrix: every core operation x every role, checked in the core and audited.

Each role gets a single-role user. An allowed call succeeds; a refused one raises
``PermissionDenied`` naming the user and what they may not do, changes nothing, and appends a
"permission.refused" audit entry naming the actor and the permission.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS, vault_place

from exchange.report import ReportJob
from matching import curation, hashhits, hashsets, thumbs
from matching.casefaces import DetectJob
from matching.facelist import list_faces
from matching.redaction import RedactJob
from matching.watchlists import Listing, create_watchlist
from vault import cases, history, items, users
from vault.backend import Server
from vault.errors import PermissionDenied
from vault.ingest import IngestJob, ingest
from vault.jobs import ignore
from vault.permissions import PERMISSIONS, Role
from vault.session import Session
from vault.verify import VerifyJob, verify
from vaultkit import PASSWORD, ROLE_USER, ROLES, add_role_users, audit_rows, new_vault, open_as

CASE = "C-1"
ALL = frozenset(ROLES)
READERS = frozenset({"officer", "analyst", "liaison"})


@dataclass(frozen=True)
class World:
    folder: Path | Server  # the vault: a folder, or (``[server]``) the trial server
    files: Path
    item: int
    photo: int  # a real photo, analysed for faces
    faces: tuple[int, int]  # two faces of it (the detected one and one drawn)


BOX = (5, 5, 60, 60)  # x, y, w, h: a box drawn by hand on the photo
LISTING = Listing("wanted for questioning", "Europol", "TLP:AMBER", "2030-01-01")


@dataclass(frozen=True)
class Op:
    """One core operation; ``call`` gets the acting session, the world and the role's name."""

    permission: str | None  # None: everyone signed in may
    roles: frozenset[str]  # who may, as the issue states it (not read from the code)
    call: Callable[[Session, World, str], Any]


OPS: dict[str, Op] = {
    "thumbs make": Op("case.read", READERS, lambda s, w, r: thumbs.ThumbJob(s, CASE).run(ignore)),
    "thumbs read": Op("case.read", READERS, lambda s, w, r: thumbs.read_thumbnails(s, [w.item])),
    "user add": Op(
        "user.manage",
        frozenset({"admin"}),
        lambda s, w, r: users.add_user(s, f"new_{r}", ["analyst"], PASSWORD),
    ),
    "user roles": Op(
        "user.manage",
        frozenset({"admin"}),
        lambda s, w, r: users.set_roles(s, f"roles_{r}", ["liaison"]),
    ),
    "user list": Op("user.manage", frozenset({"admin"}), lambda s, w, r: users.list_users(s)),
    "user disable": Op(
        "user.manage", frozenset({"admin"}), lambda s, w, r: users.disable_user(s, f"disable_{r}")
    ),
    "user passwd (another user)": Op(
        "user.manage",
        frozenset({"admin"}),
        lambda s, w, r: users.change_password(s, f"passwd_{r}", "another password"),
    ),
    "user passwd (own)": Op(
        None, ALL, lambda s, w, r: users.change_password(s, ROLE_USER[r], PASSWORD)
    ),
    "case create": Op(
        "case.create",
        frozenset({"officer"}),
        lambda s, w, r: cases.create_case(s, f"CASE-{r}", "t"),
    ),
    "case list": Op("case.read", READERS, lambda s, w, r: cases.list_cases(s)),
    "case show": Op("case.read", READERS, lambda s, w, r: cases.get_case(s, CASE)),
    "ingest": Op(
        "item.ingest",
        frozenset({"officer"}),
        lambda s, w, r: ingest(s, CASE, [w.files / f"{r}.bin"]),
    ),
    "ingest job": Op(
        "item.ingest",
        frozenset({"officer"}),
        lambda s, w, r: IngestJob(s, CASE, [w.files / f"{r}-job.bin"]).run(ignore),
    ),
    "items list": Op("case.read", READERS, lambda s, w, r: items.list_items(s, CASE)),
    "items show": Op("case.read", READERS, lambda s, w, r: items.get_item(s, w.item)),
    "custody": Op("case.read", READERS, lambda s, w, r: items.custody(s, w.item)),
    "view item": Op("case.read", READERS, lambda s, w, r: items.read_item_bytes(s, w.item)),
    "annotate": Op(
        "item.annotate", frozenset({"officer"}), lambda s, w, r: items.annotate(s, w.item, "seen")
    ),
    "correct": Op(
        "item.annotate",
        frozenset({"officer"}),
        lambda s, w, r: items.correct(s, w.item, "exhibit", "EX-2", "typo"),
    ),
    "export": Op(
        "item.export",
        frozenset({"officer", "analyst"}),
        lambda s, w, r: items.export_copy(s, w.item, w.files / f"export-{r}.bin"),
    ),
    "court report": Op(
        "case.report",
        frozenset({"analyst", "liaison"}),
        lambda s, w, r: ReportJob(s, CASE, w.files / f"report-{r}.pdf").run(ignore),
    ),
    "audit": Op("audit.read", frozenset({"admin"}), lambda s, w, r: history.list_audit(s)),
    "audit head": Op(None, ALL, lambda s, w, r: history.head(s)),
    "verify": Op("vault.verify", frozenset({"admin"}), lambda s, w, r: verify(s)),
    "verify job": Op(
        "vault.verify", frozenset({"admin"}), lambda s, w, r: VerifyJob(s).run(ignore)
    ),
    "redact": Op(
        "item.export",
        frozenset({"officer", "analyst"}),
        lambda s, w, r: RedactJob(s, w.photo, all_faces=True).run(ignore),
    ),
    "faces add --box": Op(
        "match.run", frozenset({"analyst"}), lambda s, w, r: curation.draw_face(s, w.photo, BOX)
    ),
    "faces discard": Op(
        "match.run",
        frozenset({"analyst"}),
        lambda s, w, r: curation.discard_face(
            s, CASE, curation.draw_face(s, w.photo, BOX), "a false detection"
        ),
    ),
    "cluster split": Op(
        "match.run", frozenset({"analyst"}), lambda s, w, r: curation.split(s, CASE, w.faces[:1])
    ),
    "cluster merge": Op(
        "match.run", frozenset({"analyst"}), lambda s, w, r: curation.merge(s, CASE, w.faces)
    ),
    "cluster name": Op(
        "watchlist.manage",
        frozenset({"analyst"}),
        lambda s, w, r: curation.name_cluster(s, CASE, w.faces[:1], "named", f"S-{r}", LISTING),
    ),
    "hashset list": Op("hashset.read", ALL, lambda s, w, r: hashsets.list_sets(s)),
    "hashset import": Op(
        "hashset.manage",
        frozenset({"analyst", "admin"}),
        lambda s, w, r: hashsets.ImportJob(s, w.files / "set.txt", f"set-{r}", "info").run(ignore),
    ),
    "hashset disable": Op(
        "hashset.manage",
        frozenset({"analyst", "admin"}),
        lambda s, w, r: hashsets.disable_set(s, f"off-{r}"),
    ),
    "hashset match": Op(
        "hashset.match",
        frozenset({"analyst"}),
        lambda s, w, r: hashhits.MatchJob(s, CASE).run(ignore),
    ),
    "hashset alerts": Op("case.read", READERS, lambda s, w, r: hashhits.alerts(s, CASE)),
}


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[World]:
    base = tmp_path_factory.mktemp("matrix")
    files = base / "files"
    files.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "server":  # this workstation's working folder: the module's own
            patch.setenv("CUSTOS_CACHE_DIR", str(base / "cache"))
        yield _world(vault_place(request, base / "vault"), files, faces_dir)


def _world(folder: Path | Server, files: Path, faces_dir: Path) -> World:
    session, _ = new_vault(folder)
    try:
        add_role_users(session)
        for role in ROLES:
            for purpose in ("roles", "disable", "passwd"):
                users.add_user(session, f"{purpose}_{role}", ["analyst"], PASSWORD)
            (files / f"{role}.bin").write_bytes(role.encode() * 100)
            (files / f"{role}-job.bin").write_bytes(role.encode() * 200)
        cases.create_case(session, CASE, "Harbour seizure")
        (files / "set.txt").write_text("d41d8cd98f00b204e9800998ecf8427e\n")
        for role in ROLES:
            hashsets.ImportJob(session, files / "set.txt", f"off-{role}", "info").run(ignore)
        evidence = files / "phone.img"
        evidence.write_bytes(b"phone image " * 1000)
        [item] = ingest(session, CASE, [evidence]).saved
        [photo] = ingest(session, CASE, [faces_dir / "knn/test/obama1.jpg"]).saved
        assert not DetectJob(session, CASE).run(ignore).failed
        [face] = [f.id for f in list_faces(session, CASE) if f.item == photo]
        drawn = curation.draw_face(session, photo, BOX)
        create_watchlist(session, "named")
    finally:
        session.close()
    return World(folder, files, item, photo, (face, drawn))


@pytest.fixture()
def acting(world: World, request: pytest.FixtureRequest) -> Iterator[Session]:
    role = request.node.callspec.params["role"]
    with open_as(world.folder, ROLE_USER[role]) as session:
        assert session.roles == frozenset({Role(role)})
        yield session


def _refusals(session: Session) -> list[dict[str, Any]]:
    return [
        {"actor": e.actor, "target": e.target, **json.loads(e.details)}
        for e in audit_rows(session, "permission.refused")
    ]


# On a server the matrix runs the allowed cells: each operation done there by a role that may
# (the refusal and its audit entry are the session's, the same on both back ends: on a server,
# tests/vault/test_backends.py::test_a_user_without_the_role_is_refused_and_the_refusal_is_audited).
REFUSAL = pytest.mark.local_only("a refusal: on a server, test_backends.py (refused and audited)")


def _cells() -> list[Any]:
    cells = []
    for op, spec in OPS.items():
        for role in ROLES:
            marks = [] if role in spec.roles else [REFUSAL]
            cells.append(pytest.param(op, role, marks=marks, id=f"{op}-{role}"))
    return cells


@pytest.mark.parametrize(("op", "role"), _cells())
def test_permission_matrix(world: World, acting: Session, op: str, role: str) -> None:
    spec = OPS[op]
    before = _refusals(acting)
    if role in spec.roles:
        spec.call(acting, world, role)
        assert _refusals(acting) == before
        return
    assert spec.permission is not None
    with pytest.raises(PermissionDenied) as refused:
        spec.call(acting, world, role)
    message = str(refused.value)
    assert message.startswith(f"user '{ROLE_USER[role]}' may not "), message
    assert "\n" not in message
    after = _refusals(acting)
    assert len(after) == len(before) + 1
    assert after[-1]["actor"] == ROLE_USER[role]
    assert after[-1]["permission"] == spec.permission


def test_the_core_table_matches_the_matrix() -> None:
    """The roles the code grants are the roles the issue names, permission by permission."""
    for op in OPS.values():
        if op.permission is not None:
            granted = {r.value for r in PERMISSIONS[op.permission][0]}
            assert granted == set(op.roles), op


def test_a_refused_call_changes_nothing(world: World) -> None:
    with open_as(world.folder, ROLE_USER["analyst"]) as session:
        history_before = items.custody(session, world.item)
        items_before = items.list_items(session, CASE)
        with pytest.raises(PermissionDenied):
            cases.create_case(session, "REFUSED-CASE", "never made")
        with pytest.raises(PermissionDenied):
            ingest(session, CASE, [world.files / "analyst.bin"])
        with pytest.raises(PermissionDenied):
            items.annotate(session, world.item, "never written")
        assert "REFUSED-CASE" not in [c.reference for c in cases.list_cases(session)]
        assert items.list_items(session, CASE) == items_before
        assert items.custody(session, world.item)[: len(history_before)] == history_before
        assert "never written" not in str(items.custody(session, world.item))


def test_an_admin_can_grant_roles_and_the_grant_takes_effect(world: World) -> None:
    with open_as(world.folder, "alice") as session:
        users.add_user(session, "grace", ["analyst"], PASSWORD)
    with open_as(world.folder, "grace") as session, pytest.raises(PermissionDenied):
        cases.create_case(session, "GRACE-1", "t")
    with open_as(world.folder, "alice") as session:
        users.set_roles(session, "grace", ["analyst", "officer"])
    with open_as(world.folder, "grace") as session:
        cases.create_case(session, "GRACE-1", "t")
        assert {r.value for r in session.roles} == {"analyst", "officer"}
