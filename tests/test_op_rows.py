"""The table is the only home of an op.

- Value's plain op methods are made from the rows (the dunders stay written out);
- a row takes its fields by name;
- the Value math namespace is lifted from the scalar one, with no probe;
- a row's domain check raises the row's own error;
- the ``+`` and ``*`` short paths give their rows' values and gradients.
"""

from __future__ import annotations

import ast
import inspect
import math
from pathlib import Path

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd.ops
import autograd.value
from autograd import (
    OPS,
    SCALAR_MATH,
    Op,
    OpDomainError,
    OpError,
    OpOverflowError,
    Value,
    grad,
    local_derivatives,
    register_op,
    unregister_op,
)
from autograd.functional import VALUE_MATH
from autograd.strategies import op_inputs

METHOD_ROWS = sorted(name for name, op in OPS.items() if op.is_method)
FINITE = st.floats(-1e6, 1e6, allow_nan=False)


def _cube() -> Op:
    return Op(name="cube_row_test", symbol="cube_row_test", arity=1,
              forward=lambda m, a: a * a * a,
              derivatives=(lambda m, out, a: 3.0 * a * a,), formulas=("3*a**2",))


# --- op methods come from the rows ---------------------------------------------------------


def test_every_row_written_as_a_call_is_a_method_and_the_rest_are_operators():
    assert METHOD_ROWS  # tanh, exp, relu, ..., clamp
    for name, op in OPS.items():
        method = getattr(Value, name, None)
        if op.is_method:
            assert method is not None and method.row is op and name in dir(Value), name
        else:  # add, mul, pow ...: written as +, *, ** and reached through the dunders
            assert op.infix or op.prefix


def test_no_op_method_is_written_by_hand_in_value_py():
    tree = ast.parse(Path(autograd.value.__file__).read_text(encoding="utf-8"))
    (value,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Value"]
    written = {n.name for n in value.body if isinstance(n, ast.FunctionDef)}
    assert not written & set(OPS), sorted(written & set(OPS))


@pytest.mark.parametrize("name", METHOD_ROWS)
def test_a_method_gives_its_rows_value_and_gradient(name):
    op = OPS[name]

    @given(op_inputs(name))
    def check(xs):
        leaves = [Value(x) for x in xs]
        out = getattr(leaves[0], name)(*xs[1:])  # operands after self may be plain numbers
        assert out._op == name and out.data == op.forward(SCALAR_MATH, *xs)
        first = Value(xs[0])
        getattr(first, name)(*xs[1:]).backward()
        rule = op.derivatives[0]
        assert first.grad == pytest.approx(rule(SCALAR_MATH, out.data, *xs), rel=1e-12)

    check()


@pytest.mark.parametrize("name", METHOD_ROWS)
def test_a_methods_help_is_written_from_its_row(name):
    op, method = OPS[name], getattr(Value, name)
    parameters = list(inspect.signature(method).parameters)
    assert parameters[0] == "self" and len(parameters) == op.arity
    for formula in op.formulas:
        if formula is not None:
            assert formula in method.__doc__, (name, formula)
    assert f"OPS[{name!r}]" in method.__doc__


def test_a_registered_row_becomes_a_method_until_it_is_unregistered():
    register_op(_cube())
    try:
        x = Value(2.0)
        y = x.cube_row_test()
        y.backward()
        assert (y.data, x.grad) == (8.0, 12.0) and "cube_row_test" in dir(Value)
    finally:
        unregister_op("cube_row_test")
    assert not hasattr(Value, "cube_row_test")


def test_a_row_named_like_a_value_attribute_is_refused_and_not_registered():
    clash = Op(name="backward", symbol="backward", arity=1, forward=lambda m, a: a,
               derivatives=(lambda m, out, a: 1.0,), formulas=("1",))
    with pytest.raises(ValueError, match="Value already has an attribute 'backward'"):
        register_op(clash)
    assert "backward" not in OPS and Value.backward.__qualname__ == "Value.backward"


# --- rows take named fields ------------------------------------------------------------------


def test_a_row_takes_its_fields_by_name_only():
    with pytest.raises(TypeError, match=r"takes its fields by name, e\.g\. Op\(name='tanh'"):
        Op("cube", "cube", 1, lambda m, a: a ** 3, (lambda m, out, a: 3 * a * a,), ("3*a**2",))
    kinds = {p.kind for name, p in inspect.signature(Op).parameters.items()}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}


def test_the_table_source_passes_no_row_field_by_position():
    tree = ast.parse(Path(autograd.ops.__file__).read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "Op"]
    assert len(calls) == len(OPS) and all(not call.args for call in calls)


# --- the Value namespace is lifted from the scalar one ------------------------------------


def test_value_math_is_the_scalar_namespace_lifted():
    assert set(vars(VALUE_MATH)) == set(vars(SCALAR_MATH))
    x = Value(0.3)
    for name in vars(SCALAR_MATH):
        op = OPS.get(name)
        if op is not None and op.is_method:
            operands = [x, 0.1][:op.arity]
            built = getattr(VALUE_MATH, name)(*operands)
            plain = getattr(VALUE_MATH, name)(*[0.3, 0.1][:op.arity])
            assert built._op == name and built.data == plain, name
    assert VALUE_MATH.power(x, 2.0)._op == "pow" and VALUE_MATH.power(2.0, x)._op == "rpow"


def test_no_rule_probes_which_namespace_it_was_given():
    source = Path(autograd.ops.__file__).read_text(encoding="utf-8")
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "hasattr"]
    assert not calls


@pytest.mark.parametrize("name, reference", [
    ("softplus", lambda a: mpmath.log(1 + mpmath.exp(a))),
    ("log_sigmoid", lambda a: -mpmath.log(1 + mpmath.exp(-a))),
])
@given(st.floats(-30, 30))
def test_second_derivatives_through_the_lifted_namespace_match_mpmath(name, reference, a):
    # the slope of softplus and log_sigmoid is a sigmoid made of table ops, so that
    # create_graph can differentiate it again without cancelling digits away
    x = Value(a)
    (dy,) = grad(getattr(x, name)(), [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    with mpmath.workdps(40):
        first = mpmath.diff(reference, mpmath.mpf(a), 1)
        second = mpmath.diff(reference, mpmath.mpf(a), 2)
    assert dy.data == pytest.approx(float(first), rel=1e-12, abs=1e-300)
    assert d2y.data == pytest.approx(float(second), rel=1e-9, abs=1e-15)


# --- a row's domain check raises ----------------------------------------------------------------


@pytest.mark.parametrize("name, outside, error", [
    ("log", (0.0,), OpDomainError), ("sqrt", (-1.0,), OpDomainError),
    ("exp", (1000.0,), OpOverflowError), ("div", (1.0, 0.0), ZeroDivisionError),
    ("pow", (-2.0, 0.5), OpDomainError), ("clamp", (0.0, 2.0, 1.0), OpDomainError)])
def test_check_raises_the_rows_error_and_accepts_says_so(name, outside, error):
    op = OPS[name]
    with pytest.raises(error, match=name if name != "div" else "division"):
        op.check(*outside)
    assert not op.accepts(*outside)
    inside = [1.0] * op.arity
    assert op.check(*inside) is None and op.accepts(*inside)


def test_every_row_without_a_domain_accepts_everything_finite():
    for op in OPS.values():
        if op.domain is None:
            assert op.accepts(*[-1e300] * op.arity) and op.accepts(*[0.0] * op.arity)


# --- the + and * short paths give their rows' values and gradients ------------------------------

SHORT_PATHS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}


@pytest.mark.parametrize("name", sorted(SHORT_PATHS))
@given(a=st.floats(allow_nan=False, allow_infinity=False),
       b=st.floats(allow_nan=False, allow_infinity=False),
       upstream=st.floats(-1e3, 1e3))
def test_the_short_path_agrees_with_its_row(name, a, b, upstream):
    op = OPS[name]
    try:
        expected = op.forward(SCALAR_MATH, a, b)
    except OverflowError:
        expected = math.inf
    x, y = Value(a, "x"), Value(b, "y")
    if not math.isfinite(expected):  # the row refuses it: so must the short path
        with pytest.raises(OpError):
            SHORT_PATHS[name](x, y)
        return
    out = SHORT_PATHS[name](x, y)
    assert (out.data, out._op, out._prev) == (expected, name, (x, y))
    # the walk's written-out rule against the row's rules, under an upstream gradient
    try:
        (out * upstream).backward()
    except OpError:
        return  # the product with the upstream overflowed: refused, as the row path would
    rules = [rule(SCALAR_MATH, out.data, a, b) * upstream for rule in op.derivatives]
    assert [x.grad, y.grad] == rules
    assert local_derivatives(out) == [rule(SCALAR_MATH, out.data, a, b)
                                      for rule in op.derivatives]
