"""Bad hash-set files: one line each (every malformed line named, up to a bound), nothing
imported, the vault verifies. And what a plain list must accept: mixed line endings, a BOM,
UTF-16, md5sum/md5deep lines with names in any encoding."""

from __future__ import annotations

import codecs
import json
import os
import sqlite3
from pathlib import Path

import pytest
from hashkit import content, digests, nsrl_file, vics_doc
from sqlalchemy import func, select

from matching import hashparse
from matching.hashsets import ImportJob, list_sets
from matching.models import HashSetEntry
from vault.errors import UserError
from vault.jobs import ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows

MD5 = [digests(content(n))["md5"] for n in range(5)]
SHA1 = [digests(content(n))["sha1"] for n in range(5)]
SHA256 = [digests(content(n))["sha256"] for n in range(5)]


def refused(s: Session, path: Path, fmt: str | None = None) -> str:
    """The one-line refusal of ``path``; asserts nothing was written and the vault verifies."""
    with pytest.raises(UserError) as caught:
        ImportJob(s, path, "set", "known-bad", fmt).run(ignore)
    message = str(caught.value)
    assert "\n" not in message
    assert "nothing imported" in message or "not imported" in message
    assert list_sets(s, include_deleted=True) == []
    with s.db() as db:
        assert db.scalar(select(func.count()).select_from(HashSetEntry)) == 0
    assert audit_rows(s, "hashset.imported") == []
    assert verify(s).problems == []
    return message


def test_a_digest_of_the_wrong_length(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text(f"{MD5[0]}\n{MD5[1][:-1]}\n\n# a comment\n{SHA1[0]}0\n{SHA256[0]}\n")
    assert refused(session, path) == (
        f"list.txt: not imported (2 malformed lines): line 2: '{MD5[1][:-1]}' is not an MD5, "
        f"SHA-1 or SHA-256 digest (31 characters); line 5: '{SHA1[0]}0' is not an MD5, SHA-1 "
        "or SHA-256 digest (41 characters)"
    )


def test_malformed_lines_are_bounded(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("".join(f"zz{i}\n" for i in range(100)))
    message = refused(session, path)
    assert message.startswith("list.txt: not imported (100 malformed lines): line 1: 'zz0'")
    assert message.endswith("; and 80 more")
    assert message.count("line ") == hashparse.MAX_LISTED


def test_not_hexadecimal_and_an_escape_sequence_shown_safely(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"g" * 32 + b"\n\x1b[2J" + b"0" * 28 + b"\n")
    message = refused(session, path)
    assert f"line 1: '{'g' * 32}' is not hexadecimal" in message
    assert "\x1b" not in message and "line 2: '\\x1b[2J" in message


def test_mixed_line_endings_and_encodings_are_read(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    body = (
        codecs.BOM_UTF8
        + f"{MD5[0]}  caf\xe9.jpg\r\n".encode("latin-1")
        + f"{SHA1[1].upper()} *Mädchen.png\n".encode()
        + f"{MD5[2]}\r".encode()
        + f"\\{SHA256[3]}  a\\\\nb.txt\r\n".encode()
    )
    path.write_bytes(body)
    info = ImportJob(session, path, "mixed", "info").run(ignore)
    assert info.counts == {"md5": 2, "sha1": 1, "sha256": 1} and info.format == "plain"
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(codecs.BOM_UTF16_LE + f"{MD5[4]}\r\n{SHA1[4]}\r\n".encode("utf-16-le"))
    assert ImportJob(session, utf16, "utf16", "info").run(ignore).counts == {"md5": 1, "sha1": 1}


def test_a_line_number_survives_a_cr_lf_split_across_reads(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashparse, "CHUNK", 33)  # each read ends between CR and LF
    path = tmp_path / "crlf.txt"
    path.write_bytes(f"{MD5[0]}\r\n{MD5[1]}\r\nnope\r\n".encode())
    assert refused(session, path).endswith(
        "line 3: 'nope' is not an MD5, SHA-1 or SHA-256 digest (4 characters)"
    )


def test_a_2_gb_sparse_file(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.write(f"{MD5[0]}\n".encode())
        fh.truncate(2 << 30)
    assert refused(session, path) == (
        "huge.txt: a sparse file (mostly holes), not a hash set; nothing imported"
    )
    assert refused(session, path, "vics").startswith("huge.txt: 2,147,483,648 bytes, more than")


def test_binary_data_is_not_a_list(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + os.urandom(1000))
    assert refused(session, path, "plain") == (
        "photo.jpg: binary data at byte 4, not a text hash list; nothing imported"
    )


def test_a_very_long_line(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_bytes(f"{MD5[0]}\n".encode() + b"a" * (hashparse.MAX_LINE + 10) + b"\nxyz\n")
    assert refused(session, path) == (
        f"long.txt: not imported (2 malformed lines): line 2: longer than {hashparse.MAX_LINE} "
        "bytes; line 3: 'xyz' is not an MD5, SHA-1 or SHA-256 digest (3 characters)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"value": [{"MD5": "' + MD5[0],
            "not valid VICS JSON (parse error: premature EOF at value[0].MD5)",
        ),
        (
            '{"value": [}',
            "not valid VICS JSON (parse error: unallowed token at this point in JSON text at "
            "value[0])",
        ),
        (
            '{"value": NaN}',
            "not valid VICS JSON (lexical error: invalid char in json text at value)",
        ),
        ("[1, 2]", 'not a VICS export (no top-level "value" list of media or cases)'),
        ('{"Media": []}', 'not a VICS export (no top-level "value" list of media or cases)'),
        ("[" * 100_000, 'not a VICS export (no top-level "value" list of media or cases)'),
        (
            '{"value": [' + "[" * 100_000,
            f"not valid VICS JSON (nested more than {hashparse.MAX_DEPTH} deep at value[0])",
        ),
    ],
)
def test_truncated_or_malformed_vics(
    session: Session, tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "vics.json"
    path.write_text(text)
    assert refused(session, path, "vics").startswith(f"vics.json: {expected}")


def test_vics_entries_named_by_place(session: Session, tmp_path: Path) -> None:
    doc = vics_doc([0, 1, 2, 3], v1=True)
    media = doc["value"][0]["Media"]
    media[1]["MD5"] = MD5[1][:30]
    media[2]["Category"] = "CAM"
    media[3] = {"MediaID": 9}
    doc["value"].append("not a case")
    path = tmp_path / "vics.json"
    path.write_text(json.dumps(doc))
    assert refused(session, path) == (
        "vics.json: not imported (4 malformed lines): "
        f"value[0].Media[1]: MD5 '{MD5[1][:30]}' is not 32 hex digits; "
        "value[0].Media[2]: Category 'CAM' is not a category number; "
        "value[0].Media[3]: no MD5, SHA1, SHA256 or PDQ; value[1]: not a media entry (an object)"
    )


def test_vics_conflicting_categories(session: Session, tmp_path: Path) -> None:
    doc = vics_doc([0, 0], categories={0: 1})
    doc["value"][1]["Category"] = 3
    path = tmp_path / "vics.json"
    path.write_text(json.dumps(doc))
    assert "given categories 1 and 3" in refused(session, path)


def test_nsrl_that_is_not_sqlite(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "NSRLFile.txt"
    path.write_text('"SHA-1","MD5","CRC32","FileName"\n')
    assert refused(session, path, "nsrl") == (
        "NSRLFile.txt: not an NSRL RDS file (not an SQLite database); nothing imported"
    )


def test_sqlite_of_the_wrong_shape(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE files (name TEXT)")
    con.commit()
    con.close()
    assert refused(session, path) == (
        "other.db: an SQLite database but not an NSRL RDS (no FILE table with sha256, sha1 "
        "and md5 columns); nothing imported"
    )


def test_hostile_sqlite_view_and_trigger(session: Session, tmp_path: Path) -> None:
    """FILE as a view running a recursive query forever: refused before it is read."""
    path = tmp_path / "hostile.db"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE VIEW FILE AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
        "SELECT 'a' AS sha256, 'b' AS sha1, 'c' AS md5 FROM r"
    )
    con.commit()
    con.close()
    assert "not an NSRL RDS (no FILE table" in refused(session, path)


def test_damaged_sqlite(session: Session, tmp_path: Path) -> None:
    path = nsrl_file(tmp_path / "rds.db", list(range(50)))
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page after the first destroyed
    path.write_bytes(bytes(data))
    message = refused(session, path)
    assert message.startswith("rds.db: ")


def test_nsrl_rows_with_bad_digests(session: Session, tmp_path: Path) -> None:
    path = nsrl_file(tmp_path / "rds.db", [0], bad_rows=[(SHA256[1], "short", MD5[1])])
    assert refused(session, path) == (
        "rds.db: not imported (1 malformed line): FILE row 3: sha1 'short' is not 40 hex digits"
    )


def test_hashdeep_damage(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "deep.txt"
    path.write_text(
        "%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## comment\n"
        f"12,{MD5[0]},{SHA256[0]},/a/b\n"
        f"x,{MD5[1]},{SHA256[1]},/c\n"
        f"3,{MD5[2]}\n"
    )
    assert refused(session, path) == (
        "deep.txt: not imported (2 malformed lines): line 5: size 'x' is not a number; "
        "line 6: 2 fields, the header names 4"
    )
    path.write_text(f"%%%% HASHDEEP-1.0\n12,{MD5[0]},/a\n")
    assert "line 2: a file line before the %%%% HASHDEEP-1.0 header" in refused(
        session, path, "hashdeep"
    )


def test_empty_and_missing_files(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("# nothing\n\n")
    assert refused(session, path) == "empty.txt: no digests found; nothing imported"
    with pytest.raises(UserError, match="no such file"):
        ImportJob(session, tmp_path / "absent.txt", "x", "info").run(ignore)


# --- hostile VICS JSON (read as a stream: one line naming the place, nothing imported) -------

_ENTRY = f'{{"MediaID": 1, "MD5": "{MD5[0]}", "Category": 1'
_DOC = f'{{"value": [{_ENTRY}}}, {{"MD5": "{MD5[1]}"}}]}}'
_HUGE = 2 << 20  # past hashparse.MAX_TOKEN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # well-formed JSON main imported: nesting, a huge string, a repeated key, many keys
        (
            '{"value": [' + _ENTRY + ', "Comments": ' + "[" * 40 + "]" * 40 + "}]}",
            f"not valid VICS JSON (nested more than {hashparse.MAX_DEPTH} deep at "
            "value[0].Comments); nothing imported",
        ),
        (
            '{"value": [' + _ENTRY + ', "Comments": "' + "x" * _HUGE + '"}]}',
            f"not valid VICS JSON (a string, number or key longer than {hashparse.MAX_TOKEN:,} "
            "bytes at value[0].Comments); nothing imported",
        ),
        (
            '{"value": [' + _ENTRY + ', "' + "k" * _HUGE + '": 1}]}',
            f"not valid VICS JSON (a string, number or key longer than {hashparse.MAX_TOKEN:,} "
            "bytes at value[0].Category); nothing imported",
        ),
        (
            '{"value": [' + _ENTRY + ', "Size": ' + "9" * _HUGE + "}]}",
            f"not valid VICS JSON (a string, number or key longer than {hashparse.MAX_TOKEN:,} "
            "bytes at value[0].Size); nothing imported",
        ),
        # past Python's 4,300 digits (or Decimal's exponents): the parser's ValueError (main's
        # json.loads refused it too); the events before it in the same read are lost to
        # yajl2_c, so the place is bounded by bytes (the whole file here, under 64 KiB)
        (
            '{"value": [' + _ENTRY + ', "Size": ' + "9" * 5000 + "}]}",
            "not valid VICS JSON (a number too long or out of range before byte "
            f"{len(_ENTRY) + 5024:,}); nothing imported",
        ),
        (
            '{"x": -' + "9" * 4301 + ', "value": [' + _ENTRY + "}]}",
            "not valid VICS JSON (a number too long or out of range before byte "
            f"{len(_ENTRY) + 4323:,}); nothing imported",
        ),
        (
            '{"value": [' + _ENTRY + ', "Size": 1e' + "9" * 21 + "}]}",
            "not valid VICS JSON (a number too long or out of range before byte "
            f"{len(_ENTRY) + 47}, after value[0].Size); nothing imported",
        ),
        (
            '{"value": [' + _ENTRY + f', "MD5": "{MD5[0]}"}}]}}',
            'not imported (1 malformed line): value[0]: a second "MD5" key',
        ),
        (
            '{"value": [' + _ENTRY + ', "Category": 2}]}',
            'not imported (1 malformed line): value[0]: a second "Category" key',
        ),
        (
            '{"value": [], "value": [' + _ENTRY + "}]}",
            'not valid VICS JSON (a second "value" key at value); nothing imported',
        ),
        (
            '{"value": [{"CaseID": 1, "Media": [' + _ENTRY + '}], "Media": []}]}',
            'not valid VICS JSON (value[0] has a second "Media" key at value[0].Media); '
            "nothing imported",
        ),
        (  # the first Media not a list: it was dropped silently, the second read
            '{"value": [{"CaseID": 1, "Media": 5, "Media": [' + _ENTRY + "}]}]}",
            'not valid VICS JSON (value[0] has a second "Media" key at value[0].Media); '
            "nothing imported",
        ),
        (
            '{"value": ['
            + _ENTRY
            + ", "
            + ", ".join(f'"k{i}": {i}' for i in range(hashparse.MAX_FIELDS))
            + "}]}",
            f"not imported (1 malformed line): value[0]: more than {hashparse.MAX_FIELDS} keys",
        ),
        # not JSON
        (
            '{"value": [' + _ENTRY[:-1] + "NaN}]}",
            "not valid VICS JSON (lexical error: invalid char in json text at value[0].Category)"
            "; nothing imported",
        ),
        (
            '{"value": [' + _ENTRY[:-1] + "Infinity}]}",
            "not valid VICS JSON (lexical error: invalid char in json text at value[0].Category)"
            "; nothing imported",
        ),
        (
            '{"value": [' + _ENTRY[:-1] + "-Infinity}]}",
            "not valid VICS JSON (lexical error: malformed number, a digit is required after "
            "the minus sign at value[0].Category); nothing imported",
        ),
        (
            _DOC + ' {"value": []}',
            "not valid VICS JSON (parse error: trailing garbage at the top level); "
            "nothing imported",
        ),
        # wrong types: each entry named
        (
            '{"value": [{"MD5": 5}, {"MD5": ["' + MD5[0] + '"]}, {"SHA1": true}, "media", 7, '
            '{"MD5": "' + MD5[0] + '", "Category": "x"}, {"MD5": "' + MD5[0] + '", "Category": '
            'true}, {"MD5": "' + MD5[0] + '", "Category": 1.5}, {"MD5": "' + MD5[0] + '", '
            '"Category": -1}, {"MD5": "' + MD5[0] + '", "Category": 40000}, {"Media": {}}, '
            '{"Media": null}, null]}',
            "not imported (13 malformed lines): value[0]: MD5 '5' is not 32 hex digits; "
            "value[1]: MD5 '(an object or a list)' is not 32 hex digits; value[2]: SHA1 'True' "
            "is not 40 hex digits; value[3]: not a media entry (an object); value[4]: not a "
            "media entry (an object); value[5]: Category 'x' is not a category number; "
            "value[6]: Category 'True' is not a category number; value[7]: Category '1.5' is "
            "not a category number; value[8]: Category '-1' is not a category number; "
            "value[9]: Category '40000' is not a category number; value[10].Media: not a list; "
            "value[11].Media: not a list; value[12]: not a media entry (an object)",
        ),
        (
            '{"value": {"Media": []}}',
            'not a VICS export (no top-level "value" list of media or cases); nothing imported',
        ),
        (
            '{"value": "' + MD5[0] + '"}',
            'not a VICS export (no top-level "value" list of media or cases); nothing imported',
        ),
    ],
    ids=[
        "nested",
        "huge-string",
        "huge-key",
        "huge-number",
        "long-integer",
        "long-integer-top-level",
        "huge-exponent",
        "repeated-md5",
        "repeated-category",
        "repeated-value",
        "repeated-media",
        "repeated-media-first-not-a-list",
        "too-many-keys",
        "nan",
        "infinity",
        "minus-infinity",
        "two-documents",
        "wrong-types",
        "value-object",
        "value-string",
    ],
)
def test_hostile_vics_is_refused_in_one_line(
    session: Session, tmp_path: Path, text: str, expected: str
) -> None:
    """Each refused whole, one line naming the entry or the JSON place, nothing imported. On
    main (``json.loads`` of the whole file) nested, huge-string, huge-key, repeated-md5,
    repeated-category, repeated-value and too-many-keys imported (the last of a repeated key
    taken, the huge string held, any nesting Python's recursion allowed)."""
    path = tmp_path / "vics.json"
    path.write_text(text)
    assert refused(session, path, "vics") == f"vics.json: {expected}"


def test_a_number_too_long_past_the_first_read_names_the_entries_before_it(
    session: Session, tmp_path: Path
) -> None:
    """Past the parser's first read (64 KiB) the refusal names the last place handed over
    before the number (the number is after it) and the bytes read, one line, nothing stored."""
    path = tmp_path / "vics.json"
    path.write_text(
        '{"value": [' + ", ".join([_ENTRY + "}"] * 2000) + ', {"Size": ' + "9" * 5000 + "}]}"
    )
    message = refused(session, path, "vics")
    assert message.startswith(
        "vics.json: not valid VICS JSON (a number too long or out of range before byte "
        f"{path.stat().st_size:,}, after value["
    ), message
    assert message.endswith("); nothing imported")


def test_a_truncated_vics_file_is_refused_wherever_it_is_cut(
    session: Session, tmp_path: Path
) -> None:
    """A VICS file cut at any byte: one line, nothing imported (never a part of it)."""
    doc = vics_doc([0, 1, 2], v1=True)
    text = json.dumps(doc, indent=1).encode()
    path = tmp_path / "cut.json"
    for at in range(1, len(text), 37):
        path.write_bytes(text[:at])
        message = refused(session, path, "vics")
        assert message.startswith("cut.json: not valid VICS JSON (") or message.startswith(
            "cut.json: not a VICS export"
        ), message


def test_malformed_vics_entries_are_bounded(session: Session, tmp_path: Path) -> None:
    media = ", ".join(f'{{"MD5": "x{i}"}}' for i in range(100))
    path = tmp_path / "vics.json"
    path.write_text('{"value": [' + media + "]}")
    message = refused(session, path, "vics")
    assert message.startswith("vics.json: not imported (100 malformed lines): value[0]: MD5 'x0'")
    assert message.endswith("value[19]: MD5 'x19' is not 32 hex digits; and 80 more")
