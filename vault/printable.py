"""Text from outside shown as it is, minus what could make a terminal or a widget lie.

One function for both faces: the CLI prints with it, the GUI displays with it (a typed user name
of a failed sign-in, a key card's contact, a seized file name)."""

from __future__ import annotations

import re

# Control characters (C0, DEL, C1), lone surrogates, line/paragraph separators and the
# bidirectional marks and overrides: escape sequences can erase or rewrite what was printed;
# the bidirectional marks reorder what the reader sees (a name could hide its real extension).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def safe(text: object) -> str:
    """``text`` from outside (a key card, a bundle, a partner: contacts, agency names, case
    references, handling notes, file names, names typed at sign-in) fit to show: every control
    character is shown as a visible escape (``\\x1b``, ``\\u202e``), so the text cannot move the
    cursor, erase a line or pass for other output. Everything else, any script included, is shown
    as it is."""
    return _UNSAFE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}",
        str(text),
    )
