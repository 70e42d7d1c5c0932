"""Numbers a user hands to a network picture, checked where they come in.

>>> [v.label for v in input_leaves([0.5, -1.0], "draw_network")]
['x1', 'x2']
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Sequence, Union

from autograd import Value
from nn.modules import as_inputs

__all__ = ["input_leaves", "finite_numbers"]


def _number(v, who: str, what: str) -> float:
    # one error naming the caller and the position, not "Value(nan)" or "could not
    # convert string to float" from deep inside
    if isinstance(v, bool) or not isinstance(v, Real):
        raise TypeError(f"{who}: {what} is {v!r:.40}, not a number")
    if not math.isfinite(v):
        raise ValueError(f"{who}: {what} is {v}; give finite numbers")
    return float(v)


def _sequence(values, who: str, what: str) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{who}: {what} {values!r:.40} should be a list of numbers")
    return list(values)


def finite_numbers(values: Sequence[float], who: str, what: str) -> list[float]:
    """``values`` as floats, each a finite real number.

    >>> finite_numbers([1, 2.5], "draw_network_diagram", "target")
    [1.0, 2.5]
    """
    return [_number(v, who, f"{what} {i}") for i, v in enumerate(_sequence(values, who, what), 1)]


def input_leaves(x: Sequence[Union[float, Value]], who: str) -> list[Value]:
    """Values pass through; numbers become leaves labelled ``x1``, ``x2`` ... as in a
    model call (:func:`nn.modules.as_inputs`), once each is checked by position."""
    items = [v if isinstance(v, Value) else _number(v, who, f"input {i}")
             for i, v in enumerate(_sequence(x, who, "the inputs"), 1)]
    return as_inputs(items)
