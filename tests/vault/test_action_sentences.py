"""Every audit action the core writes reads as words (audit page, overview, ``custos audit``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from vault.actions import SENTENCES, sentence
from vault.items import CUSTODY_KINDS

REPO = Path(__file__).resolve().parents[2]
DOTTED = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _strings(node: ast.AST, constants: dict[str, str]) -> list[str]:
    """The action names an expression can be: literals, module constants, both branches."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if DOTTED.match(node.value) else []
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) + _strings(node.orelse, constants)
    if isinstance(node, ast.JoinedStr):  # f"custody.{kind}"
        head = node.values[0]
        if isinstance(head, ast.Constant) and head.value == "custody.":
            return [f"custody.{k}" for k in CUSTODY_KINDS]
    return []


def written_actions() -> set[str]:
    found: set[str] = set()
    constants: dict[str, str] = {}
    trees = []
    for layer in ("vault", "matching", "exchange", "service"):
        for path in (REPO / layer).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            trees.append(tree)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)
                    and DOTTED.match(node.value.value)
                ):
                    constants[node.targets[0].id] = node.value.value
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "audit":
                args = node.args[1:2] if len(node.args) > 1 else node.args[:1]
                for arg in args:
                    found.update(_strings(arg, constants))
            elif isinstance(node, ast.Tuple) and len(node.elts) == 3:  # audit_many entries
                found.update(_strings(node.elts[0], constants))
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "refuse_export":
                found.update(_strings(node.args[1], constants) if len(node.args) > 1 else [])
    return found


def test_every_action_the_core_writes_has_a_sentence():
    written = written_actions()
    assert {"item.acquired", "custody.reported", "vault.verified", "bundle.imported"} <= written
    missing = sorted(a for a in written if a not in SENTENCES)
    assert not missing, f"add a sentence to vault/actions.py for {missing}"


def test_an_unknown_action_still_reads_as_words():
    assert sentence("item.acquired") == "Evidence item acquired"
    assert sentence("thing.made_new") == "Thing made new"
    assert "." not in sentence("partner.future_action")
