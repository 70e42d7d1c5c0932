"""A number into a Value's ``data``: a finite float, or an error that says what to do.

Accepts what Python calls a real number (int, bool, float, Fraction, numpy's
scalars) and Decimal; refuses text, NaN, the infinities and numbers beyond a float:

>>> as_float(3, "Value(3)")
3.0
>>> as_float(float("nan"), "Value(nan)")
Traceback (most recent call last):
...
autograd.ops.OpDomainError: Value(nan): the number is NaN; a Value holds a finite number, \
so find where the NaN value came from before building the graph
"""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Real

from .ops import OpDomainError, OpOverflowError

__all__ = ["as_float", "describe"]


def describe(x) -> str:
    """``repr(x)``, cut to 40 characters for an error message."""
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def as_float(x, where: str) -> float:
    """``x`` as a finite float; ``where`` starts the message of the error otherwise."""
    if not isinstance(x, (Real, Decimal)):
        raise TypeError(f"{where}: operand {describe(x)} of type {type(x).__name__} is not a "
                        "number; use an int, a float or a Value (convert text with float(...))")
    try:
        number = float(x)
    except ValueError:  # Decimal's signalling NaN
        number = float("nan")
    except OverflowError:  # an int or a Fraction beyond a float
        number = None
    if number is None or (number in (math.inf, -math.inf) and _is_finite_in_its_own_type(x)):
        raise OpOverflowError(f"{where}: {describe(x)} is too large for a float (the largest "
                              "is about 1.8e308); scale it down")
    if number - number:  # NaN and the infinities; a finite x - x is 0.0
        what = "NaN" if number != number else "infinite"
        raise OpDomainError(f"{where}: the number is {what}; a Value holds a finite number, "
                            f"so find where the {what} value came from before building the graph")
    return number


def _is_finite_in_its_own_type(x) -> bool:
    """Decimal("1e400") or numpy's long double 1e400: finite, yet float() gives inf."""
    if isinstance(x, Decimal):
        return x.is_finite()
    return x * 2 != x  # an infinity is its own double
