"""The faces (``cli``, ``desktop``) parse, call the core and present: no permission check, no
database session, no audit entry of their own. (SQL and table models are kept out of them by
the import-linter contract "Faces hold no SQL" in ``pyproject.toml``.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "a permission check": re.compile(r"\.require\(|@requires\b"),
    "a database session": re.compile(r"\.db\(\)|\.transaction\(\)"),
    "an audit entry": re.compile(r"\.audit\(|\.audit_many\("),
    "a vault opened without the opener": re.compile(r"from vault\.session import .*\bunlock\b"),
}


def test_faces_hold_no_permission_check_no_database_session_and_no_audit() -> None:
    found = []
    for face in ("cli", "desktop"):
        for path in sorted((ROOT / face).rglob("*.py")):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                for what, pattern in FORBIDDEN.items():
                    if pattern.search(line):
                        found.append(f"{path.relative_to(ROOT)}:{n}: {what}: {line.strip()}")
    assert found == []
