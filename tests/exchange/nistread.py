"""A small, independent reader of ANSI/NIST-ITL traditional encoding, to check what we write.

It trusts nothing it reads: each record's LEN must land exactly on its FS, every tag must
belong to the record's type, field numbers must ascend, and a Type-10's DAT must be last.
"""

from __future__ import annotations

from dataclasses import dataclass

FS, GS, RS, US = 0x1C, 0x1D, 0x1E, 0x1F


@dataclass
class Record:
    rtype: int
    length: int
    fields: dict[int, bytes]

    def text(self, number: int) -> str:
        return self.fields[number].decode("utf-8")

    def items(self, number: int) -> list[list[str]]:
        return [sub.split("\x1f") for sub in self.text(number).split("\x1e")]


def _record(data: bytes, start: int) -> Record:
    colon = data.index(b":", start)
    rtype_s, _, number = data[start:colon].decode("ascii").partition(".")
    assert number == "001", f"record at {start} does not start with its LEN field"
    rtype = int(rtype_s)
    length = int(data[colon + 1 : data.index(bytes([GS]), colon)].decode("ascii"))
    body = data[start : start + length]
    assert len(body) == length, "record shorter than its LEN"
    assert body[-1] == FS, f"Type-{rtype} record: LEN {length} does not end on FS"
    fields: dict[int, bytes] = {}
    pos, last = 0, 0
    while pos < length:
        colon = body.index(b":", pos)
        tag_type, _, tag_num = body[pos:colon].decode("ascii").partition(".")
        assert int(tag_type) == rtype, f"tag {tag_type}.{tag_num} inside a Type-{rtype} record"
        num = int(tag_num)
        assert num > last, f"Type-{rtype}: field {num} after {last}"
        last = num
        if rtype == 10 and num == 999:
            fields[num] = body[colon + 1 : length - 1]  # binary, up to the record's FS
            pos = length
            break
        end = colon + 1
        while body[end] not in (GS, FS):
            end += 1
        fields[num] = body[colon + 1 : end]
        pos = end + 1
        if body[end] == FS:
            assert pos == length, f"Type-{rtype}: FS before the end of the record"
    assert pos == length
    return Record(rtype, length, fields)


def read_transaction(data: bytes) -> list[Record]:
    records, pos = [], 0
    while pos < len(data):
        rec = _record(data, pos)
        records.append(rec)
        pos += rec.length
    assert pos == len(data)
    return records
