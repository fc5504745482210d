"""Where a case's items were taken: the positions the map shows, and one subject's track.

Built on ``matching.timeline.timeline`` (one reading of times, sources and positions for both the
timeline and the map): the items with a GPS position, in capture-time order; those whose recorded
position is no place on Earth (``TimelineEntry.position_problem``), each with one line saying
what and where, so the map can say why they are missing; and how many have no position at all.

With ``subject``: the items where that person was proposed and not rejected by review. The
**track** is the ones with both a position and a time, in time order (the order the person was
seen in); a sighting with no time cannot be put in order and stays off the track, counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matching.timeline import TimelineEntry, timeline
from vault.session import Session, requires


@dataclass(frozen=True)
class CaseMap:
    reference: str
    subject: str | None
    placed: list[TimelineEntry]  # with a position, capture-time order (no time last)
    ignored: list[TimelineEntry]  # a recorded position that is no place on Earth
    without_position: int
    track: list[TimelineEntry] = field(default_factory=list)  # subject's, in time order
    untimed_sightings: int = 0  # subject's sightings with a position but no time

    def notes(self) -> list[str]:
        """One line per item left off the map for a position it cannot have."""
        return [
            f"item {e.item} ({e.name}): {e.position_problem}; not on the map" for e in self.ignored
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.reference,
            "subject": self.subject,
            "placed": [e.as_dict() for e in self.placed],
            "track": [e.item for e in self.track],
            "ignored": [
                {"item": e.item, "name": e.name, "problem": e.position_problem}
                for e in self.ignored
            ],
            "without_position": self.without_position,
            "untimed_sightings": self.untimed_sightings,
        }


@requires("case.read")
def case_map(session: Session, case_reference: str, subject: str | None = None) -> CaseMap:
    """The case's items with a position (or ``subject``'s sightings and track)."""
    entries = timeline(session, case_reference, subject)
    placed = [e for e in entries if e.lat is not None and e.lon is not None]
    ignored = [e for e in entries if e.position_problem is not None]
    track: list[TimelineEntry] = []
    untimed = 0
    if subject is not None:
        track = [e for e in placed if e.time is not None]
        untimed = len(placed) - len(track)
    return CaseMap(
        case_reference,
        subject,
        placed,
        ignored,
        len(entries) - len(placed) - len(ignored),
        track,
        untimed,
    )
