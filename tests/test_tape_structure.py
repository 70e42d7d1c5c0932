"""How the tape's code reads: names that say what a thing is, planner passes that
decide rather than set flags on other objects, no run-time re-checks of the table.

These are checks of the source (with ``ast``) and of what the planner does, not of
numbers: tests/test_tape.py compares the tape's numbers with the scalar engine's."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OPS, Value
from autograd.tape import compile
from autograd.tape.plan import GroupedPlan

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


# --- the + and * fast paths: checked against the table's rows once, here -------------------

FINITE = st.floats(-1e150, 1e150, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(FINITE, FINITE), min_size=1, max_size=8))
def test_the_fused_sum_and_matrix_product_are_the_tables_add_and_mul(pairs):
    """The plan replays chains of the table's ``add`` as one numpy sum and sums of
    ``mul`` products as matrix products, with slopes 1 and (b, a): true only because
    the rows are the plain sum and product, which numpy's own ``+`` and ``*`` check."""
    a, b = np.array(pairs, dtype=float).T
    add, mul = OPS["add"], OPS["mul"]
    assert add.arity == mul.arity == 2 and None not in add.derivatives + mul.derivatives
    assert np.array_equal(add.forward(np, a, b), a + b)
    for rule in add.derivatives:
        assert (np.broadcast_to(rule(np, a + b, a, b), a.shape) == 1.0).all()
    assert np.array_equal(mul.forward(np, a, b), a * b)
    d_a, d_b = (np.broadcast_to(rule(np, a * b, a, b), a.shape) for rule in mul.derivatives)
    assert np.array_equal(d_a, b) and np.array_equal(d_b, a)


def test_planning_does_not_probe_the_tables_add_and_mul(monkeypatch):
    """The plan trusts the check above instead of calling add's and mul's rules on
    probe numbers every time it plans a graph."""
    calls = []

    def counted(name, rule):
        def rule_that_counts(*args):
            calls.append(name)
            return rule(*args)
        return rule_that_counts

    for name in ("add", "mul"):
        op = OPS[name]
        monkeypatch.setitem(OPS, name, dataclasses.replace(
            op, forward=counted(name, op.forward),
            derivatives=tuple(counted(name, rule) for rule in op.derivatives)))
    w = [Value(0.5), Value(-1.5), Value(0.25)]
    graph = compile(lambda x: (w[0] * x[0] + w[1] * x[1] + w[2]).tanh(), ([1.0, 2.0],), w,
                    grouped=False).graph
    calls.clear()
    plan = GroupedPlan(graph)
    assert [group.kind for group in plan.groups] == ["dense", "op"]  # the fusions applied
    assert calls == []
