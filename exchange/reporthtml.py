"""The HTML twin of a court report: the same blocks as the PDF, one self-contained file.

Images are inline ``data:`` JPEGs; a Content-Security-Policy allows nothing else (no script, no
request to anywhere), so even a value that slipped through escaping could not run or call out.
Every value is HTML-escaped and isolated in ``<bdi>`` (its direction cannot leak into the text
around it); control and bidirectional characters were already made visible by
``exchange.reportdoc``. An Arabic report is ``dir="rtl"``.
"""

from __future__ import annotations

import base64
from html import escape

from exchange.reportdoc import Block, Document, Fields, Heading, Pair, Para, Picture, Table, Title

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_CSS = """
body { font-family: 'DejaVu Sans', 'Noto Sans', 'Noto Naskh Arabic', sans-serif; font-size: 10pt;
       max-width: 60em; margin: 2em auto; color: #111; }
table { border-collapse: collapse; width: 100%; margin: 0.3em 0 0.8em; }
th, td { border: 1px solid #999; padding: 2px 4px; vertical-align: top; text-align: start; }
th { background: #e8e8e8; }
td.label { font-weight: bold; width: 30%; }
.mono { font-family: 'DejaVu Sans Mono', monospace; font-size: 8.5pt; word-break: break-all; }
.small { font-size: 8.5pt; color: #333; }
.pair td { text-align: center; width: 50%; }
.pair img { max-width: 100%; }
"""


def _text(value: str) -> str:
    return f"<bdi>{escape(value, quote=True)}</bdi>" if value else ""


def _cell(value: str, mono: bool, tag: str = "td") -> str:
    cls = ' class="mono"' if mono else ""
    return f"<{tag}{cls}>{_text(value)}</{tag}>"


def _picture(pic: Picture) -> str:
    if pic.jpeg is None:
        body = f'<div class="small">{_text(pic.note or "-")}</div>'
    else:
        data = base64.b64encode(pic.jpeg).decode("ascii")
        body = (
            f'<img src="data:image/jpeg;base64,{data}" width="{pic.width}" '
            f'height="{pic.height}" alt="{escape(pic.caption, quote=True)}">'
        )
    return f"<td>{body}<div><b>{_text(pic.caption)}</b></div></td>"


def _block(block: Block) -> str:
    if isinstance(block, Title):
        return f"<h1>{_text(block.text)}</h1>"
    if isinstance(block, Heading):
        level = min(block.level + 1, 4)
        anchor = f' id="{escape(block.anchor, quote=True)}"' if block.anchor else ""
        return f"<h{level}{anchor}>{_text(block.text)}</h{level}>"
    if isinstance(block, Para):
        cls = ' class="small"' if block.small else ""
        return f"<p{cls}>{_text(block.text)}</p>"
    if isinstance(block, Fields):
        rows = "".join(
            f'<tr><td class="label">{_text(label)}</td>{_cell(value, mono)}</tr>'
            for label, value, mono in block.rows
        )
        return f"<table>{rows}</table>"
    if isinstance(block, Table):
        head = "".join(_cell(h, False, "th") for h in block.headers)
        body = "".join(
            "<tr>" + "".join(_cell(c, i in block.mono) for i, c in enumerate(r)) + "</tr>"
            for r in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    assert isinstance(block, Pair)
    return f'<table class="pair"><tr>{_picture(block.left)}{_picture(block.right)}</tr></table>'


def render_html(doc: Document) -> bytes:
    direction = "rtl" if doc.rtl else "ltr"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{doc.lang}" dir="{direction}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{escape(doc.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        *(_block(b) for b in doc.blocks),
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts).encode("utf-8")
