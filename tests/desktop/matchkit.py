"""A vault with matching and exchange data, built once per test run through the core.

``build(root, faces)`` makes, under ``root``:
- ``vault``: alice (every role), bea (analyst); case C-1 (empty); case OP-7 with the probe photos
  of ``knn/test`` and the short video, faces detected; watchlist "wanted" (obama, biden); one
  investigative search (top 3); our agency "Politie NL", partner "BKA" (trusted both ways) with a
  joint-operation agreement for CLEAR, GREEN and AMBER; one item of OP-7 labelled RED.
- ``de``: the partner's vault (user bernd), with case DE-1.
- ``incoming``: a bundle BKA sent us (case DE-1, one note), valid and signed;
  ``sealed.tar.age``: the same bundle as one file encrypted to our agency.
Tests copy the whole folder (``copy_of``), so each one starts from the same state.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from guikit import ANALYST

PARTNER_USER = "bernd"


def build(root: Path, faces: Path) -> Path:
    from exchange import directory
    from exchange.export import ExportJob
    from exchange.labels import set_item_labels
    from matching.casefaces import DetectJob
    from matching.searching import search
    from matching.watchlists import Listing, create_watchlist, enrol
    from service.opener import init_vault
    from vault.cases import create_case
    from vault.ingest import CustodyForm, ingest
    from vault.jobs import ignore
    from vault.users import add_user
    from vaultkit import FAST_KDF, PASSWORD, new_vault

    a, _ = new_vault(root / "vault")
    b, _ = init_vault(root / "de", PARTNER_USER, PASSWORD, kdf=FAST_KDF)
    try:
        add_user(a, ANALYST, ["analyst"], PASSWORD)
        create_case(a, "C-1", "Harbour seizure", ["drug-trafficking"])
        create_case(a, "OP-7", "Marina", ["drug-trafficking"])
        photos = sorted((faces / "knn" / "test").glob("*.jpg"))
        video = faces / "more" / "short_hamilton_clip.mp4"
        saved = ingest(a, "OP-7", [*photos, video], CustodyForm(exhibit="EX-9")).saved
        DetectJob(a, "OP-7", workers=2).run(ignore)
        create_watchlist(a, "wanted")
        listing = Listing("armed robbery", "Europol", "TLP:AMBER", "2027-06-30")
        for who in ("obama", "biden"):
            enrol(a, "wanted", who, listing, photos=sorted((faces / "knn/train" / who).iterdir()))
        search(a, ["wanted"], case_reference="OP-7", mode="investigative", top=3)
        directory.set_agency(a, "Politie NL", "NL", "desk@politie.nl")
        directory.set_agency(b, "BKA", "DE", "desk@bka.de")
        card_a, _ = directory.our_card(a)
        card_b, _ = directory.our_card(b)
        directory.add_partner(a, card_b, "card")
        directory.add_partner(b, card_a, "card")
        for s, partner in ((a, "BKA"), (b, "Politie NL")):
            labels = "CLEAR,GREEN,AMBER"
            directory.add_agreement(s, partner, "joint-operation", labels, "2099-12-31")
        set_item_labels(a, [saved[-1]], "RED")  # the video may not leave
        create_case(b, "DE-1", "Kite", ["drug-trafficking"])
        note = root / "note.txt"
        note.write_text("Vessel Marta left Bremerhaven on 3 May.\n")
        ingest(b, "DE-1", [note], CustodyForm(exhibit="DE-EX-1"))
        note.unlink()
        ExportJob(b, "DE-1", "Politie NL", "joint-operation", root / "incoming").run(ignore)
        sealed = root / "sealed.tar.age"  # the same, as one file encrypted to us
        ExportJob(b, "DE-1", "Politie NL", "joint-operation", sealed, encrypt=True).run(ignore)
    finally:
        a.close()
        b.close()
    return root


def copy_of(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, symlinks=True)
    return target
