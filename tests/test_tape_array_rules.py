"""The table's array forms of derivative rules (``Op.array_derivatives``) say what the
scalar rules say.

The compiled tape evaluates an op's ``array_derivatives`` where a row has them
(relu's slope as a boolean mask, which ``mask * upstream`` casts in the same pass).
They are a second spelling of the same derivative, so each is checked here against
the scalar rule, entry by entry, on every point of the op's domain that hypothesis
finds -- kinks included, where a wrong comparison (``>=`` for ``>``) would show --
and the grouped replay that uses them against the scalar engine.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import OPS, SCALAR_MATH, Value
from autograd.strategies import op_inputs
from autograd.tape import compile

WITH_ARRAY_RULES = sorted(name for name, op in OPS.items() if op.array_derivatives)


def test_relu_has_an_array_rule_so_this_file_checks_something():
    assert "relu" in WITH_ARRAY_RULES


@pytest.mark.parametrize("name", WITH_ARRAY_RULES)
def test_each_array_rule_equals_the_scalar_rule(name):
    op = OPS[name]
    assert len(op.array_derivatives) == len(op.derivatives)

    @settings(max_examples=60)
    @given(st.lists(op_inputs(name, smooth=False), min_size=1, max_size=12))
    def check(rows):
        columns = [np.array(column) for column in zip(*rows)]
        outs = np.array([op.forward(SCALAR_MATH, *row) for row in rows])
        for position, (scalar, array) in enumerate(zip(op.derivatives, op.array_derivatives)):
            assert (scalar is None) == (array is None)
            if scalar is None:
                continue
            got = np.broadcast_to(np.asarray(array(np, outs, *columns), dtype=float),
                                  outs.shape)
            for r, row in enumerate(rows):
                want = scalar(SCALAR_MATH, outs[r], *row)
                assert got[r] == want, (name, position, row, got[r], want)

    check()


def test_relu_at_its_kink_and_on_both_sides():
    op = OPS["relu"]
    a = np.array([-2.0, -0.0, 0.0, 5e-324, 3.0])
    mask = op.array_derivatives[0](np, op.forward(np, a), a)
    assert mask.tolist() == [op.derivatives[0](SCALAR_MATH, 0.0, x) == 1.0 for x in a.tolist()]
    assert op.forward(np, a).tolist() == [op.forward(SCALAR_MATH, x) for x in a.tolist()]


def test_relu_of_a_negative_number_is_plus_zero_in_both_engines_as_in_pytorch():
    import torch

    for engine_result in (Value(-3.0).relu().data, float(OPS["relu"].forward(np, np.array(-3.0))),
                          float(torch.relu(torch.tensor(-3.0, dtype=torch.float64)))):
        assert engine_result == 0.0 and math.copysign(1.0, engine_result) == 1.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=1, max_size=20),
       st.floats(-2, 2), st.floats(-2, 2))
def test_a_relu_network_on_the_tape_matches_the_scalar_engine(rows, w0, w1):
    """relu's mask rule inside a grouped replay: outputs and gradients per example."""
    w = [Value(w0, "w0"), Value(w1, "w1"), Value(0.5, "w2")]

    def fn(x0, x1):
        hidden = [(w[0] * x0 + w[1] * x1).relu(), (w[1] * x0 - w[0] * x1 + 0.1).relu()]
        return (w[2] * hidden[0] + hidden[1]).relu()

    tape = compile(fn, rows[0], w)
    X = np.array(rows)
    got = tape.forward(X[:, 0], X[:, 1])
    grads = tape.gradients()
    want_grads = [0.0, 0.0, 0.0]
    for r, (x0, x1) in enumerate(rows):
        for p in w:
            p.grad = 0.0
        out = fn(Value(x0), Value(x1))
        out.backward()
        assert math.isclose(got[r], out.data, rel_tol=1e-12, abs_tol=1e-300)
        want_grads = [g + p.grad for g, p in zip(want_grads, w)]
    assert np.allclose(grads, want_grads, rtol=1e-12, atol=1e-300)
