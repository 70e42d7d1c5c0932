"""How the tape's code reads: names that say what a thing is, planner passes that
decide rather than set flags on other objects, no run-time re-checks of the table.

These are checks of the source (with ``ast``) and of what the planner does, not of
numbers: tests/test_tape.py compares the tape's numbers with the scalar engine's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TAPE = Path(__file__).resolve().parent.parent / "autograd" / "tape"
SOURCES = sorted(TAPE.glob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_tape_name_says_where_for_a_row_description(path):
    """In ops.py ``m.where`` selects; the tape's callback that describes a batch row
    for an error message is ``describe_row``, and nothing in the tape is ``where``."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.arg) and node.arg == "where":
            found.append(f"parameter 'where' at line {node.lineno}")
        elif isinstance(node, ast.Attribute) and node.attr in ("where", "_where") and not (
                isinstance(node.value, ast.Name) and node.value.id in ("np", "m")):
            found.append(f"attribute .{node.attr} at line {node.lineno}")
    assert not found, f"{path.name}: {', '.join(found)}"
