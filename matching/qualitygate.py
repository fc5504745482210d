"""The quality gate at enrolment: the one place that says how good a reference face must be.

A reference is compared with every later probe, so a poor one makes every search against its
subject unreliable (as INTERPOL's face recognition system gates the references it accepts). Each
measure of :class:`matching.faces.Quality` that the gate reads has a MINIMUM (below it the
reference is refused, with the reason) and a RECOMMENDED level (below it the reference is
enrolled with a warning):

============================  =========  ===========  ==========================================
measure                       minimum    recommended  why
============================  =========  ===========  ==========================================
pixels between the eyes       20         60           60 is the ISO/IEC 19794-5 token image; under
                                                      20 the 150 px aligned chip is mostly
                                                      interpolation
sharpness (Laplacian var.)    15         50           a Gaussian blur of sigma 4 on a 100-px-eyes
                                                      face measures ~13; sigma 2 ~57
head turned (yaw, degrees)    45         25           the 5-point yaw estimate is rough; beyond
                                                      45 one eye is hidden
============================  =========  ===========  ==========================================

The same gate applies to reference photos from files, to faces found in a case enrolled as
references, and to the references of a watchlist received from a partner.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.faces import Quality


@dataclass(frozen=True)
class Limit:
    """One measure of the gate: refused below ``minimum``, warned below ``recommended``."""

    measure: str  # attribute of Quality
    minimum: float
    recommended: float
    lower_is_better: bool = False  # yaw: how far the head is turned

    def value(self, q: Quality) -> float:
        v = float(getattr(q, self.measure))
        return abs(v) if self.lower_is_better else v

    def below(self, value: float, level: float) -> bool:
        return value > level if self.lower_is_better else value < level


EYES = Limit("inter_eye_px", minimum=20.0, recommended=60.0)
SHARPNESS = Limit("sharpness", minimum=15.0, recommended=50.0)
POSE = Limit("yaw_deg", minimum=45.0, recommended=25.0, lower_is_better=True)
GATE = (EYES, SHARPNESS, POSE)


def _refusal(limit: Limit, value: float) -> str:
    if limit is EYES:
        least = f"at least {limit.minimum:.0f} needed"
        return f"face too small ({value:.0f} px between the eyes, {least})"
    if limit is SHARPNESS:
        return f"face too blurred (sharpness {value:.0f}, at least {limit.minimum:.0f} needed)"
    return f"head turned too far ({value:.0f}° from frontal, at most {limit.minimum:.0f} allowed)"


def _warning(limit: Limit, value: float) -> str:
    if limit is EYES:
        return (
            f"small face ({value:.0f} px between the eyes; "
            f"{limit.recommended:.0f} or more recommended)"
        )
    if limit is SHARPNESS:
        return (
            f"somewhat blurred (sharpness {value:.0f}; {limit.recommended:.0f} or more recommended)"
        )
    return f"head turned ({value:.0f}° from frontal; {limit.recommended:.0f}° or less recommended)"


@dataclass(frozen=True)
class Assessment:
    """What the gate says about one face: every reason to refuse it, every warning."""

    refusals: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def accepted(self) -> bool:
        return not self.refusals


def assess(q: Quality) -> Assessment:
    """Check a reference face's quality against :data:`GATE` (every finding, not the first)."""
    refusals, warnings = [], []
    for limit in GATE:
        value = limit.value(q)
        if limit.below(value, limit.minimum):
            refusals.append(_refusal(limit, value))
        elif limit.below(value, limit.recommended):
            warnings.append(_warning(limit, value))
    return Assessment(tuple(refusals), tuple(warnings))
