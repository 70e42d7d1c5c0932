"""The teaching record: forward table, backward steps and the neuron view."""

from __future__ import annotations

import doctest
import math
import random

import mpmath
import pytest
from expr_cases import MP_FUNCTIONS, expressions, oracle, used, values
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd.expr
import autograd.trace
from autograd import OpError, Value, topological_order
from autograd.expr import build, parse
from autograd.trace import backward_steps, forward_table
from nn import MLP, Layer, Neuron, neuron_table

# Independent rules for recomputing a row of the forward table from its inputs.
FLOAT_RULES = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "neg": lambda a: -a, "pow": lambda a, n: a ** n,
    "rpow": lambda c, a: c ** a, "powv": lambda a, b: a ** b, "exp": math.exp,
    "log": math.log, "tanh": math.tanh, "relu": lambda a: max(a, 0.0),
    "sigmoid": lambda a: 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a)),
}


def _graph(text, env):
    expression = parse(text)
    try:
        return expression, expression.build(used(text, env, expression.variables))
    except OpError:
        assume(False)


def test_docstring_examples_run():
    for module in (autograd.trace, autograd.expr):
        result = doctest.testmod(module)
        assert result.attempted > 5 and result.failed == 0


# --- forward ------------------------------------------------------------------------------


@given(expressions, values)
def test_forward_rows_are_topological_and_recompute_from_their_inputs(text, env):
    expression, out = _graph(text, env)
    table = forward_table(out)
    assert len(table) == len(topological_order(out))
    by_name = {}
    for row in table:
        for name in row.inputs:
            assert name in by_name, f"{row.name} listed before its input {name}"
        if row.op == "input":
            if row.name in expression.variables:
                assert row.value == env[row.name]
        elif row.op in FLOAT_RULES:
            try:
                expected = FLOAT_RULES[row.op](*(by_name[n] for n in row.inputs))
            except OverflowError:
                expected = math.inf
            assert row.value == pytest.approx(expected, rel=1e-12, abs=1e-300)
        by_name[row.name] = row.value
    assert table[-1].value == pytest.approx(oracle(text, used(text, env, expression.variables)),
                                            rel=1e-9, abs=1e-12)


def test_forward_table_prints_aligned_columns():
    out = build("tanh(x*w + b)", x=2.0, w=-3.0, b=6.88)
    lines = str(forward_table(out)).splitlines()
    header = lines[0]
    assert header.split() == ["#", "node", "op", "inputs", "value"]
    assert len(lines) == 1 + 6
    node_column, op_column = header.index("node"), header.index("op")
    for line, row in zip(lines[1:], forward_table(out)):
        assert line[node_column:].startswith(row.name)
        assert line[op_column:].startswith(row.op)
        assert line.rstrip().endswith(autograd.trace.format_number(row.value))
    # values are right-aligned: every line ends at the same column
    assert len({len(line) for line in lines[1:]}) == 1


def test_duplicate_labels_get_distinct_names():
    random.seed(3)
    neurons = [Neuron(2), Neuron(2)]  # two stand-alone neurons: both biases are labelled "b"
    out = sum((n([1.0, 2.0]) for n in neurons), Value(0.0, "zero"))
    names = [row.name for row in forward_table(out)]
    assert len(names) == len(set(names))
    assert "b" in names and "b (2nd)" in names   # no serial such as b#7 (issue 11)


# --- backward -----------------------------------------------------------------------------


@given(expressions, values)
def test_backward_steps_give_the_same_grads_as_backward(text, env):
    expression, out = _graph(text, env)
    try:
        trace = backward_steps(out)
    except OpError:
        assume(False)
    traced = [node.grad for node in topological_order(out)]
    for node in topological_order(out):
        node.grad = 0.0
    out.backward()
    direct = [node.grad for node in topological_order(out)]
    assert traced == pytest.approx(direct, rel=1e-12, abs=1e-300)
    grads = trace.gradients()
    for name in expression.variables:
        assert name in grads


@given(expressions, values)
def test_contributions_add_up_step_by_step(text, env):
    _, out = _graph(text, env)
    try:
        trace = backward_steps(out)
    except OpError:
        assume(False)
    nodes = topological_order(out)
    assert [s.index for s in trace] == list(range(len(nodes), 0, -1))  # reverse topological
    assert trace[0].upstream == 1.0 and not trace[0].received
    running = {}
    for step in trace:
        # what arrived is exactly the sum of what was sent, and it is final now
        assert step.upstream == pytest.approx(
            1.0 if step.step == 1 else math.fsum(c.amount for c in step.received), rel=1e-9)
        assert step.upstream == nodes[step.index - 1].grad
        for c in step.contributions:
            if c.local is None:
                assert c.amount == 0.0
                continue
            assert c.amount == c.local * step.upstream
            assert c.total_before == running.get(c.parent_index, 0.0)
            assert c.total_after == c.total_before + c.amount
            running[c.parent_index] = c.total_after
        # snapshots replay the same running totals
        grads = trace.grads_after(step.step)
        for index, total in running.items():
            assert grads[index - 1] == total


@given(expressions, values)
def test_traced_gradients_match_high_precision_central_differences(text, env):
    expression, out = _graph(text, env)
    nodes = topological_order(out)
    # relu has a kink at 0 and huge values make any comparison meaningless
    assume(all(abs(n._prev[0].data) > 1e-6 for n in nodes if n._op == "relu"))
    assume(all(abs(n.data) < 1e6 for n in nodes))
    try:
        grads = backward_steps(out).gradients()
    except OpError:
        assume(False)
    point = used(text, env, expression.variables)
    mpmath.mp.dps = 40
    for name in expression.variables:
        def f(t, name=name):
            shifted = {k: mpmath.mpf(v) for k, v in point.items()}
            shifted[name] = t
            return oracle(text, shifted, MP_FUNCTIONS)
        try:
            numeric = float(mpmath.diff(f, mpmath.mpf(point[name])))
        except (ValueError, ZeroDivisionError, TypeError):
            continue  # the oracle left the real line (e.g. a negative base nearby)
        assert grads[name] == pytest.approx(numeric, rel=1e-6, abs=1e-8), name


def test_a_node_reached_by_two_paths_visibly_receives_two_contributions():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    out = build("a*b + a", a=a, b=b)
    trace = backward_steps(out)
    received = trace.received("a")
    assert [c.node for c in received] == ["a*b + a", "a*b"]
    assert [c.amount for c in received] == [1.0, -3.0]
    assert a.grad == -2.0 and trace.step_of("a").upstream_text() == "-2.0 = 1.0 + -3.0"
    text = str(trace)
    to_a = [line for line in text.splitlines() if "a.grad" in line or " a  " in line]
    assert any("0.0 + 1.0 = 1.0" in line for line in to_a)
    assert any("1.0 + -3.0 = -2.0" in line for line in to_a)


def test_a_step_shows_the_formula_and_the_number():
    out = build("a*b", a=2.0, b=-3.0)
    step = backward_steps(out)[0]
    first, second = step.contributions
    assert first.formula_text() == "d(a*b)/da = b = -3.0"
    assert second.formula_text() == "d(a*b)/db = a = 2.0"
    assert first.generic == "d(a*b)/da = b"
    tanh_step = backward_steps(build("tanh(x*w + b)", x=2.0, w=-3.0, b=6.88))[0]
    local = 1 - math.tanh(0.88) ** 2
    assert tanh_step.contributions[0].formula_text() == (
        f"d(tanh(x*w + b))/d(x*w + b) = 1 - tanh(x*w + b)**2 = {local:.6g}")
    power = backward_steps(build("(a + b)**2", a=1.0, b=2.0))[0]
    assert power.contributions[0].formula == "2 * (a + b)**(2-1)"
    assert power.contributions[1].local is None  # the constant exponent gets nothing
    assert "constant" in power.contributions[1].formula_text()


def test_backward_table_prints_one_aligned_block_per_step():
    out = build("tanh(x*w + b)", x=2.0, w=-3.0, b=6.88)
    trace = backward_steps(out)
    lines = str(trace).splitlines()
    header = lines[0]
    assert header.split()[:3] == ["step", "node", "upstream"]
    starts = [line for line in lines[1:] if line[:4].strip()]
    assert [int(line.split()[0]) for line in starts] == list(range(1, len(trace) + 1))
    node_column = header.index("node")
    for line, step in zip(starts, trace):
        assert line[node_column:].startswith(step.node)
    rows = sum(max(1, len(step.contributions)) for step in trace)
    assert len(lines) == 1 + rows
    assert trace.gradients() == {"x": trace.step_of("x").upstream,
                                 "w": trace.step_of("w").upstream,
                                 "b": trace.step_of("b").upstream}


def test_trace_starts_from_zero_grads_like_zero_grad_then_backward():
    x = Value(3.0, "x")
    out = build("x*x", x=x)
    out.backward()
    out.backward()  # accumulated: x.grad is 12 now
    assert x.grad == 12.0
    trace = backward_steps(out)
    assert x.grad == 6.0 and trace.gradients() == {"x": 6.0}


def test_to_dict_is_plain_data():
    import json
    trace = backward_steps(build("a*b + a", a=2.0, b=-3.0))
    data = json.loads(json.dumps([s.to_dict() for s in trace]))
    assert data[-1]["node"] == "a" and len(data[-1]["received"]) == 2


# --- neurons ------------------------------------------------------------------------------


def _activation(name, z):
    return {"tanh": math.tanh, "relu": lambda v: max(v, 0.0),
            "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "linear": lambda v: v}[name](z)


@given(st.integers(0, 10_000), st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       st.sampled_from(["tanh", "relu", "sigmoid", None]))
def test_neuron_rows_match_a_direct_float_computation(seed, x, activation):
    random.seed(seed)
    model = MLP(3, [4, 2], activation=activation)
    table = neuron_table(model, x)
    assert len(table) == 6
    layer_inputs = {1: x}
    for row in table:
        assert list(row.inputs) == pytest.approx(layer_inputs[row.layer])
        neuron = model.layers[row.layer - 1].neurons[row.neuron - 1]
        assert list(row.weights) == [w.data for w in neuron.w]
        z = neuron.b.data + math.fsum(w * xi for w, xi in zip(row.weights, row.inputs))
        assert row.weighted_sum == pytest.approx(z, rel=1e-12, abs=1e-12)
        assert row.output == pytest.approx(_activation(row.activation, z), rel=1e-12,
                                           abs=1e-12)
        layer_inputs.setdefault(row.layer + 1, []).append(row.output)
    expected_last = "linear"
    assert {r.activation for r in table if r.layer == 2} == {expected_last}
    assert {r.activation for r in table if r.layer == 1} == {activation or "relu"}
    final = model(x)
    assert [v.data for v in table.outputs] == [v.data for v in final]


def test_neuron_table_accepts_a_neuron_and_a_layer_and_prints():
    random.seed(7)
    neuron = Neuron(2, activation="tanh")
    table = neuron_table(neuron, [1.0, -2.0])
    assert len(table) == 1 and table[0].activation == "tanh"
    assert table[0].output == neuron([1.0, -2.0]).data
    layer = Layer(2, 3)
    text = str(neuron_table(layer, [0.5, 0.25]))
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "neuron", "inputs", "weights", "bias", "w.x", "+", "b",
                                "activation", "output"]
    assert len(lines) == 4
    assert len({len(line) for line in lines[1:]}) == 1  # right-aligned output column


def test_neuron_table_errors_name_the_problem():
    random.seed(1)
    with pytest.raises(ValueError, match="has 3 weights but gets 2 inputs"):
        neuron_table(Neuron(3), [1.0, 2.0])
    with pytest.raises(TypeError, match="pass a Neuron"):
        neuron_table(object(), [1.0])



def test_neuron_table_lives_in_nn_only():
    # it reads nn's classes, so it moved up to nn; nothing forwards the old names
    import autograd
    import autograd.trace
    import nn.tables

    assert nn.neuron_table is nn.tables.neuron_table
    for old_home in (autograd, autograd.trace):
        for name in ("neuron_table", "NeuronRow", "NeuronTable"):
            assert not hasattr(old_home, name), (old_home.__name__, name)
