"""``vault.toml`` is authenticated: edited without the vault key, it is refused, by field.

The red team, with no password at all, swapped ``recovery_recipient`` (every later blob readable
by their age key and not by the escrow), swapped the published ``vault_recipient``, lowered the
Argon2id parameters, and put back a slot from before a password change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.opener import unlock
from vault import agefmt
from vault.backend import Server
from vault.errors import IntegrityFault
from vault.session import Session
from vault.users import change_password
from vaultkit import (
    NEW_PASSWORD,
    PASSWORD,
    place_of,
    run_cli,
    vault_file_finding,
    vault_file_name,
    vault_file_text,
    write_vault_file,
)


def _edit(place: Path | Server, key: str, value: str) -> None:
    text = vault_file_text(place)
    keys, auth = text.split("[auth]")
    keys, n = re.subn(rf'(?m)^{key} = "[^"]*"$', f'{key} = "{value}"', keys)
    assert n == 1
    text = keys + "[auth]" + auth
    write_vault_file(place, text)


@pytest.mark.parametrize("field", ["recovery_recipient", "vault_recipient"])
def test_a_swapped_recipient_is_refused_by_name(admin: Session, field: str) -> None:
    folder = place_of(admin)
    admin.close()
    attacker = agefmt.Identity.generate()
    _edit(folder, field, str(attacker.recipient))
    name = re.escape(vault_file_name(folder))
    with pytest.raises(IntegrityFault, match=rf"{name}: changed outside Custos \({field}\)"):
        unlock(folder, "alice", PASSWORD)
    result = run_cli("case", "list", vault=folder)
    assert result.returncode == 5
    assert f"changed outside Custos ({field})" in result.stderr
    assert "Traceback" not in result.stderr


def test_stripping_the_macs_is_refused(admin: Session) -> None:
    folder = place_of(admin)
    admin.close()
    write_vault_file(folder, vault_file_text(folder).split("[auth]")[0])
    with pytest.raises(IntegrityFault, match="changed outside Custos"):
        unlock(folder, "alice", PASSWORD)


def test_an_old_slot_put_back_after_a_password_change_opens_nothing(admin: Session) -> None:
    folder = place_of(admin)
    before = vault_file_text(folder)
    change_password(admin, "alice", NEW_PASSWORD)
    admin.close()
    after = vault_file_text(folder)
    old_slots = before.split("[slots]")[1].split("[auth]")[0]
    write_vault_file(
        folder,
        after.split("[slots]")[0] + "[slots]" + old_slots + "[auth]" + after.split("[auth]")[1],
    )
    # The change rotated the vault key: the old slot opens only the old key, under which no
    # field of the current file checks.
    with pytest.raises(IntegrityFault, match=r"changed outside Custos \(.*slots\)"):
        unlock(folder, "alice", PASSWORD)


def test_the_macs_follow_every_change_custos_makes(admin: Session) -> None:
    """Adding users and changing passwords rewrites the file with fresh MACs: it keeps opening."""
    from vault.users import add_user

    add_user(admin, "olga", ["officer"], PASSWORD)
    change_password(admin, "olga", NEW_PASSWORD)
    folder = place_of(admin)
    admin.close()
    unlock(folder, "olga", NEW_PASSWORD).close()
    unlock(folder, "alice", PASSWORD).close()


def test_verify_names_a_field_changed_while_the_vault_is_open(admin: Session) -> None:
    from vault.verify import verify

    _edit(place_of(admin), "recovery_recipient", str(agefmt.Identity.generate().recipient))
    problems = [str(p) for p in verify(admin).problems]
    where = vault_file_finding(admin)  # the folder's vault.toml, the server's vault_file row
    assert problems == [f"{where}: recovery_recipient changed outside Custos"]
