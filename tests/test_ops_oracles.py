"""Every op in the table against two independent oracles: mpmath at 50 digits, and PyTorch.

The reference implementations below are written from the mathematics, not from
autograd/ops.py.  A new op with no entry here fails ``test_every_op_has_a_reference``:
adding an op means adding its independent reference too.
"""

import math

import mpmath
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import MP_REFERENCE, TORCH_REFERENCE, close

from autograd import OPS, Op, Value, local_derivatives, register_op, unregister_op
from autograd.strategies import op_inputs
from autograd.trace import operand_names

mp = mpmath.mp
mp.dps = 50

OP_NAMES = sorted(OPS)


def mp_partial(name, xs, i, direction=0):
    """d op / d operand i at xs, by mpmath's numerical differentiation at 50 digits."""
    def along(t):
        args = [mpmath.mpf(x) for x in xs]
        args[i] = t
        return MP_REFERENCE[name](*args)
    x = mpmath.mpf(xs[i])
    if x == 0:
        # Tiny steps, with the digits to take them.  x**1.0625 has slope 0 at 0, but a
        # difference over a step h sees h**0.0625, which is still 3e-13 at h = 1e-200:
        # where two tiny steps disagree the numerical slope has not converged, and
        # there is no oracle (ValueError, which callers skip).
        with mpmath.workdps(280):
            slopes = [mpmath.diff(along, x, direction=direction, h=mpmath.mpf(h))
                      for h in ("1e-200", "1e-240")]
        if abs(slopes[0] - slopes[1]) > mpmath.mpf("1e-12") * (1 + abs(slopes[1])):
            raise ValueError("the numerical slope at 0 has not converged")
        return slopes[1]
    # A step relative to x, so that a tiny x (1e-90) is not stepped across 0, with
    # enough digits that 1 + x + step still differs from 1 + x.
    digits = 50 + max(0, int(-mpmath.log10(abs(x))))
    with mpmath.workdps(digits):
        return mpmath.diff(along, x, direction=direction, h=abs(x) * mpmath.mpf("1e-25"))


def build(name, xs):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    return leaves[0]._apply(name, tuple(leaves)), leaves


def rows_without_oracles() -> dict:
    """Each row of the table that an oracle test would have nothing to compare with,
    and what it lacks.  The tests below, test_tape.py's replay and test_op_rows.py's
    method tests are parametrized over OPS itself, so a row is in them once it is in
    the table; its independent references are the part a newcomer must write."""
    missing = {}
    for name in OPS:
        gaps = []
        if name not in MP_REFERENCE:
            gaps.append("an mpmath reference in MP_REFERENCE (tests/oracles.py)")
        if TORCH_REFERENCE.get(name) is None:
            gaps.append("a PyTorch reference in TORCH_REFERENCE (tests/oracles.py)")
        if gaps:
            missing[name] = gaps
    return missing


def test_every_op_has_a_reference():
    missing = rows_without_oracles()
    assert not missing, "rows with no independent oracle: " + "; ".join(
        f"{name} needs {' and '.join(gaps)}" for name, gaps in missing.items())


def test_a_row_added_without_its_references_fails_the_coverage_test():
    register_op(Op(name="cube_no_oracle", symbol="cube_no_oracle", arity=1,
                   forward=lambda m, a: a * a * a, derivatives=(lambda m, out, a: 3 * a * a,),
                   formulas=("3*a**2",)))
    try:
        assert list(rows_without_oracles()) == ["cube_no_oracle"]
        MP_REFERENCE["cube_no_oracle"] = lambda a: a ** 3
        TORCH_REFERENCE["cube_no_oracle"] = lambda a: a ** 3
        assert not rows_without_oracles()
    finally:
        unregister_op("cube_no_oracle")
        MP_REFERENCE.pop("cube_no_oracle", None)
        TORCH_REFERENCE.pop("cube_no_oracle", None)


@pytest.mark.parametrize("name", OP_NAMES)
def test_forward_matches_mpmath(name):
    @given(op_inputs(name, smooth=False))
    def check(xs):
        node, _ = build(name, xs)
        reference = MP_REFERENCE[name](*[mpmath.mpf(x) for x in xs])
        assert close(node.data, reference, rel=1e-13, abs_=1e-300), (name, xs, node.data)

    check()


def assert_rules_match_mpmath(name, xs):
    node, _ = build(name, xs)
    for i, (rule, local) in enumerate(zip(OPS[name].derivatives, local_derivatives(node))):
        if rule is None:
            assert local is None
            continue
        reference = mp_partial(name, xs, i)
        assert close(local, reference), (name, xs, i, local, float(reference))


def assert_backward_matches_torch(name, xs):
    op = OPS[name]
    node, leaves = build(name, xs)
    node.backward()
    args = [torch.tensor(x, dtype=torch.float64, requires_grad=True) if rule is not None
            else x for x, rule in zip(xs, op.derivatives)]
    out = TORCH_REFERENCE[name](*args)
    out.backward()
    assert close(node.data, out.item(), rel=1e-12, abs_=1e-300)
    for leaf, arg, rule in zip(leaves, args, op.derivatives):
        if rule is not None:
            assert close(leaf.grad, arg.grad.item(), rel=1e-10), (name, xs)


@pytest.mark.parametrize("name", OP_NAMES)
def test_local_derivatives_match_mpmath(name):
    """Where the op is smooth, each rule equals the 50-digit numerical derivative."""
    given(op_inputs(name))(lambda xs: assert_rules_match_mpmath(name, xs))()


@pytest.mark.parametrize("name", OP_NAMES)
def test_at_a_kink_backward_takes_a_one_sided_derivative(name):
    """Anywhere in the domain, even on a kink, the rule is a one-sided slope or between them."""
    op = OPS[name]

    @given(op_inputs(name, smooth=False, max_magnitude=1e8))
    def check(xs):
        # operands that differ by less than mpmath's step (clamp(0, 0, 1e-278)) sit on
        # two kinks at once for the numerical slope; equal operands are a real kink
        assume(all(x == y or abs(x - y) > 1e-6 for x in xs for y in xs))
        node, _ = build(name, xs)
        try:
            locals_ = local_derivatives(node)
        except ValueError:  # an infinite derivative (x ** 0.5 at 0) is reported, fine
            return
        for i, (rule, local) in enumerate(zip(op.derivatives, locals_)):
            if rule is None:
                continue
            slopes = []
            for direction in (-1, 1):
                try:
                    slope = mp_partial(name, xs, i, direction)
                except (ValueError, ZeroDivisionError):
                    continue
                # a side that leaves the real domain gives a complex slope: not a slope
                if isinstance(slope, mpmath.mpf) and mpmath.isfinite(slope):
                    slopes.append(slope)
            assume(slopes and all(abs(s) < 1e12 for s in slopes))
            # a one-sided slope, or (at a kink) a subgradient between the two: abs at 0
            # takes 0, as PyTorch does
            low, high = min(slopes), max(slopes)
            between = len(slopes) == 2 and float(low) - 1e-9 <= local <= float(high) + 1e-9
            assert between or any(close(local, s, rel=1e-6, abs_=1e-6) for s in slopes), (
                name, xs, i, local, [float(s) for s in slopes])

    check()


@pytest.mark.parametrize("name", OP_NAMES)
def test_backward_matches_torch(name):
    given(op_inputs(name))(lambda xs: assert_backward_matches_torch(name, xs))()


def test_both_oracles_catch_a_wrong_rule():
    wrong = Op(name="wrong_tanh", symbol="wrong_tanh", arity=1, forward=lambda m, a: m.tanh(a),
               derivatives=(lambda m, out, a: 1.0 - out,),           # should be 1 - out**2
               formulas=("1 - tanh(a)",))
    register_op(wrong)
    MP_REFERENCE["wrong_tanh"] = mpmath.tanh
    TORCH_REFERENCE["wrong_tanh"] = lambda a: a.tanh()
    try:
        with pytest.raises(AssertionError):
            given(op_inputs("wrong_tanh"))(
                lambda xs: assert_rules_match_mpmath("wrong_tanh", xs))()
        with pytest.raises(AssertionError):
            given(op_inputs("wrong_tanh"))(
                lambda xs: assert_backward_matches_torch("wrong_tanh", xs))()
    finally:
        unregister_op("wrong_tanh")
        del MP_REFERENCE["wrong_tanh"], TORCH_REFERENCE["wrong_tanh"]


# How the table writes each derivative, read as Python over functions written here
# (independent of autograd/ops.py): a formula text that drifts from its rule fails.
FORMULA_FUNCTIONS = {
    "exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt,
    "sin": math.sin, "cos": math.cos, "sign": lambda v: (v > 0) - (v < 0),
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
}


@pytest.mark.parametrize("name", OP_NAMES)
def test_each_formula_text_says_what_its_rule_computes(name):
    op = OPS[name]
    letters = operand_names(op)
    assert len(op.formulas) == op.arity

    @given(op_inputs(name, smooth=False, max_magnitude=1e3))
    def check(xs):
        node, _ = build(name, xs)
        for formula, local in zip(op.formulas, local_derivatives(node)):
            assert (formula is None) == (local is None)
            if formula is None:
                continue
            env = dict(zip(letters, xs))
            if name == "pow" and xs[1] == 0:  # x**0 is the constant 1: the slope is 0,
                written = 0.0                  # also at 0, where the text reads 0 * 0**-1
            else:
                try:
                    written = eval(formula, {"__builtins__": {}}, {**FORMULA_FUNCTIONS, **env})
                except ZeroDivisionError:  # b**2 underflowed in floats: read it exactly
                    exact = {k: mpmath.mpf(v) for k, v in env.items()}
                    written = eval(formula, {"__builtins__": {}}, {**FORMULA_FUNCTIONS, **exact})
            assert close(local, written, rel=1e-9, abs_=1e-12), (name, formula, xs, local)

    check()


def test_the_oracles_can_tell_a_wrong_number():
    # close() is the comparison every test above relies on
    assert close(1.0, mpmath.mpf(1) + mpmath.mpf("1e-12"))
    assert not close(1.0, mpmath.mpf("1.001"))
    assert not close(0.0, mpmath.mpf("1e-6"))
    assert math.isclose(float(mp_partial("mul", (2.0, 5.0), 0)), 5.0)


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_replays_on_the_tape_like_the_scalar_engine(name):
    """The compiled tape evaluates the same rows with numpy: values and gradients agree."""
    import numpy as np

    from autograd import compile_tape

    op = OPS[name]
    wrt = [i for i, rule in enumerate(op.derivatives) if rule is not None]

    @settings(max_examples=10)
    @given(st.lists(op_inputs(name), min_size=3, max_size=3))
    def check(batch):
        constants = batch[0]  # a constant operand (the n of x**n) is fixed by the trace

        def f(*xs):
            operands = [Value(c) for c in constants]
            for i, x in zip(wrt, xs):
                operands[i] = x
            return operands[0]._apply(name, tuple(operands))

        rows = [[xs[i] for i in wrt] for xs in batch
                if all(xs[k] == constants[k] for k in range(op.arity) if k not in wrt)]
        tape = compile_tape(lambda *xs: f(*xs), tuple(rows[0]))
        columns = [np.array([row[k] for row in rows]) for k in range(len(wrt))]
        got = np.ravel(tape.forward(*columns))
        tape.backward()
        input_grads = tape.input_gradients()
        for r, row in enumerate(rows):
            leaves = [Value(x) for x in row]
            out = f(*leaves)
            out.backward()
            assert close(got[r], out.data, rel=1e-12, abs_=1e-300), (name, row)
            for k, leaf in enumerate(leaves):
                assert close(input_grads[k][r], leaf.grad, rel=1e-12, abs_=1e-300), (name, row)

    check()
