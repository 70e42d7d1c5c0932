"""grad, hessian, hvp and gradgradcheck against independent oracles (PyTorch, mpmath).

Properties:
* grad(create_graph=False) gives the numbers backward() gives, and touches no .grad;
* Hessians equal torch.autograd.functional.hessian in float64 to 1e-9 relative, on
  hypothesis-built expressions over every op of the table;
* the third derivative of tanh equals its closed form (mpmath at 30 digits);
* hvp equals the Hessian times v;
* gradgradcheck passes on every expression, reports kinks, and catches an op whose
  first derivative is right but whose derivative rule differentiates wrongly.
"""

import math

import mpmath
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import TORCH_REFERENCE, close

from autograd import (
    OPS,
    Op,
    Value,
    grad,
    gradgradcheck,
    hessian,
    hvp,
    no_grad,
    register_op,
    topological_order,
    unregister_op,
)
from autograd.strategies import expressions, scalars


def torch_apply(name, args):
    args = [a.item() if rule is None and isinstance(a, torch.Tensor) else a
            for a, rule in zip(args, OPS[name].derivatives)]
    if name == "powv":
        # torch's a ** b replaces d/da = b * a**(b-1) by a constant 0 where b == 0, so its
        # second derivative d2/(da db) there is 0, not a**(b-1) = 1 at a = 1 (z**x at
        # x = 0 failed); for a > 0, powv's domain, exp(b log a) is the same function
        a, b = args
        return torch.exp(b * torch.log(a))
    return TORCH_REFERENCE[name](*args)


def torch_hessian(expression, point):
    def f(*xs):
        return expression.fold(torch_apply, xs, lambda c: torch.tensor(c, dtype=torch.float64))
    inputs = tuple(torch.tensor(x, dtype=torch.float64) for x in point)
    h = torch.autograd.functional.hessian(f, inputs)
    return [[float(h[i][j]) for j in range(len(point))] for i in range(len(point))]


# --- grad -------------------------------------------------------------------------------


@given(expressions(max_depth=4, max_variables=3))
def test_grad_gives_backwards_numbers_and_leaves_every_grad_alone(case):
    expression, point = case
    xs = [Value(x, name) for x, name in zip(point, expression.variables)]
    out = expression(*xs)
    nodes = topological_order(out)
    for k, node in enumerate(nodes):
        node.grad = 0.25 * k  # a marker that grad() must not change
    grads = grad(out, xs, allow_unused=True)
    assert [node.grad for node in nodes] == [0.25 * k for k in range(len(nodes))]
    for node in nodes:
        node.grad = 0.0
    out.backward()
    assert [g.data for g in grads] == [x.grad for x in xs]
    assert all(not g._prev for g in grads)  # plain leaves without create_graph


def test_grad_with_create_graph_differentiates_to_any_order():
    x = Value(0.5, "x")
    y = x ** 4
    orders = [y]
    for _ in range(4):
        orders.append(grad(orders[-1], [x], create_graph=True)[0])
    assert [g.data for g in orders] == [0.0625, 0.5, 3.0, 12.0, 24.0]
    # and backward() works on a gradient graph too
    x.grad = 0.0
    orders[2].backward()
    assert x.grad == 12.0


def test_grad_says_what_is_wrong():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    with pytest.raises(ValueError, match="does not depend on inputs\\[1\\] \\(y\\)"):
        grad(x * x, [x, y])
    assert [g.data for g in grad(x * x, [x, y], allow_unused=True)] == [2.0, 0.0]
    with pytest.raises(TypeError, match="not a Value"):
        grad(x * x, [1.0])
    with pytest.raises(TypeError, match="output is float"):
        grad(1.0, [x])
    out = x * x
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        grad(out, [x], create_graph=True)


def test_grad_reports_an_infinite_derivative_like_backward():
    x = Value(0.0, "x")
    with pytest.raises(ValueError, match="sqrt"):
        grad(x.sqrt(), [x])
    with pytest.raises(ValueError, match="sqrt"):
        grad(x.sqrt(), [x], create_graph=True)


# --- second order against PyTorch --------------------------------------------------------


@settings(max_examples=150)
@given(expressions(max_depth=3, max_variables=3, max_ops=6))
def test_hessian_equals_torch_hessian(case):
    expression, point = case
    ours = hessian(expression, point)
    theirs = torch_hessian(expression, point)
    scale = max(1.0, max(abs(v) for row in theirs for v in row))
    for i, (row, expected_row) in enumerate(zip(ours, theirs)):
        for j, (h, t) in enumerate(zip(row, expected_row)):
            assert abs(h - t) <= 1e-9 * scale, (expression.formula(), point, i, j, h, t)


def test_hessians_cover_every_op():
    """Every op appears in the Hessian property above (the generator reads OPS)."""
    seen = set()

    @settings(max_examples=300)
    @given(expressions(max_depth=3, max_variables=3, max_ops=6))
    def collect(case):
        seen.update(case[0].ops_used)

    collect()
    assert seen == set(OPS), sorted(set(OPS) - seen)


@given(scalars(-4, 4))
def test_third_derivative_of_tanh_is_its_closed_form(x0):
    x = Value(x0, "x")
    first, = grad(x.tanh(), [x], create_graph=True)
    second, = grad(first, [x], create_graph=True)
    third, = grad(second, [x])
    with mpmath.workdps(30):
        t = mpmath.tanh(mpmath.mpf(x0))
        closed = (1 - t ** 2) * (6 * t ** 2 - 2)   # d3/dx3 tanh = sech^2 (6 tanh^2 - 2)
    assert close(third.data, closed, rel=1e-12, abs_=1e-14)


@given(expressions(max_depth=3, max_variables=3, max_ops=6),
       st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_hvp_is_the_hessian_times_v(case, direction):
    expression, point = case
    v = direction[:len(point)]
    h = torch_hessian(expression, point)
    expected = [sum(h[i][j] * v[j] for j in range(len(v))) for i in range(len(v))]
    scale = max(1.0, max(abs(c) for row in h for c in row))
    for got, want in zip(hvp(expression, point, v), expected):
        assert abs(got - want) <= 1e-9 * scale * 3


# --- gradgradcheck ----------------------------------------------------------------------


@settings(max_examples=60)
@given(expressions(max_depth=3, max_variables=2, max_ops=5))
def test_gradgradcheck_passes_on_every_expression(case):
    expression, point = case
    result = gradgradcheck(expression, point)
    assert result, str(result)


def test_gradgradcheck_reports_a_kink_of_the_first_derivative():
    # relu(x) * x has derivative 2x for x > 0 and 0 below: no second derivative at 0
    result = gradgradcheck(lambda x: x.relu() * x, [0.0])
    assert result.status == "not differentiable", str(result)
    assert bool(result)
    assert gradgradcheck(lambda x: x.relu() * x, [0.5]).status == "passed"


def test_gradgradcheck_catches_a_wrong_second_derivative():
    # tanh's slope is right, but the row claims it is constant between kinks, so the
    # gradient graph treats 1 - tanh(a)**2 as a constant: a wrong second derivative
    wrong = Op(name="flat_tanh", symbol="flat_tanh", arity=1, forward=lambda m, a: m.tanh(a),
               derivatives=(lambda m, out, a: 1.0 - out * out,), formulas=("1 - tanh(a)**2",),
               piecewise_linear=True)
    register_op(wrong)
    try:
        def f(x):
            return x._apply("flat_tanh", (x,))
        from autograd import gradcheck
        assert gradcheck(f, [0.7]).status == "passed"      # first order is right
        result = gradgradcheck(f, [0.7])
        assert result.status == "failed", str(result)
        assert "MISMATCH" in str(result)
        assert result.inputs[0].numeric == pytest.approx(
            -2 * math.tanh(0.7) * (1 - math.tanh(0.7) ** 2), rel=1e-5)
    finally:
        unregister_op("flat_tanh")


def test_gradgradcheck_table_names_each_second_derivative():
    result = gradgradcheck(lambda x, y: x * x * y, [3.0, 2.0])
    assert [c.name for c in result.inputs] == ["d/dx (df/dx)", "d/dy (df/dx)",
                                               "d/dx (df/dy)", "d/dy (df/dy)"]
    assert [c.analytic for c in result.inputs] == [4.0, 6.0, 6.0, 0.0]
    assert "gradgradcheck of <lambda>" in str(result) and "PASSED" in str(result)


@pytest.mark.parametrize("create_graph", [False, True])
def test_the_tape_refuses_grad_inside_a_traced_function(create_graph):
    from autograd import compile_tape

    w = Value(0.5, "w")

    def f(x):
        return grad((x * w).tanh(), [x], create_graph=create_graph)[0]

    with pytest.raises(RuntimeError, match="inside a function that compile_tape is tracing"):
        compile_tape(f, (0.3,), [w])
    assert grad((w * w).tanh(), [w])[0].data == pytest.approx(2 * 0.5 / math.cosh(0.25) ** 2)


def test_the_gradient_graph_draws_like_any_graph():
    """d/dx tanh(x*w) is a graph of table ops, so the usual renderer labels it."""
    from visualize import draw_graph
    from visualize.annotated import draw_annotated

    x, w = Value(0.5, "x"), Value(-1.5, "w")
    (dx,) = grad((x * w).tanh(), [x], create_graph=True)
    dx.label = "dy/dx"
    ops = {node._op for node in topological_order(dx) if node._prev}
    assert ops >= {"mul", "tanh", "sub"}     # w * (1 - tanh(x*w)**2), built from ops
    source = draw_graph(dx).source
    assert "dy/dx" in source and "tanh" in source and source.count("->") >= 6
    annotated = draw_annotated(dx).source
    assert "local" in annotated   # edges labelled with local derivatives, as for any graph


def test_chainrule_trace_order_2_prints_the_hessian_with_names():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "chainrule", "trace", "x*x*y + sin(y)",
                             "x=3", "y=2", "--order", "2"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("second derivatives"))
    header, row_x, row_y = (line.split() for line in lines[start + 1:start + 4])
    assert header == ["d/dx", "d/dy"]
    expected = hessian(lambda x, y: x * x * y + y.sin(), [3.0, 2.0])
    assert row_x[0] == "d/dx" and [float(v) for v in row_x[1:]] == pytest.approx(expected[0])
    assert row_y[0] == "d/dy" and [float(v) for v in row_y[1:]] == \
        pytest.approx(expected[1], rel=1e-5)
    assert expected[1][1] == pytest.approx(-math.sin(2.0))


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_overflowing_gradient_is_an_error_not_inf(create_graph):
    from autograd import OpOverflowError

    a, b, c = Value(1e300, "a"), Value(1e-300, "b"), Value(1e300, "c")
    out = (a * b) * c                     # 1e300: finite; d out / d b = a * c overflows
    with pytest.raises(OpOverflowError, match=r"d\(out\)/d\(b\)|overflow"):
        out.label = "out"
        grad(out, [a, b, c], create_graph=create_graph)


def test_chainrule_trace_order_2_in_json_carries_the_hessian_too():
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "chainrule", "trace", "x*x*y", "x=3", "y=2",
                             "--order", "2", "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["second derivatives of x*x*y"]
    assert rows == [{"derivative": "d/dx", "d/dx": "4.0", "d/dy": "6.0"},
                    {"derivative": "d/dy", "d/dx": "6.0", "d/dy": "0.0"}]
