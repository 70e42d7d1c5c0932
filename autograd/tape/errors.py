"""The tape's errors, and how it names the batch row where an op failed.

The tape refuses exactly what the scalar engine refuses, and says so with the
table's own message plus the batch row: ``log() of -1.0 is undefined ... (batch
row 3, inputs [...])``.  Both replays (:mod:`.interpreter`, :mod:`.plan`) build
their messages here.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..ops import Op, OpDomainError, OpError, OpOverflowError, derivative_error

__all__ = ["TapeTraceError", "TapeMismatchError"]


class TapeTraceError(ValueError):
    """The function cannot be compiled into a tape; the message says why and what to do."""


class TapeMismatchError(TapeTraceError):
    """A replay disagrees with the scalar engine (see :meth:`Tape.verify`)."""


def all_finite(array: np.ndarray) -> bool:
    """Whether every entry is finite: one pass (a sum) when they are, which is the
    usual case; the entry-by-entry test only when the sum is not finite."""
    return bool(np.isfinite(array.sum())) or bool(np.isfinite(array).all())


def describe_row(op: Op, values: Sequence[float]) -> str:
    return op.describe(*(repr(float(v)) for v in values))


def domain_error(op: Op, values: Sequence[float], row: int, where: str):
    """The row's own domain error for ``values`` (one batch row), naming the row; or None."""
    try:
        op.check(*values)
    except OpError as problem:
        return type(problem)(f"{problem} (batch row {row}{where})")
    return None


def forward_error(op: Op, values: Sequence[float], result: float, row: int, where: str):
    """The exception for op ``op`` on ``values`` (one batch row) giving ``result``."""
    problem = domain_error(op, values, row, where)
    if problem is not None:
        return problem
    if result != result:
        return OpDomainError(f"{op.name}: {describe_row(op, values)} is not a number (NaN) "
                             f"at batch row {row}{where}; an operand is infinite or outside "
                             "the op's domain")
    return OpOverflowError(f"{op.name}: {describe_row(op, values)} = {result} overflows a "
                           f"float at batch row {row}{where}; scale the inputs down")


def backward_error(op: Op, operand: int, values, local: float, upstream: float, row: int,
                   where: str):
    """The exception for a non-finite ``local * upstream`` on one edge of one row."""
    problem = domain_error(op, values, row, where)
    if problem is not None:
        return problem
    if upstream != upstream or abs(upstream) == float("inf"):
        return OpOverflowError(f"{op.name}: the gradient flowing into {describe_row(op, values)} "
                               f"is {upstream} at batch row {row}{where}; the loss is too steep "
                               "-- scale the inputs or the loss down")
    if local == local and abs(local) != float("inf"):
        # a finite slope times a finite upstream (or the batch's sum of them) overflowed
        return OpOverflowError(f"{op.name}: the gradient {float(local)!r} (local derivative "
                               f"{op.formulas[operand]}) * {float(upstream)!r} (upstream) at "
                               f"{describe_row(op, values)} overflows a float at batch row "
                               f"{row}{where}; scale the inputs or the loss down")
    return derivative_error(op, operand, values, local, f" at batch row {row}{where}")


def screen(op: Op, out: np.ndarray, args: list, where: Callable[[int], str]) -> None:
    """The op's domain check, run only on the entries where the value or a local
    derivative is not finite, so that the tape refuses exactly what the scalar engine
    refuses (``0 ** y`` with both Values is finite, but its derivative needs log 0).

    The table's checks are scalar functions; every domain error they catch shows up
    as a non-finite value or slope, so screening with numpy first keeps them cheap.
    """
    suspicious = ~np.isfinite(out)
    for rule in op.derivatives:
        if rule is not None:
            suspicious |= ~np.isfinite(rule(np, out, *args))
    if not suspicious.any():
        return
    for entry in np.argwhere(suspicious):
        entry = tuple(int(i) for i in entry)
        values = [float(np.broadcast_to(a, out.shape)[entry]) for a in args]
        problem = domain_error(op, values, entry[-1], where(entry[-1]))
        if problem is not None:
            raise problem
