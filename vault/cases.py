"""Cases: a reference, a title, crime areas and an optional joint operation.

Hash sets: a case says at creation whether its items get SHA-1 and MD5 besides SHA-256. Agencies
match seized files against shared hash sets (NSRL, Project VIC, CAID) in those algorithms, so it is
the default; a case that needs only integrity (large disk images) ingests about twice as fast
without them, since MD5 alone costs more CPU than encrypting.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from vault import sealing
from vault.errors import UserError
from vault.models import Case, Item
from vault.session import Session, now, requires

CRIME_AREAS = (
    "drug-trafficking",
    "human-trafficking",
    "arms-smuggling",
    "money-laundering",
    "cybercrime",
    "terrorism",
    "corruption",
    "fraud",
    "other",
)


@dataclass(frozen=True)
class CaseInfo:
    id: int
    reference: str
    title: str
    crime_areas: list[str]
    operation: str | None
    partners: list[str]
    created_by: str
    created_at: str
    items: int = 0
    hash_sets: bool = True

    @classmethod
    def of(cls, case: Case, items: int = 0) -> CaseInfo:
        return cls(
            id=case.id,
            reference=case.reference,
            title=case.title,
            crime_areas=json.loads(case.crime_areas),
            operation=case.operation,
            partners=json.loads(case.partners),
            created_by=case.created_by,
            created_at=case.created_at,
            items=items,
            hash_sets=case.hash_sets,
        )


REFERENCE_MAX = 64
REFERENCE_RULE = (
    "1 to 64 letters, digits and - _ . / (e.g. OP-2026/0042), starting with a letter or digit; "
    "no space, no empty, '.' or '..' part between slashes"
)
_WORD = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}  # letters of any script, decimal digits


def check_reference(reference: str) -> str:
    """A case reference as agencies write them (``OP-2026/0042``), safe as a file or folder
    name wherever it goes (exports, bundles, reports): ``REFERENCE_RULE``."""

    def refused(why: str) -> UserError:
        return UserError(f"case reference {reference!r}: {why} ({REFERENCE_RULE})")

    if not reference:
        raise refused("empty")
    if len(reference) > REFERENCE_MAX:
        raise refused(f"longer than {REFERENCE_MAX} characters")
    bad = sorted({c for c in reference if unicodedata.category(c) not in _WORD and c not in "-_./"})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise refused(f"character{'s' if len(bad) > 1 else ''} {shown} not allowed")
    if unicodedata.category(reference[0]) not in _WORD:
        raise refused("must start with a letter or digit")
    if any(part in ("", ".", "..") for part in reference.split("/")):
        raise refused("an empty, '.' or '..' part between slashes")
    return reference


def normalise_area(area: str) -> str:
    key = area.strip().lower().replace(" ", "-").replace("_", "-")
    if key not in CRIME_AREAS:
        raise UserError(f"unknown crime area {area!r} (known: {', '.join(CRIME_AREAS)})")
    return key


def find_case(db: DbSession, reference: str) -> Case:
    case = db.scalar(select(Case).where(sealing.equals(db, Case.reference, reference)))
    if case is None or case.reference != reference:  # unsealed: a blind index moved on a server
        raise UserError(f"no case with reference {reference!r}")
    return case


@requires("case.create")
def create_case(
    session: Session,
    reference: str,
    title: str,
    crime_areas: list[str] | None = None,
    operation: str | None = None,
    partners: list[str] | None = None,
    hash_sets: bool = True,
) -> CaseInfo:
    check_reference(reference)
    areas = sorted({normalise_area(a) for a in crime_areas or []})
    if partners and not operation:
        raise UserError("partner agencies belong to a joint operation: give --operation too")
    with session.transaction() as db:
        taken = select(Case.id).where(sealing.equals(db, Case.reference, reference))
        if db.scalar(taken) is not None:
            raise UserError(f"a case with reference {reference!r} already exists")
        case = Case(
            reference=reference,
            title=title,
            crime_areas=json.dumps(areas),
            operation=operation,
            partners=json.dumps(list(partners or [])),
            hash_sets=hash_sets,
            created_by=session.user,
            created_at=now(),
        )
        db.add(case)
        session.audit(db, "case.created", case, reference=reference)
    return CaseInfo.of(case)


@requires("case.read")
def list_cases(session: Session) -> list[CaseInfo]:
    with session.db() as db:
        counts: dict[int, int] = {
            case_id: n
            for case_id, n in db.execute(select(Item.case_id, func.count()).group_by(Item.case_id))
        }
        # sorted here: on a server the references are sealed, the database cannot order them
        cases = sorted(db.scalars(select(Case)), key=lambda c: c.reference)
        return [CaseInfo.of(c, counts.get(c.id, 0)) for c in cases]


@requires("case.read")
def get_case(session: Session, reference: str) -> CaseInfo:
    with session.db() as db:
        case = find_case(db, reference)
        items = db.scalar(select(func.count()).where(Item.case_id == case.id)) or 0
        return CaseInfo.of(case, items)
