"""One training step per engine: what ``fit`` calls for each mini-batch.

A step takes a mini-batch (rows of ``x`` and the loss's targets), computes the mean
loss plus the penalties, and leaves ``d(total)/dp`` in each parameter's ``.grad``.
It returns the mean data loss and the model's outputs per row (for accuracy).
``fit`` does the rest (guards, clipping, the optimizer), the same for every engine:

* :class:`ScalarStep` -- a graph of Values per example, then ``backward()``: the
  teaching engine, pure Python;
* :class:`CompiledStep` -- the whole batch at once on compiled tapes
  (:mod:`nn.compiled`, needs numpy): the same numbers, many times faster;
* :class:`ArrayStep` -- the compiled step on a parameter vector: it takes the
  parameters as an array and returns the gradient as one, so the optimizer's array
  form can follow and no Value is touched per batch (``fit(compile=True)``).

Dropout in training mode takes its masks from ``fit``'s :class:`~nn.masks.DropoutMasks`
(``masks=``): the scalar step draws them as it calls the model, the compiled steps
draw a batch of them as tape inputs, in the same order, so all three agree.

>>> from nn import MLP
>>> from nn.losses import LOSSES
>>> model = MLP(2, [4, 1], seed=0)
>>> step = ScalarStep(model, LOSSES["hinge"], penalty=None)
>>> mean, outputs = step([[0.5, -0.2], [1.0, 2.0]], [1.0, -1.0])
>>> len(outputs), isinstance(mean, float), model.parameters()[0].grad != 0.0
(2, True, True)
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence

from autograd import Value

from .losses import Loss, l1_penalty, l2_penalty

__all__ = ["ScalarStep", "CompiledStep", "ArrayStep", "example_loss", "make_penalty",
           "add_penalty_arrays", "NonFiniteLoss"]

Penalty = Optional[Callable[[list], Value]]


class NonFiniteLoss(ArithmeticError):
    """The batch's loss is NaN or infinite (``fit`` turns it into a divergence error)."""


def make_penalty(l1: float, l2: float) -> Penalty:
    """``params -> l1 * sum|p| + l2 * sum p^2`` as a Value, or None without penalties."""
    if not l1 and not l2:
        return None

    def penalty(params: list) -> Value:
        terms = ([l1_penalty(params, l1)] if l1 else []) + ([l2_penalty(params, l2)] if l2 else [])
        return sum(terms[1:], terms[0])

    return penalty


def example_loss(model: Callable, loss: Loss, x: Sequence[float], target: Any
                 ) -> tuple[Value, list[Value]]:
    """The loss of one example and the model's outputs (as a list), as Values.

    The inputs become leaf Values once here, so every neuron of the first layer
    shares them instead of wrapping each number again (same floats, fewer nodes).
    """
    x = [v if isinstance(v, Value) else Value(v) for v in x]
    out = model(x)
    outputs = list(out) if isinstance(out, (list, tuple)) else [out]
    return loss.example(outputs if len(outputs) > 1 else outputs[0], target), outputs


def _backward(data_loss: Value, params: list, penalty: Penalty) -> Value:
    """Zero the grads, add the penalty, refuse a non-finite total, run backward."""
    total = data_loss if penalty is None else data_loss + penalty(params)
    if not math.isfinite(total.data):
        raise NonFiniteLoss(f"the loss is {total.data}")
    for p in params:
        p.grad = 0.0
    total.backward()
    return total


class ScalarStep:
    """A graph of Values per example; the mean of their losses; ``backward()``."""

    def __init__(self, model: Callable, loss: Loss, penalty: Penalty):
        self.model, self.loss, self.penalty = model, loss, penalty
        self.params = model.parameters()

    def __call__(self, xb: Sequence[Sequence[float]], targets: Sequence) -> tuple:
        losses, outputs = [], []
        for x, target in zip(xb, targets):
            example, outs = example_loss(self.model, self.loss, x, target)
            losses.append(example)
            outputs.append([o.data for o in outs])
        data_loss = sum(losses[1:], losses[0]) * (1.0 / len(losses))
        _backward(data_loss, self.params, self.penalty)
        return data_loss.data, outputs


class CompiledStep:
    """The batch on compiled tapes (traced once, here, before any training)."""

    def __init__(self, model: Callable, loss: Loss, penalty: Penalty,
                 example_x: Sequence[float], example_target: Any, masks: Any = None):
        from .compiled import CompiledLoss  # numpy is needed only here

        self.batch_loss = CompiledLoss(model, loss, example_x, example_target, masks)
        self.params, self.penalty = self.batch_loss.params, penalty

    def __call__(self, xb: Sequence[Sequence[float]], targets: Sequence) -> tuple:
        mean, outputs = self.batch_loss.forward(xb, targets)
        data_loss = Value(mean)  # a leaf: the tapes add the data loss's gradients
        _backward(data_loss, self.params, self.penalty)
        self.batch_loss.backward(data_loss.grad)
        return mean, outputs.tolist()


class ArrayStep:
    """The batch on compiled tapes, parameters in and gradient out as arrays.

    Returns ``(mean data loss, total loss, outputs (B, n_outputs), gradient)``; the
    L1 and L2 penalties are added in their array forms: ``l2 * sum(theta^2)`` with
    gradient ``2 * l2 * theta``, and ``l1 * sum|theta|`` with the table's ``abs``
    rules on the whole vector (so its slope at exactly 0 is the one that
    :func:`~nn.losses.l1_penalty` uses).
    """

    def __init__(self, model: Callable, loss: Loss, l1: float, l2: float,
                 example_x: Sequence[float], example_target: Any, masks: Any = None):
        from .compiled import ArrayBatchLoss  # numpy is needed only here

        self.batch_loss = ArrayBatchLoss(model, loss, example_x, example_target, masks)
        self.l1, self.l2 = l1, l2

    def __call__(self, xb: Sequence[Sequence[float]], targets: Sequence, theta) -> tuple:
        mean, outputs, grad = self.batch_loss(xb, targets, theta)
        return mean, add_penalty_arrays(theta, grad, self.l1, self.l2, mean), outputs, grad


def add_penalty_arrays(theta, grad, l1: float, l2: float, loss: float = 0.0) -> float:
    """``loss + l1 * sum|theta| + l2 * sum(theta^2)``, with the penalties' gradient
    added into ``grad`` (in place): the L1 and L2 penalties on a parameter vector, as
    compiled training adds them.  L1's slope is the table's ``abs`` rule (0 at 0).

    >>> import numpy as np
    >>> theta, grad = np.array([-2.0, 0.0, 1.0]), np.zeros(3)
    >>> add_penalty_arrays(theta, grad, 0.5, 0.25), grad.tolist()
    (2.75, [-1.5, 0.0, 1.0])
    """
    import numpy as np

    total = loss
    if l1:
        from autograd import OPS

        absolute = OPS["abs"]
        size = absolute.forward(np, theta)
        total += l1 * float(size.sum())
        grad += l1 * absolute.derivatives[0](np, size, theta)
    if l2:
        total += l2 * float(np.dot(theta, theta))
        grad += (2.0 * l2) * theta
    return total
