"""Sealed columns on a real PostgreSQL (the trial server), with the vault's real models, schema
revisions and write paths (``vault.acquisition``'s Core inserts, ``vault.audit``'s chain, the
ORM hooks): every sensitive value reaches the server as ciphertext bound to its table, column
and row; a ciphertext the server's operator moves to another row or column is refused in one
line when read; lookups by a sealed value go through the blind index; and marker strings written
through these paths appear nowhere in PostgreSQL's data folder, WAL included.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from serverkit import TrialServer, markers_in_data_folder
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as DbSession

from service.opener import SCHEMA
from vault import migrate, sealing
from vault.acquisition import BLOBS, insert_rows
from vault.audit import AuditLog
from vault.cases import find_case
from vault.errors import IntegrityFault, UserError
from vault.models import AuditEntry, Blob, Case, CustodyEvent, Item, Meta, User, canonical
from vault.workstations import Workstation, _by_name

VAULT_KEY = bytes(range(32))


@dataclass
class Server:
    engine: Engine
    name: str
    trial: TrialServer

    def raw(self, sql: str) -> list[Any]:
        """What the server's operator runs (superuser, outside Custos)."""
        with self.trial.superuser(self.name) as su:
            cur = su.execute(sql)
            return cur.fetchall() if cur.description else []


@pytest.fixture
def server(trial_server: TrialServer) -> Iterator[Server]:
    """A database of this test's own at the schema head, reached as the workstation does (the
    ``custos`` role over TLS), its engine sealing with ``VAULT_KEY``."""
    _ = SCHEMA  # every layer's tables registered
    name = "sealed_" + uuid.uuid4().hex[:10]
    with trial_server.superuser() as su:
        su.execute(f"CREATE DATABASE {name} OWNER custos")
    with trial_server.superuser(name) as su:  # pgvector, as `custos server up` installs it
        su.execute("CREATE EXTENSION IF NOT EXISTS vector")

    def connect() -> Any:
        conn = trial_server.connect(name)
        conn.autocommit = False
        return conn

    engine = create_engine("postgresql+psycopg://", creator=connect)
    sealing.attach(engine, VAULT_KEY)
    with engine.connect() as conn:
        migrate.upgrade(conn)
    try:
        yield Server(engine, name, trial_server)
    finally:
        engine.dispose()
        with trial_server.superuser() as su:
            su.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _item(case_id: int, blob: str, sha: str, n: int, marker: str = "") -> dict[str, Any]:
    return {
        "case_id": case_id,
        "name": f"DCIM/{marker}IMG_{n:04d}.jpg",
        "original_path": f"/media/usb/{marker}DCIM/IMG_{n:04d}.jpg",
        "size": 4096 + n,
        "sha256": sha,
        "md5": f"{n:032x}",
        "sha1": f"{n:040x}",
        "blob_name": blob,
        "exhibit": f"EX-{marker}{n}",
        "seized_from": f"{marker}suspect's flat",
        "seized_at": f"{marker}12 Harbour Road",
        "seized_on": "2026-03-01T14:30:00",
        "seized_by": f"{marker}DC Okafor",
        "description": f"{marker}phone, black",
        "modified_at": "2026-02-28T09:00:00",
        "acquired_by": f"{marker}officer",
        "acquired_at": "2026-03-02T10:00:00",
    }


def _write(server: Server, marker: str = "", n: int = 3) -> dict[str, Any]:
    """A user, a case, blobs, items, custody events, audit entries and a meta value, through
    the core's write paths; returns what was written."""
    audit = AuditLog(Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    with DbSession(server.engine) as db, db.begin():
        user = User(name=f"{marker}analyst", roles="analyst", created_at="2026-03-01")
        case = Case(
            reference=f"{marker}OP-7",
            title=f"{marker}Operation Nightjar",
            operation=f"{marker}Nightjar",
            partners=json.dumps([f"{marker}Europol"]),
            created_by=f"{marker}admin",
            created_at="2026-03-01",
        )
        station = Workstation(
            name=f"{marker}desk-3",
            public_key="ab" * 32,
            enrolled_at="2026-03-01",
            enrolled_by=f"{marker}admin",
        )
        agency = Meta(key="agency", value=f"{marker}Harbour Police".encode())
        db.add_all([user, case, station, agency])
        db.flush()  # ORM rows: ids from the sequences, values sealed to them
        shas = [os.urandom(32).hex() for _ in range(n)]
        # blob names are keyed digests (``BlobStore``): opaque, not sealed
        blobs = [{"name": os.urandom(32).hex(), "sha256": s, "size": 4096} for s in shas]
        db.execute(insert(BLOBS), sealing.insert_params(db, Blob, blobs))
        pairs = enumerate(zip(blobs, shas, strict=True))
        items = [_item(case.id, b["name"], s, i, marker) for i, (b, s) in pairs]
        item_ids = insert_rows(db, Item, items)
        events = [
            {
                "item_id": item_id,
                "kind": "acquired",
                "actor": f"{marker}officer",
                "at": "2026-03-02T10:00:00",
                "details": canonical({"reason": f"{marker}seized under warrant 12"}),
                "refers_to": None,
            }
            for item_id in item_ids
        ]
        event_ids = insert_rows(db, CustodyEvent, events)
        audit.append(
            db,
            "2026-03-02",
            f"{marker}admin",
            "case.created",
            f"cases:{case.id}",
            {"reference": f"{marker}OP-7"},
        )
        audit.extend(
            db,
            "2026-03-02",
            f"{marker}officer",
            [("item.acquired", f"items:{i}", {"name": f"{marker}IMG"}) for i in item_ids],
        )
        return {
            "user": user.id,
            "case": case.id,
            "shas": shas,
            "items": item_ids,
            "events": event_ids,
            "blobs": [b["name"] for b in blobs],
        }


def test_every_sealed_column_round_trips_and_the_server_holds_ciphertext(server: Server) -> None:
    written = _write(server)
    with DbSession(server.engine) as db:
        user = db.scalar(select(User).where(User.id == written["user"]))
        assert user is not None and (user.name, user.roles) == ("analyst", "analyst")
        case = db.get(Case, written["case"])
        assert case is not None and case.title == "Operation Nightjar"
        assert json.loads(case.partners) == ["Europol"] and case.created_by == "admin"
        assert db.get(Meta, "agency").value == b"Harbour Police"  # type: ignore[union-attr]
        items = db.scalars(select(Item).order_by(Item.id)).all()
        for n, item in enumerate(items):
            expected = _item(written["case"], written["blobs"][n], written["shas"][n], n)
            assert {k: getattr(item, k) for k in expected} == expected
        # a Core SELECT of single columns is unsealed as well
        pairs = db.execute(select(Item.original_path, Item.sha256).order_by(Item.id)).all()
        assert [p.sha256 for p in pairs] == written["shas"]
        assert {b.sha256 for b in db.scalars(select(Blob))} == set(written["shas"])
        details = db.scalars(select(CustodyEvent.details)).all()
        assert all(json.loads(d) == {"reason": "seized under warrant 12"} for d in details)
        entries = db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [e.actor for e in entries] == ["admin"] + ["officer"] * 3
        assert entries[0].target == f"cases:{written['case']}"
    # what the server holds: version byte, nonce, ciphertext and tag; never the value
    for table, column, plain in [
        ("users", "name", b"analyst"),
        ("cases", "title", b"Operation Nightjar"),
        ("items", "original_path", b"/media/usb"),
        ("blobs", "sha256", written["shas"][0].encode()),
        ("audit", "actor", b"officer"),
        ("custody_events", "details", b"warrant"),
        ("meta", "value", b"Harbour"),
        ("workstations", "name", b"desk-3"),
    ]:
        for (stored,) in server.raw(f"SELECT {column} FROM {table}"):
            assert stored[:1] == b"\x02" and plain not in bytes(stored), (table, column)
            assert (len(stored) - 1 - 12 - 16) % 32 == 0, (table, column)  # padded to a bucket


def test_a_value_moved_to_another_row_or_column_is_refused_in_one_line(server: Server) -> None:
    written = _write(server)
    first, second = written["items"][:2]
    server.raw(
        f"UPDATE items SET name = (SELECT name FROM items WHERE id = {second}) WHERE id = {first}"
    )
    with DbSession(server.engine) as db, pytest.raises(IntegrityFault) as caught:
        db.execute(select(Item.name).where(Item.id == first)).all()
    assert str(caught.value) == (
        f"items.name of row {first} fails authentication "
        "(altered, or moved from another row or column on the server)"
    )
    assert "\n" not in str(caught.value)
    with DbSession(server.engine) as db:  # the row it came from still reads
        assert db.scalar(select(Item.name).where(Item.id == second)) == "DCIM/IMG_0001.jpg"
    # another column of the same row
    server.raw(f"UPDATE items SET exhibit = seized_by WHERE id = {second}")
    with (
        DbSession(server.engine) as db,
        pytest.raises(IntegrityFault, match=r"items\.exhibit of row"),
    ):
        db.get(Item, second)
    # another table, same row id
    case = written["case"]
    server.raw(
        f"UPDATE cases SET title = (SELECT name FROM users WHERE id = {written['user']}) "
        f"WHERE id = {case}"
    )
    with (
        DbSession(server.engine) as db,
        pytest.raises(IntegrityFault, match=rf"cases\.title of row {case}"),
    ):
        db.get(Case, case)
    # an audit entry's details moved to another entry
    server.raw("UPDATE audit SET details = (SELECT details FROM audit WHERE seq = 3) WHERE seq = 2")
    with (
        DbSession(server.engine) as db,
        pytest.raises(IntegrityFault, match=r"audit\.details of row 2"),
    ):
        db.execute(select(AuditEntry.details)).all()


def test_lookups_by_a_sealed_value_go_through_the_blind_index(server: Server) -> None:
    written = _write(server)
    sha = written["shas"][1]
    with DbSession(server.engine) as db:
        assert find_case(db, "OP-7").id == written["case"]
        station = _by_name(db, "desk-3")
        assert station is not None and station.enrolled_by == "admin"
        assert _by_name(db, "desk-4") is None
        user = db.scalar(select(User).where(sealing.equals(db, User.name, "analyst")))
        assert user is not None and user.id == written["user"]
        assert (
            db.scalar(select(Item.id).where(sealing.equals(db, Item.sha256, sha)))
            == written["items"][1]
        )
        found = db.scalars(
            select(Blob.sha256).where(sealing.among(db, Blob.sha256, written["shas"][:2]))
        )
        assert set(found) == set(written["shas"][:2])
        target = f"items:{written['items'][2]}"
        [entry] = db.scalars(
            select(AuditEntry).where(sealing.equals(db, AuditEntry.target, target))
        )
        assert entry.action == "item.acquired"
        with pytest.raises(UserError, match="no case with reference 'OP-8'"):
            find_case(db, "OP-8")
    # the server sees 16-byte keyed digests, not the values nor their plain SHA-256
    [(bidx,)] = server.raw("SELECT reference_bidx FROM cases")
    assert len(bytes(bidx)) == 16
    # a blind index copied onto another row finds that row, whose unsealed value then differs:
    # the lookup says no such case rather than answering with the wrong one
    with DbSession(server.engine) as db, db.begin():
        db.add(Case(reference="OP-9", title="t", created_by="admin", created_at="2026-03-03"))
    server.raw(
        "UPDATE cases SET reference_bidx = NULL WHERE reference_bidx IS NOT NULL AND id = "
        f"{written['case']}"
    )
    server.raw(
        f"UPDATE cases SET reference_bidx = '\\x{bytes(bidx).hex()}' WHERE id <> {written['case']}"
    )
    with (
        DbSession(server.engine) as db,
        pytest.raises(UserError, match="no case with reference 'OP-7'"),
    ):
        find_case(db, "OP-7")


def test_a_plain_value_never_reaches_the_server_by_a_path_that_does_not_seal(
    server: Server,
) -> None:
    with DbSession(server.engine) as db, pytest.raises(Exception, match="bound without sealing"):
        db.execute(insert(BLOBS), [{"name": "x", "sha256": "secret-sha", "size": 1}])
    with DbSession(server.engine) as db, pytest.raises(Exception, match="bound without sealing"):
        db.execute(select(Item.id).where(Item.sha256 == "secret-sha")).all()


def test_marker_strings_written_through_the_core_never_reach_the_data_folder(
    server: Server,
) -> None:
    marker = "MRK" + uuid.uuid4().hex[:12].upper()
    _write(server, marker)
    # a plain control value must be found there too, or the search proves nothing
    found = markers_in_data_folder(server.trial, server.name, [marker.encode()])
    assert found[marker.encode()] == [], f"marker found in {found[marker.encode()]}"


def test_the_gallery_cache_sees_watchlist_changes_in_sealed_audit_targets(server: Server) -> None:
    """``matching.searching`` asks whether entries since its cache touch a watchlist: a prefix
    of ``audit.target``, which the server cannot match on sealed values."""
    from matching.searching import _changed_since

    written = _write(server)  # entries 1..4: a case and three items
    audit = AuditLog(Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    with DbSession(server.engine) as db, db.begin():
        audit.append(db, "2026-03-03", "admin", "subject.added", "subjects:7", {})
    with DbSession(server.engine) as db:
        assert not _changed_since(db, 0, 1 + len(written["items"]))
        assert _changed_since(db, 0, 2 + len(written["items"]))


def test_a_damaged_or_planted_value_is_refused_in_one_line(server: Server) -> None:
    """What the operator can write into a sealed column: a flipped byte, a truncated value, a
    plain value of their own. Each read that meets one says table, column and row; the other
    rows still read."""
    written = _write(server)
    first, second, third = written["items"]
    server.raw(
        "UPDATE items SET description = overlay(description placing "
        f"set_byte('\\x00'::bytea, 0, get_byte(description, 20) # 1) from 21) WHERE id = {first}"
    )
    server.raw(
        f"UPDATE items SET seized_by = substring(seized_by from 1 for 20) WHERE id = {second}"
    )
    server.raw(f"UPDATE items SET name = convert_to('planted.jpg', 'UTF8') WHERE id = {third}")
    expected = {
        first: f"items.description of row {first} fails authentication",
        second: f"items.seized_by of row {second} is not a sealed value",
        third: f"items.name of row {third} is not a sealed value",
    }
    for item_id, line in expected.items():
        with DbSession(server.engine) as db, pytest.raises(IntegrityFault) as caught:
            db.get(Item, item_id)
        assert str(caught.value).startswith(line) and "\n" not in str(caught.value)
    with DbSession(server.engine) as db:  # the columns nobody touched still read
        names = db.scalars(select(Item.original_path).order_by(Item.id)).all()
        assert len(names) == 3


def test_copy_rows_binary_types_are_the_servers_own_for_every_column(server: Server) -> None:
    """``acquisition.copy_rows`` sends COPY's binary format with each column's type taken from
    the model: a type the server's table does not have (an ``int4`` sent to a ``bigint``
    column, say) would be refused mid-batch. Every column of every table, at the head."""
    from vault.acquisition import _binary_types
    from vault.models import Base

    wire = {
        "integer": "int4",
        "bigint": "int8",
        "smallint": "int2",
        "boolean": "bool",
        "bytea": "bytea",
        "text": "text",
        "character varying": "text",
    }
    checked = 0
    for table in Base.metadata.sorted_tables:
        found = dict(
            server.raw(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                f"WHERE attrelid = '{table.name}'::regclass AND attnum > 0 AND NOT attisdropped"
            )
        )
        for column in table.columns:
            ours = _binary_types([column], server.engine.dialect)
            if ours is not None:
                assert [wire.get(found[column.name])] == ours, (table.name, column.name)
                checked += 1
    assert checked > 100


def test_blind_index_is_hmac_sha256_truncated() -> None:
    """The blind index's HMAC with its key blocks hashed once (``sealing._hmac_sha256``) is
    RFC 2104's: the same bytes as ``hmac.digest`` for keys shorter, as long as and longer than
    SHA-256's block, so the indexes written before still find their rows."""
    import hashlib
    import hmac

    for size in (0, 16, 32, 64, 65, 200):
        key = os.urandom(size)
        mac = sealing._hmac_sha256(key)
        for message in (b"", b"IMG_0001.jpg", os.urandom(1000)):
            assert mac(message) == hmac.digest(key, message, hashlib.sha256)
    sealer = sealing.Sealer(VAULT_KEY)
    expected = hmac.digest(
        sealing.subkey(VAULT_KEY, "blind:items.sha256"), b"ab" * 32, hashlib.sha256
    )[: sealing.BLIND_BYTES]
    assert sealer.blind("items.sha256", "ab" * 32) == expected
