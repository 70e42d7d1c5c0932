"""The core reads like the lecture: Value first, its implicit ideas named.

- ``class Value`` opens autograd/value.py (micrograd's starts on line 2), and the
  machinery that used to come before it lives in modules named for what it is;
- ``is_leaf`` says what ``not node._prev`` meant, with PyTorch's meaning;
- backward()'s two steps, accumulating into leaves and overwriting inner nodes;
- the docstring examples of the engine's modules run.
"""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import autograd.value
from autograd import OpOverflowError, Value, no_grad
from autograd.value import accumulate_gradients, add_into_leaves, overwrite_inner_nodes

VALUE_PY = Path(autograd.value.__file__)


def test_class_value_is_within_the_first_80_lines_of_value_py():
    tree = ast.parse(VALUE_PY.read_text(encoding="utf-8"))
    (value,) = [node for node in tree.body if isinstance(node, ast.ClassDef)
                and node.name == "Value"]
    assert value.lineno <= 80, value.lineno
    methods = [node.name for node in value.body if isinstance(node, ast.FunctionDef)]
    # data, grad, _prev and _op are set by __init__; backward() follows it closely
    assert methods.index("__init__") == 0 and methods.index("backward") <= 2, methods


@pytest.mark.parametrize("module, names", [
    ("autograd.coercion", ["as_float"]),
    ("autograd.grad_mode", ["no_grad", "is_grad_enabled"]),
    ("autograd.micrograd_compat", ["micrograd_node"]),
])
def test_the_machinery_lives_in_modules_named_for_it(module, names):
    source = VALUE_PY.read_text(encoding="utf-8")
    home = importlib.import_module(module)
    for name in names:
        assert hasattr(home, name)
        assert f"def {name}(" not in source and f"class {name}(" not in source, name


# --- is_leaf: PyTorch's meaning, checked against PyTorch --------------------------------


def _both(x: float, w: float):
    """The same small graph in chainrule and in PyTorch, node for node."""
    xv, wv = Value(x), Value(w)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    pairs = [(xv, xt), (wv, wt)]
    for build in (lambda a, b: a * b, lambda a, b: a + b, lambda a, b: (a * b).tanh()):
        pairs.append((build(xv, wv), build(xt, wt)))
    with no_grad(), torch.no_grad():
        pairs.append((xv * wv, xt * wt))  # made without recording: a leaf in both
    return pairs


@given(st.floats(-3, 3), st.floats(-3, 3))
def test_is_leaf_agrees_with_pytorch(x, w):
    for ours, theirs in _both(x, w):
        assert ours.is_leaf == theirs.is_leaf, (ours, theirs)


def test_is_leaf_is_read_only():
    with pytest.raises(AttributeError):
        Value(1.0).is_leaf = False


# --- backward(): accumulate into leaves, overwrite inner nodes ---------------------------


@given(st.floats(-3, 3), st.floats(-3, 3), st.integers(1, 3))
def test_leaves_accumulate_and_inner_nodes_are_overwritten(x, w, calls):
    a, b = Value(x), Value(w)
    inner = a * b
    out = inner + a
    for _ in range(calls):
        out.backward()
    # by hand: d out/d a = w + 1, d out/d b = x, d out/d inner = 1, per call
    assert a.grad == pytest.approx(calls * (w + 1)) and b.grad == pytest.approx(calls * x)
    assert inner.grad == 1.0 and out.grad == 1.0


def test_the_two_steps_are_named_and_split_leaves_from_inner_nodes():
    a, b = Value(2.0), Value(-3.0)
    a.grad = 10.0
    out = a * b + a
    order = autograd.value.topological_order(out)
    accumulate_gradients(order)
    leaves = overwrite_inner_nodes(order)
    assert set(map(id, leaves)) == {id(a), id(b)}
    add_into_leaves(leaves, order)
    assert (a.grad, b.grad) == (10.0 + (-3.0 + 1.0), 2.0)


def test_an_overflowing_leaf_sum_leaves_every_leaf_grad_as_it_was():
    x, w = Value(1e308, "x"), Value(1.0, "w")
    w.grad = 1.7e308  # its next contribution, x = 1e308, overflows the sum
    y = x * w
    with pytest.raises(OpOverflowError, match="overflows a float"):
        y.backward()
    assert (x.grad, w.grad) == (0.0, 1.7e308)  # x's sum (1.0) was fine, yet is not applied


# --- the docstring examples of the engine's modules ---------------------------------------


@pytest.mark.parametrize("module", ["autograd.value", "autograd.ops", "autograd.coercion",
                                    "autograd.grad_mode", "autograd.micrograd_compat",
                                    "autograd.functional"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
