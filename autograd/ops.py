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

import inspect
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
    "watch_rows",
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


def _fields_by_name(cls):
    """Make ``cls(...)`` take its fields by name only (``kw_only``, before Python 3.10)."""
    init = cls.__init__

    def __init__(self, *positional, **fields):
        if positional:
            raise TypeError(f"{cls.__name__}(...) takes its fields by name, e.g. "
                            f"{cls.__name__}(name='tanh', symbol='tanh', arity=1, forward=..., "
                            f"derivatives=(...,), formulas=(...,)); got {len(positional)} "
                            "positional argument(s)")
        init(self, **fields)

    signature = inspect.signature(init)
    self_parameter, *parameters = signature.parameters.values()
    __init__.__signature__ = signature.replace(parameters=[self_parameter] + [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters])
    __init__.__doc__ = init.__doc__
    cls.__init__ = __init__
    return cls


@_fields_by_name
@dataclass(frozen=True)
class Op:
    """One primitive operation: its math, how it is written, and where it is smooth.

    Every field is given by name:

    >>> square = Op(name="square", symbol="square", arity=1,
    ...             forward=lambda m, a: a * a,
    ...             derivatives=(lambda m, out, a: 2.0 * a,), formulas=("2*a",))
    >>> square.describe("x"), square.derivatives[0](SCALAR_MATH, 9.0, 3.0)
    ('square(x)', 6.0)

    ``domain(*operands)`` raises the :class:`OpError` that says what is wrong with
    operands outside the op's domain (``log`` of 0); :meth:`check` runs it.
    ``precedence`` is one of :mod:`autograd.notation`'s levels (default: ATOM for a
    call, UNARY for a prefix op, SUM -- the loosest, so always parenthesized -- for
    an infix op).  A row written as a call (neither ``infix`` nor ``prefix``) is also
    a method of :class:`autograd.Value`: ``x.tanh()``, ``x.clamp(lo, hi)``.
    """

    name: str
    symbol: str
    arity: int
    forward: Callable
    derivatives: tuple
    formulas: tuple
    domain: Optional[Callable] = None
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

    def check(self, *operands: float) -> None:
        """Raise the row's :class:`OpError` if ``operands`` lie outside the op's domain.

        >>> OPS["log"].check(2.0)
        >>> OPS["log"].check(-1.0)
        Traceback (most recent call last):
        ...
        autograd.ops.OpDomainError: log() of -1.0 is undefined: log needs a positive input; \
clamp it first, e.g. log(x + 1e-12) for x >= 0
        """
        if self.domain is not None:
            self.domain(*operands)

    def accepts(self, *operands: float) -> bool:
        """Whether ``operands`` lie inside the op's domain (:meth:`check` passes)."""
        try:
            self.check(*operands)
        except OpError:
            return False
        return True

    @property
    def is_method(self) -> bool:
        """Whether :class:`autograd.Value` has this op as a method (a row written as a call)."""
        return not (self.infix or self.prefix)


_fmt = notation.exact_number


# --- domain rules: each raises the OpError that says what is wrong -------------


def _check_div(a, b):
    if b == 0:
        raise OpZeroDivisionError(
            f"division {_fmt(a)} / {_fmt(b)}: the divisor is zero; "
            "keep the denominator away from 0, e.g. divide by (d + 1e-12)")


def _check_log(x):
    if x <= 0:
        raise OpDomainError(
            f"log() of {_fmt(x)} is undefined: log needs a positive input; "
            "clamp it first, e.g. log(x + 1e-12) for x >= 0")


def _check_exp(x):
    if x > EXP_LIMIT:
        raise OpOverflowError(
            f"exp() of {_fmt(x)} overflows a float (the limit is {EXP_LIMIT:.2f}); "
            "scale the input down or use a log-space form such as log-sum-exp")


def _check_pow(x, n):
    if x < 0 and not float(n).is_integer():
        raise OpDomainError(
            f"power {_fmt(x)} ** {_fmt(n)}: a negative base with a non-integer "
            "exponent has no real value; use an integer exponent or a positive base")
    if x == 0 and n < 0:
        raise OpZeroDivisionError(
            f"power {_fmt(x)} ** {_fmt(n)}: zero to a negative power divides by zero; "
            "keep the base away from 0")


def _check_rpow(c, x):
    if c <= 0:
        raise OpDomainError(
            f"power {_fmt(c)} ** x with x = {_fmt(x)}: a number raised to a Value needs "
            "a positive base, because the derivative is c**x * log(c)")


def _check_powv(x, y):
    if x <= 0:
        raise OpDomainError(
            f"power {_fmt(x)} ** {_fmt(y)} with both operands Values: the exponent's "
            "derivative needs log(base), so the base must be positive; "
            "use a plain number as the exponent if it is a constant")


def _check_sqrt(x):
    if x < 0:
        raise OpDomainError(
            f"sqrt() of {_fmt(x)} is undefined: sqrt needs an input >= 0; "
            "clamp it first, e.g. sqrt(x*x + 1e-12)")


def _check_clamp(x, low, high):
    if low > high:
        raise OpDomainError(
            f"clamp({_fmt(x)}, {_fmt(low)}, {_fmt(high)}): the lower bound is above the "
            "upper bound; give clamp(x, low, high) with low <= high")


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

# Who is told when a row comes or goes: autograd.value, which gives Value a method for
# each row written as a call.  (ops sits below value, so value subscribes.)
_row_watchers: list[Callable[[Op, bool], None]] = []


def watch_rows(watcher: Callable[[Op, bool], None]) -> None:
    """Call ``watcher(op, True)`` for every row now and each row registered later, and
    ``watcher(op, False)`` for each row unregistered."""
    _row_watchers.append(watcher)
    for op in OPS.values():
        watcher(op, True)


def register_op(op: Op) -> Op:
    """Add an op to the table.  Everything else reads it from here.

    >>> register_op(Op(name="cube", symbol="cube", arity=1, forward=lambda m, a: a * a * a,
    ...                derivatives=(lambda m, out, a: 3.0 * a * a,), formulas=("3*a**2",)))
    Op(name='cube', ...)
    >>> from autograd import Value
    >>> x = Value(2.0); y = x.cube(); y.backward(); y.data, x.grad
    (8.0, 12.0)
    >>> unregister_op("cube")
    """
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already registered")
    OPS[op.name] = op
    try:
        for watcher in _row_watchers:
            watcher(op, True)
    except Exception:
        unregister_op(op.name)
        raise
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
    op = OPS.pop(name, None)
    if op is not None:
        for watcher in _row_watchers:
            watcher(op, False)


def _sigmoid(m, x):
    # exp(-|x|) never overflows, and each branch avoids cancellation.
    z = m.exp(-m.abs(x))
    return m.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _sigmoid_without_branches(m, x):
    # exp(min(x, 0)) / (1 + exp(-|x|)) is sigmoid on both sides of 0, as exact as the two
    # branches above, and made of table ops only (minimum, exp, abs), so that a rule using
    # it can itself be differentiated (autograd.grad with create_graph=True)
    return m.exp(m.minimum(x, 0.0)) / (1.0 + m.exp(-m.abs(x)))


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
    Op(name="add", symbol="+", arity=2, forward=lambda m, a, b: a + b,
       derivatives=(lambda m, out, a, b: 1.0, lambda m, out, a, b: 1.0),
       formulas=("1", "1"), infix=True, precedence=_SUM, doc="a + b"),
    Op(name="sub", symbol="-", arity=2, forward=lambda m, a, b: a - b,
       derivatives=(lambda m, out, a, b: 1.0, lambda m, out, a, b: -1.0),
       formulas=("1", "-1"), infix=True, precedence=_SUM, doc="a - b"),
    Op(name="mul", symbol="*", arity=2, forward=lambda m, a, b: a * b,
       derivatives=(lambda m, out, a, b: b, lambda m, out, a, b: a),
       formulas=("b", "a"), infix=True, precedence=_PRODUCT, doc="a * b"),
    Op(name="div", symbol="/", arity=2, forward=lambda m, a, b: a / b,
       # d/db = -a/b**2, computed as -(a/b)/b: b*b underflows (b = 3e-162 gave -3.036e161
       # for -3.333e161) or overflows long before the quotient does; out is a/b already
       derivatives=(lambda m, out, a, b: 1.0 / b, lambda m, out, a, b: -(out / b)),
       formulas=("1/b", "-a/b**2"), domain=_check_div, infix=True, precedence=_PRODUCT,
       doc="a / b"),
    Op(name="neg", symbol="-", arity=1, forward=lambda m, a: -a,
       derivatives=(lambda m, out, a: -1.0,),
       formulas=("-1",), prefix=True, precedence=_UNARY, doc="-a"),
    Op(name="pow", symbol="**", arity=2, forward=lambda m, a, n: m.power(a, n),
       derivatives=(lambda m, out, a, n: _pow_slope(m, a, n), None),
       formulas=("n * a**(n-1)", None), domain=_check_pow, infix=True, precedence=_POWER,
       right_assoc=True, doc="a ** n, n a constant number"),
    Op(name="rpow", symbol="**", arity=2, forward=lambda m, c, a: m.power(c, a),
       derivatives=(None, lambda m, out, c, a: out * m.log(c)),
       formulas=(None, "c**a * log(c)"), domain=_check_rpow, infix=True, precedence=_POWER,
       right_assoc=True, doc="c ** a, c a constant number"),
    Op(name="powv", symbol="**", arity=2, forward=lambda m, a, b: m.power(a, b),
       derivatives=(lambda m, out, a, b: b * m.power(a, b - 1),
                    lambda m, out, a, b: out * m.log(a)),
       formulas=("b * a**(b-1)", "a**b * log(a)"), domain=_check_powv, infix=True,
       precedence=_POWER, right_assoc=True, doc="a ** b, both Values"),
    Op(name="exp", symbol="exp", arity=1, forward=lambda m, a: m.exp(a),
       derivatives=(lambda m, out, a: out,),
       formulas=("exp(a)",), domain=_check_exp, doc="e to the power a"),
    Op(name="log", symbol="log", arity=1, forward=lambda m, a: m.log(a),
       derivatives=(lambda m, out, a: 1.0 / a,),
       formulas=("1/a",), domain=_check_log, doc="the natural logarithm of a, for a > 0"),
    Op(name="tanh", symbol="tanh", arity=1, forward=lambda m, a: m.tanh(a),
       derivatives=(lambda m, out, a: 1.0 - out * out,),
       formulas=("1 - tanh(a)**2",), activation=True, doc="the hyperbolic tangent of a"),
    Op(name="sigmoid", symbol="sigmoid", arity=1, forward=_sigmoid,
       derivatives=(lambda m, out, a: out * (1.0 - out),),
       formulas=("sigmoid(a) * (1 - sigmoid(a))",), activation=True,
       doc="1 / (1 + exp(-a)), computed without overflow"),
    # maximum, not where(a > 0, a, 0): one pass over an array on the tape, where a
    # where with two array branches costs four
    Op(name="relu", symbol="relu", arity=1, forward=lambda m, a: m.maximum(a, 0.0),
       derivatives=(lambda m, out, a: m.where(a > 0, 1.0, 0.0),),
       formulas=("1 if a > 0 else 0",), kinks="a = 0", activation=True,
       piecewise_linear=True, array_derivatives=(lambda m, out, a: a > 0,),
       doc="max(a, 0)"),
    Op(name="leaky_relu", symbol="leaky_relu", arity=1,
       forward=lambda m, a: m.where(a > 0, a, LEAKY_SLOPE * a),
       derivatives=(lambda m, out, a: m.where(a > 0, 1.0, LEAKY_SLOPE),),
       formulas=(f"1 if a > 0 else {LEAKY_SLOPE!r}",), kinks="a = 0", activation=True,
       piecewise_linear=True, doc=f"a if a > 0 else {LEAKY_SLOPE!r} * a"),
    Op(name="abs", symbol="abs", arity=1, forward=lambda m, a: m.abs(a),
       derivatives=(lambda m, out, a: _sign(m, a),),
       formulas=("sign(a)",), kinks="a = 0", piecewise_linear=True,
       doc="|a|; at the kink backward takes slope 0, as PyTorch does"),
    Op(name="softplus", symbol="softplus", arity=1, forward=_softplus,
       derivatives=(lambda m, out, a: _sigmoid_without_branches(m, a),),
       formulas=("sigmoid(a)",), activation=True,
       doc="log(1 + exp(a)), computed without overflow"),
    Op(name="log_sigmoid", symbol="log_sigmoid", arity=1,
       forward=lambda m, a: -_softplus(m, -a),
       derivatives=(lambda m, out, a: _sigmoid_without_branches(m, -a),),
       formulas=("sigmoid(-a)",),
       doc="log(sigmoid(a)) = -softplus(-a), computed without overflow"),
    Op(name="sqrt", symbol="sqrt", arity=1, forward=lambda m, a: m.sqrt(a),
       derivatives=(lambda m, out, a: 0.5 / out,),
       formulas=("1/(2*sqrt(a))",), domain=_check_sqrt, doc="the square root of a, for a >= 0"),
    Op(name="sin", symbol="sin", arity=1, forward=lambda m, a: m.sin(a),
       derivatives=(lambda m, out, a: m.cos(a),),
       formulas=("cos(a)",), doc="the sine of a (radians)"),
    Op(name="cos", symbol="cos", arity=1, forward=lambda m, a: m.cos(a),
       derivatives=(lambda m, out, a: -m.sin(a),),
       formulas=("-sin(a)",), doc="the cosine of a (radians)"),
    Op(name="minimum", symbol="minimum", arity=2, forward=lambda m, a, b: m.minimum(a, b),
       derivatives=(lambda m, out, a, b: _tie_split(m, a, b),
                    lambda m, out, a, b: _tie_split(m, b, a)),
       formulas=("1 if a < b else (0.5 if a == b else 0)",
                 "1 if b < a else (0.5 if a == b else 0)"),
       kinks="a = b", piecewise_linear=True,
       doc="the smaller of a and b; at a tie each gets half the gradient"),
    Op(name="maximum", symbol="maximum", arity=2, forward=lambda m, a, b: m.maximum(a, b),
       derivatives=(lambda m, out, a, b: _tie_split(m, b, a),
                    lambda m, out, a, b: _tie_split(m, a, b)),
       formulas=("1 if a > b else (0.5 if a == b else 0)",
                 "1 if b > a else (0.5 if a == b else 0)"),
       kinks="a = b", piecewise_linear=True,
       doc="the larger of a and b; at a tie each gets half the gradient"),
    Op(name="clamp", symbol="clamp", arity=3,
       forward=lambda m, a, lo, hi: m.minimum(m.maximum(a, lo), hi),
       derivatives=(
           lambda m, out, a, lo, hi: m.where((a >= lo) & (a <= hi) & (lo < hi), 1.0, 0.0),
           lambda m, out, a, lo, hi: m.where(a < lo, 1.0, 0.0),
           lambda m, out, a, lo, hi: m.where(a > hi, 1.0, 0.0)),
       formulas=("1 if lo <= a <= hi and lo < hi else 0", "1 if a < lo else 0",
                 "1 if a > hi else 0"),
       domain=_check_clamp, kinks="a = lo or a = hi", piecewise_linear=True,
       doc="a limited to [lo, hi]: min(max(a, lo), hi); the gradient flows to whichever "
           "is the result"),
):
    register_op(_op)
del _op
