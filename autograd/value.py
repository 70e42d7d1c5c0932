"""Value: a scalar that remembers how it was made, so it can send gradients back.

>>> a = Value(2.0, "a")
>>> b = Value(-3.0, "b")
>>> c = a * b + a           # a is used twice
>>> c.backward()
>>> c
Value(data=-4.0, grad=1.0)
>>> a.grad, b.grad           # dc/da = b + 1, dc/db = a
(-2.0, 2.0)

A node stores only its data, grad, label, its parents ``_prev`` (an ordered
tuple) and the name of the op that made it, ``_op``, which is a key of
:data:`autograd.ops.OPS`.  There are no per-node closures, so a graph holds no
reference cycles and is freed by reference counting as soon as it is dropped.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from numbers import Real
from typing import Union

from .graph import topological_order
from .ops import OPS, SCALAR_MATH, OpDomainError, OpError, OpOverflowError, OpZeroDivisionError

__all__ = ["Value", "local_derivatives", "no_grad", "is_grad_enabled", "gc_paused"]

Number = Union[int, float]


def _describe(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_float(x, where: str) -> float:
    """A real number as a float, or a TypeError that says what to do."""
    if isinstance(x, Real) and not isinstance(x, complex):
        x = float(x)
        if x != x:
            raise OpDomainError(f"{where}: the number is NaN; a Value needs a real number, "
                                "so find where the NaN came from before building the graph")
        return x
    raise TypeError(f"{where}: operand {_describe(x)} of type {type(x).__name__} is not a "
                    "number; use an int, a float or a Value (convert text with float(...))")


_recording = True  # False inside no_grad(): ops then record no parents


@contextmanager
def no_grad():
    """Build no graph inside the block: results are plain leaves (inference, evaluation).

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x + 1
    >>> y.data, y._prev
    (5.0, ())
    """
    global _recording
    previous = _recording
    _recording = False
    try:
        yield
    finally:
        _recording = previous


@contextmanager
def gc_paused(promote: bool = False):
    """Keep the cyclic garbage collector out of a library call, then restore it.

    chainrule's graphs hold no reference cycles, so reference counting frees them;
    scanning them while they are alive only costs time (it is most of micrograd's
    training step).  Inside the block the collector is off, and on exit its previous
    state comes back.  With ``promote=True`` the objects made inside are also filed
    with the collector's long-lived ones (``gc.freeze(); gc.unfreeze()``, a constant-
    time list splice), so its next young-generation pass does not rescan the graph
    just built.  Promotion is skipped when the program uses ``gc.freeze()`` itself.

    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if promote and not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`."""
    return _recording


_new = object.__new__


def _node(data: float, parents: tuple, op: str) -> "Value":
    """A result node, without __init__'s argument checks (data is a float already)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _recording:
        out._prev = parents
        out._op = op
    else:
        out._prev = ()
        out._op = ""
    return out


class Value:
    """A scalar node of a computation graph: ``data``, ``grad`` and how it was made."""

    __slots__ = ("data", "grad", "label", "_prev", "_op")

    def __init__(self, data: Number, label: str = "", _prev: tuple = (), _op: str = ""):
        if type(data) is not float or data != data:
            data = _as_float(data, f"Value({_describe(data)})")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._op = _op

    # --- building the graph ---------------------------------------------------

    def _apply(self, name: str, operands: tuple) -> "Value":
        """Run op ``name`` of the table on ``operands`` and record it."""
        op = OPS[name]
        datas = [v.data for v in operands]
        if op.check is not None:
            problem = op.check(*datas)
            if problem is not None:
                raise problem[0](problem[1])
        try:
            data = op.forward(SCALAR_MATH, *datas)
        except OverflowError:
            raise OpOverflowError(f"{name}: {_operands_text(op, datas)} overflows a float; "
                                  "scale the inputs down") from None
        except ZeroDivisionError:
            raise OpZeroDivisionError(f"{name}: {_operands_text(op, datas)} divides by zero; "
                                      "keep the operand away from 0") from None
        except ValueError:
            raise OpDomainError(f"{name}: {_operands_text(op, datas)} is outside the op's "
                                "domain") from None
        if type(data) is not float:
            if isinstance(data, complex):
                raise OpDomainError(f"{name}: {_operands_text(op, datas)} has no real value")
            data = float(data)
        if data != data:
            raise OpDomainError(f"{name}: {_operands_text(op, datas)} is not a number (NaN); "
                                "an operand is infinite -- look for an earlier overflow")
        return _node(data, operands, name)

    def _coerce(self, other, name: str) -> "Value":
        if type(other) is Value:
            return other
        if isinstance(other, Value):
            return other
        return Value(_as_float(other, f"{name}: {self!r} and {_describe(other)}"))

    # + and * dominate every network, so they take a short path; the rules are the
    # same as the table's "add" and "mul" entries (tests/test_ops.py checks this).
    def __add__(self, other) -> "Value":
        if type(other) is not Value:
            other = self._coerce(other, "add")
        data = self.data + other.data
        if data != data:
            return self._apply("add", (self, other))
        out = _new(Value)  # _node(), inlined: a call costs as much as the rest
        out.data = data
        out.grad = 0.0
        out.label = ""
        if _recording:
            out._prev = (self, other)
            out._op = "add"
        else:
            out._prev = ()
            out._op = ""
        return out

    def __mul__(self, other) -> "Value":
        if type(other) is not Value:
            other = self._coerce(other, "mul")
        data = self.data * other.data
        if data != data:
            return self._apply("mul", (self, other))
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        if _recording:
            out._prev = (self, other)
            out._op = "mul"
        else:
            out._prev = ()
            out._op = ""
        return out

    def __radd__(self, other) -> "Value":
        return self._coerce(other, "add") + self

    def __rmul__(self, other) -> "Value":
        return self._coerce(other, "mul") * self

    def __sub__(self, other) -> "Value":
        return self._apply("sub", (self, self._coerce(other, "sub")))

    def __rsub__(self, other) -> "Value":
        return self._apply("sub", (self._coerce(other, "sub"), self))

    def __truediv__(self, other) -> "Value":
        return self._apply("div", (self, self._coerce(other, "div")))

    def __rtruediv__(self, other) -> "Value":
        return self._apply("div", (self._coerce(other, "div"), self))

    def __neg__(self) -> "Value":
        return self._apply("neg", (self,))

    def __pos__(self) -> "Value":
        return self

    def __pow__(self, other) -> "Value":
        if isinstance(other, Value):
            return self._apply("powv", (self, other))
        exponent = self._coerce(other, "pow")
        exponent.label = _number_label(exponent.data)
        return self._apply("pow", (self, exponent))

    def __rpow__(self, other) -> "Value":
        base = self._coerce(other, "rpow")
        base.label = _number_label(base.data)
        return self._apply("rpow", (base, self))

    def exp(self) -> "Value":
        return self._apply("exp", (self,))

    def log(self) -> "Value":
        return self._apply("log", (self,))

    def tanh(self) -> "Value":
        return self._apply("tanh", (self,))

    def sigmoid(self) -> "Value":
        return self._apply("sigmoid", (self,))

    def relu(self) -> "Value":
        return self._apply("relu", (self,))

    def leaky_relu(self) -> "Value":
        return self._apply("leaky_relu", (self,))

    # --- methods of the ops added for the table's new rows ---
    def abs(self) -> "Value":
        """``|self|``; at 0 backward takes slope 0, as PyTorch does."""
        return self._apply("abs", (self,))

    def softplus(self) -> "Value":
        """``log(1 + exp(self))``, stable for any input."""
        return self._apply("softplus", (self,))

    def log_sigmoid(self) -> "Value":
        """``log(sigmoid(self))``, stable for any input."""
        return self._apply("log_sigmoid", (self,))
    # --- end of the methods of the ops added for the table's new rows ---

    # --- gradients --------------------------------------------------------------

    def backward(self) -> None:
        """Fill ``.grad`` of every node that ``self`` depends on.

        Seeds ``self.grad = 1.0`` and walks the graph in reverse topological order,
        adding ``local derivative * upstream`` into each parent with ``+=``, so a node
        reached by two paths gets both contributions.  Grads accumulate across calls,
        as in PyTorch: call ``zero_grad()`` (or set ``.grad = 0.0``) between steps.
        """
        with gc_paused():  # the walk makes no cycles; scanning the graph would only cost time
            order = topological_order(self)
            self.grad = 1.0
            for node in reversed(order):
                parents = node._prev
                if not parents:
                    continue
                upstream = node.grad
                op = node._op
                if op == "add":
                    a, b = parents
                    a.grad += upstream
                    b.grad += upstream
                elif op == "mul":
                    a, b = parents
                    a.grad += b.data * upstream
                    b.grad += a.data * upstream
                else:
                    for parent, local in zip(parents, local_derivatives(node)):
                        if local is not None:
                            parent.grad += local * upstream

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # Rich display in Jupyter: the annotated graph as SVG, summarized when it is large.
    # A display hook is the one place autograd reaches for visualize, and only lazily.
    def _repr_svg_(self):
        try:
            from visualize import draw_annotated, to_svg
        except ImportError:
            return None
        try:
            return to_svg(draw_annotated(self))
        except Exception:
            return None


def _number_label(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _operands_text(op, datas) -> str:
    return op.describe(*(repr(d) for d in datas))


def local_derivatives(node: Value) -> list:
    """d node / d parent for each parent, from the ops table (``None`` for a constant).

    >>> x = Value(0.5); y = x.tanh()
    >>> [round(d, 4) for d in local_derivatives(y)]
    [0.7864]
    """
    op = OPS[node._op]
    datas = [p.data for p in node._prev]
    out = []
    for index, rule in enumerate(op.derivatives):
        if rule is None:
            out.append(None)
            continue
        try:
            local = float(rule(SCALAR_MATH, node.data, *datas))
        except (ArithmeticError, ValueError):
            local = math.inf
        if not math.isfinite(local):
            raise OpError(f"{node._op}: the derivative {op.formulas[index]} of "
                          f"{_operands_text(op, datas)} with respect to operand {index + 1} "
                          f"is {local} -- the op is not differentiable there; "
                          "move the input away from that point")
        out.append(local)
    return out
