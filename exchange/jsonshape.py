"""JSON from outside Custos, read strictly and checked against a declared shape in one place.

A bundle's ``custos-bundle.json`` and a partner's key card are read before any signature is
checked, so nothing in them is trusted. ``load`` refuses what JSON readers disagree on or what
costs memory or recursion: a byte-order mark, bytes that are not UTF-8, duplicate keys, NaN and
Infinity, numbers of more than ``MAX_DIGITS`` digits or out of a float's range, lone surrogates,
nesting deeper than ``MAX_DEPTH``. ``check`` then compares the value with a shape built from
``Obj``, ``Arr``, ``Text``, ``Whole`` and ``Flag`` (types, required keys, lengths, counts) and
lists every finding as ``<where>: <json path>: <what>``. Keys a shape does not name are ignored
(they are never read; the file's size bound covers them). Only values that passed are used.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

MAX_DEPTH = 16
MAX_DIGITS = 20
MAX_FINDINGS = 20
_BOM = b"\xef\xbb\xbf"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class ShapeError(ValueError):
    """JSON that cannot be read safely; the message is one line naming the file and what."""


@dataclass(frozen=True)
class Text:
    """A string of at most ``max`` characters, matching ``pattern`` and one of ``choices`` when
    given. Names and identifiers hold no control character or line separator; ``free`` text
    (a description, a contact) may, and every face shows it escaped (``cli.common.safe``)."""

    max: int = 1024
    null: bool = False
    free: bool = False
    pattern: str | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Whole:
    """A whole number from 0 to ``max`` (true and false are not numbers)."""

    max: int
    null: bool = False


@dataclass(frozen=True)
class Flag:
    null: bool = False


@dataclass(frozen=True)
class Arr:
    of: Shape
    max: int
    null: bool = False


@dataclass(frozen=True)
class Obj:
    fields: Mapping[str, Shape]
    required: tuple[str, ...] = ()
    null: bool = False


Shape: TypeAlias = Text | Whole | Flag | Arr | Obj


class _Refused(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Refused(f"duplicate key {key[:64]!r} (readers disagree on which one counts)")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(f"a number of more than {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {text[:32]} out of range")
    return value


def load(data: bytes, where: str, limit: int) -> Any:
    """Parse ``data`` strictly (see the module's docstring); ``ShapeError`` names what is wrong."""
    if len(data) > limit:
        raise ShapeError(f"{where}: larger than {limit} bytes")
    if data.startswith(_BOM):
        raise ShapeError(f"{where}: starts with a byte-order mark (plain UTF-8 expected)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ShapeError(f"{where}: not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=_int,
            parse_float=_float,
        )
    except _Refused as exc:
        raise ShapeError(f"{where}: {exc.what}") from None
    except RecursionError:
        raise ShapeError(f"{where}: nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise ShapeError(f"{where}: not JSON ({exc.msg}, line {exc.lineno})") from None
    _scan(value, where)
    return value


def _scan(value: Any, where: str) -> None:
    """Depth and lone surrogates (``\\ud800`` escapes decode to strings UTF-8 cannot hold)."""
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise ShapeError(f"{where}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            todo.extend((k, depth + 1) for k in node)
            todo.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node)
        elif isinstance(node, str) and _SURROGATE.search(node):
            raise ShapeError(f"{where}: text holds a lone surrogate (not Unicode text)")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _text(value: Any, shape: Text) -> str | None:
    if not isinstance(value, str):
        return f"expected text, found {_kind(value)}"
    if len(value) > shape.max:
        return f"longer than {shape.max} characters"
    if not shape.free and _CONTROL.search(value):
        return "control character in text"
    if shape.pattern is not None and not re.fullmatch(shape.pattern, value):
        return f"{value[:80]!r} is not of the expected form"
    if shape.choices and value not in shape.choices:
        return f"{value[:80]!r} is not {' or '.join(shape.choices)}"
    return None


Todo: TypeAlias = deque[tuple[Any, Shape, str]]


def _one(value: Any, shape: Shape, at: str, findings: list[str], todo: Todo) -> None:
    if value is None and shape.null:
        return
    what: str | None = None
    if isinstance(shape, Text):
        what = _text(value, shape)
    elif isinstance(shape, Whole):
        if not isinstance(value, int) or isinstance(value, bool):
            what = f"expected a whole number, found {_kind(value)}"
        elif not 0 <= value <= shape.max:
            what = f"expected a whole number from 0 to {shape.max}"
    elif isinstance(shape, Flag):
        if not isinstance(value, bool):
            what = f"expected true or false, found {_kind(value)}"
    elif isinstance(shape, Arr):
        if not isinstance(value, list):
            what = f"expected a list, found {_kind(value)}"
        elif len(value) > shape.max:
            what = f"more than {shape.max} entries"
        else:
            todo.extend((v, shape.of, f"{at}[{n}]") for n, v in enumerate(value))
    elif not isinstance(value, dict):
        what = f"expected an object, found {_kind(value)}"
    else:
        dot = f"{at}." if at else ""
        for key in shape.required:
            if key not in value:
                findings.append(f"{dot}{key}: missing")
        todo.extend(
            (value[key], sub, f"{dot}{key}") for key, sub in shape.fields.items() if key in value
        )
    if what is not None:
        findings.append(f"{at}: {what}" if at else what)


def check(value: Any, shape: Shape, where: str) -> list[str]:
    """Every way ``value`` differs from ``shape`` (at most ``MAX_FINDINGS``, then a count), each
    prefixed with ``where`` unless it is empty."""
    findings: list[str] = []
    todo: Todo = deque([(value, shape, "")])
    while todo:
        _one(*todo.popleft(), findings, todo)
    if len(findings) > MAX_FINDINGS:
        findings[MAX_FINDINGS:] = [f"{len(findings) - MAX_FINDINGS} more problems of shape"]
    return [f"{where}: {f}" for f in findings] if where else findings


def read(data: bytes, shape: Shape, where: str, limit: int) -> tuple[Any, list[str]]:
    """(value, findings): ``load`` then ``check``; the value is None unless findings is empty."""
    try:
        value = load(data, where, limit)
    except ShapeError as exc:
        return None, [str(exc)]
    findings = check(value, shape, where)
    return (None if findings else value), findings
