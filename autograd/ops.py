"""The one table of primitive ops.

Every op is data: a name, a symbol, its arity, a forward rule, one local-derivative
rule per operand and a domain check.  Each rule is written once against a *math
namespace* ``m`` -- :data:`SCALAR_MATH` for Python floats here, numpy for the
compiled tape -- so the engine, the teaching trace, the renderer and the tape all
read the same rules.

>>> OPS["mul"].forward(SCALAR_MATH, 2.0, -3.0)
-6.0
>>> [d(SCALAR_MATH, -6.0, 2.0, -3.0) for d in OPS["mul"].derivatives]
[-3.0, 2.0]
>>> OPS["mul"].formulas
('b', 'a')

A derivative rule receives ``(m, out, *operands)``: having ``out`` lets
``tanh``, ``exp`` and ``sigmoid`` reuse the forward value, as a hand derivation does.
A rule of ``None`` marks an operand that is a constant (the ``2`` in ``x**2``):
no gradient flows to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Optional

__all__ = [
    "Op",
    "OPS",
    "SCALAR_MATH",
    "OpError",
    "OpDomainError",
    "OpZeroDivisionError",
    "OpOverflowError",
    "register_op",
    "unregister_op",
]


class OpError(ValueError):
    """An op was given an input it cannot handle; the message says which and why."""


class OpDomainError(OpError, ArithmeticError):
    """The operands lie outside the op's domain (log of 0, a negative base ...)."""


class OpZeroDivisionError(OpDomainError, ZeroDivisionError):
    """Division by zero, or zero raised to a negative power."""


class OpOverflowError(OpDomainError, OverflowError):
    """The result does not fit in a float (exp of a large number)."""


def _where(condition, if_true, if_false):
    return if_true if condition else if_false


# The scalar namespace: the subset of numpy's names that the rules use.
SCALAR_MATH = SimpleNamespace(
    exp=math.exp,
    log=math.log,
    tanh=math.tanh,
    abs=abs,
    where=_where,
    power=math.pow,
    log1p=math.log1p,
    maximum=max,
    minimum=min,
)

# leaky_relu's slope for negative inputs (PyTorch's default negative_slope).
LEAKY_SLOPE = 0.01

# exp(x) overflows a double beyond this point.
EXP_LIMIT = math.log(1.7976931348623157e308)


@dataclass(frozen=True)
class Op:
    """One primitive operation.

    ``check(*operands)`` returns ``None`` when the operands are fine, or an
    ``(error_class, message)`` pair that the caller raises.
    """

    name: str
    symbol: str
    arity: int
    forward: Callable
    derivatives: tuple
    formulas: tuple
    check: Optional[Callable] = None
    infix: bool = False
    doc: str = ""

    def describe(self, *operands: str) -> str:
        """How the op is written: ``describe('a', 'b')`` gives ``'a * b'``."""
        if self.infix:
            return f" {self.symbol} ".join(operands)
        if self.name == "neg":
            return f"-{operands[0]}"
        return f"{self.symbol}({', '.join(operands)})"


def _fmt(x: float) -> str:
    return repr(float(x))


# --- domain checks: each returns None or (error class, message) ---------------


def _check_div(a, b):
    if b == 0:
        return (OpZeroDivisionError,
                f"division {_fmt(a)} / {_fmt(b)}: the divisor is zero; "
                "keep the denominator away from 0, e.g. divide by (d + 1e-12)")
    return None


def _check_log(x):
    if x <= 0:
        return (OpDomainError,
                f"log() of {_fmt(x)} is undefined: log needs a positive input; "
                "clamp it first, e.g. log(x + 1e-12) for x >= 0")
    return None


def _check_exp(x):
    if x > EXP_LIMIT:
        return (OpOverflowError,
                f"exp() of {_fmt(x)} overflows a float (the limit is {EXP_LIMIT:.2f}); "
                "scale the input down or use a log-space form such as log-sum-exp")
    return None


def _check_pow(x, n):
    if x < 0 and not float(n).is_integer():
        return (OpDomainError,
                f"power {_fmt(x)} ** {_fmt(n)}: a negative base with a non-integer "
                "exponent has no real value; use an integer exponent or a positive base")
    if x == 0 and n < 0:
        return (OpZeroDivisionError,
                f"power {_fmt(x)} ** {_fmt(n)}: zero to a negative power divides by zero; "
                "keep the base away from 0")
    return None


def _check_rpow(c, x):
    if c <= 0:
        return (OpDomainError,
                f"power {_fmt(c)} ** x with x = {_fmt(x)}: a number raised to a Value needs "
                "a positive base, because the derivative is c**x * log(c)")
    return None


def _check_powv(x, y):
    if x <= 0:
        return (OpDomainError,
                f"power {_fmt(x)} ** {_fmt(y)} with both operands Values: the exponent's "
                "derivative needs log(base), so the base must be positive; "
                "use a plain number as the exponent if it is a constant")
    return None


# --- the table ----------------------------------------------------------------

OPS: dict[str, Op] = {}


def register_op(op: Op) -> Op:
    """Add an op to the table.  Everything else (Value methods apart) reads it from here."""
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already registered")
    OPS[op.name] = op
    return op


def unregister_op(name: str) -> None:
    """Remove an op, e.g. a test's deliberately wrong one."""
    OPS.pop(name, None)


def _sigmoid(m, x):
    # exp(-|x|) never overflows, and each branch avoids cancellation.
    z = m.exp(-m.abs(x))
    return m.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus(m, x):
    # log(1 + exp(x)) written so that exp never overflows and log1p keeps the tail exact.
    return m.maximum(x, 0.0) + m.log1p(m.exp(-m.abs(x)))


def _sign(m, x):
    # sign(0) = 0, PyTorch's choice for abs at its kink (a subgradient).
    return m.where(x > 0, 1.0, m.where(x < 0, -1.0, 0.0))


for _op in (
    Op("add", "+", 2, lambda m, a, b: a + b,
       (lambda m, out, a, b: 1.0, lambda m, out, a, b: 1.0),
       ("1", "1"), infix=True, doc="a + b"),
    Op("sub", "-", 2, lambda m, a, b: a - b,
       (lambda m, out, a, b: 1.0, lambda m, out, a, b: -1.0),
       ("1", "-1"), infix=True, doc="a - b"),
    Op("mul", "*", 2, lambda m, a, b: a * b,
       (lambda m, out, a, b: b, lambda m, out, a, b: a),
       ("b", "a"), infix=True, doc="a * b"),
    Op("div", "/", 2, lambda m, a, b: a / b,
       (lambda m, out, a, b: 1.0 / b, lambda m, out, a, b: -a / (b * b)),
       ("1/b", "-a/b**2"), check=_check_div, infix=True, doc="a / b"),
    Op("neg", "-", 1, lambda m, a: -a,
       (lambda m, out, a: -1.0,),
       ("-1",), doc="-a"),
    Op("pow", "**", 2, lambda m, a, n: m.power(a, n),
       (lambda m, out, a, n: n * m.power(a, n - 1), None),
       ("n * a**(n-1)", None), check=_check_pow, infix=True,
       doc="a ** n, n a constant number"),
    Op("rpow", "**", 2, lambda m, c, a: m.power(c, a),
       (None, lambda m, out, c, a: out * m.log(c)),
       (None, "c**a * log(c)"), check=_check_rpow, infix=True,
       doc="c ** a, c a constant number"),
    Op("powv", "**", 2, lambda m, a, b: m.power(a, b),
       (lambda m, out, a, b: b * m.power(a, b - 1), lambda m, out, a, b: out * m.log(a)),
       ("b * a**(b-1)", "a**b * log(a)"), check=_check_powv, infix=True,
       doc="a ** b, both Values"),
    Op("exp", "exp", 1, lambda m, a: m.exp(a),
       (lambda m, out, a: out,),
       ("exp(a)",), check=_check_exp),
    Op("log", "log", 1, lambda m, a: m.log(a),
       (lambda m, out, a: 1.0 / a,),
       ("1/a",), check=_check_log),
    Op("tanh", "tanh", 1, lambda m, a: m.tanh(a),
       (lambda m, out, a: 1.0 - out * out,),
       ("1 - tanh(a)**2",)),
    Op("sigmoid", "sigmoid", 1, _sigmoid,
       (lambda m, out, a: out * (1.0 - out),),
       ("sigmoid(a) * (1 - sigmoid(a))",)),
    Op("relu", "relu", 1, lambda m, a: m.where(a > 0, a, 0.0 * a),
       (lambda m, out, a: m.where(a > 0, 1.0, 0.0),),
       ("1 if a > 0 else 0",)),
    Op("leaky_relu", "leaky_relu", 1, lambda m, a: m.where(a > 0, a, LEAKY_SLOPE * a),
       (lambda m, out, a: m.where(a > 0, 1.0, LEAKY_SLOPE),),
       ("1 if a > 0 else 0.01",)),
    Op("abs", "abs", 1, lambda m, a: m.abs(a),
       (lambda m, out, a: _sign(m, a),),
       ("sign(a)",), doc="|a|; kink at 0, where the slope taken is 0"),
    Op("softplus", "softplus", 1, _softplus,
       (lambda m, out, a: _sigmoid(m, a),),
       ("sigmoid(a)",), doc="log(1 + exp(a)), computed without overflow"),
    Op("log_sigmoid", "log_sigmoid", 1, lambda m, a: -_softplus(m, -a),
       (lambda m, out, a: _sigmoid(m, -a),),
       ("sigmoid(-a)",), doc="log(sigmoid(a)) = -softplus(-a), computed without overflow"),
):
    register_op(_op)
del _op
