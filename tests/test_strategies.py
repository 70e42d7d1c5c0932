"""The hypothesis strategies users import: they obey their limits and read the op table."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import OPS, Op, OpError, Value, gradcheck, parse, register_op, unregister_op
from autograd.strategies import (
    ExpressionGraph,
    expressions,
    is_smooth_at,
    op_inputs,
    scalars,
    smooth_graph,
)
from nn.strategies import mlps

OP_NAMES = sorted(OPS)


def test_mlps_live_in_nn_only():
    # chainrule is unpublished, so nothing forwards the names that moved up to nn
    import autograd.strategies as engine_strategies

    assert not hasattr(engine_strategies, "mlps") and not hasattr(engine_strategies, "MLPCase")


@given(scalars(-2.5, 4.0))
def test_scalars_stay_in_bounds(x):
    assert isinstance(x, float) and math.isfinite(x) and -2.5 <= x <= 4.0


def test_scalars_rejects_bad_bounds():
    with pytest.raises(ValueError, match="min_value <= max_value"):
        scalars(3, -3)


@pytest.mark.parametrize("name", OP_NAMES)
def test_op_inputs_lie_in_the_domain(name):
    op = OPS[name]

    @given(op_inputs(name, smooth=False))
    def anywhere(xs):
        assert len(xs) == op.arity
        assert op.accepts(*xs)
        node = Value(1.0)._apply(name, tuple(Value(x) for x in xs))   # must not raise
        assert math.isfinite(node.data)

    @given(op_inputs(name))
    def smooth(xs):
        assert is_smooth_at(op, xs)
        # operands without a derivative rule (the n in x**n) stay constants
        wrt = [i for i, rule in enumerate(op.derivatives) if rule is not None]

        def f(*values):
            operands = [Value(x) for x in xs]
            for i, v in zip(wrt, values):
                operands[i] = v
            return values[0]._apply(name, tuple(operands))

        assert gradcheck(f, [xs[i] for i in wrt]).status == "passed"

    anywhere()
    smooth()


@pytest.mark.parametrize("op, operands, expected", [
    ("log", [2.0], True),
    ("log", [1e-9], False),          # too close to the domain's edge
    ("log", [-1.0], False),          # outside it
    ("relu", [0.0], False),          # a kink
    ("relu", [1e-12], False),        # next to a kink
    ("relu", [0.5], True),
    ("div", [1.0, 0.0], False),
    ("pow", [-2.0, 3.0], True),      # a negative base with a whole exponent is fine
    ("pow", [-2.0, 0.5], False),
    ("exp", [800.0], False),         # overflows
])
def test_is_smooth_at(op, operands, expected):
    assert is_smooth_at(op, operands) is expected


def graph_depth(expression):
    depth = []
    for _, operands in expression.steps:
        depth.append(1 + max([depth[ref] if kind == "node" else 0 for kind, ref in operands]))
    return max(depth)


@given(expressions(max_depth=3, max_variables=2, max_ops=5))
def test_expressions_obey_their_limits(case):
    expression, point = case
    assert isinstance(expression, ExpressionGraph)
    assert 1 <= len(expression.variables) == len(point) <= 2
    assert 1 <= len(expression.steps) <= 5
    assert graph_depth(expression) <= 3
    for name, operands in expression.steps:
        # an operand the op does not differentiate must not depend on a variable,
        # or its gradient would silently be lost
        for (kind, _), rule in zip(operands, OPS[name].derivatives):
            assert rule is not None or kind == "const"
    out = expression(*point)                        # defined at its point
    assert isinstance(out, Value) and math.isfinite(out.data)


@given(expressions())
def test_every_step_is_smooth_at_the_point(case):
    expression, point = case
    assert smooth_graph(expression(*point))


def test_every_op_is_reachable_and_subexpressions_are_shared():
    seen, shared, deepest = set(), 0, 0

    @settings(max_examples=300)  # 23 ops: enough draws to see each
    @given(expressions())
    def collect(case):
        nonlocal shared, deepest
        expression, _ = case
        seen.update(expression.ops_used)
        shared += bool(expression.shared_nodes())
        deepest = max(deepest, graph_depth(expression))

    collect()
    assert seen == set(OPS), f"never drawn: {sorted(set(OPS) - seen)}"
    assert shared > 0            # a DAG, not only trees
    assert deepest == 4          # the default max_depth is reached


def test_a_newly_registered_op_is_covered_without_changes():
    cube = Op(name="test_cube", symbol="cube", arity=1, forward=lambda m, a: a * a * a,
              derivatives=(lambda m, out, a: 3.0 * a * a,), formulas=("3*a**2",))
    register_op(cube)
    try:
        drawn = []

        @given(op_inputs("test_cube"))
        def inputs(xs):
            drawn.append(xs)
            assert gradcheck(lambda v: v._apply("test_cube", (v,)), xs).status == "passed"

        inputs()
        assert drawn

        seen = set()

        @settings(max_examples=100)
        @given(expressions())
        def collect(case):
            seen.update(case[0].ops_used)

        collect()
        assert "test_cube" in seen
    finally:
        unregister_op("test_cube")


def test_an_unknown_op_is_named():
    with pytest.raises(KeyError, match="no op named 'nope'"):
        op_inputs("nope")


def test_expression_text():
    e = ExpressionGraph(("x", "y"), (
        ("mul", (("var", 0), ("var", 1))),
        ("add", (("node", 0), ("const", -2.0))),
        ("tanh", (("node", 1),)),
        ("mul", (("node", 2), ("node", 2))),
    ))
    assert str(e).splitlines() == ["t0 = x*y", "t1 = t0 + -2", "t2 = tanh(t1)",
                                   "t3 = t2*t2"]
    assert e.formula() == "tanh(x*y + -2)*tanh(x*y + -2)"
    assert e.shared_nodes() == [2]
    assert e(Value(1.0), Value(3.0)).data == pytest.approx(math.tanh(1.0) ** 2)
    result = gradcheck(e, [1.0, 3.0])
    assert [c.name for c in result.inputs] == ["x", "y"]
    assert result.function == e.formula()


@given(expressions())
def test_formula_means_the_same_to_the_parser(case):
    """The text of a random graph, read back by autograd.parse, gives the same numbers."""
    expression, point = case
    out = expression(*point)
    out.backward()
    parsed = parse(expression.formula())
    values = {n: v for n, v in zip(expression.variables, point) if n in parsed.variables}
    leaves = {n: Value(v, n) for n, v in values.items()}
    again = parsed.build(leaves)
    again.backward()
    assert again.data == pytest.approx(out.data, rel=1e-12, abs=1e-300)
    grads = {node.label: node.grad for node in _leaves(out)}
    for name, leaf in leaves.items():
        assert leaf.grad == pytest.approx(grads[name], rel=1e-9, abs=1e-12)


def _leaves(out):
    from autograd import topological_order
    return [n for n in topological_order(out) if not n._prev and n.label]


# --- MLPs -----------------------------------------------------------------------------


@given(mlps(max_inputs=3, max_hidden_layers=2, max_width=3))
def test_mlps_have_the_drawn_shape(case):
    import nn

    assert 1 <= case.sizes[0] == len(case.inputs) <= 3
    assert len(case.sizes) <= 4 and case.sizes[-1] == 1
    assert all(1 <= w <= 3 for w in case.sizes[1:-1])
    assert case.activation in nn.ACTIVATIONS
    expected = sum((a + 1) * b for a, b in zip(case.sizes, case.sizes[1:]))
    assert len(case.model.parameters()) == expected
    assert isinstance(case.output(), Value)


@given(mlps(), st.sampled_from(["parameters", "inputs"]))
def test_mlp_gradients_pass_gradcheck(case, wrt):
    f, point = case.function(wrt)
    result = gradcheck(f, point)
    assert result, str(result)


def test_mlps_draw_every_activation():
    import nn

    seen = set()

    @settings(max_examples=300)
    @given(mlps())
    def collect(case):
        seen.add(case.activation)

    collect()
    assert seen == set(nn.ACTIVATIONS)


def test_mlp_function_rejects_unknown_wrt():
    @settings(max_examples=1)
    @given(mlps())
    def check(case):
        with pytest.raises(ValueError, match="parameters"):
            case.function("weights")

    check()


def test_strategies_are_not_imported_by_the_engine():
    import subprocess
    import sys

    code = "import sys, autograd; print('hypothesis' in sys.modules, " \
           "'autograd.strategies' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_op_errors_stay_op_errors():
    # strategies filter with the table's checks; the engine still refuses bad points
    with pytest.raises(OpError):
        Value(-1.0).log()
