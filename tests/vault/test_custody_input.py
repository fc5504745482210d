"""Custody values and case references are checked in the core, for every face alike.

A seizure date must be an ISO 8601 date/time and not in the future (a day of slack for time
zones), at ingest and in a correction. A case reference is a safe name an agency uses
(``OP-2026/0042``): no ``..`` segment, no leading ``/``, no space or control character.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vault.cases import create_case, list_cases
from vault.errors import UserError
from vault.ingest import CustodyForm, ingest
from vault.items import correct, custody, get_item, list_items
from vault.session import Session


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_0001.JPG"
    path.write_bytes(b"\xff\xd8 photo")
    return path


def test_a_seizure_date_in_the_future_or_not_a_date_is_refused_at_ingest(
    admin: Session, case: str, tmp_path: Path
) -> None:
    photo = _file(tmp_path)
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    with pytest.raises(UserError) as refused:
        ingest(admin, case, [photo], CustodyForm(seized_on=future))
    assert str(refused.value) == f"seizure date {future!r} is in the future"
    with pytest.raises(UserError) as refused:
        ingest(admin, case, [photo], CustodyForm(seized_on="last tuesday"))
    assert str(refused.value) == (
        "seizure date 'last tuesday' is not an ISO 8601 date or time (e.g. 2026-03-01T14:30)"
    )
    assert list_items(admin, case) == []

    # a few hours ahead is a time zone east of here, not the future
    ahead = (datetime.now(UTC) + timedelta(hours=13)).isoformat(timespec="minutes")
    (saved,) = ingest(admin, case, [photo], CustodyForm(seized_on=ahead)).saved
    assert get_item(admin, saved).seized_on == datetime.fromisoformat(ahead).isoformat()
    (day,) = ingest(admin, case, [photo], CustodyForm(seized_on="2026-03-01"), again=True).saved
    assert get_item(admin, day).seized_on == "2026-03-01T00:00:00"


def test_a_correction_of_the_seizure_date_is_checked_in_the_core(
    admin: Session, case: str, tmp_path: Path
) -> None:
    (item,) = ingest(admin, case, [_file(tmp_path)]).saved
    for value, why in [("2999-01-01", "is in the future"), ("soon", "is not an ISO 8601")]:
        with pytest.raises(UserError) as refused:
            correct(admin, item, "seized_on", value, "typo")
        assert str(refused.value).startswith(f"seizure date {value!r} {why}")
    assert [e.kind for e in custody(admin, item)] == ["acquired"]
    correct(admin, item, "seized_on", "2026-03-01T14:30", "typo")
    assert get_item(admin, item).seized_on == "2026-03-01T14:30:00"


@pytest.mark.parametrize(
    "reference", ["OP-2026/0042", "C-1", "NL.2026_7", "BKA/ST-14/2026.3", "عملية-7"]
)
def test_case_references_an_agency_uses_are_accepted(admin: Session, reference: str) -> None:
    create_case(admin, reference, "t")
    assert [c.reference for c in list_cases(admin)] == [reference]


@pytest.mark.local_only("refused before the database is touched: the same code on both back ends")
@pytest.mark.parametrize(
    "reference",
    [
        "bad ref/../x",
        "OP/../x",
        "..",
        "OP/./x",
        "/OP-1",
        "OP-1/",
        "OP//1",
        " OP-1",
        "OP-1 ",
        "OP 1",
        "OP\x1b[2J",
        "OP\t1",
        "-rf",
        ".hidden",
        "",
        "A" * 65,
    ],
)
def test_unsafe_case_references_are_refused(admin: Session, reference: str) -> None:
    with pytest.raises(UserError) as refused:
        create_case(admin, reference, "t")
    assert str(refused.value).startswith(f"case reference {reference!r}: ")
    assert "\n" not in str(refused.value)
    assert list_cases(admin) == []
