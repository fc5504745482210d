"""A court report as a list of plain blocks, one language, ready for either renderer.

The PDF (``exchange.reportpdf``) and its HTML twin (``exchange.reporthtml``) render the same
blocks, so the two say the same thing by construction. Every value from the vault or from
outside (file names, reasons, partner names) is passed through ``vault.printable.safe`` here:
control and bidirectional characters become visible escapes (``\\u202e``), so a name cannot
reorder or hide what the report shows; each renderer then escapes its own markup (``<``, ``&``).
Images are re-encoded here as small baseline JPEGs (decoded with ``matching.images.load_rgb``,
its pixel limit and EXIF orientation applied).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from exchange.reportdata import ReportData, ReportItem, ReportMatch
from exchange.reporttext import Words
from vault.printable import safe

IMAGE_SIDE = 320  # pixels, the longer side of each image in the report


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 section, 2 item or match
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    text: str
    small: bool = False


@dataclass(frozen=True)
class Fields:
    """Label: value rows; ``mono`` values (hashes, heads) are set in a fixed-width font."""

    rows: list[tuple[str, str, bool]]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # shares of the text width, summing to 1
    mono: frozenset[int] = field(default_factory=frozenset)  # column indexes


@dataclass(frozen=True)
class Picture:
    jpeg: bytes | None  # None: nothing to show (``note`` says why)
    width: int
    height: int
    caption: str
    note: str = ""


@dataclass(frozen=True)
class Pair:
    """The face in the evidence and the reference photo, side by side."""

    left: Picture
    right: Picture


Block = Title | Heading | Para | Fields | Table | Pair
PairMaker = Callable[["ReportMatch"], Pair]


@dataclass
class Document:
    lang: str
    rtl: bool
    title: str
    running: str  # header line of each page
    blocks: list[Block]
    footer: str  # the words for "Page {n}"


def picture(
    data: bytes | None,
    caption: str,
    what: str,
    absent: str,
    made: dict[str, tuple[bytes | None, int, int, str]] | None = None,
) -> Picture:
    """A small JPEG of ``data`` for the report, or a note when it cannot be shown. ``made``
    keeps what was made per content (SHA-256): a reference photo matched 50 times is decoded
    once."""
    if data is None:
        return Picture(None, 0, 0, caption, absent)
    key = hashlib.sha256(data).hexdigest()
    if made is not None and key in made:
        return Picture(*made[key][:3], caption, made[key][3])
    from PIL import Image

    from matching.images import ImageError, load_rgb

    try:
        img = Image.fromarray(load_rgb(data, name=what))
    except ImageError as exc:
        shown: tuple[bytes | None, int, int, str] = (None, 0, 0, safe(str(exc)))
    else:
        img.thumbnail((IMAGE_SIDE, IMAGE_SIDE))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85)
        shown = (out.getvalue(), img.width, img.height, "")
    if made is not None:
        made[key] = shown
    return Picture(*shown[:3], caption, shown[3])


def _details(details: dict[str, Any]) -> str:
    parts = []
    for key in sorted(details):
        value = details[key]
        if value is None or value == "" or key == "original_path_bytes":
            continue
        parts.append(f"{key}: {value}")
    return safe("; ".join(parts))


def _item_blocks(w: Words, it: ReportItem) -> list[Block]:
    i = it.info
    rows: list[tuple[str, str, bool]] = [
        (w("name"), safe(i.name), False),
        ("SHA-256", i.sha256, True),
    ]
    if i.sha1:
        rows.append(("SHA-1", i.sha1, True))
    if i.md5:
        rows.append(("MD5", i.md5, True))
    seized = " / ".join(
        safe(v or "-") for v in (i.seized_from, i.seized_at, i.seized_on, i.seized_by)
    )
    rows += [
        (w("size"), str(i.size), False),
        (w("label"), f"TLP:{it.label}", False),
        (w("exhibit"), safe(i.exhibit or "-"), False),
        (w("seized"), seized, False),
        (w("original_path"), safe(i.original_path), False),
        (w("acquired"), f"{safe(i.acquired_by)} / {i.acquired_at}", False),
    ]
    if i.description:
        rows.append((w("description"), safe(i.description), False))
    blocks: list[Block] = [
        Heading(f"{w('item')} {i.id}: {safe(i.name)}", 2, anchor=f"item-{i.id}"),
        Fields(rows),
    ]
    if it.custody:
        blocks.append(
            Table(
                [w("when"), w("who"), w("event"), w("details")],
                [[e.at, safe(e.actor), w.kind(e.kind), _details(e.details)] for e in it.custody],
                [0.24, 0.14, 0.12, 0.50],
            )
        )
    if it.hits:
        blocks.append(
            Table(
                [w("hash_set"), w("kind"), w("algorithm"), "digest", w("acknowledged")],
                [
                    [safe(h.set), safe(h.kind), h.algorithm, h.digest, safe(h.acknowledged)]
                    for h in it.hits
                ],
                [0.18, 0.12, 0.1, 0.4, 0.2],
                mono=frozenset({3}),
            )
        )
    return blocks


def _calibration(w: Words, m: ReportMatch) -> str:
    cal = m.calibration
    if not cal:
        text = w("not_calibrated")
    else:
        text = w(
            "calibration_line",
            folder=safe(cal.get("folder", "?")),
            images=cal.get("images", "?"),
            nonmated=cal.get("nonmated_searches", "?"),
            mated=cal.get("mated_searches", "?"),
            model=safe(cal.get("model", "?")),
            target=cal.get("target_fpir", "?"),
            fpir=_num(cal.get("fpir")),
            fnir=_num(cal.get("fnir")),
            threshold=_num(cal.get("threshold")),
        )
    if abs(m.watchlist_threshold - m.threshold) > 1e-9:
        text += "; " + w(
            "threshold_changed", now=_num(m.watchlist_threshold), used=_num(m.threshold)
        )
    return text


def _num(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _match_blocks(w: Words, m: ReportMatch, pictures: PairMaker) -> list[Block]:
    rows: list[tuple[str, str, bool]] = [
        (w("item"), f"{m.item}: {safe(m.item_name)}", False),
        (w("watchlist"), safe(m.watchlist), False),
        (w("subject"), safe(m.subject), False),
        (w("listing"), safe(m.listing), False),
        (
            w("search"),
            w("search_line", run=m.run, actor=safe(m.run_by), at=m.run_at, mode=m.mode),
            False,
        ),
        (w("model"), safe(m.model), False),
        (w("rank"), str(m.rank), False),
        (w("distance"), f"{m.distance:.4f}", True),
        (w("threshold"), f"{m.threshold:.4f}", True),
        (w("calibration"), _calibration(w, m), False),
        (w("status"), w.outcome(m.status), False),
    ]
    blocks: list[Block] = [
        Heading(f"{w('match')} {m.candidate}", 2, anchor=f"candidate-{m.candidate}"),
        pictures(m),
        Fields(rows),
    ]
    if m.decisions:
        blocks.append(
            Table(
                [w("when"), w("reviewer"), w("decision"), w("reason")],
                [
                    [d.at, safe(d.reviewer), w.outcome(d.decision), safe(d.reason)]
                    for d in m.decisions
                ],
                [0.24, 0.16, 0.14, 0.46],
            )
        )
    else:
        blocks.append(Para(w("not_reviewed"), small=True))
    return blocks


def _legal(w: Words, data: ReportData) -> list[Block]:
    blocks: list[Block] = [Heading(w("legal"))]
    if not (data.agreements or data.transfers or data.partners_without_agreement):
        return [*blocks, Para(w("no_legal"))]
    if data.agreements or data.partners_without_agreement:
        rows = [
            [
                safe(a.partner),
                a.purpose,
                safe(a.reference or "-"),
                ", ".join(a.labels),
                f"{a.valid_from} - {a.valid_until}",
                w("yes") if a.onward else w("no"),
            ]
            for a in data.agreements
        ]
        rows += [
            [safe(p), w("no_agreement"), "", "", "", ""] for p in data.partners_without_agreement
        ]
        blocks += [
            Heading(w("agreements"), 3),
            Table(
                [w("partner"), w("purpose"), w("reference"), w("labels"), w("valid"), w("onward")],
                rows,
                [0.2, 0.16, 0.18, 0.2, 0.16, 0.1],
            ),
        ]
    if data.transfers:
        blocks += [
            Heading(w("transfers"), 3),
            Table(
                [
                    w("when"),
                    w("direction"),
                    w("partner"),
                    w("purpose"),
                    w("reference"),
                    w("items"),
                    w("bundle"),
                ],
                [
                    [
                        t.at,
                        w("sent_to") if t.direction == "out" else w("received_from"),
                        safe(t.partner),
                        safe(t.purpose or "-"),
                        safe(t.reference or "-"),
                        str(t.items),
                        safe(t.bundle_id),
                    ]
                    for t in data.transfers
                ],
                [0.2, 0.1, 0.14, 0.12, 0.12, 0.07, 0.25],
                mono=frozenset({6}),
            ),
        ]
    return blocks


def build(
    data: ReportData,
    lang: str,
    report_id: str,
    made_at: str,
    key_fingerprint: str,
    html_sha256: str | None,
    pictures: PairMaker,
    tick: Callable[[], None] = lambda: None,
) -> Document:
    """The report's blocks. ``html_sha256``: the HTML twin's hash, printed in the PDF (None
    while building the HTML itself). ``pictures`` gives each match its images (made once and
    shared by both renderings); ``tick`` runs between items (the cancel check)."""
    w = Words(lang)
    case = data.case
    title = f"{w('title')}: {safe(case.reference)}"
    head_rows: list[tuple[str, str, bool]] = [
        (w("reference"), safe(case.reference), False),
        (w("case_title"), safe(case.title), False),
        (w("crime_areas"), ", ".join(case.crime_areas) or "-", False),
        (w("operation"), safe(case.operation or "-"), False),
        (w("partners"), safe(", ".join(case.partners) or "-"), False),
        (w("created"), f"{case.created_at} ({safe(case.created_by)})", False),
        (w("agency"), safe(data.agency or "-"), False),
        (w("made_by"), safe(data.made_by), False),
        (w("made_at"), made_at, False),
        (w("report_id"), report_id, True),
        (w("scope"), w("scope_items") if data.selected else w("scope_case"), False),
        (w("items_count"), str(len(data.items)), False),
        (w("matches_count"), str(len(data.matches)), False),
        (w("audit_head"), str(data.head), True),
        (w("signing_key"), key_fingerprint, True),
    ]
    if html_sha256:
        head_rows.append((w("html_twin"), html_sha256, True))
    blocks: list[Block] = [
        Title(title),
        Fields(head_rows),
        Para(w("audit_head_note"), small=True),
        Para(w("signature_note"), small=True),
        *_legal(w, data),
        Heading(w("items")),
    ]
    for it in data.items:
        tick()
        blocks += _item_blocks(w, it)
    blocks.append(Heading(w("known_files")))
    if not any(it.hits for it in data.items):
        blocks.append(Para(w("none"), small=True))
    blocks += [Heading(w("matches")), Para(w("candidate_note"), small=True)]
    if not data.matches:
        blocks.append(Para(w("no_matches")))
    for m in data.matches:
        tick()
        blocks += _match_blocks(w, m, pictures)
    return Document(
        lang=lang,
        rtl=w.rtl,
        title=title,
        running=f"{w('title')} {safe(case.reference)} · {report_id}",
        blocks=blocks,
        footer=w("page", n="{n}"),
    )


def match_pictures(lang: str) -> PairMaker:
    """Each match's pair of pictures, made once per candidate (both renderings share them)."""
    w = Words(lang)
    made: dict[int, Pair] = {}
    decoded: dict[str, tuple[bytes | None, int, int, str]] = {}

    def pair(m: ReportMatch) -> Pair:
        if m.candidate not in made:
            made[m.candidate] = Pair(
                picture(m.probe, w("probe"), f"crop of face {m.face}", w("no_probe"), decoded),
                picture(
                    m.reference_photo,
                    f"{w('reference_photo')} ({safe(m.reference_source)})",
                    f"reference photo of candidate {m.candidate}",
                    "",
                    decoded,
                ),
            )
        return made[m.candidate]

    return pair
