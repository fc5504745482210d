"""matching and exchange import without cycles and without each other's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("matching", "exchange")


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, "vault")
    found = {
        tuple(sorted((a, b)))
        for a in graph.modules
        if a.split(".")[0] in PACKAGES
        for b in graph.find_modules_directly_imported_by(a)
        if b in graph.modules and graph.chain_exists(importer=b, imported=a)
    }
    assert not found


def test_no_private_names_imported_across_modules() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                    "vault",
                    "matching",
                    "exchange",
                ):
                    found += [
                        f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                        for a in node.names
                        if a.name.startswith("_")
                    ]
    assert not found
