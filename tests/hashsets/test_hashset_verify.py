"""Verify covers every hash set's entries: an attacker holding the database key who adds a
digest to a known-good set (to hide a file) or removes one from a known-bad set (to silence an
alert) is named, by set; a clean vault verifies."""

from __future__ import annotations

from pathlib import Path

from hashkit import content, digests, plain_list, vics_file

from matching import hashsets
from matching.hashsets import ENTRIES_CHANGED, ImportJob
from matching.models import ENTRY_KEY
from vault import sealing
from vault.jobs import ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import sql


def _problems(s: Session) -> list[tuple[str, str]]:
    return [(p.where, p.what) for p in verify(s).problems]


def _key(s: Session, algorithm: str, n: int) -> bytes:
    """An entry's key as the database stores it (sealed on a server): what an attacker holding
    the database key (locally) or the vault key (on a server) would write."""
    code = {"md5": 1, "sha1": 2, "sha256": 3}[algorithm]
    key = bytes((code,)) + bytes.fromhex(digests(content(n))[algorithm])
    with s.db() as db:
        sealer = sealing.digest_sealer(db, ENTRY_KEY)
    return key if sealer is None else sealer.seal(key)


def _sets(s: Session, tmp_path: Path) -> tuple[int, int]:
    good = ImportJob(s, plain_list(tmp_path / "g.txt", [1, 2, 3]), "nsrl-2024", "known-good")
    bad = ImportJob(
        s, vics_file(tmp_path / "v.json", [4, 5], categories={4: 1, 5: 2}), "vic", "known-bad"
    )
    return good.run(ignore).id, bad.run(ignore).id


def test_a_clean_vault_with_sets_verifies(session: Session, tmp_path: Path) -> None:
    _sets(session, tmp_path)
    assert _problems(session) == []


def test_an_entry_added_to_a_known_good_set_is_named(session: Session, tmp_path: Path) -> None:
    s = session
    good, _ = _sets(s, tmp_path)
    sql(
        s,
        "INSERT INTO hashset_entries (set_id, key) VALUES (:s, :k)",
        s=good,
        k=_key(s, "sha256", 9),
    )
    assert _problems(s) == [("hash set 'nsrl-2024'", ENTRIES_CHANGED)]
    sql(
        s,
        "DELETE FROM hashset_entries WHERE set_id = :s AND key = :k",
        s=good,
        k=_key(s, "sha256", 9),
    )
    assert _problems(s) == []


def test_an_entry_removed_or_recategorised_is_named(session: Session, tmp_path: Path) -> None:
    s = session
    _, bad = _sets(s, tmp_path)
    sql(s, "DELETE FROM hashset_entries WHERE set_id = :s AND key = :k", s=bad, k=_key(s, "md5", 4))
    assert _problems(s) == [("hash set 'vic'", ENTRIES_CHANGED)]
    sql(s, "INSERT INTO hashset_entries (set_id, key) VALUES (:s, :k)", s=bad, k=_key(s, "md5", 4))
    assert _problems(s) == []
    sql(s, "UPDATE hashset_categories SET category = 0 WHERE set_id = :s", s=bad)
    assert _problems(s) == [("hash set 'vic'", ENTRIES_CHANGED)]


def test_a_category_of_no_entry_is_named(session: Session, tmp_path: Path) -> None:
    s = session
    good, _ = _sets(s, tmp_path)
    sql(
        s,
        "INSERT INTO hashset_categories (set_id, key, category) VALUES (:s, :k, 1)",
        s=good,
        k=_key(s, "sha256", 1),
    )
    assert _problems(s) == [("hash set 'nsrl-2024'", ENTRIES_CHANGED)]


def test_entries_put_back_into_a_deleted_set_are_named(session: Session, tmp_path: Path) -> None:
    s = session
    good, _ = _sets(s, tmp_path)
    hashsets.delete_set(s, "nsrl-2024")
    assert _problems(s) == []
    sql(
        s,
        "INSERT INTO hashset_entries (set_id, key) VALUES (:s, :k)",
        s=good,
        k=_key(s, "sha256", 1),
    )
    assert _problems(s) == [
        ("hash set 'nsrl-2024'", "has entries but was deleted (edited outside Custos)")
    ]


def test_entries_are_read_in_batches(session: Session, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(hashsets, "READ_ROWS", 2)
    s = session
    good, _ = _sets(s, tmp_path)
    assert _problems(s) == []
    sql(
        s,
        "DELETE FROM hashset_entries WHERE set_id = :s AND key = :k",
        s=good,
        k=_key(s, "sha256", 3),
    )
    assert _problems(s) == [("hash set 'nsrl-2024'", ENTRIES_CHANGED)]
