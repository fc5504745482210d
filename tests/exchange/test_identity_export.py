"""The receiving agency's identity file opens an encrypted bundle with the stock ``age`` tool
(README, "Checking a Custos bundle without Custos"); a seized name that is not UTF-8 travels.

Every bundle made here also passes openssl, ``bagit.py --validate`` and ``case_validate``
(the module's ``kit`` runs ``stock_check`` on it at the end).
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from exchange_kit import Kit, find_tool

from exchange.bundles import import_bundle
from exchange.identity import export_identity
from vault import items as vitems
from vault.errors import UserError
from vault.ingest import ingest
from vaultkit import audit_rows


def test_stock_age_opens_a_bundle_with_the_exported_identity(kit: Kit, tmp_path: Path) -> None:
    age, tar = find_tool("age"), find_tool("tar")
    card = tmp_path / "card"
    card.mkdir()
    fd = os.open(os.fsencode(card) + b"/caf\xe9.jpg", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"latin-1 named photo")
    os.close(fd)
    (latin1,) = ingest(kit.a, "NL-1", [card]).saved
    assert vitems.get_item(kit.a, latin1).name == "card/caf\\xe9.jpg"

    res = kit.export(encrypt=True)
    identity = tmp_path / "our-identity.txt"
    export_identity(kit.b, identity)
    assert stat.S_IMODE(identity.stat().st_mode) == 0o600
    plain, out = tmp_path / "bundle.tar", tmp_path / "opened"
    subprocess.run([age, "-d", "-i", identity, "-o", plain, res.path], check=True)
    out.mkdir()
    subprocess.run([tar, "-xf", plain, "-C", out], check=True)
    (bag,) = out.iterdir()
    assert (bag / "data" / "evidence" / "card" / "caf_xe9.jpg").read_bytes() == (
        b"latin-1 named photo"
    )

    with pytest.raises(UserError, match="already exists; not overwritten"):
        export_identity(kit.b, identity)
    assert len(audit_rows(kit.b, "keys.identity_exported")) == 1
    done = import_bundle(kit.b, res.path, kit.new_case())
    assert "card/caf_xe9.jpg" in {vitems.get_item(kit.b, i).name for i in done.items}
