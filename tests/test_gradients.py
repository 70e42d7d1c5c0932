"""Gradients of random expressions against two independent oracles.

Property: for every expression hypothesis can build from the ops table (with
plain numbers on either side of an operator, and subexpressions reached by two
paths), ``backward()`` agrees with

* central differences computed by mpmath at 40 or more significant digits, on the
  mpmath re-implementation of each op in tests/oracles.py, written independently
  of autograd/ops.py
  (tolerance 1e-7 relative: the analytic side is a float64 product of a few dozen
  factors, each exact to ~1e-16, and intermediate values are kept below 1e6, so
  1e-7 leaves a wide margin for float error while still catching any wrong rule,
  which is off by O(1));
* PyTorch float64 autograd on the same expression, when torch is installed
  (tolerance 1e-9 relative: both sides are float64, so only rounding differs).
"""

import math

import mpmath
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import MP_REFERENCE, TORCH_REFERENCE

from autograd import OPS, OpError, Value

mpmath.mp.dps = 40


class Reject(Exception):
    """The point is too close to a kink or too large to compare meaningfully."""


def _away_from_kink(f):
    def guarded(a):
        if abs(a) < mpmath.mpf("1e-6"):
            raise Reject
        return f(a)
    return guarded


# The independent mpmath references, with the relus refusing points next to their kink.
MP_OPS = {**MP_REFERENCE, **{name: _away_from_kink(MP_REFERENCE[name])
                             for name in ("relu", "leaky_relu", "abs")}}
BINARY_NAMES = {name for name, op in OPS.items() if op.arity == 2}


def _value(a):
    return a if isinstance(a, Value) else Value(a)


def _method(name):
    return lambda a: getattr(_value(a), name)()


# How a user of Value writes each op: operators, with plain numbers allowed on either
# side (as for PyTorch tensors, so the torch reference serves), and a method of the
# op's name for the rest, which needs a Value first.
VALUE_OPS = {name: (f if name in BINARY_NAMES or name == "neg" else _method(name))
             for name, f in TORCH_REFERENCE.items()}


def _real_only(f):
    # Subexpressions of plain numbers are computed by Python, which may go complex.
    def wrapped(*args):
        r = f(*args)
        if isinstance(r, complex):
            raise Reject
        return r
    return wrapped


REAL_VALUE_OPS = {name: _real_only(f) for name, f in VALUE_OPS.items()}

EXPONENTS = [2, 3, -1, -2, 0.5, 1.5]
BASES = [0.5, 2.0, 3.0]
BINARY = ["add", "sub", "mul", "div", "powv"]
UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "abs", "softplus",
         "log_sigmoid"]


def test_every_op_has_an_oracle():
    missing = set(OPS) - set(MP_OPS)
    assert not missing, f"ops with no independent oracle in this test: {sorted(missing)}"
    assert set(BINARY + UNARY + ["pow", "rpow"]) >= set(MP_OPS)


def expressions(n_vars):
    """Trees: ('var', i) | ('const', c) | (op, child...) | ('shared', op, child)."""
    variable = st.tuples(st.just("var"), st.integers(0, n_vars - 1))
    leaves = st.one_of(
        variable,
        variable,
        st.tuples(st.just("const"), st.sampled_from([-2.0, -0.5, 0.5, 1.0, 3.0])),
    )

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(BINARY), children, children),
            st.tuples(st.sampled_from(UNARY), children),
            st.tuples(st.just("pow"), children, st.sampled_from(EXPONENTS)),
            st.tuples(st.just("rpow"), st.sampled_from(BASES), children),
            # one subexpression used twice: a node reached by two paths
            st.tuples(st.just("shared"), st.sampled_from(["add", "mul", "sub"]), children),
        )

    return st.recursive(leaves, extend, max_leaves=8)


def evaluate(tree, variables, ops, const):
    kind = tree[0]
    if kind == "var":
        return variables[tree[1]]
    if kind == "const":
        return const(tree[1])
    if kind == "shared":
        child = evaluate(tree[2], variables, ops, const)
        return ops[tree[1]](child, child)
    if kind == "pow":
        return ops["pow"](evaluate(tree[1], variables, ops, const), tree[2])
    if kind == "rpow":
        return ops["rpow"](tree[1], evaluate(tree[2], variables, ops, const))
    return ops[kind](*(evaluate(child, variables, ops, const) for child in tree[1:]))


def contains_var(tree, index):
    if tree[0] == "var":
        return tree[1] == index
    return any(isinstance(c, tuple) and contains_var(c, index) for c in tree[1:])


def value_gradients(tree, point):
    xs = [Value(x, f"x{i}") for i, x in enumerate(point)]
    try:
        out = evaluate(tree, xs, REAL_VALUE_OPS, lambda c: c)
        if not isinstance(out, Value):
            raise Reject
        if abs(out.data) > 1e6:
            raise Reject
        out.backward()
    except (OpError, ZeroDivisionError, OverflowError):
        raise Reject from None
    return out.data, [x.grad for x in xs]


def _bounded(mp_ops):
    def guard(f):
        def wrapped(*args):
            r = f(*args)
            if isinstance(r, mpmath.mpc) or abs(r) > 1e6:
                raise Reject
            return r
        return wrapped
    return {name: guard(f) for name, f in mp_ops.items()}


BOUNDED_MP_OPS = _bounded(MP_OPS)


def mpmath_gradients(tree, point):
    def f(*xs):
        return evaluate(tree, list(xs), BOUNDED_MP_OPS, mpmath.mpf)
    value = f(*(mpmath.mpf(x) for x in point))
    grads = []
    for i in range(len(point)):
        order = tuple(1 if j == i else 0 for j in range(len(point)))
        grads.append(mpmath.diff(f, tuple(mpmath.mpf(x) for x in point), order))
    return value, grads


points = st.lists(st.floats(-3, 3, allow_nan=False).filter(lambda x: abs(x) > 1e-3),
                  min_size=3, max_size=3)


@settings(max_examples=150)
@given(expressions(3), points)
def test_gradients_match_mpmath_central_differences(tree, point):
    assume(contains_var(tree, 0) or contains_var(tree, 1) or contains_var(tree, 2))
    try:
        data, grads = value_gradients(tree, point)
        expected_value, expected = mpmath_gradients(tree, point)
    except (Reject, ZeroDivisionError, ValueError):
        assume(False)
    assert math.isclose(data, float(expected_value), rel_tol=1e-9, abs_tol=1e-12)
    for i, (g, e) in enumerate(zip(grads, expected)):
        e = float(e)
        assert abs(g - e) <= 1e-7 * max(1.0, abs(e)), f"d/dx{i}: backward {g}, mpmath {e}"


def _torch_ops():
    global torch
    torch = pytest.importorskip("torch")
    return TORCH_REFERENCE


torch = None


@settings(max_examples=150)
@given(expressions(3), points)
def test_gradients_match_pytorch_float64(tree, point):
    torch_ops = _torch_ops()
    assume(contains_var(tree, 0) or contains_var(tree, 1) or contains_var(tree, 2))
    try:
        data, grads = value_gradients(tree, point)
    except Reject:
        assume(False)
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = evaluate(tree, xs, torch_ops, lambda c: torch.tensor(c, dtype=torch.float64))
    out.backward()
    assert math.isclose(data, out.item(), rel_tol=1e-12, abs_tol=1e-12)
    for i, x in enumerate(xs):
        expected = 0.0 if x.grad is None else x.grad.item()
        assert abs(grads[i] - expected) <= 1e-9 * max(1.0, abs(expected)), \
            f"d/dx{i}: backward {grads[i]}, torch {expected}"


@pytest.mark.parametrize("name", sorted(VALUE_OPS))
def test_each_op_alone_matches_mpmath(name):
    """Every op, on a handful of points inside its domain (no luck of the draw)."""
    op = OPS[name]
    kinked = ("relu", "leaky_relu", "abs")
    samples = [0.3, 0.7, 1.9, 2.5] if name not in kinked else [-1.5, 0.4, 2.0]
    for x in samples:
        if op.arity == 1:
            tree = (name, ("var", 0))
        elif name == "pow":
            tree = ("pow", ("var", 0), 1.5)
        elif name == "rpow":
            tree = ("rpow", 2.0, ("var", 0))
        else:
            tree = (name, ("var", 0), ("shared", "add", ("var", 0)))
        data, grads = value_gradients(tree, [x])
        _, expected = mpmath_gradients(tree, [x])
        assert abs(grads[0] - float(expected[0])) <= 1e-9 * max(1.0, abs(expected[0])), \
            f"{name} at {x}: backward {grads[0]}, mpmath {expected[0]}"
