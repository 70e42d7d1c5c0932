"""micrograd's constructor, ``Value(data, _children, _op, label)``: reading its ``_op`` text.

micrograd names a node's op by a symbol (``'+'``, ``'*'``, ``'ReLU'``, ``'**2'``);
here a node names a row of :data:`autograd.ops.OPS`.  :func:`micrograd_node`
translates, so micrograd's lecture code builds graphs of table ops:

>>> from autograd import Value
>>> a = Value(3.0, "a")
>>> c = Value(a.data ** 2, (a,), "**2")
>>> c._op, [p.data for p in c._prev]
('pow', [3.0, 2.0])
"""

from __future__ import annotations

from .coercion import as_float, describe
from .notation import number_literal
from .ops import OPS

__all__ = ["micrograd_node"]

_MICROGRAD_SYMBOLS = {"ReLU": "relu"}  # micrograd's spelling of a table op


def micrograd_node(data: float, children, symbol, value_type: type) -> tuple[str, tuple]:
    """The table op and the parents that micrograd's ``(_children, _op)`` describe.

    ``value_type`` is :class:`autograd.Value` (passed in: this module sits below it).
    Raises TypeError, naming what to write instead, for anything else.
    """
    return _op_for(symbol, _checked_children(data, children, value_type), value_type)


def _op_for(symbol, children: tuple, value_type: type) -> tuple[str, tuple]:
    if not isinstance(symbol, str):
        raise TypeError(f"Value(..., _op={describe(symbol)}): _op must be text such as "
                        "'+', '*', 'tanh' or '' for a leaf")
    if not children:
        if symbol:
            raise TypeError(f"Value(..., _op={symbol!r}) has no _children: an op node needs "
                            "its operands, e.g. Value(a.data + b.data, (a, b), '+')")
        return "", ()
    name = _MICROGRAD_SYMBOLS.get(symbol, symbol)
    if name in OPS and OPS[name].arity == len(children):
        return name, children
    if symbol == "**" and len(children) == 2:
        return "powv", children  # both operands are Values: both get a gradient
    matches = [op.name for op in OPS.values()
               if op.symbol == symbol and op.arity == len(children)]
    if len(matches) == 1:
        return matches[0], children
    if symbol.startswith("**") and len(children) == 1:  # micrograd's f'**{other}'
        exponent = as_float(_parse_number(symbol[2:], symbol), f"Value(..., _op={symbol!r})")
        return "pow", (children[0], value_type(exponent, number_literal(exponent)))
    known = sorted({op.symbol for op in OPS.values()} | set(OPS) | set(_MICROGRAD_SYMBOLS))
    raise TypeError(f"Value(..., _children of {len(children)}, _op={symbol!r}): no op of the "
                    f"table is written {symbol!r} with {len(children)} operand(s); known: "
                    f"{', '.join(known)}")


def _parse_number(text: str, symbol: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise TypeError(f"Value(..., _op={symbol!r}): the exponent {text!r} is not a number; "
                        "write e.g. '**2'") from None


def _checked_children(data: float, children, value_type: type) -> tuple:
    if not isinstance(children, (tuple, list)):
        raise TypeError(f"Value(data, _children={describe(children)}): _children must be a "
                        "tuple of Values such as (a, b), or a text label (Value(2.0, 'a'))")
    for child in children:
        if isinstance(child, str):  # ("a",): a label put where micrograd keeps _children
            raise TypeError(f"Value({data!r}, {describe(children)}): the second argument "
                            f"holds text {describe(child)}, but a tuple there is micrograd's "
                            "_children, the Values this one was computed from; for a label "
                            f"write Value({data!r}, {describe(child)}) or "
                            f"Value({data!r}, label={describe(child)})")
        if not isinstance(child, value_type):
            raise TypeError(f"Value(data, _children=...): {describe(child)} of type "
                            f"{type(child).__name__} is not a Value; _children holds the "
                            "Values this one was computed from")
    return tuple(children)
