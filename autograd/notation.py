"""How chainrule writes things down: numbers, expressions and derivative formulas.

Every reader of the ops table that prints (the parser's labels, the trace's tables,
the strategies' formulas, the pictures' edge labels, error messages) writes through
this module, so ``x*w + b`` looks the same everywhere and reads back through
:func:`autograd.parse` as the same graph.  How tightly an op binds is op data: the
``precedence`` and ``right_assoc`` fields of its row in :data:`autograd.ops.OPS`.
This module only knows the levels' names, Python's own:

>>> from autograd.ops import OPS
>>> write(OPS["mul"], ["a + b", "c"])
'(a + b)*c'
>>> write(OPS["pow"], ["x", "2"]), write(OPS["neg"], ["x**2"]), write(OPS["sub"], ["a", "b - c"])
('x**2', '-x**2', 'a - (b - c)')
>>> format_number(0.41997434161402614), number_literal(2.0), number_literal(0.1)
('0.419974', '2', '0.1')
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .ops import Op

__all__ = [
    "SUM", "PRODUCT", "UNARY", "POWER", "ATOM",
    "format_number", "number_literal", "exact_number", "number_digits", "current_digits",
    "DEFAULT_DIGITS",
    "binding", "write", "substitute", "cap_list",
]

# How tightly a written form binds, loosest first (Python's order).  A call such as
# tanh(x), a name or a non-negative number is an ATOM: it never needs parentheses.
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5


# --- numbers -------------------------------------------------------------------------


DEFAULT_DIGITS = 6
MAX_DIGITS = 17      # a float's every digit
_digits = threading.local()   # per thread, as PyTorch keeps its print options' state


def current_digits() -> int:
    """How many significant digits :func:`format_number` writes (6 unless changed)."""
    return getattr(_digits, "value", DEFAULT_DIGITS)


@contextlib.contextmanager
def number_digits(digits: int) -> Iterator[int]:
    """Within the block, every number chainrule writes -- tables, the steppers' pictures,
    their panels, frames -- has ``digits`` significant digits: one rounding rule, so a
    student sees the same number everywhere.

    >>> with number_digits(3):
    ...     format_number(1.786453)
    '1.79'
    >>> format_number(1.786453)
    '1.78645'
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not \
            1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits={digits!r:.40}: give a whole number of significant digits "
                         f"from 1 to {MAX_DIGITS}")
    before = current_digits()
    _digits.value = digits
    try:
        yield digits
    finally:
        _digits.value = before


def format_number(x: Optional[float]) -> str:
    """A number for a table cell, as a person writes it: six significant digits
    (or as many as :func:`number_digits` says).

    >>> format_number(-3), format_number(1.5e-08), format_number(None)
    ('-3.0', '1.5e-08', '-')
    """
    if x is None:
        return "-"
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return f"{x:.1f}"
    return f"{x:.{current_digits()}g}"


def number_literal(x: float) -> str:
    """A number as a constant inside an expression: exact, and ``2`` rather than ``2.0``.

    >>> number_literal(-3.0), number_literal(1e20), number_literal(0.30000000000000004)
    ('-3', '1e+20', '0.30000000000000004')
    """
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def exact_number(x: float) -> str:
    """A number in an error message: every digit, so the user can reproduce it.

    >>> exact_number(-1), exact_number(0.1)
    ('-1.0', '0.1')
    """
    return repr(float(x))


# --- expressions ---------------------------------------------------------------------


def binding(text: str) -> int:
    """How tightly already-written ``text`` binds: SUM for ``a + b`` ... ATOM for ``tanh(x)``.

    It reads the spacing that :func:`write` produces (``+`` and ``-`` between spaces
    at the top level), so it is exact for every text this module writes.

    >>> binding("a + b"), binding("a*b"), binding("-a"), binding("a**2"), binding("f(a - b)")
    (1, 2, 3, 4, 5)
    """
    depth, found = 0, ATOM
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and i > 0 and ch in "+-" and text[i - 1] == " ":
            return SUM
        elif depth == 0 and ch in "*/":
            if text[i:i + 2] == "**" or text[i - 1:i + 1] == "**":
                found = min(found, POWER)
            else:
                found = min(found, PRODUCT)
    if text.startswith("-") and found > UNARY:
        return UNARY
    return found


def write(op: "Op", operands: Sequence[str], levels: Optional[Sequence[int]] = None) -> str:
    """``op`` applied to already-written ``operands``, with the parentheses it needs.

    ``levels`` says how tightly each operand binds (default: read by :func:`binding`).
    An infix op wraps an operand that binds more loosely than itself, and on the side
    its associativity does not group (``a - (b - c)``, ``(a**b)**c``) one that binds
    equally.  Ops of the SUM level are spaced (``x*w + b``), as people write them.
    """
    if levels is None:
        levels = [binding(text) for text in operands]
    if op.infix and len(operands) == 2:
        level = op.precedence
        (left, right), (left_level, right_level) = operands, levels
        if left_level < level or (left_level == level and op.right_assoc):
            left = f"({left})"
        if right_level < level or (right_level == level and not op.right_assoc):
            right = f"({right})"
        symbol = f" {op.symbol} " if level <= SUM else op.symbol
        return f"{left}{symbol}{right}"
    if op.prefix and len(operands) == 1:
        operand = operands[0]
        return f"{op.symbol}{operand}" if levels[0] > op.precedence \
            else f"{op.symbol}({operand})"
    return f"{op.symbol}({', '.join(operands)})"


def substitute(formula: str, letters: Sequence[str], names: Sequence[str]) -> str:
    """Write a derivative ``formula`` with node ``names`` in place of the op's ``letters``.

    >>> substitute("1 - tanh(a)**2", ["a"], ["x*w + b"])
    '1 - tanh(x*w + b)**2'
    >>> substitute("n * a**(n-1)", ["a", "n"], ["x + y", "2"])
    '2 * (x + y)**(2-1)'
    """
    mapping = dict(zip(letters, names))
    if not mapping:
        return formula

    def replace(match: re.Match) -> str:
        name = mapping[match.group(0)]
        before = formula[match.start() - 1] if match.start() > 0 else ""
        after = formula[match.end()] if match.end() < len(formula) else ""
        if binding(name) == ATOM or (before == "(" and after in (")", ",")):
            return name
        return f"({name})"

    pattern = r"(?<![\w.])(" + "|".join(re.escape(k) for k in mapping) + r")(?![\w(])"
    return re.sub(pattern, replace, formula)


def cap_list(items: Iterable[object], limit: int = 8, sep: str = ", ") -> str:
    """The first ``limit`` items joined, and how many more: error messages stay one line.

    >>> cap_list(["a", "b"]), cap_list(f"v{i}" for i in range(5000))
    ('a, b', 'v0, v1, v2, v3, v4, v5, v6, v7 and 4992 more')
    """
    items = [str(item) for item in items]
    if len(items) <= limit:
        return sep.join(items)
    return f"{sep.join(items[:limit])} and {len(items) - limit} more"
