"""Gradients of whole random expressions against two independent oracles.

One generator, :func:`autograd.strategies.expressions`, draws graphs over every op
of the table (shared subexpressions, constants on either side) at points where
every op is smooth; a new op is drawn with no change here.  ``backward()`` must agree
with

* mpmath's numerical derivative at 40 digits of the same expression, folded over the
  independent mpmath references of tests/oracles.py (tolerance 1e-7 relative: the
  analytic side is a float64 product of a few dozen factors, each exact to ~1e-16,
  and values are kept below 1e3, so 1e-7 leaves a wide margin for rounding while any
  wrong rule is off by O(1));
* PyTorch float64 autograd on the same expression (tolerance 1e-9 relative: both
  sides are float64, so only rounding differs).

Per-op checks (forward values, each local derivative, kinks) are in
tests/test_ops_oracles.py.
"""

import mpmath
import torch
from hypothesis import given
from oracles import MP_REFERENCE, TORCH_REFERENCE, close

from autograd import OPS, topological_order
from autograd.strategies import expressions


def mp_apply(name, args):
    return MP_REFERENCE[name](*args)


def torch_apply(name, args):
    # a constant operand (the n of x**n) stays a plain float, as in the engine
    args = [a.item() if rule is None and isinstance(a, torch.Tensor) else a
            for a, rule in zip(args, OPS[name].derivatives)]
    return TORCH_REFERENCE[name](*args)


def variable_leaves(out, expression):
    """The variable leaves of the built graph, by label (None if a variable is unused)."""
    by_label = {node.label: node for node in topological_order(out)
                if not node._prev and node.label in expression.variables}
    return [by_label.get(name) for name in expression.variables]


@given(expressions(max_depth=4, max_variables=3))
def test_expression_gradients_match_mpmath(case):
    """For random graphs (shared nodes included), backward() equals 40-digit derivatives."""
    expression, point = case
    out = expression(*point)
    leaves = variable_leaves(out, expression)
    out.backward()
    with mpmath.workdps(40):
        for i, leaf in enumerate(leaves):
            def along(t, i=i):
                values = [mpmath.mpf(x) for x in point]
                values[i] = t
                return expression.fold(mp_apply, values, mpmath.mpf)
            reference = mpmath.diff(along, mpmath.mpf(point[i]))
            grad = leaf.grad if leaf is not None else 0.0
            assert close(grad, reference, rel=1e-7, abs_=1e-9), (
                expression.formula(), point, i, grad, float(reference))


@given(expressions(max_depth=4, max_variables=3))
def test_expression_gradients_match_torch(case):
    expression, point = case
    out = expression(*point)
    leaves = variable_leaves(out, expression)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    result = expression.fold(torch_apply, tensors,
                             lambda c: torch.tensor(c, dtype=torch.float64))
    assert close(out.data, result.item(), rel=1e-10)
    if not result.requires_grad:
        return  # the output does not depend on the variables; nothing to compare
    result.backward()
    for leaf, tensor in zip(leaves, tensors):
        grad = leaf.grad if leaf is not None else 0.0
        expected = tensor.grad.item() if tensor.grad is not None else 0.0
        assert close(grad, expected, rel=1e-9, abs_=1e-12), (expression.formula(), point)


# That the generator draws every op of the table is tests/test_strategies.py's
# test_every_op_is_reachable_and_subexpressions_are_shared.
