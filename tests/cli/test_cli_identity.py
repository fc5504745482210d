"""``custos agency export-identity``: the agency's age identity for the stock ``age`` tool.

The identity opens what is encrypted to this agency (bundles sent to it, and this vault's blobs),
so only an administrator may write it, never over a file, 0600, and each export is audited.
"""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from sqlalchemy import select

from vault.ingest import ingest
from vault.models import Item
from vaultkit import ROLE_USER, audit_rows, one_clear_line, open_as, require_tool, run_cli

CASE = "C-1"


def test_an_admin_exports_the_identity_and_stock_age_opens_with_it(
    vault_dir: Path, tmp_path: Path
) -> None:
    age = require_tool("age")
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(b"\xff\xd8 seized photo " * 100)
    with open_as(vault_dir) as session:
        (item_id,) = ingest(session, CASE, [photo]).saved
        with session.db() as db:
            blob = db.scalar(select(Item.blob_name).where(Item.id == item_id))
    target = tmp_path / "our-identity.txt"

    done = run_cli("agency", "export-identity", "--out", str(target), vault=vault_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"age identity written to {target} (public key age1")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    (blob_file,) = (vault_dir / "blobs").glob(f"*/{blob}")
    opened = subprocess.run([age, "-d", "-i", str(target), str(blob_file)], capture_output=True)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == photo.read_bytes()

    before = target.read_bytes()
    again = run_cli("agency", "export-identity", "--out", str(target), vault=vault_dir)
    assert one_clear_line(again) == f"error: {target}: already exists; not overwritten"
    assert again.returncode == 2 and target.read_bytes() == before

    other = tmp_path / "liaison.txt"
    refused = run_cli(
        "agency", "export-identity", "--out", str(other), vault=vault_dir, user=ROLE_USER["liaison"]
    )
    assert refused.returncode == 4, refused.stderr
    assert not other.exists()
    with open_as(vault_dir) as session:
        exported = audit_rows(session, "keys.identity_exported")
        assert [(e.actor, e.target) for e in exported] == [("alice", "vault")]
        assert str(target) in exported[0].details
        refusals = audit_rows(session, "permission.refused")
        assert [e.actor for e in refusals] == [ROLE_USER["liaison"]]
