"""The tape's errors, and how it names the batch row where an op failed.

The tape refuses exactly what the scalar engine refuses, and says so with the
table's own message plus the batch row: ``log() of -1.0 is undefined ... (batch
row 3, inputs [...])``.  Both replays (:mod:`.interpreter`, :mod:`.plan`) build
their messages here; each takes ``describe_row``, a callback from the :class:`~.replay.Tape`
that describes a batch row (its inputs) for the message.
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


def describe_call(op: Op, values: Sequence[float]) -> str:
    """The op applied to one row's operands, as the table writes it: ``log(-1.0)``."""
    return op.describe(*(repr(float(v)) for v in values))


def domain_error(op: Op, values: Sequence[float], row: int, row_detail: str):
    """The row's own domain error for ``values`` (one batch row), naming the row; or None."""
    try:
        op.check(*values)
    except OpError as problem:
        return type(problem)(f"{problem} (batch row {row}{row_detail})")
    return None


def forward_error(op: Op, values: Sequence[float], result: float, row: int, row_detail: str):
    """The exception for op ``op`` on ``values`` (one batch row) giving ``result``."""
    problem = domain_error(op, values, row, row_detail)
    if problem is not None:
        return problem
    if result != result:
        return OpDomainError(f"{op.name}: {describe_call(op, values)} is not a number (NaN) "
                             f"at batch row {row}{row_detail}; an operand is infinite or outside "
                             "the op's domain")
    return OpOverflowError(f"{op.name}: {describe_call(op, values)} = {result} overflows a "
                           f"float at batch row {row}{row_detail}; scale the inputs down")


def backward_error(op: Op, operand: int, values, local: float, upstream: float, row: int,
                   row_detail: str):
    """The exception for a non-finite ``local * upstream`` on one edge of one row."""
    problem = domain_error(op, values, row, row_detail)
    if problem is not None:
        return problem
    if upstream != upstream or abs(upstream) == float("inf"):
        return OpOverflowError(f"{op.name}: the gradient flowing into "
                               f"{describe_call(op, values)} is {upstream} at batch row "
                               f"{row}{row_detail}; the loss is too steep -- scale the inputs "
                               "or the loss down")
    if local == local and abs(local) != float("inf"):
        # a finite slope times a finite upstream (or the batch's sum of them) overflowed
        return OpOverflowError(f"{op.name}: the gradient {float(local)!r} (local derivative "
                               f"{op.formulas[operand]}) * {float(upstream)!r} (upstream) at "
                               f"{describe_call(op, values)} overflows a float at batch row "
                               f"{row}{row_detail}; scale the inputs or the loss down")
    return derivative_error(op, operand, values, local, f" at batch row {row}{row_detail}")


def screen(op: Op, out: np.ndarray, args: list,
           describe_row: Callable[[int], str]) -> None:
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
        problem = domain_error(op, values, entry[-1], describe_row(entry[-1]))
        if problem is not None:
            raise problem
