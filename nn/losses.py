"""Losses on Values.

>>> from autograd import Value
>>> hinge_loss([Value(2.0), Value(-0.5)], [1, 1]).data   # mean of max(0, 1 - y*score)
0.75
"""

from __future__ import annotations

from typing import Sequence

from autograd import Value

__all__ = ["hinge_loss", "l2_penalty"]


def hinge_loss(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """Mean SVM max-margin loss ``relu(1 - y * score)`` with labels ``y`` in {-1, +1}."""
    if len(scores) != len(targets) or not scores:
        raise ValueError(f"hinge_loss: got {len(scores)} scores and {len(targets)} targets; "
                         "pass one target per score, at least one of each")
    losses = [(1 + -yi * si).relu() for yi, si in zip(targets, scores)]
    return sum(losses) * (1.0 / len(losses))


def l2_penalty(parameters: Sequence[Value], alpha: float) -> Value:
    """``alpha * sum(p * p)``, micrograd's regularizer."""
    return alpha * sum(p * p for p in parameters)
