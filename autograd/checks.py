"""The one check of "is this a real number?", shared by every input path.

``fit`` (both engines), ``predict``, the CSV reader, the PyTorch bridge and the tape's
own ``Tape.forward`` all call :func:`real_number` (or :func:`real_array`, its numpy
form), so the same value gets the same answer and the same message everywhere:

>>> real_number(2, "row 0, column 1")
2.0
>>> real_number("1.5", "row 0, column 1")
Traceback (most recent call last):
...
TypeError: row 0, column 1 is '1.5', text, not a number; convert text with float(...)
>>> print(not_a_number(10**400, "row 0"))
row 0 is an integer of 401 digits, beyond the float range (about 1.8e308); scale it down
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

__all__ = ["real_number", "real_array", "not_a_number"]


def not_a_number(value: Any, where: str) -> Exception:
    """The error for a ``value`` at ``where`` that is not a finite real number (or None
    if it is one): TypeError for the wrong kind, ValueError for a number out of range."""
    if isinstance(value, bool) or value is None or type(value).__name__ == "bool_":
        return TypeError(f"{where} is {value!r}, not a number; drop or impute a missing "
                         "value, and write 0.0/1.0 if a flag is meant as a number")
    if isinstance(value, (str, bytes, bytearray)):
        return TypeError(f"{where} is {value!r:.40}, text, not a number; convert text with "
                         "float(...)")
    if not isinstance(value, Real):
        return TypeError(f"{where} is {value!r:.40} of type {type(value).__name__}, not a "
                         "real number; pass an int or a float")
    try:
        number = float(value)
    except OverflowError:
        digits = len(str(abs(int(value))))
        return ValueError(f"{where} is an integer of {digits} digits, beyond the float range "
                          "(about 1.8e308); scale it down")
    if not math.isfinite(number):
        return ValueError(f"{where} is {number}, not a finite number; drop or impute it")
    return None


def real_number(value: Any, where: str) -> float:
    """``value`` as a float, or the error of :func:`not_a_number`."""
    if type(value) is float and value - value == 0.0:  # the common case, fast
        return value
    error = not_a_number(value, where)
    if error is not None:
        raise error
    return float(value)


def real_array(values: Any, where: str):
    """A numpy float64 array of ``values``, each entry checked by :func:`real_number`
    (``where`` gets the entry's index) unless the array is already numeric."""
    import numpy as np

    array = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if array.dtype.kind in "iuf" and array.dtype.kind != "b":
        out = array.astype(float)
        if out.size and not np.isfinite(out).all():
            bad = int(np.flatnonzero(~np.isfinite(out.ravel()))[0])
            raise not_a_number(float(out.ravel()[bad]), f"{where} entry {bad}")
        return out
    flat = array.ravel().tolist() if array.dtype == object else list(array.ravel())
    for i, v in enumerate(flat):
        error = not_a_number(v.item() if isinstance(v, np.generic) else v, f"{where} entry {i}")
        if error is not None:
            raise error
    return np.asarray([float(v) for v in flat], dtype=float).reshape(array.shape)
