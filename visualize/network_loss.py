"""The loss both network pictures backpropagate: the mean squared error against a target,
or the network's own (summed) output.

>>> from autograd import Value
>>> L, targets, formula = network_loss([Value(3.0)], [1.0], "mse")
>>> L.data, targets, formula
(4.0, [1.0], '(a - target)**2')
"""

from __future__ import annotations

from typing import Optional

from autograd import Value

from .inputs import finite_numbers

__all__ = ["network_loss", "LOSSES"]

LOSSES = ("mse", "none")


def network_loss(outputs: list, target, loss: str) -> tuple[Value, Optional[list], str]:
    """``(L, targets, formula)`` for ``outputs``: ``loss="mse"`` with a target is the mean
    of ``(output - target)**2``; otherwise L is the sum of the outputs."""
    if loss not in LOSSES:
        raise ValueError(f"loss={loss!r} is not known: use one of {', '.join(LOSSES)}")
    if target is not None and loss == "mse":
        targets = finite_numbers(target if isinstance(target, (list, tuple)) else [target],
                                 "network", "target")
        if len(targets) != len(outputs):
            raise ValueError(f"target has {len(targets)} values but the network has "
                             f"{len(outputs)} outputs: give one target per output")
        terms = [(o - t) ** 2 for o, t in zip(outputs, targets)]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        L = total / len(terms) if len(terms) > 1 else total
        return L, targets, ("mean of " if len(terms) > 1 else "") + "(a - target)**2"
    L = outputs[0]
    for o in outputs[1:]:
        L = L + o
    return L, None, "sum of the outputs" if len(outputs) > 1 else "the output"
