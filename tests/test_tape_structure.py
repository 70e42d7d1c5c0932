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


def _function(path: Path, qualified: str) -> ast.FunctionDef:
    scope = _tree(path)
    for name in qualified.split("."):
        scope = next(node for node in scope.body if getattr(node, "name", None) == name)
    return scope


def test_the_planner_sets_no_attribute_on_an_object_it_does_not_own():
    """The plan's passes return what they decide; a group's flags (whether it reads
    its gradient in place, owns its weights' gradient, writes its edges on demand)
    are the group's own decisions, made in its own methods."""
    outside = []
    for node in ast.walk(_tree(TAPE / "plan.py")):
        targets = (node.targets if isinstance(node, ast.Assign) else [node.target]
                   if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for target in targets:
            for part in ast.walk(target):
                if (isinstance(part, ast.Attribute) and isinstance(part.ctx, ast.Store)
                        and not (isinstance(part.value, ast.Name) and part.value.id == "self")):
                    outside.append(f"{ast.unparse(part)} at line {part.lineno}")
    assert not outside, "plan.py sets attributes of other objects: " + ", ".join(outside)


def test_the_plan_is_built_by_a_short_sequence_of_passes():
    init = _function(TAPE / "plan.py", "GroupedPlan.__init__")
    length = init.end_lineno - init.lineno + 1
    assert length <= 40, f"GroupedPlan.__init__ is {length} lines; name its steps as passes"
