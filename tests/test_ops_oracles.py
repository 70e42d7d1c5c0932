"""Every op in the table against two independent oracles: mpmath at 50 digits, and PyTorch.

The reference implementations below are written from the mathematics, not from
autograd/ops.py.  A new op with no entry here fails ``test_every_op_has_a_reference``:
adding an op means adding its independent reference too.
"""

import importlib.util
import math

import mpmath
import pytest
from hypothesis import assume, given
from oracles import MP_REFERENCE, TORCH_REFERENCE

from autograd import OPS, Op, Value, local_derivatives, register_op, unregister_op
from autograd.strategies import expressions, op_inputs

mp = mpmath.mp
mp.dps = 50

OP_NAMES = sorted(OPS)


def close(engine: float, reference, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    return abs(engine - float(reference)) <= abs_ + rel * abs(float(reference))


def mp_partial(name, xs, i, direction=0):
    """d op / d operand i at xs, by mpmath's numerical differentiation at 50 digits."""
    def along(t):
        args = [mpmath.mpf(x) for x in xs]
        args[i] = t
        return MP_REFERENCE[name](*args)
    x = mpmath.mpf(xs[i])
    if x == 0:
        return mpmath.diff(along, x, direction=direction)
    # A step relative to x, so that a tiny x (1e-90) is not stepped across 0, with
    # enough digits that 1 + x + step still differs from 1 + x.
    digits = 50 + max(0, int(-mpmath.log10(abs(x))))
    with mpmath.workdps(digits):
        return mpmath.diff(along, x, direction=direction, h=abs(x) * mpmath.mpf("1e-25"))


def build(name, xs):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    return leaves[0]._apply(name, tuple(leaves)), leaves


def test_every_op_has_a_reference():
    missing = set(OPS) - set(MP_REFERENCE)
    assert not missing, (f"ops {sorted(missing)} have no independent mpmath reference: add "
                         "one to MP_REFERENCE in tests/oracles.py")
    missing = set(OPS) - set(TORCH_REFERENCE)
    assert not missing, (f"ops {sorted(missing)} have no TORCH_REFERENCE entry (use None if "
                         "torch has no equivalent)")


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
    import torch

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
            assert between or any(close(local, s, rel=1e-6, abs_=1e-9) for s in slopes), (
                name, xs, i, local, [float(s) for s in slopes])

    check()


@pytest.mark.parametrize("name", OP_NAMES)
def test_backward_matches_torch(name):
    pytest.importorskip("torch")
    if TORCH_REFERENCE[name] is None:
        pytest.skip(f"torch has no equivalent of {name}")
    given(op_inputs(name))(lambda xs: assert_backward_matches_torch(name, xs))()


def test_both_oracles_catch_a_wrong_rule():
    wrong = Op("wrong_tanh", "wrong_tanh", 1, lambda m, a: m.tanh(a),
               (lambda m, out, a: 1.0 - out,),           # should be 1 - out**2
               ("1 - tanh(a)",))
    register_op(wrong)
    MP_REFERENCE["wrong_tanh"] = mpmath.tanh
    TORCH_REFERENCE["wrong_tanh"] = lambda a: a.tanh()
    try:
        with pytest.raises(AssertionError):
            given(op_inputs("wrong_tanh"))(
                lambda xs: assert_rules_match_mpmath("wrong_tanh", xs))()
        if importlib.util.find_spec("torch") is not None:
            with pytest.raises(AssertionError):
                given(op_inputs("wrong_tanh"))(
                    lambda xs: assert_backward_matches_torch("wrong_tanh", xs))()
    finally:
        unregister_op("wrong_tanh")
        del MP_REFERENCE["wrong_tanh"], TORCH_REFERENCE["wrong_tanh"]


# --- whole expressions ------------------------------------------------------------------


def mp_apply(name, args):
    return MP_REFERENCE[name](*args)


@given(expressions(max_depth=4, max_variables=3))
def test_expression_gradients_match_mpmath(case):
    """For random graphs (shared nodes included), backward() equals 50-digit derivatives."""
    expression, point = case
    out = expression(*point)
    leaves = _leaves(out, expression, point)
    out.backward()
    for i, leaf in enumerate(leaves):
        def along(t, i=i):
            values = [mpmath.mpf(x) for x in point]
            values[i] = t
            return expression.fold(mp_apply, values, mpmath.mpf)
        reference = mpmath.diff(along, mpmath.mpf(point[i]))
        grad = leaf.grad if leaf is not None else 0.0
        assert close(grad, reference, rel=1e-7, abs_=1e-9), (
            str(expression), point, i, grad, float(reference))


@given(expressions(max_depth=4, max_variables=3))
def test_expression_gradients_match_torch(case):
    torch = pytest.importorskip("torch")
    expression, point = case
    assume(all(TORCH_REFERENCE[name] is not None for name in expression.ops_used))
    out = expression(*point)
    leaves = _leaves(out, expression, point)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]

    def torch_apply(name, args):
        rules = OPS[name].derivatives
        # a constant operand stays a plain float, as in the engine
        args = [a.item() if rule is None and isinstance(a, torch.Tensor) else a
                for a, rule in zip(args, rules)]
        return TORCH_REFERENCE[name](*args)

    result = expression.fold(torch_apply, tensors,
                             lambda c: torch.tensor(c, dtype=torch.float64))
    if not result.requires_grad:
        return  # the output does not depend on the variables; nothing to compare
    result.backward()
    assert close(out.data, result.item(), rel=1e-10)
    for leaf, tensor in zip(leaves, tensors):
        grad = leaf.grad if leaf is not None else 0.0
        expected = tensor.grad.item() if tensor.grad is not None else 0.0
        assert close(grad, expected, rel=1e-9, abs_=1e-12), (str(expression), point)


def _leaves(out, expression, point):
    """The variable leaves of the built graph, by label (None if a variable is unused)."""
    from autograd import topological_order

    by_label = {node.label: node for node in topological_order(out)
                if not node._prev and node.label in expression.variables}
    return [by_label.get(name) for name in expression.variables]


def test_the_oracles_can_tell_a_wrong_number():
    # close() is the comparison every test above relies on
    assert close(1.0, mpmath.mpf(1) + mpmath.mpf("1e-12"))
    assert not close(1.0, mpmath.mpf("1.001"))
    assert not close(0.0, mpmath.mpf("1e-6"))
    assert math.isclose(float(mp_partial("mul", (2.0, 5.0), 0)), 5.0)
