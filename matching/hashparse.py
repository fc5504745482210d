"""Reading hash-set files: NSRL RDS (SQLite), Project VIC / CAID VICS JSON, plain digest lists
(one per line, md5sum/sha256sum/md5deep output) and hashdeep files. Pure: a path in, sorted
unique digests out; no vault, no database of ours.

Every input is unsigned and may be hostile. Each reader collects every malformed line (the
first ``MAX_LISTED`` named with their line number, the rest counted) and raises one
``HashSetRefused`` when there is any: a set is imported whole or not at all. Whole-file problems
(not SQLite, not JSON, binary data, a sparse file, too large) are one line.

Formats (also in the README):

* ``plain``: one digest per line, 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits, upper or
  lower case, optionally followed by white space and a file name (md5sum, sha256sum and
  md5deep output; a leading ``\\`` of sha256sum's escaped names is allowed). Blank lines and
  lines starting with ``#`` are skipped. LF, CRLF and CR line endings, mixed; UTF-8 (with or
  without BOM) or any ASCII-compatible encoding (names are not read), UTF-16 with a BOM.
* ``hashdeep``: ``%%%% HASHDEEP-1.0``, then ``%%%% size,md5,sha256,filename`` (any of size,
  md5, sha1, sha256, tiger, whirlpool; filename last), ``##`` comment lines, then one line per
  file; every md5/sha1/sha256 column is imported.
* ``vics``: JSON, ``{"value": [media...]}`` (VICS 2.0, ``@odata.context`` ending ``#Media``)
  or ``{"value": [{"Media": [media...]}, ...]}`` (VICS 1.x cases); each media entry has
  ``MD5`` and/or ``SHA1`` (``SHA256`` too if present) and an optional integer ``Category``.
  A malformed entry is named by its place (``value[3].Media[12]``). Read as a stream of JSON
  events (ijson's ``basic_parse``, its C backend yajl2_c when built, else its pure Python one):
  one media entry's read fields are held at a time, never the document. Refused whole, one line
  naming the JSON place where it was found: a syntax error (NaN and Infinity are not JSON;
  a truncated file; a second document), nesting deeper than ``MAX_DEPTH``, a string, number or
  key longer than ``MAX_TOKEN``, a second ``value`` (or a case's second ``Media``). A media
  entry with a key given twice (of those read: ``MD5``, ``Category``...) or more than
  ``MAX_FIELDS`` keys is a malformed entry, named.
* ``pdq``: one PDQ hash per line, 64 hex digits (the reference implementation's form),
  optionally ``,quality`` (an integer 0-100, as Meta's tools write it; checked, not stored),
  optionally followed by white space and anything (a name). Blank lines and ``#`` comments
  skipped. Never told from the content (a SHA-256 list looks the same): ``--format pdq``.
  VICS media entries may carry a ``PDQ`` field of the same 64 hex digits (not in the VICS 2.0
  model we read; some producers add it), imported as a PDQ entry with the entry's category.
* ``nsrl``: the RDSv3 SQLite distribution: table ``FILE`` with ``sha256``, ``sha1``, ``md5``
  text columns (``PKG``, ``OS``, ``MFG`` are not needed to match); ``VERSION`` gives the
  release for the set's source. Opened read-only and immutable, ``trusted_schema`` off, values
  capped in length, ``FILE`` must be a table (not a view).
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import decimal
import hashlib
import io
import os
import sqlite3
import stat
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where digests are sorted: the GUI reads hits without it
    import numpy as np

from vault.errors import UserError
from vault.jobs import CancelToken
from vault.printable import safe

# algorithm name -> (code stored in hashset_entries.algorithm, digest bytes). ``pdq`` is a
# perceptual hash (matching/pdq.py, the 32 bytes of its 64-digit hex): matched by Hamming
# distance (``matching.similar``), never by the exact lookup of ``hashhits``.
ALGORITHMS: dict[str, tuple[int, int]] = {
    "md5": (1, 16),
    "sha1": (2, 20),
    "sha256": (3, 32),
    "pdq": (4, 32),
}
EXACT = ("md5", "sha1", "sha256")  # what an item's file digests are looked up by
BY_CODE = {code: name for name, (code, _) in ALGORITHMS.items()}
_BY_HEX = {2 * ALGORITHMS[name][1]: name for name in EXACT}
FORMATS = ("nsrl", "vics", "plain", "hashdeep", "pdq")
MAX_QUALITY = 100
MAX_LISTED = 20  # malformed lines named in a refusal; the rest are counted
MAX_LINE = 64 << 10  # a longer line is malformed (and not kept in memory)
MAX_TEXT = 4 << 30  # plain and hashdeep files (a 10M-line SHA-256 list with names is < 2 GiB)
MAX_JSON = 1 << 30  # a VICS file (read as a stream: the bound is on the file, not memory)
MAX_CATEGORY = 1 << 15
CHUNK = 8 << 20
SQLITE_MAGIC = b"SQLite format 3\x00"
NO_CATEGORY = -1


class HashSetRefused(UserError):
    """A hash-set file not imported: one line, every malformed line named (up to a bound)."""

    def __init__(self, subject: str, problems: list[str], count: int | None = None) -> None:
        count = len(problems) if count is None else count
        listed = "; ".join(problems)
        more = count - len(problems)
        if more > 0:
            listed += f"; and {more} more"
        noun = "malformed line" if count == 1 else "malformed lines"
        super().__init__(f"{subject}: not imported ({count} {noun}): {listed}")
        self.problems = problems
        self.count = count


@dataclass
class Collected:
    """Digests read from a file, per algorithm, with a category each (-1: none)."""

    digests: dict[str, bytearray] = field(
        default_factory=lambda: {a: bytearray() for a in ALGORITHMS}
    )
    categories: dict[str, list[int]] = field(default_factory=lambda: {a: [] for a in ALGORITHMS})
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    source: str | None = None  # what the file says it is (NSRL release)
    # Called between chunks of a text file (``read_spilled``): may take the digests collected
    # so far out of ``digests`` (into a sorted run on a spool), so memory stays bounded.
    spill: Callable[[Collected], None] | None = None

    def problem(self, where: str, what: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(f"{where}: {what}")


@dataclass(frozen=True)
class Digests:
    """One algorithm's digests, sorted and unique, with their categories (-1: none)."""

    algorithm: str
    values: np.ndarray  # dtype S<width>, sorted
    categories: np.ndarray | None  # int32, aligned with values; None when no entry has one

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Parsed:
    format: str
    sets: tuple[Digests, ...]  # one per algorithm present
    source: str | None

    @property
    def total(self) -> int:
        return sum(len(d) for d in self.sets)


Report = Callable[[int], None]  # bytes read so far


def detect(path: Path) -> str:
    """The format of ``path`` from its first bytes (``--format`` overrides)."""
    with _opened(path) as fh:
        head = fh.read(4096)
    if head.startswith(SQLITE_MAGIC):
        return "nsrl"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{") or text.startswith(b"["):
        return "vics"
    if text.startswith(b"%%%% HASHDEEP"):
        return "hashdeep"
    return "plain"


def read(path: Path, fmt: str, cancel: CancelToken, report: Report) -> Parsed:
    """Read ``path`` as ``fmt``; ``HashSetRefused`` / ``UserError`` (one line) if it is not one."""
    if fmt not in FORMATS:
        raise UserError(f"unknown hash-set format {fmt!r} (known: {', '.join(FORMATS)})")
    size = _checked_file(path, fmt)
    if fmt == "nsrl":
        got = _read_nsrl(path, cancel)
    elif fmt == "vics":
        got = _read_vics(path.name, file_chunks(path, size), cancel, report)
    elif fmt == "pdq":
        got = _read_pdq(path, cancel, report)
    else:
        got = _read_lines(path, fmt, cancel, report)
    return _parsed(path.name, fmt, got)


# formats ``read_spilled`` reads: the text lists, NSRL's rows and VICS JSON (with categories)
SPILLED = ("plain", "hashdeep", "pdq", "nsrl", "vics")
NSRL_ROWS = 65536  # rows read between spills (~4.5 MiB of raw digests)


def read_spilled(
    path: Path, fmt: str, cancel: CancelToken, report: Report, spill: Callable[[Collected], None]
) -> Collected:
    """Read a text list or an NSRL database (``SPILLED`` formats) as ``read`` does, handing the
    digests collected so far to ``spill`` between chunks (NSRL: every ``NSRL_ROWS`` rows; it
    empties what it takes, the rest is in the ``Collected`` returned); the file is refused as
    ``read`` refuses it, after the whole of it was read. The caller sorts and merges the runs
    (``matching.hashsets``: on a sealed spool)."""
    if fmt not in SPILLED:
        raise UserError(f"{fmt} hash sets are not read in runs (only {', '.join(SPILLED)})")
    size = _checked_file(path, fmt)
    got = Collected(spill=spill)
    if fmt == "nsrl":
        got = _read_nsrl(path, cancel, got)
    elif fmt == "vics":
        got = _read_vics(path.name, file_chunks(path, size), cancel, report, got)
    elif fmt == "pdq":
        got = _read_pdq(path, cancel, report, got)
    else:
        got = _read_lines(path, fmt, cancel, report, got)
    if got.problem_count:
        raise HashSetRefused(path.name, got.problems, got.problem_count)
    return got


def sorted_unique(algorithm: str, raw: bytes | bytearray | memoryview) -> memoryview:
    """Digests of ``algorithm`` (concatenated) sorted, repeats dropped, as ``_finish`` does:
    their bytes, without a copy more than the sort's and the drop's."""
    import numpy as np

    values = np.sort(np.frombuffer(raw, dtype=f"S{ALGORITHMS[algorithm][1]}"))
    keep = np.concatenate(([True], values[1:] != values[:-1]))
    return memoryview(values[keep].view(np.uint8).data)


def read_vics_bytes(name: str, data: bytes) -> Parsed:
    """VICS JSON held in memory (a set the tests export), read as a file is."""
    got = _read_vics(name, _bounded(name, iter([data])), CancelToken(), lambda _: None)
    return _parsed(name, "vics", got)


def read_vics_chunks(
    name: str,
    chunks: Iterator[bytes],
    cancel: CancelToken,
    report: Report,
    spill: Callable[[Collected], None] | None = None,
) -> Collected:
    """VICS JSON from ``chunks`` (a partner's set read from a bundle, never written in clear),
    read as ``read_spilled`` reads a file (``spill``: handed the digests every ``VICS_SPILL``
    entries); more than ``MAX_JSON`` bytes refuse it."""
    got = _read_vics(name, _bounded(name, chunks), cancel, report, Collected(spill=spill))
    if got.problem_count:
        raise HashSetRefused(name, got.problems, got.problem_count)
    return got


def _bounded(name: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        done += len(chunk)
        if done > MAX_JSON:
            raise UserError(f"{name}: larger than {MAX_JSON} bytes; nothing imported")
        yield chunk


def parsed_from(name: str, fmt: str, got: Collected) -> Parsed:
    """Digests collected elsewhere (a case's confirmed items) sorted as a file's are."""
    return _parsed(name, fmt, got)


def _parsed(name: str, fmt: str, got: Collected) -> Parsed:
    if got.problem_count:
        raise HashSetRefused(name, got.problems, got.problem_count)
    sets = tuple(d for d in (_finish(a, got) for a in ALGORITHMS) if d is not None)
    if got.problem_count:  # conflicting categories, found while sorting
        raise HashSetRefused(name, got.problems, got.problem_count)
    if not sets:
        raise UserError(f"{name}: no digests found; nothing imported")
    return Parsed(fmt, sets, got.source)


def entries_digest(parsed: Parsed) -> str:
    """SHA-256 over the entries as stored: per algorithm (in ``ALGORITHMS`` order) its code,
    count, the sorted digests, then their categories (int32 little-endian)."""
    h = hashlib.sha256()
    for d in parsed.sets:
        h.update(f"{d.algorithm}:{len(d)}\n".encode())
        h.update(d.values.tobytes())
        if d.categories is not None:
            h.update(d.categories.astype("<i4").tobytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with _opened(path) as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


# --- whole-file checks -------------------------------------------------------------------


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[io.BufferedReader]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        yield fh


def _checked_file(path: Path, fmt: str) -> int:
    with _opened(path) as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{path}: not a regular file")
        head = fh.read(len(SQLITE_MAGIC))
    limit = {"vics": MAX_JSON, "nsrl": None}.get(fmt, MAX_TEXT)
    if limit is not None and st.st_size > limit:
        raise UserError(
            f"{path.name}: {st.st_size:,} bytes, more than a {fmt} hash set may be "
            f"({limit:,}); nothing imported"
        )
    # A file with holes is never an export from a hash-set tool (and reading a 2 GB hole
    # would only find zeros): refused before it is read.
    if st.st_size > (1 << 20) and st.st_blocks * 512 < st.st_size // 2:
        raise UserError(
            f"{path.name}: a sparse file (mostly holes), not a hash set; nothing imported"
        )
    if fmt == "nsrl" and head != SQLITE_MAGIC:
        raise UserError(
            f"{path.name}: not an NSRL RDS file (not an SQLite database); nothing imported"
        )
    if fmt != "nsrl" and head == SQLITE_MAGIC:
        raise UserError(
            f"{path.name}: an SQLite database, not a {fmt} file (use --format nsrl); "
            "nothing imported"
        )
    return st.st_size


# --- plain and hashdeep ------------------------------------------------------------------


def _lines(
    path: Path,
    cancel: CancelToken,
    report: Report,
    got: Collected,
    bare: dict[str, bytearray] | None = None,
) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its ending) of a text file: LF, CRLF and CR alike; UTF-16
    with a BOM decoded; a line over ``MAX_LINE`` is reported and skipped, never kept."""
    with _opened(path) as fh:
        head = fh.read(4)
        fh.seek(0)
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            text = io.TextIOWrapper(fh, encoding="utf-16", errors="replace", newline=None)
            for n, decoded in enumerate(text, 1):
                if n % 65536 == 0:
                    cancel.check()
                    if got.spill is not None:
                        got.spill(got)
                yield n, decoded.rstrip("\n").encode("utf-8", "replace")
            return
        n = 0
        carry = b""
        long_line = False  # inside a line already reported too long
        done = 0
        first = True
        while chunk := fh.read(CHUNK):
            cancel.check()
            if got.spill is not None:
                got.spill(got)
            done += len(chunk)
            report(done)
            if first:
                first = False
                if chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8) :]
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    raise UserError(
                        f"{path.name}: binary data at byte {nul}, not a text hash list; "
                        "nothing imported"
                    )
            buf = carry + chunk
            end = max(buf.rfind(b"\n"), buf.rfind(b"\r"))
            if end == len(buf) - 1 and buf[end:] == b"\r":
                end = max(buf.rfind(b"\n", 0, end), buf.rfind(b"\r", 0, end))  # maybe CR LF
            if end < 0:
                carry = buf
            else:
                carry = buf[end + 1 :]
                block = buf[: end + 1].splitlines()
                if bare is not None and not long_line and _bare_digests(block, bare):
                    n += len(block)
                    continue
                for line in block:
                    n += 1
                    if long_line:
                        long_line = False
                        continue  # the rest of the line reported
                    if len(line) > MAX_LINE:
                        got.problem(f"line {n}", f"longer than {MAX_LINE} bytes")
                        continue
                    yield n, line
            if len(carry) > MAX_LINE:
                if not long_line:
                    got.problem(f"line {n + 1}", f"longer than {MAX_LINE} bytes")
                long_line = True
                carry = b""
        if carry and not long_line:
            for line in carry.splitlines():
                n += 1
                yield n, line


def _bare_digests(block: list[bytes], digests: dict[str, bytearray]) -> bool:
    """A block of lines that are all bare digests of one length (a plain list as tools write
    it) taken in one step: one C call checks every hex digit. False: read it line by line."""
    if not block:
        return True
    width = len(block[0])
    algorithm = _BY_HEX.get(width)
    if algorithm is None or any(len(line) != width for line in block):
        return False
    try:
        digests[algorithm] += binascii.unhexlify(b"".join(block))
    except (binascii.Error, ValueError):
        return False
    return True


def _read_lines(
    path: Path, fmt: str, cancel: CancelToken, report: Report, got: Collected | None = None
) -> Collected:
    got = Collected() if got is None else got
    digests = got.digests
    unhex = binascii.unhexlify
    columns: list[str] | None = None  # hashdeep: the %%%% column names
    for n, line in _lines(path, cancel, report, got, digests if fmt == "plain" else None):
        if fmt == "hashdeep":
            if line.startswith(b"%%%%"):
                columns = _hashdeep_header(line, n, columns, got)
                continue
            if line.startswith(b"##") or not line.strip():
                continue
            if not columns:  # no header, or no column list yet: said once
                got.problem(f"line {n}", "a file line before the %%%% HASHDEEP-1.0 header")
                columns = _REPORTED
                continue
            _hashdeep_line(line, n, columns, got)
            continue
        parts = line.split(None, 1)
        if not parts or parts[0].startswith(b"#"):
            continue
        token = parts[0].removeprefix(b"\\")
        algorithm = _BY_HEX.get(len(token))
        if algorithm is None:
            got.problem(
                f"line {n}",
                f"{_shown(token)} is not an MD5, SHA-1 or SHA-256 digest ({len(token)} characters)",
            )
            continue
        try:
            digests[algorithm] += unhex(token)
        except (binascii.Error, ValueError):
            got.problem(f"line {n}", f"{_shown(token)} is not hexadecimal")
    if fmt == "hashdeep" and columns is None:
        got.problem("line 1", "no %%%% HASHDEEP-1.0 header (use --format plain for a digest list)")
    return got


def _read_pdq(
    path: Path, cancel: CancelToken, report: Report, got: Collected | None = None
) -> Collected:
    got = Collected() if got is None else got
    for n, line in _lines(path, cancel, report, got):
        parts = line.split(None, 1)
        if not parts or parts[0].startswith(b"#"):
            continue
        token, _, quality = parts[0].partition(b",")
        raw = _digest(token, "pdq")
        if raw is None:
            got.problem(f"line {n}", f"{_shown(token)} is not a PDQ hash (64 hex digits)")
            continue
        if quality and not (quality.isdigit() and int(quality) <= MAX_QUALITY):
            got.problem(f"line {n}", f"quality {_shown(quality)} is not a number 0-100")
            continue
        got.digests["pdq"] += raw
    return got


_HASHDEEP_COLUMNS = {"size", "md5", "sha1", "sha256", "tiger", "whirlpool", "filename"}
_REPORTED = ["(reported)"]  # a header already found wrong: its lines are not read


def _hashdeep_header(
    line: bytes, n: int, columns: list[str] | None, got: Collected
) -> list[str] | None:
    text = line[4:].strip().decode("ascii", "replace")
    if text.upper().startswith("HASHDEEP-"):
        if text != "HASHDEEP-1.0":
            got.problem(f"line {n}", f"unknown hashdeep version {_shown(text.encode())}")
        return columns or []
    names = [c.strip().lower() for c in text.split(",")]
    unknown = [c for c in names if c not in _HASHDEEP_COLUMNS]
    if unknown or not names or names[-1] != "filename" or not set(names) & set(ALGORITHMS):
        got.problem(f"line {n}", f"not a hashdeep column list ({_shown(line[4:].strip())})")
        return _REPORTED
    return names


def _hashdeep_line(line: bytes, n: int, columns: list[str], got: Collected) -> None:
    if columns is _REPORTED:
        return
    fields = line.split(b",", len(columns) - 1)
    if len(fields) != len(columns):
        got.problem(f"line {n}", f"{len(fields)} fields, the header names {len(columns)}")
        return
    for name, value in zip(columns, fields, strict=True):
        if name == "size":
            if not value.strip().isdigit():
                got.problem(f"line {n}", f"size {_shown(value)} is not a number")
                return
        elif name in ALGORITHMS:
            raw = _digest(value.strip(), name)
            if raw is None:
                got.problem(
                    f"line {n}",
                    f"{name} {_shown(value)} is not {2 * ALGORITHMS[name][1]} hex digits",
                )
                return
            got.digests[name] += raw


# --- VICS JSON ---------------------------------------------------------------------------

_VICS_FIELDS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "PDQ": "pdq"}
# the keys of a media entry that are read (the rest are skipped as they stream past)
_VICS_READ = {"Category", "Media"} | set(_VICS_FIELDS) | {k.lower() for k in _VICS_FIELDS}
_SCALARS = {"string", "number", "boolean", "null"}
_VICS_LOOKUP = tuple(
    (key, key.lower(), algorithm, 2 * ALGORITHMS[algorithm][1])
    for key, algorithm in _VICS_FIELDS.items()
)
JSON_BUFFER = 64 << 10  # bytes handed to the JSON parser at once (its events for them are kept)
MAX_TOKEN = 1 << 20  # a string, number or key longer than this refuses the file
MAX_DEPTH = 32  # a VICS document nests 5 deep (cases, media); more refuses the file
MAX_FIELDS = 1024  # keys of one media entry or case
VICS_SPILL = 65536  # media entries read between spills (and cancel checks)


class _Skipped:
    """A media entry's read field whose value is an object or a list (not read)."""

    def __str__(self) -> str:
        return "(an object or a list)"


_SKIPPED = _Skipped()


def _json_backend() -> Any:
    """ijson's C backend (yajl2_c) when it is built for this platform, else its pure Python."""
    import ijson

    for name in ("yajl2_c", "python"):
        with contextlib.suppress(ImportError, ijson.backends.YAJLImportError):
            return ijson.get_backend(name)
    raise UserError("no JSON stream parser (ijson) is installed")  # pragma: no cover


class _TokenTooLong(Exception):
    pass


class _Feed:
    """The file-like ijson reads: ``chunks`` cut to ``JSON_BUFFER``, a UTF-8 BOM dropped, the
    bytes read counted (``report``) and those read since the parser's last event too: past
    ``MAX_TOKEN`` one token is too long (the parser would hold all of it)."""

    def __init__(self, chunks: Iterator[bytes], report: Report) -> None:
        self.chunks, self.report = chunks, report
        self.rest, self.done, self.since, self.first = b"", 0, 0, True

    def read(self, n: int = -1) -> bytes:
        while not self.rest:
            chunk = next(self.chunks, None)
            if chunk is None:
                return b""
            if self.first:
                self.first = False
                chunk = chunk.removeprefix(codecs.BOM_UTF8)
            self.rest = chunk
        n = JSON_BUFFER if n < 0 else min(n, JSON_BUFFER)
        out, self.rest = self.rest[:n], self.rest[n:]
        self.done += len(out)
        self.since += len(out)
        if self.since > MAX_TOKEN + 2 * JSON_BUFFER:
            raise _TokenTooLong
        self.report(self.done)
        return out


def file_chunks(path: Path, limit: int) -> Iterator[bytes]:
    """A file's bytes in ``JSON_BUFFER`` pieces, at most ``limit`` + 1 of them."""
    with _opened(path) as fh:
        left = limit + 1
        while left > 0 and (chunk := fh.read(min(JSON_BUFFER, left))):
            left -= len(chunk)
            yield chunk


def _read_vics(
    name: str,
    chunks: Iterator[bytes],
    cancel: CancelToken,
    report: Report,
    got: Collected | None = None,
) -> Collected:
    """A VICS document read as a stream of JSON events (ijson's ``basic_parse``: no prefixes,
    which grow with the nesting): only one media entry's read fields are held at a time, the
    digests go into ``got`` (handed to ``got.spill`` every ``VICS_SPILL`` entries). Structural
    problems (syntax, nesting, a token too long, a number Python will not convert, not a VICS
    document) refuse the file at once, one line naming the place; a malformed entry is
    collected, named by its place."""
    got = Collected() if got is None else got
    reader = _VicsReader(name, got, cancel)
    feed = _Feed(chunks, report)
    import ijson

    backend = _json_backend()
    stack, read, scalars, most = reader.stack, _VICS_READ, _SCALARS, MAX_FIELDS
    try:
        for event, value in backend.basic_parse(feed, buf_size=JSON_BUFFER):
            feed.since = 0
            # the fast path (most events): a key, a plain value or the end of a media entry,
            # and the start of one; the same steps as ``reader.event`` takes, fewer calls
            top = stack[-1] if stack else None
            if top is not None and top[1] == "entry":
                if event == "map_key":
                    top[2] += 1
                    top[3] = value
                    if top[2] > most:
                        reader._key(top, value)
                    continue
                if event in scalars:
                    key, entry = top[3], reader.entry
                    if key not in read:
                        pass
                    elif entry is None or key in entry:
                        reader._put(key, value)  # a second one: the entry is malformed
                    elif not reader.entry_bad:
                        entry[key] = value
                    continue
                if event == "end_map":
                    stack.pop()
                    reader._ended(top)
                    continue
            elif (
                event == "start_map"
                and top is not None
                and top[1] in ("value", "media")
                and reader.entry is None
                and len(stack) < MAX_DEPTH
            ):
                top[2] += 1
                reader.entry, reader.entry_bad = {}, False
                stack.append(["map", "entry", 0, None])
                continue
            reader.event(event, value)
    except _TokenTooLong:
        reader.refuse(f"a string, number or key longer than {MAX_TOKEN:,} bytes")
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if reason.startswith("b'") or reason.startswith('b"'):
            reason = reason[2:]
        reader.refuse(reason.split("\\n")[0].rstrip(".").strip())
    except UnicodeDecodeError:
        reader.refuse("not UTF-8")
    except ValueError as exc:  # the parser's int() of more than 4,300 digits, nothing else
        if "integer string conversion" not in str(exc):
            raise
        reader.refuse_number(feed.done)
    except decimal.InvalidOperation:  # the parser's Decimal() of an exponent past its bounds
        reader.refuse_number(feed.done)
    if not reader.seen_value:
        raise UserError(
            f'{name}: not a VICS export (no top-level "value" list of media or cases); '
            "nothing imported"
        )
    return got


class _VicsReader:
    """The VICS structure over JSON events: where in the document the parser is (a stack of
    containers), the media entry being read, the problems found."""

    def __init__(self, name: str, got: Collected, cancel: CancelToken) -> None:
        self.name, self.got, self.cancel = name, got, cancel
        # one frame per open container: [kind, role, index or key count, current key]
        self.stack: list[list[Any]] = []
        self.seen_value = False
        self.entries = 0
        self.case = -1  # index in value of the case whose Media are read
        self.entry: dict[str, Any] | None = None  # the media entry (or case) being read
        self.entry_bad = False  # a problem of the entry found while it was read

    # where the parser is, as a refusal names it
    def place(self) -> str:
        parts = []
        for kind, role, n, key in self.stack:
            if role == "top":
                parts.append(f"{key}" if key is not None else "")
            elif kind == "array" and role in ("value", "media"):
                parts.append(f"[{max(n - 1, 0)}]")
            elif role in ("entry", "case") and key is not None:
                parts.append(f".{key[:80]}" + ("..." if len(key) > 80 else ""))
        where = "".join(parts)
        return where[:200] or "the top level"

    def refuse(self, why: str) -> None:
        raise UserError(
            f"{self.name}: not valid VICS JSON ({safe(why[:120])} at {safe(self.place())}); "
            "nothing imported"
        ) from None

    def refuse_number(self, done: int) -> None:
        """yajl2_c raises the number's conversion error before the events parsed before it in
        the same read are handed over: the place known is the last one handed over (the number
        is after it), the bytes read bound where it is."""
        where = self.place()
        after = f", after {safe(where)}" if where != "the top level" else ""
        raise UserError(
            f"{self.name}: not valid VICS JSON (a number too long or out of range before byte "
            f"{done:,}{after}); nothing imported"
        ) from None

    def _where(self, frame: int = -1) -> str:
        """The place of the media entry (or case) whose frame is ``stack[frame]``: the innermost
        by default, the one enclosing the frame being read with ``-2``."""
        _, role, n, _ = self.stack[frame]
        if role == "media":
            return f"value[{self.case}].Media[{n - 1}]"
        return f"value[{n - 1}]"

    def event(self, event: str, value: Any) -> None:
        stack = self.stack
        if event in ("start_map", "start_array"):
            if len(stack) >= MAX_DEPTH:
                self.refuse(f"nested more than {MAX_DEPTH} deep")
            self._value_starts()
            kind = "map" if event == "start_map" else "array"
            role = self._role(kind)
            stack.append([kind, role, 0, None])
            return
        if event in ("end_map", "end_array"):
            frame = stack.pop()
            self._ended(frame)
            return
        if event == "map_key":
            frame = stack[-1]
            frame[2] += 1
            frame[3] = value
            if frame[1] in ("entry", "case"):
                self._key(frame, value)
            return
        self._value_starts()
        self._scalar(value)

    def _value_starts(self) -> None:
        """A value begins in the innermost container: count it (arrays) or check it."""
        if not self.stack:
            return
        frame = self.stack[-1]
        if frame[0] == "array":
            frame[2] += 1

    def _role(self, kind: str) -> str:
        """What a container that is starting is in the VICS structure."""
        if not self.stack:
            if kind != "map":
                raise UserError(
                    f'{self.name}: not a VICS export (no top-level "value" list of media or '
                    "cases); nothing imported"
                )
            return "top"
        parent = self.stack[-1]
        _, prole, _, key = parent
        if prole == "top" and len(self.stack) == 1 and key == "value":
            if kind != "array":
                raise UserError(
                    f'{self.name}: not a VICS export (no top-level "value" list of media or '
                    "cases); nothing imported"
                )
            if self.seen_value:
                self.refuse('a second "value" key')
            self.seen_value = True
            return "value"
        if prole in ("value", "media") and self.entry is None:
            if kind == "map":
                self.entry, self.entry_bad = {}, False
                return "entry"
            self.got.problem(self._where(), "not a media entry (an object)")
            self._counted()
            return "skip"
        if prole == "case" and key == "Media":
            if kind == "array":
                return "media"
            self.got.problem(f"value[{self.case}].Media", "not a list")
            return "skip"
        if prole == "entry" and key in _VICS_READ:
            if key == "Media" and kind == "array" and self.stack[-2][1] == "value":
                self._to_case()
                return "media"
            if key == "Media" and self.stack[-2][1] == "value":
                self._to_case()
                self.got.problem(f"value[{self.case}].Media", "not a list")
                return "skip"
            self._put(key, _SKIPPED)
        return "skip"

    def _to_case(self) -> None:
        """The object being read is a case (it has Media): its media entries follow. A
        ``Media`` read before (not a list: a number, a string, null) is a second one."""
        if self.entry is not None and "Media" in self.entry:
            self.refuse(f'value[{self.stack[-2][2] - 1}] has a second "Media" key')
        frame = self.stack[-1]
        frame[1] = "case"
        self.case = self.stack[-2][2] - 1
        self.entry = None

    def _key(self, frame: list[Any], key: str) -> None:
        if frame[1] == "case":
            if key == "Media":
                self.refuse(f'value[{self.case}] has a second "Media" key')
        elif frame[2] == MAX_FIELDS + 1:
            self._bad(f"more than {MAX_FIELDS} keys")

    def _bad(self, what: str) -> None:
        """The media entry being read is malformed: said once, its fields not read."""
        if not self.entry_bad:
            self.entry_bad = True
            self.got.problem(self._where(-2), what)

    def _put(self, key: str, value: Any) -> None:
        assert self.entry is not None
        if key in self.entry:
            self._bad(f'a second "{key}" key')
        elif not self.entry_bad:
            self.entry[key] = value

    def _scalar(self, value: Any) -> None:
        if not self.stack:
            raise UserError(
                f'{self.name}: not a VICS export (no top-level "value" list of media or cases); '
                "nothing imported"
            )
        _, role, _, key = self.stack[-1]
        if role in ("value", "media"):
            self.got.problem(self._where(), "not a media entry (an object)")
            self._counted()
        elif role == "entry" and key in _VICS_READ:
            self._put(key, value)
        elif role == "top" and key == "value":
            raise UserError(
                f'{self.name}: not a VICS export (no top-level "value" list of media or cases); '
                "nothing imported"
            )

    def _ended(self, frame: list[Any]) -> None:
        _, role, _, _ = frame
        if role == "entry" and self.entry is not None:
            if self.entry_bad:
                pass
            elif "Media" in self.entry and self.stack[-1][1] == "value":
                where = self._where()  # null, a number, a string
                self.got.problem(f"{where}.Media", "not a list")
            elif not _vics_taken(self.entry, self.got):  # where worked out only when shown
                _vics_media(self.entry, self._where(), self.got)
            self.entry = None
            self._counted()
        elif role == "case":
            self.entry = None

    def _counted(self) -> None:
        self.entries += 1
        if self.entries % VICS_SPILL == 0:
            self.cancel.check()
            if self.got.spill is not None:
                self.got.spill(self.got)


_VICS_TAKEN = {key: (algorithm, width) for key, _, algorithm, width in _VICS_LOOKUP}


def _vics_taken(m: dict[str, Any], got: Collected) -> bool:
    """``_vics_media`` of a well-formed entry (an integer ``Category`` or none, the digests
    under their upper-case keys, each a string of its hex digits), in fewer steps: its digests
    taken, True. Anything else (a lower-case key too): nothing taken, False (``_vics_media``
    then reads it, and names what is wrong)."""
    category, found = NO_CATEGORY, []
    for key, value in m.items():
        if key == "Category":
            if value is not None:
                if type(value) is not int or not 0 <= value < MAX_CATEGORY:
                    return False
                category = value
            continue
        if key not in _VICS_TAKEN:
            return False
        if value is None:
            continue
        algorithm, width = _VICS_TAKEN[key]
        if type(value) is not str or len(value) != width:
            return False
        try:
            found.append((algorithm, binascii.unhexlify(value)))
        except (binascii.Error, ValueError):  # not hex, not ASCII
            return False
    if not found:
        return False
    for algorithm, raw in found:
        got.digests[algorithm] += raw
        got.categories[algorithm].append(category)
    return True


def _vics_media(m: Any, where: str, got: Collected) -> None:
    if not isinstance(m, dict):
        got.problem(where, "not a media entry (an object)")
        return
    category = m.get("Category", None)
    if isinstance(category, str) and category.strip().isdigit():
        category = int(category.strip())
    if category is None:
        category = NO_CATEGORY
    elif (
        isinstance(category, bool)
        or not isinstance(category, int)
        or not 0 <= category < MAX_CATEGORY
    ):
        got.problem(where, f"Category {_shown(str(category).encode())} is not a category number")
        return
    found = []
    for key, lower, algorithm, width in _VICS_LOOKUP:
        value = m[key] if key in m else m.get(lower)
        if value is None or value == "":
            continue
        raw = None
        if isinstance(value, str) and len(value) == width:
            with contextlib.suppress(binascii.Error, ValueError):  # not hex, not ASCII
                raw = binascii.unhexlify(value)
        if raw is None:
            got.problem(
                where,
                f"{key} {_shown(str(value).encode('utf-8', 'replace'))} is not {width} hex digits",
            )
            return
        found.append((algorithm, raw))
    if not found:
        got.problem(where, "no MD5, SHA1, SHA256 or PDQ")
        return
    for algorithm, raw in found:
        got.digests[algorithm] += raw
        got.categories[algorithm].append(category)


# --- NSRL RDSv3 ------------------------------------------------------------------------

_NSRL_COLUMNS = ("sha256", "sha1", "md5")


def _read_nsrl(path: Path, cancel: CancelToken, got: Collected | None = None) -> Collected:
    """The FILE table's digests (``got.spill``: handed on every ``NSRL_ROWS`` rows)."""
    got = Collected() if got is None else got
    uri = "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise UserError(f"{path.name}: not an NSRL RDS file ({exc}); nothing imported") from None
    try:
        con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1 << 20)
        con.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 1 << 16)
        for pragma in ("trusted_schema=OFF", "query_only=ON", "mmap_size=0", "cell_size_check=ON"):
            con.execute(f"PRAGMA {pragma}")
        con.set_progress_handler(lambda: 1 if cancel.cancelled else 0, 100_000)
        _check_nsrl_shape(con, path)
        got.source = _nsrl_release(con)
        for n, row in enumerate(con.execute("SELECT sha256, sha1, md5 FROM FILE"), 1):
            if n % NSRL_ROWS == 0 and got.spill is not None:
                got.spill(got)
            for name, value in zip(_NSRL_COLUMNS, row, strict=True):
                raw = _digest(
                    value.encode("ascii", "replace") if isinstance(value, str) else b"", name
                )
                if raw is None:
                    got.problem(
                        f"FILE row {n}",
                        _not_hex(name, str(value).encode("utf-8", "replace")),
                    )
                else:
                    got.digests[name] += raw
    except sqlite3.Error as exc:
        cancel.check()
        raise UserError(
            f"{path.name}: not a readable NSRL RDS database ({safe(str(exc))}); nothing imported"
        ) from None
    finally:
        con.close()
    return got


def _check_nsrl_shape(con: sqlite3.Connection, path: Path) -> None:
    kind = con.execute(
        "SELECT type FROM sqlite_master WHERE name = 'FILE' COLLATE NOCASE"
    ).fetchone()
    columns = {r[1].lower() for r in con.execute("PRAGMA table_info(FILE)")} if kind else set()
    if kind is None or kind[0] != "table" or not set(_NSRL_COLUMNS) <= columns:
        raise UserError(
            f"{path.name}: an SQLite database but not an NSRL RDS (no FILE table with sha256, "
            "sha1 and md5 columns); nothing imported"
        )


def _nsrl_release(con: sqlite3.Connection) -> str | None:
    with contextlib.suppress(sqlite3.Error):
        kind = con.execute("SELECT type FROM sqlite_master WHERE name = 'VERSION'").fetchone()
        if kind and kind[0] == "table":
            row = con.execute("SELECT version FROM VERSION LIMIT 1").fetchone()
            if row and isinstance(row[0], str) and row[0].isprintable() and len(row[0]) < 100:
                return f"NSRL RDS {row[0]}"
    return None


# --- shared --------------------------------------------------------------------------------


def _digest(token: bytes, algorithm: str) -> bytes | None:
    if len(token) != 2 * ALGORITHMS[algorithm][1]:
        return None
    try:
        return binascii.unhexlify(token)
    except (binascii.Error, ValueError):
        return None


def _not_hex(name: str, value: bytes) -> str:
    return f"{name} {_shown(value)} is not {2 * ALGORITHMS[name][1]} hex digits"


def _shown(token: bytes) -> str:
    """An outside token as a finding shows it: decoded, escaped, cut at 80 characters."""
    text = token[:80].decode("utf-8", "replace")
    return "'" + safe(text) + ("..." if len(token) > 80 else "") + "'"


def _finish(algorithm: str, got: Collected) -> Digests | None:
    import numpy as np

    raw = got.digests[algorithm]
    width = ALGORITHMS[algorithm][1]
    if not raw:
        return None
    values = np.frombuffer(bytes(raw), dtype=f"S{width}")
    raw.clear()
    cats = got.categories[algorithm]
    if not cats or all(c == NO_CATEGORY for c in cats):
        values = np.sort(values)  # then adjacent repeats dropped: faster than np.unique
        keep = np.concatenate(([True], values[1:] != values[:-1]))
        return Digests(algorithm, values[keep], None)
    categories = np.asarray(cats, dtype=np.int32)
    order = np.argsort(values, kind="stable")
    values, categories = values[order], categories[order]
    same = values[1:] == values[:-1]
    clash = np.flatnonzero(same & (categories[1:] != categories[:-1]))
    for i in clash[:MAX_LISTED]:
        shown = values[i : i + 1].view(np.uint8).tobytes().hex()
        got.problem(
            f"{algorithm} {shown}",
            f"given categories {categories[i]} and {categories[i + 1]}",
        )
    got.problem_count += max(0, len(clash) - MAX_LISTED)
    keep = np.concatenate(([True], ~same))
    return Digests(algorithm, values[keep], categories[keep])
