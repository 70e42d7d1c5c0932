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

A row also says how the op is written (``symbol``, ``infix``/``prefix``/call,
``precedence``, ``right_assoc``; :mod:`autograd.notation` does the writing), the
text of each derivative (``formulas``; tests/test_ops_oracles.py checks each text
against its rule), where it has ``kinks``, whether networks use it as an
``activation``, and whether it is ``piecewise_linear`` (slopes constant between
kinks, so the slope's own derivative is 0: :func:`autograd.grad` with
``create_graph=True`` uses such a slope as a constant).

>>> OPS["relu"].kinks, OPS["relu"].activation, OPS["relu"].piecewise_linear
('a = 0', True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Optional

from . import notation

__all__ = [
    "Op",
    "OPS",
    "SCALAR_MATH",
    "OpError",
    "OpDomainError",
    "OpZeroDivisionError",
    "OpOverflowError",
    "register_op",
    "activation_ops",
    "unregister_op",
    "derivative_error",
    "derivative_overflows",
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
    sqrt=math.sqrt,
    sin=math.sin,
    cos=math.cos,
)

# leaky_relu's slope for negative inputs (PyTorch's default negative_slope).
LEAKY_SLOPE = 0.01

# exp(x) overflows a double beyond this point.
EXP_LIMIT = math.log(1.7976931348623157e308)


@dataclass(frozen=True)
class Op:
    """One primitive operation: its math, how it is written, and where it is smooth.

    ``check(*operands)`` returns ``None`` when the operands are fine, or an
    ``(error_class, message)`` pair that the caller raises.  ``precedence`` is one of
    :mod:`autograd.notation`'s levels (default: ATOM for a call, UNARY for a prefix
    op, SUM -- the loosest, so always parenthesized -- for an infix op).
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
    prefix: bool = False
    precedence: Optional[int] = None
    right_assoc: bool = False
    kinks: str = ""
    activation: bool = False
    piecewise_linear: bool = False
    # optional, for the compiled tape only: each derivative rule again, in a form that is
    # cheaper on numpy arrays and equal to ``derivatives`` (tests/test_ops_oracles.py
    # checks); a slope that is 0 or 1 may be a boolean mask, which the tape's
    # ``mask * upstream`` casts in the same pass
    array_derivatives: tuple = ()

    def __post_init__(self):
        if self.precedence is None:
            level = (notation.SUM if self.infix else
                     notation.UNARY if self.prefix else notation.ATOM)
            object.__setattr__(self, "precedence", level)

    def describe(self, *operands: str) -> str:
        """How the op is written: ``describe('a', 'b')`` gives ``'a*b'``."""
        return notation.write(self, operands)


_fmt = notation.exact_number


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


def _check_sqrt(x):
    if x < 0:
        return (OpDomainError,
                f"sqrt() of {_fmt(x)} is undefined: sqrt needs an input >= 0; "
                "clamp it first, e.g. sqrt(x*x + 1e-12)")
    return None


def _check_clamp(x, low, high):
    if low > high:
        return (OpDomainError,
                f"clamp({_fmt(x)}, {_fmt(low)}, {_fmt(high)}): the lower bound is above the "
                "upper bound; give clamp(x, low, high) with low <= high")
    return None


# --- a local derivative that is not finite: overflow, or not differentiable ---------


def derivative_overflows(op: "Op", index: int, datas) -> bool:
    """Whether op's derivative ``index`` at ``datas`` is a finite number too large for a
    float (``log`` at 5e-324: 1/a is 2e323), rather than a point where the op has no
    derivative (``sqrt`` at 0: 1/(2*sqrt(0)) divides by zero).

    Both engines ask here, so they tell the two apart the same way: the rule is run on
    Python floats, where a division by zero or a math domain error raises while a
    quotient that is only too large gives inf.
    """
    try:
        out = float(op.forward(SCALAR_MATH, *datas))
        local = float(op.derivatives[index](SCALAR_MATH, out, *datas))
    except OverflowError:
        return True
    except (ArithmeticError, ValueError, TypeError):
        return False
    return local in (math.inf, -math.inf)


def derivative_error(op: "Op", index: int, datas, local: float, where: str = "") -> OpError:
    """The one message for a local derivative ``local`` that is not finite (``where``
    adds e.g. the tape's batch row)."""
    operands = op.describe(*(repr(float(d)) for d in datas))
    if derivative_overflows(op, index, datas):
        return OpOverflowError(f"{op.name}: the derivative {op.formulas[index]} of {operands} "
                               f"with respect to operand {index + 1} overflows a float{where} "
                               "(it is finite but beyond 1.8e308); scale the input away "
                               "from the end of the float range")
    return OpDomainError(f"{op.name}: the derivative {op.formulas[index]} of {operands} with "
                         f"respect to operand {index + 1} is {local}{where} -- the op is not "
                         "differentiable there; move the input away from that point")


# --- the table ----------------------------------------------------------------

OPS: dict[str, Op] = {}


def register_op(op: Op) -> Op:
    """Add an op to the table.  Everything else (Value methods apart) reads it from here."""
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already registered")
    OPS[op.name] = op
    return op


def activation_ops() -> tuple[str, ...]:
    """The names of the rows marked ``activation``, in table order: the one list that
    nn's activations (and any activation layer) are built from.

    >>> activation_ops()
    ('tanh', 'sigmoid', 'relu', 'leaky_relu', 'softplus')
    """
    return tuple(name for name, op in OPS.items() if op.activation)


def unregister_op(name: str) -> None:
    """Remove an op, e.g. a test's deliberately wrong one."""
    OPS.pop(name, None)


def _sigmoid(m, x):
    # A namespace that builds graphs (autograd.functional.VALUE_MATH) has the op
    # itself, so the derivative of softplus stays differentiable.
    if hasattr(m, "sigmoid"):
        return m.sigmoid(x)
    # exp(-|x|) never overflows, and each branch avoids cancellation.
    z = m.exp(-m.abs(x))
    return m.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus(m, x):
    # log(1 + exp(x)) written so that exp never overflows and log1p keeps the tail exact.
    return m.maximum(x, 0.0) + m.log1p(m.exp(-m.abs(x)))


def _sign(m, x):
    # sign(0) = 0, PyTorch's choice for abs at its kink (a subgradient).
    return m.where(x > 0, 1.0, m.where(x < 0, -1.0, 0.0))


def _pow_slope(m, a, n):
    # d(a**n)/da = n * a**(n-1), except that x**0 is a constant and x**1 is x: their
    # slopes are exactly 0 and 1 even at a = 0, where a**(n-1) would divide by zero
    # (x**0 at 0, d2(x**1) and d3((x-1)**2) were refused though the true value is 0).
    if isinstance(n, (int, float)):  # a number: the scalar engine, a Value graph, the tape
        if n == 0:
            return 0.0
        if n == 1:
            return 1.0
        return n * m.power(a, n - 1)
    return m.where(n == 0, 0.0, m.where(n == 1, 1.0, n * m.power(a, n - 1)))  # an array of n


_SUM, _PRODUCT, _UNARY, _POWER = notation.SUM, notation.PRODUCT, notation.UNARY, notation.POWER


def _tie_split(m, first, second):
    # d min(a, b)/da: 1 where a is the smaller, 0 where larger, 1/2 at a tie (PyTorch's split)
    return m.where(first < second, 1.0, m.where(first == second, 0.5, 0.0))


for _op in (
    Op("add", "+", 2, lambda m, a, b: a + b,
       (lambda m, out, a, b: 1.0, lambda m, out, a, b: 1.0),
       ("1", "1"), infix=True, precedence=_SUM, doc="a + b"),
    Op("sub", "-", 2, lambda m, a, b: a - b,
       (lambda m, out, a, b: 1.0, lambda m, out, a, b: -1.0),
       ("1", "-1"), infix=True, precedence=_SUM, doc="a - b"),
    Op("mul", "*", 2, lambda m, a, b: a * b,
       (lambda m, out, a, b: b, lambda m, out, a, b: a),
       ("b", "a"), infix=True, precedence=_PRODUCT, doc="a * b"),
    Op("div", "/", 2, lambda m, a, b: a / b,
       # d/db = -a/b**2, computed as -(a/b)/b: b*b underflows (b = 3e-162 gave -3.036e161
       # for -3.333e161) or overflows long before the quotient does; out is a/b already
       (lambda m, out, a, b: 1.0 / b, lambda m, out, a, b: -(out / b)),
       ("1/b", "-a/b**2"), check=_check_div, infix=True, precedence=_PRODUCT, doc="a / b"),
    Op("neg", "-", 1, lambda m, a: -a,
       (lambda m, out, a: -1.0,),
       ("-1",), prefix=True, precedence=_UNARY, doc="-a"),
    Op("pow", "**", 2, lambda m, a, n: m.power(a, n),
       (lambda m, out, a, n: _pow_slope(m, a, n), None),
       ("n * a**(n-1)", None), check=_check_pow, infix=True, precedence=_POWER,
       right_assoc=True, doc="a ** n, n a constant number"),
    Op("rpow", "**", 2, lambda m, c, a: m.power(c, a),
       (None, lambda m, out, c, a: out * m.log(c)),
       (None, "c**a * log(c)"), check=_check_rpow, infix=True, precedence=_POWER,
       right_assoc=True, doc="c ** a, c a constant number"),
    Op("powv", "**", 2, lambda m, a, b: m.power(a, b),
       (lambda m, out, a, b: b * m.power(a, b - 1), lambda m, out, a, b: out * m.log(a)),
       ("b * a**(b-1)", "a**b * log(a)"), check=_check_powv, infix=True, precedence=_POWER,
       right_assoc=True, doc="a ** b, both Values"),
    Op("exp", "exp", 1, lambda m, a: m.exp(a),
       (lambda m, out, a: out,),
       ("exp(a)",), check=_check_exp),
    Op("log", "log", 1, lambda m, a: m.log(a),
       (lambda m, out, a: 1.0 / a,),
       ("1/a",), check=_check_log),
    Op("tanh", "tanh", 1, lambda m, a: m.tanh(a),
       (lambda m, out, a: 1.0 - out * out,),
       ("1 - tanh(a)**2",), activation=True),
    Op("sigmoid", "sigmoid", 1, _sigmoid,
       (lambda m, out, a: out * (1.0 - out),),
       ("sigmoid(a) * (1 - sigmoid(a))",), activation=True),
    # maximum, not where(a > 0, a, 0): one pass over an array on the tape, where a
    # where with two array branches costs four
    Op("relu", "relu", 1, lambda m, a: m.maximum(a, 0.0),
       (lambda m, out, a: m.where(a > 0, 1.0, 0.0),),
       ("1 if a > 0 else 0",), kinks="a = 0", activation=True, piecewise_linear=True,
       array_derivatives=(lambda m, out, a: a > 0,)),
    Op("leaky_relu", "leaky_relu", 1, lambda m, a: m.where(a > 0, a, LEAKY_SLOPE * a),
       (lambda m, out, a: m.where(a > 0, 1.0, LEAKY_SLOPE),),
       (f"1 if a > 0 else {LEAKY_SLOPE!r}",), kinks="a = 0", activation=True,
       piecewise_linear=True),
    Op("abs", "abs", 1, lambda m, a: m.abs(a),
       (lambda m, out, a: _sign(m, a),),
       ("sign(a)",), kinks="a = 0", piecewise_linear=True,
       doc="|a|; at the kink backward takes slope 0, as PyTorch does"),
    Op("softplus", "softplus", 1, _softplus,
       (lambda m, out, a: _sigmoid(m, a),),
       ("sigmoid(a)",), activation=True, doc="log(1 + exp(a)), computed without overflow"),
    Op("log_sigmoid", "log_sigmoid", 1, lambda m, a: -_softplus(m, -a),
       (lambda m, out, a: _sigmoid(m, -a),),
       ("sigmoid(-a)",), doc="log(sigmoid(a)) = -softplus(-a), computed without overflow"),
    Op("sqrt", "sqrt", 1, lambda m, a: m.sqrt(a),
       (lambda m, out, a: 0.5 / out,),
       ("1/(2*sqrt(a))",), check=_check_sqrt),
    Op("sin", "sin", 1, lambda m, a: m.sin(a),
       (lambda m, out, a: m.cos(a),),
       ("cos(a)",)),
    Op("cos", "cos", 1, lambda m, a: m.cos(a),
       (lambda m, out, a: -m.sin(a),),
       ("-sin(a)",)),
    Op("minimum", "minimum", 2, lambda m, a, b: m.minimum(a, b),
       (lambda m, out, a, b: _tie_split(m, a, b), lambda m, out, a, b: _tie_split(m, b, a)),
       ("1 if a < b else (0.5 if a == b else 0)", "1 if b < a else (0.5 if a == b else 0)"),
       kinks="a = b", piecewise_linear=True, doc="the smaller of a and b"),
    Op("maximum", "maximum", 2, lambda m, a, b: m.maximum(a, b),
       (lambda m, out, a, b: _tie_split(m, b, a), lambda m, out, a, b: _tie_split(m, a, b)),
       ("1 if a > b else (0.5 if a == b else 0)", "1 if b > a else (0.5 if a == b else 0)"),
       kinks="a = b", piecewise_linear=True, doc="the larger of a and b"),
    Op("clamp", "clamp", 3, lambda m, a, lo, hi: m.minimum(m.maximum(a, lo), hi),
       (lambda m, out, a, lo, hi: m.where((a >= lo) & (a <= hi) & (lo < hi), 1.0, 0.0),
        lambda m, out, a, lo, hi: m.where(a < lo, 1.0, 0.0),
        lambda m, out, a, lo, hi: m.where(a > hi, 1.0, 0.0)),
       ("1 if lo <= a <= hi and lo < hi else 0", "1 if a < lo else 0", "1 if a > hi else 0"),
       check=_check_clamp, kinks="a = lo or a = hi", piecewise_linear=True,
       doc="a limited to [lo, hi]: min(max(a, lo), hi)"),
):
    register_op(_op)
del _op
