"""The PDF of a court report (ReportLab), from the blocks of ``exchange.reportdoc``.

Fonts: DejaVu Sans and Sans Mono (Debian ``fonts-dejavu-core``; the installer ships the files),
which carry Latin, Arabic and the hash digits. Arabic has no shaping in ReportLab itself: every
string holding right-to-left letters is shaped (``arabic_reshaper``: the contextual forms) and put
in visual order (``python-bidi``) one line at a time, after wrapping in logical order, so a long
Arabic reason wraps like Arabic. An Arabic report is laid out right to left (alignment, column
order). Text is escaped for ReportLab's paragraph markup (``<``, ``>``, ``&``): markup in a name is
shown as text, never obeyed.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from exchange.reportdoc import Block, Document, Fields, Heading, Pair, Para, Picture, Table, Title
from vault.errors import UserError

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu: fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora, Arch
    "/usr/share/fonts/TTF",
)
FONTS = {
    "CustosSans": "DejaVuSans.ttf",
    "CustosSans-Bold": "DejaVuSans-Bold.ttf",
    "CustosMono": "DejaVuSansMono.ttf",
}
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
MARGIN = 40.0
SIZE, SMALL, MONO_SIZE = 9.0, 7.5, 7.0


def font_dir() -> Path:
    """Where the report's fonts are: the installed app's own copy, else the system's."""
    bundled = Path(getattr(sys, "_MEIPASS", "")) / "fonts" if hasattr(sys, "_MEIPASS") else None
    wanted = os.environ.get("CUSTOS_FONT_DIR")
    for where in (wanted, bundled, *FONT_DIRS):
        if where and all((Path(where) / f).is_file() for f in FONTS.values()):
            return Path(where)
    raise UserError(
        "the report fonts (DejaVu Sans) are not installed: install fonts-dejavu-core "
        "or set CUSTOS_FONT_DIR to a folder holding DejaVuSans.ttf"
    )


def _register() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "CustosSans" in pdfmetrics.getRegisteredFontNames():
        return
    where = font_dir()
    for name, file in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(where / file)))
    pdfmetrics.registerFontFamily(
        "CustosSans",
        normal="CustosSans",
        bold="CustosSans-Bold",
        italic="CustosSans",
        boldItalic="CustosSans-Bold",
    )


def visual_lines(text: str, font: str, size: float, width: float, rtl: bool) -> list[str]:
    """``text`` shaped and in visual order, wrapped to ``width`` in logical order first."""
    import arabic_reshaper
    from bidi.algorithm import get_display  # mirrors brackets; the Rust one does not (0.6)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    base = "R" if rtl else "L"
    out: list[str] = []
    for para in text.split("\n"):
        shaped = arabic_reshaper.reshape(para)
        line = ""
        for word in shaped.split(" "):
            trial = f"{line} {word}" if line else word
            if line and stringWidth(trial, font, size) > width:
                out.append(get_display(line, base_dir=base))
                line = word
            else:
                line = trial
        out.append(get_display(line, base_dir=base))
    return out


class _Styles:
    def __init__(self, rtl: bool) -> None:
        from reportlab.lib.enums import TA_LEFT, TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle

        align = TA_RIGHT if rtl else TA_LEFT
        base = ParagraphStyle("base", fontName="CustosSans", fontSize=SIZE, leading=SIZE * 1.3)
        self.body = ParagraphStyle("body", base, alignment=align)
        self.small = ParagraphStyle(
            "small", base, fontSize=SMALL, leading=SMALL * 1.3, alignment=align
        )
        self.mono = ParagraphStyle(
            "mono",
            base,
            fontName="CustosMono",
            fontSize=MONO_SIZE,
            leading=MONO_SIZE * 1.3,
            alignment=align,
        )
        self.label = ParagraphStyle("label", self.small, fontName="CustosSans-Bold")
        self.title = ParagraphStyle(
            "title",
            base,
            fontName="CustosSans-Bold",
            fontSize=16,
            leading=20,
            alignment=align,
            spaceAfter=8,
        )
        self.h = {
            1: ParagraphStyle(
                "h1",
                base,
                fontName="CustosSans-Bold",
                fontSize=13,
                leading=16,
                spaceBefore=12,
                spaceAfter=6,
                alignment=align,
            ),
            2: ParagraphStyle(
                "h2",
                base,
                fontName="CustosSans-Bold",
                fontSize=10.5,
                leading=13,
                spaceBefore=9,
                spaceAfter=4,
                alignment=align,
            ),
            3: ParagraphStyle(
                "h3",
                base,
                fontName="CustosSans-Bold",
                fontSize=9.5,
                leading=12,
                spaceBefore=6,
                spaceAfter=3,
                alignment=align,
            ),
        }


class _Renderer:
    def __init__(self, doc: Document, width: float) -> None:
        self.doc, self.width, self.rtl = doc, width, doc.rtl
        self.st = _Styles(doc.rtl)

    def para(self, text: str, style: Any, width: float | None = None) -> object:
        from reportlab.platypus import Paragraph

        if _RTL.search(text):
            room = (width or self.width) - 6
            lines = visual_lines(text, style.fontName, style.fontSize, room, self.rtl)
            markup = "<br/>".join(escape(line) for line in lines)
        else:
            markup = escape(text).replace("\n", "<br/>")
        return Paragraph(markup, style)

    def cell(self, text: str, style: Any, width: float) -> object:
        """A plain string where the text fits on one line (drawn as it is: no markup parsed,
        no wrapping; most cells), else a wrapping paragraph."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        room = width - 6
        if "\n" not in text:
            if _RTL.search(text):
                lines = visual_lines(text, style.fontName, style.fontSize, room, self.rtl)
                if len(lines) == 1:
                    return lines[0]
            elif stringWidth(text, style.fontName, style.fontSize) <= room:
                return text
        return self.para(text, style, width)

    def row(self, cells: list[Any]) -> list[Any]:
        return cells[::-1] if self.rtl else cells

    def table(
        self,
        rows: list[list[object]],
        widths: list[float],
        header: bool,
        fonts: Sequence[tuple[int, int, Any]] = (),
    ) -> object:
        """``fonts``: (column, row, style) of plain cells not in the small body font (logical
        column order; row -1: every row)."""
        from reportlab.lib import colors
        from reportlab.platypus import Table as RLTable
        from reportlab.platypus import TableStyle

        last = len(widths) - 1
        style: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("FONTNAME", (0, 0), (-1, -1), "CustosSans"),
            ("FONTSIZE", (0, 0), (-1, -1), SMALL),
            ("LEADING", (0, 0), (-1, -1), SMALL * 1.3),
            ("ALIGN", (0, 0), (-1, -1), "RIGHT" if self.rtl else "LEFT"),
        ]
        for column, row, st in fonts:
            c = last - column if self.rtl else column
            first, end = (0, -1) if row == -1 else (row, row)
            style += [
                ("FONTNAME", (c, first), (c, end), st.fontName),
                ("FONTSIZE", (c, first), (c, end), st.fontSize),
                ("LEADING", (c, first), (c, end), st.leading),
            ]
        if header:
            style += [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("FONTNAME", (0, 0), (-1, 0), "CustosSans-Bold"),
            ]
        return RLTable(
            [self.row(r) for r in rows],
            colWidths=self.row(list(widths)),
            repeatRows=1 if header else 0,
            style=TableStyle(style),
            hAlign="RIGHT" if self.rtl else "LEFT",
        )

    def fields(self, block: Fields) -> object:
        lw = self.width * 0.3
        vw = self.width - lw
        st = self.st
        rows = [
            [self.cell(label, st.label, lw), self.cell(value, st.mono if mono else st.small, vw)]
            for label, value, mono in block.rows
        ]
        fonts = [(0, -1, st.label)]
        fonts += [(1, n, st.mono) for n, (_, _, mono) in enumerate(block.rows) if mono]
        return self.table(rows, [lw, vw], header=False, fonts=fonts)

    def grid(self, block: Table) -> object:
        widths = [self.width * s for s in block.widths]
        st = self.st
        head = [self.cell(h, st.label, w) for h, w in zip(block.headers, widths, strict=True)]
        body = [
            [
                self.cell(c, st.mono if i in block.mono else st.small, widths[i])
                for i, c in enumerate(r)
            ]
            for r in block.rows
        ]
        fonts = [(i, -1, st.mono) for i in sorted(block.mono)]
        return self.table([head, *body], widths, header=True, fonts=fonts)

    def picture(self, pic: Picture, width: float) -> list[object]:
        from reportlab.platypus import Image

        cells: list[object] = []
        if pic.jpeg is not None:
            side = min(width - 8, 150.0)
            scale = side / max(pic.width, pic.height)
            cells.append(Image(io.BytesIO(pic.jpeg), pic.width * scale, pic.height * scale))
        else:
            cells.append(self.para(pic.note or "-", self.st.small, width))
        cells.append(self.para(pic.caption, self.st.label, width))
        return cells

    def pair(self, block: Pair) -> object:
        half = self.width / 2
        left, right = self.picture(block.left, half), self.picture(block.right, half)
        return self.table([[left, right]], [half, half], header=False)

    def flowables(self, block: Block) -> list[object]:
        from reportlab.platypus import Spacer

        if isinstance(block, Title):
            return [self.para(block.text, self.st.title)]
        if isinstance(block, Heading):
            return [self.para(block.text, self.st.h[min(block.level, 3)])]
        if isinstance(block, Para):
            return [
                self.para(block.text, self.st.small if block.small else self.st.body),
                Spacer(1, 3),
            ]
        if isinstance(block, Fields):
            return [self.fields(block), Spacer(1, 4)]
        if isinstance(block, Table):
            return [self.grid(block), Spacer(1, 4)]
        return [self.pair(block), Spacer(1, 4)]


def render_pdf(doc: Document, meta: dict[str, str], tick: Callable[[], None]) -> bytes:
    """The PDF's bytes; ``tick`` runs after every 50 flowables laid out (cancel checks)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    _register()
    out = io.BytesIO()
    count = [0]

    class _Template(SimpleDocTemplate):
        def afterFlowable(self, flowable: object) -> None:
            count[0] += 1
            if count[0] % 50 == 0:
                tick()

    template = _Template(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 10,
        bottomMargin=MARGIN,
        title=meta.get("title", ""),
        author=meta.get("author", ""),
        subject=meta.get("subject", ""),
        creator="Custos",
        lang="ar" if doc.rtl else "en",
    )
    width = A4[0] - 2 * MARGIN
    r = _Renderer(doc, width)
    story: list[object] = []
    for block in doc.blocks:
        story += r.flowables(block)

    def decorate(canvas: object, template_doc: object) -> None:
        c = canvas
        page = doc.footer.replace("{n}", str(c.getPageNumber()))  # type: ignore[attr-defined]
        running = doc.running
        c.saveState()  # type: ignore[attr-defined]
        c.setFont("CustosSans", 7)  # type: ignore[attr-defined]
        for text, y in ((running, A4[1] - MARGIN + 8), (page, MARGIN - 20)):
            shown = (
                visual_lines(text, "CustosSans", 7, 10_000, doc.rtl)[0]
                if _RTL.search(text)
                else text
            )
            if doc.rtl:
                c.drawRightString(A4[0] - MARGIN, y, shown)  # type: ignore[attr-defined]
            else:
                c.drawString(MARGIN, y, shown)  # type: ignore[attr-defined]
        c.restoreState()  # type: ignore[attr-defined]

    template.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
