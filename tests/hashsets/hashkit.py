"""Building hash-set files the way the tools that make them do: an NSRL RDSv3-shaped SQLite
database, Project VIC / CAID VICS JSON, plain digest lists and hashdeep output. Nothing is
downloaded; every digest is the real digest of bytes the test writes (``content``)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from vault.cases import create_case
from vault.session import Session

CASE = "HS-1"


def content(n: int) -> bytes:
    """The bytes of test file ``n`` (distinct for every n)."""
    return f"evidence file number {n}\n".encode() * (n % 7 + 1)


def digests(data: bytes) -> dict[str, str]:
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def write_files(folder: Path, numbers: range | list[int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in numbers:
        path = folder / f"file{n:05d}.bin"
        path.write_bytes(content(n))
        paths.append(path)
    return paths


def plain_list(path: Path, numbers: list[int], algorithm: str = "sha256", eol: str = "\n") -> Path:
    path.write_text(eol.join(digests(content(n))[algorithm] for n in numbers) + eol)
    return path


def hashdeep_file(path: Path, numbers: list[int]) -> Path:
    lines = [
        "%%%% HASHDEEP-1.0",
        "%%%% size,md5,sha256,filename",
        "## Invoked from: /home/analyst",
        "## $ hashdeep -r /cases/known",
        "##",
    ]
    for n in numbers:
        d = digests(content(n))
        lines.append(f"{len(content(n))},{d['md5']},{d['sha256']},/known/dir, with comma/f{n}.bin")
    path.write_text("\n".join(lines) + "\n")
    return path


def vics_doc(numbers: list[int], categories: dict[int, int] | None = None, v1: bool = False) -> Any:
    media = []
    for i, n in enumerate(numbers):
        d = digests(content(n))
        media.append(
            {
                "MediaID": i + 1,
                "Category": (categories or {}).get(n, 1),
                "MD5": d["md5"].upper(),
                "SHA1": d["sha1"].upper(),
                "MediaSize": len(content(n)),
                "DateUpdated": "2026-01-07T02:31:49.8300Z",
                "IsPrecategorized": "true",
                "VictimIdentified": False,
                "Series": "",
            }
        )
    if v1:
        return {
            "odata.metadata": "http://github.com/VICSDATAMODEL/ProjectVic.svc/$metadata#Cases",
            "value": [{"CaseID": 1, "CaseNumber": "X-1", "Media": media}],
        }
    return {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media",
        "value": media,
    }


def vics_file(path: Path, numbers: list[int], **kw: Any) -> Path:
    path.write_text(json.dumps(vics_doc(numbers, **kw), indent=2))
    return path


NSRL_SCHEMA = """
CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL,
 build_date TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL, description VARCHAR NOT NULL);
CREATE TABLE MFG (manufacturer_id INTEGER NOT NULL, name VARCHAR NOT NULL,
 CONSTRAINT PK_MFG__MFG_ID PRIMARY KEY (manufacturer_id));
CREATE TABLE OS (operating_system_id INTEGER, name VARCHAR NOT NULL,
 version VARCHAR NOT NULL, manufacturer_id INTEGER NOT NULL,
 CONSTRAINT PK_OS__OS_ID PRIMARY KEY (operating_system_id, manufacturer_id));
CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL,
 version VARCHAR NOT NULL, operating_system_id INTEGER NOT NULL,
 manufacturer_id INTEGER NOT NULL, language VARCHAR NOT NULL,
 application_type VARCHAR NOT NULL, CONSTRAINT PK_PKG__PKG_ID PRIMARY KEY
 (package_id, operating_system_id, manufacturer_id, language, application_type));
CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
 crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,
 package_id INTEGER NOT NULL, CONSTRAINT PK_FILE__FILE PRIMARY KEY
 (sha256, sha1, md5, crc32, file_name, file_size, package_id));
"""


def nsrl_file(path: Path, numbers: list[int], bad_rows: list[tuple[str, str, str]] = ()) -> Path:
    """An RDSv3-shaped SQLite database: each file in two packages (NSRL repeats hashes)."""
    con = sqlite3.connect(path)
    con.executescript(NSRL_SCHEMA)
    con.execute(
        "INSERT INTO VERSION VALUES "
        "('2026.03.1', 'RDSv3', '2026-03-01', '2026-03-02', 'modern minimal')"
    )
    con.execute("INSERT INTO MFG VALUES (1, 'Example Corp')")
    con.execute("INSERT INTO OS VALUES (1, 'ExampleOS', '11', 1)")
    con.execute("INSERT INTO PKG VALUES (1, 'Suite', '1.0', 1, 1, 'English', 'Utility')")
    con.execute("INSERT INTO PKG VALUES (2, 'Suite', '2.0', 1, 1, 'English', 'Utility')")
    for n in numbers:
        d = digests(content(n))
        for pkg in (1, 2):
            con.execute(
                "INSERT INTO FILE VALUES (?, ?, ?, '00000000', ?, ?, ?)",
                (
                    d["sha256"].upper(),
                    d["sha1"].upper(),
                    d["md5"].upper(),
                    f"f{n}.dll",
                    len(content(n)),
                    pkg,
                ),
            )
    for sha256, sha1, md5 in bad_rows:
        con.execute("INSERT INTO FILE VALUES (?, ?, ?, '0', 'bad.dll', 1, 1)", (sha256, sha1, md5))
    con.commit()
    con.close()
    return path


def new_case(session: Session, reference: str = CASE, hash_sets: bool = True) -> str:
    create_case(session, reference, "Known files", ["cybercrime"], hash_sets=hash_sets)
    return reference
