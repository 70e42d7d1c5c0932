"""Losses on Values, each named and averaged as PyTorch's loss of the same name.

Every loss is written twice over: once for ONE example (``*_example``: the model's
output for one input and its target -> a Value), and once for a batch, which is the
mean of the per-example losses.  The training loop only ever uses the per-example
form, so a compiled tape can later replay "model + loss on one example" over a batch.

>>> from autograd import Value
>>> hinge_loss([Value(2.0), Value(-0.5)], [1, 1]).data   # mean of max(0, 1 - y*score)
0.75
>>> round(cross_entropy([[Value(1000.0), Value(-1000.0)]], [1]).data, 6)   # stable
2000.0
>>> round(binary_cross_entropy_with_logits([Value(0.0)], [1]).data, 6)     # log 2
0.693147
"""

from __future__ import annotations

import math
from typing import Callable, Sequence, Union

from autograd import Value

__all__ = [
    "mse_loss",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "cross_entropy",
    "hinge_loss",
    "multi_margin_loss",
    "l1_penalty",
    "l2_penalty",
    "log_softmax",
    "softmax",
    "LOSSES",
    "Loss",
]

Scalar = Union[Value, float]


def _mean(losses: list) -> Value:
    if not losses:
        raise ValueError("a loss needs at least one example; the batch is empty")
    total = losses[0]
    for loss in losses[1:]:
        total = total + loss
    return total * (1.0 / len(losses)) if len(losses) > 1 else total


def _check_lengths(name: str, outputs: Sequence, targets: Sequence) -> None:
    if len(outputs) != len(targets) or not len(outputs):
        raise ValueError(f"{name}: got {len(outputs)} outputs and {len(targets)} targets; "
                         "pass one target per output, at least one of each")


def _as_list(output) -> list:
    return list(output) if isinstance(output, (list, tuple)) else [output]


# --- mean squared error -------------------------------------------------------------


def mse_example(output, target) -> Value:
    """Squared error of one example, averaged over its components (one or many)."""
    outputs, targets = _as_list(output), _as_list(target)
    if len(outputs) != len(targets):
        raise ValueError(f"mse_loss: an output has {len(outputs)} components but its target "
                         f"has {len(targets)}; give targets the shape of the model's output")
    return _mean([(o - t) * (o - t) for o, t in zip(outputs, targets)])


def mse_loss(outputs: Sequence, targets: Sequence) -> Value:
    """``mean((output - target)**2)`` over every component, as ``torch.nn.MSELoss()``.

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    _check_lengths("mse_loss", outputs, targets)
    return _mean([mse_example(o, t) for o, t in zip(outputs, targets)])


# --- binary cross entropy ---------------------------------------------------------


def bce_with_logits_example(logit: Value, target: float) -> Value:
    """``-[y log sigmoid(x) + (1-y) log(1 - sigmoid(x))]`` without overflow.

    Since ``-log sigmoid(x) = softplus(-x)`` and ``-log(1 - sigmoid(x)) = softplus(x)``,
    the loss is ``y softplus(-x) + (1-y) softplus(x)``: two ops of the table that never
    overflow, and no branch on the logit's value, so the compiled tape, the trace and
    the pictures see the whole computation.  Each term stays exact in its own tail
    (``softplus(x) - x*y`` would cancel to 0 for a confident right answer).

    >>> round(bce_with_logits_example(Value(40.0), 1.0).data * 1e18, 4)   # exp(-40)
    4.2484
    """
    logit = _single("binary_cross_entropy_with_logits", logit)
    return target * (-logit).softplus() + (1.0 - target) * logit.softplus()


def binary_cross_entropy_with_logits(logits: Sequence, targets: Sequence[float]) -> Value:
    """Mean BCE of raw scores (logits) and 0/1 targets, as
    ``torch.nn.BCEWithLogitsLoss()``; finite for logits of +-1000.

    >>> round(binary_cross_entropy_with_logits([Value(-1000.0)], [1]).data, 6)
    1000.0
    """
    _check_lengths("binary_cross_entropy_with_logits", logits, targets)
    return _mean([bce_with_logits_example(o, t) for o, t in zip(logits, targets)])


_LOG_CLAMP = -100.0  # PyTorch's BCELoss clamps each log at -100 so that log(0) is finite
_CLAMP_FLOOR = math.exp(_LOG_CLAMP)


def _clamped_log(p: Value) -> Value:
    """``log(max(p, e^-100))`` as ops: ``relu(p - e^-100) + e^-100`` is ``p`` above the
    floor and the floor below it, where relu's slope 0 leaves no gradient, as in PyTorch.
    (``p - c + c`` is exactly ``p`` for every ``p`` above 1e-28.)"""
    return ((p - _CLAMP_FLOOR).relu() + _CLAMP_FLOOR).log()


def bce_example(probability: Value, target: float) -> Value:
    """BCE of one probability in [0, 1] (a sigmoid output) and a 0/1 target."""
    p = _single("binary_cross_entropy", probability)
    # a guard, not math: outside [0, 1] the clamped logs would give a wrong number
    if not 0.0 <= p.data <= 1.0:
        raise ValueError(f"binary_cross_entropy: probability {p.data!r} is outside [0, 1]; "
                         "pass sigmoid outputs, or raw scores to "
                         "binary_cross_entropy_with_logits")
    return -(target * _clamped_log(p) + (1.0 - target) * _clamped_log(1.0 - p))


def binary_cross_entropy(probabilities: Sequence, targets: Sequence[float]) -> Value:
    """Mean BCE of probabilities, as ``torch.nn.BCELoss()`` (logs clamped at -100).

    Prefer :func:`binary_cross_entropy_with_logits`: it never saturates.

    >>> round(binary_cross_entropy([Value(0.5)], [1]).data, 6)
    0.693147
    """
    _check_lengths("binary_cross_entropy", probabilities, targets)
    return _mean([bce_example(p, t) for p, t in zip(probabilities, targets)])


# --- categorical cross entropy ------------------------------------------------------


def log_softmax(logits: Sequence[Value]) -> list[Value]:
    """``z_i - logsumexp(z)``, with the max subtracted first so ``exp`` never overflows.

    The max is a plain number (a constant shift): log-sum-exp's value and gradient
    do not depend on it, so no gradient needs to flow through it.

    >>> [round(v.data, 4) for v in log_softmax([Value(0.0), Value(0.0)])]
    [-0.6931, -0.6931]
    """
    logits = [z if isinstance(z, Value) else Value(z) for z in logits]
    shift = max(z.data for z in logits)
    shifted = [z - shift for z in logits]
    total = shifted[0].exp()
    for z in shifted[1:]:
        total = total + z.exp()
    log_total = total.log()
    return [z - log_total for z in shifted]


def softmax(logits: Sequence[float]) -> list[float]:
    """Class probabilities from plain-number logits (for inference, no graph).

    >>> softmax([0.0, 0.0])
    [0.5, 0.5]
    """
    shift = max(logits)
    exps = [math.exp(z - shift) for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


def cross_entropy_example(logits: Sequence[Value], target: int) -> Value:
    """``-log softmax(logits)[target]`` for one example, through log-sum-exp.

    The one ``.data`` read in nn: the max logit, subtracted as a constant so that
    ``exp`` never overflows.  Log-sum-exp's value and gradient do not depend on it,
    so the read never changes the path; the registry entry declares it
    (``LOSSES["cross_entropy"].reads_data_for_shift``).
    """
    logits = _as_list(logits)
    if isinstance(target, float) and target.is_integer():
        target = int(target)
    if not isinstance(target, int) or not 0 <= target < len(logits):
        raise ValueError(f"cross_entropy: target {target!r} is not a class index for "
                         f"{len(logits)} logits; targets are ints 0..{len(logits) - 1}")
    logits = [z if isinstance(z, Value) else Value(z) for z in logits]
    shift = max(z.data for z in logits)
    total = (logits[0] - shift).exp()
    for z in logits[1:]:
        total = total + (z - shift).exp()
    # logsumexp(z) - z_target = log(sum exp(z - shift)) + shift - z_target
    return total.log() + (shift - logits[target])


def cross_entropy(logits: Sequence[Sequence[Value]], targets: Sequence[int]) -> Value:
    """Mean categorical cross entropy of raw scores, as ``torch.nn.CrossEntropyLoss()``.

    ``logits`` holds one list of class scores per example; ``targets`` the class
    indexes.  Stable for logits of +-1000.

    >>> round(cross_entropy([[Value(2.0), Value(0.0), Value(0.0)]], [0]).data, 4)
    0.2395
    """
    _check_lengths("cross_entropy", logits, targets)
    return _mean([cross_entropy_example(z, t) for z, t in zip(logits, targets)])


# --- hinge losses -------------------------------------------------------------------


def hinge_example(score: Value, target: float) -> Value:
    """``max(0, 1 - y * score)`` for a label ``y`` in {-1, +1}."""
    score = _single("hinge_loss", score)
    return (1 + -target * score).relu()


def hinge_loss(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """Mean SVM max-margin loss ``relu(1 - y * score)`` with labels ``y`` in {-1, +1}."""
    if len(scores) != len(targets) or not scores:
        raise ValueError(f"hinge_loss: got {len(scores)} scores and {len(targets)} targets; "
                         "pass one target per score, at least one of each")
    losses = [(1 + -yi * si).relu() for yi, si in zip(targets, scores)]
    return sum(losses) * (1.0 / len(losses))


def multi_margin_example(scores: Sequence[Value], target: int, margin: float = 1.0) -> Value:
    """Multi-class hinge of one example: ``sum_{i != y} max(0, margin - s_y + s_i) / C``."""
    scores = _as_list(scores)
    if not isinstance(target, int) or not 0 <= target < len(scores):
        raise ValueError(f"multi_margin_loss: target {target!r} is not a class index for "
                         f"{len(scores)} scores; targets are ints 0..{len(scores) - 1}")
    terms = [(margin - scores[target] + s).relu()
             for i, s in enumerate(scores) if i != target]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total * (1.0 / len(scores))


def multi_margin_loss(scores: Sequence[Sequence[Value]], targets: Sequence[int],
                      margin: float = 1.0) -> Value:
    """Mean multi-class hinge loss, as ``torch.nn.MultiMarginLoss()``.

    >>> multi_margin_loss([[Value(1.0), Value(0.5)]], [0]).data   # (1 - 1 + 0.5) / 2
    0.25
    """
    _check_lengths("multi_margin_loss", scores, targets)
    return _mean([multi_margin_example(s, t, margin) for s, t in zip(scores, targets)])


# --- penalties ----------------------------------------------------------------------


def l2_penalty(parameters: Sequence[Value], alpha: float) -> Value:
    """``alpha * sum(p * p)``, micrograd's regularizer.

    >>> l2_penalty([Value(2.0)], 0.25).data
    1.0
    """
    return alpha * sum(p * p for p in parameters)


def l1_penalty(parameters: Sequence[Value], alpha: float) -> Value:
    """``alpha * sum(|p|)``: pushes weights to exactly zero (sparse models).

    ``|p|`` is the table's ``abs`` op, whose slope at exactly 0 is 0 (PyTorch's
    subgradient), so a weight that reached 0 stays there.

    >>> l1_penalty([Value(-2.0), Value(1.0)], 0.5).data
    1.5
    """
    return alpha * sum(p.abs() for p in parameters)


def _single(name: str, output) -> Value:
    if isinstance(output, (list, tuple)):
        if len(output) != 1:
            raise ValueError(f"{name}: expects one score per example but got {len(output)}; "
                             "use a model with a single output (or cross_entropy for classes)")
        output = output[0]
    return output if isinstance(output, Value) else Value(output)


# --- the registry the training loop reads -----------------------------------------


class Loss:
    """A named loss: its per-example rule and how its outputs become predictions.

    ``example(output, target)`` gives the loss of one example (a Value);
    ``predict(output_floats)`` turns a model output into a class;
    ``target(label, n_outputs)`` turns a class label into what ``example`` expects.
    ``reads_data_for_shift`` is True for a loss that reads ``.data`` only to subtract
    a constant shift (log-sum-exp's max): the read cannot change the graph's path, so
    a compiled tape may accept it (and checks itself on its first batch).

    >>> [name for name, loss in LOSSES.items() if loss.reads_data_for_shift]
    ['cross_entropy']
    """

    def __init__(self, name: str, example: Callable, predict: Callable, target: Callable,
                 multi_output: bool, reads_data_for_shift: bool = False):
        self.name = name
        self.example = example
        self.predict = predict
        self.target = target
        self.multi_output = multi_output  # True: one output per class
        self.reads_data_for_shift = reads_data_for_shift

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"


def _argmax(xs: Sequence[float]) -> int:
    return max(range(len(xs)), key=xs.__getitem__)


def _mse_target(label, n_outputs: int):
    if n_outputs == 1:
        return float(label)
    return [1.0 if i == label else 0.0 for i in range(n_outputs)]


LOSSES: dict[str, Loss] = {
    "cross_entropy": Loss("cross_entropy", cross_entropy_example, _argmax,
                          lambda label, n: int(label), True, reads_data_for_shift=True),
    "bce": Loss("bce", bce_with_logits_example, lambda out: int(out[0] > 0),
                lambda label, n: float(label), False),
    "hinge": Loss("hinge", hinge_example, lambda out: int(out[0] > 0),
                  lambda label, n: 1.0 if label > 0 else -1.0, False),
    "multi_margin": Loss("multi_margin", multi_margin_example, _argmax,
                         lambda label, n: int(label), True),
    "mse": Loss("mse", mse_example,
                lambda out: int(out[0] > 0.5) if len(out) == 1 else _argmax(out),
                _mse_target, False),
}
