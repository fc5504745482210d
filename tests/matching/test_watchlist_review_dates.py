"""Listings whose review date has passed are flagged wherever they are shown (the core's
result objects, ``watchlist show`` and ``watchlist list``), and still searched until they expire."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol, list_watchlists, show_watchlist
from service.opener import init_vault, unlock
from vaultkit import FAST_KDF, PASSWORD, run_cli

TRAIN = "knn/train"


@pytest.fixture()
def vault(place: Any) -> Any:
    folder = place
    session, _ = init_vault(folder, "alice", PASSWORD, kdf=FAST_KDF)
    session.close()
    return folder


def test_overdue_reviews_are_flagged_in_show_and_list(vault: Any, faces_dir: Path) -> None:
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    with unlock(vault, "alice", PASSWORD) as s:
        create_watchlist(s, "Reviews")
        for ref, review_on, expires_on in (
            ("biden", "2999-01-01", None),  # current
            ("obama", "2020-03-01", None),  # review overdue, still searched
            ("kit_harington", "2020-01-01", yesterday),  # expired (and overdue)
        ):
            photo = sorted((faces_dir / TRAIN / ref).iterdir())[0]
            listing = Listing("fraud", "Europol", "AMBER", review_on, expires_on)
            enrol(s, "Reviews", ref, listing, [photo])
        w = show_watchlist(s, "Reviews")
        flags = {x.ref: (x.review_overdue, x.review_overdue_since, x.expired) for x in w.subjects}
        assert flags == {
            "biden": (False, None, False),
            "obama": (True, "2020-03-01", False),
            "kit_harington": (True, "2020-01-01", True),
        }
        assert w.overdue_reviews == 2
        listed = {x.name: x.overdue_reviews for x in list_watchlists(s)}
        assert listed["Reviews"] == 2
        # a flag, not an exclusion: the overdue listing still matches; the expired one does not
        found = search(s, ["Reviews"], photo=faces_dir / "knn/test/obama1.jpg", top=3)
        assert "obama" in {c.subject for c in found.candidates}
        assert "kit_harington" not in {c.subject for c in found.candidates}

    shown = run_cli("watchlist", "show", "Reviews", vault=vault)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()  # rich prints each tab as spaces to the next tab stop
    assert lines[1:] == [
        x.expandtabs()
        for x in (
            "biden\t1 refs\tAMBER\tEuropol\treview 2999-01-01\tfraud",
            "kit_harington\t1 refs\tAMBER\tEuropol\treview 2020-01-01\tfraud  EXPIRED"
            "  review overdue since 2020-01-01",
            "obama\t1 refs\tAMBER\tEuropol\treview 2020-03-01\tfraud"
            "  review overdue since 2020-03-01",
            "2 listing(s) overdue for review",
        )
    ]
    listed_cli = run_cli("watchlist", "list", vault=vault)
    assert listed_cli.returncode == 0, listed_cli.stderr
    line = next(x for x in listed_cli.stdout.splitlines() if x.startswith("Reviews "))
    assert line == "Reviews\t3 subjects\talert <= 0.6000\t2 overdue for review".expandtabs()
    assert all(
        "overdue" not in x for x in listed_cli.stdout.splitlines() if not x.startswith("Reviews")
    )
    as_json = json.loads(run_cli("watchlist", "show", "Reviews", "--json", vault=vault).stdout)
    assert as_json["overdue_reviews"] == 2
    obama = next(x for x in as_json["subjects"] if x["ref"] == "obama")
    assert obama["review_overdue"] is True and obama["review_overdue_since"] == "2020-03-01"
