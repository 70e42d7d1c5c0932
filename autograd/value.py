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

Every Value holds a finite float: the constructor refuses NaN, infinities and
numbers too large for a float, and every op -- the short paths of ``+`` and ``*``
included -- refuses a result that overflows, so a non-finite number never
enters a graph silently.
"""

from __future__ import annotations

import math
import threading
from contextlib import ContextDecorator
from decimal import Decimal
from numbers import Real
from typing import Optional, Union

from .collector import gc_paused
from .display import display_hook, register_display_hook
from .graph import topological_order
from .notation import number_literal
from .ops import (
    OPS,
    SCALAR_MATH,
    OpDomainError,
    OpError,
    OpOverflowError,
    OpZeroDivisionError,
    derivative_error,
)

__all__ = ["Value", "local_derivatives", "no_grad", "is_grad_enabled", "gc_paused",
           "register_display_hook"]

Number = Union[int, float]


def _describe(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_float(x, where: str) -> float:
    """A real number as a finite float, or an error that says what to do.

    Accepts what Python calls a real number (int, bool, float, Fraction, numpy's
    scalars) and Decimal; refuses NaN, the infinities and numbers beyond a float.
    """
    if not isinstance(x, (Real, Decimal)):
        raise TypeError(f"{where}: operand {_describe(x)} of type {type(x).__name__} is not a "
                        "number; use an int, a float or a Value (convert text with float(...))")
    try:
        number = float(x)
    except ValueError:  # Decimal's signalling NaN
        number = float("nan")
    except OverflowError:  # an int or a Fraction beyond a float
        number = None
    if number is None or (number in (math.inf, -math.inf) and _is_finite_in_its_own_type(x)):
        raise OpOverflowError(f"{where}: {_describe(x)} is too large for a float (the largest "
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


# --- grad mode, per thread (as in PyTorch) ---------------------------------------


class _GradMode(threading.local):
    enabled = True  # every new thread starts out recording

    def __init__(self):
        self.saved: list[bool] = []  # what each open no_grad() block will restore


_grad_mode = _GradMode()
# How many no_grad() blocks are open in any thread.  While it is 0 (nearly always)
# every thread records, and the hot paths read only this one global; otherwise
# each thread reads its own flag.
_open_no_grad = 0
_open_no_grad_lock = threading.Lock()


class no_grad(ContextDecorator):
    """Build no graph inside the block: results are plain leaves (inference, evaluation).

    The mode belongs to the thread that enters the block: other threads keep
    recording, and each block restores what its own thread had before.  It also
    works as a decorator, ``@no_grad()``.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x + 1
    >>> y.data, y._prev
    (5.0, ())
    """

    def __enter__(self) -> None:
        global _open_no_grad
        # the state is kept per thread, not on self, so one instance can be shared
        _grad_mode.saved.append(_grad_mode.enabled)
        _grad_mode.enabled = False
        with _open_no_grad_lock:
            _open_no_grad += 1

    def __exit__(self, *exc_info) -> None:
        global _open_no_grad
        _grad_mode.enabled = _grad_mode.saved.pop()
        with _open_no_grad_lock:
            _open_no_grad -= 1


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad` in this thread.

    >>> is_grad_enabled()
    True
    """
    return _grad_mode.enabled


# --- micrograd's constructor: Value(data, _children, _op, label) -------------------

_MICROGRAD_SYMBOLS = {"ReLU": "relu"}  # micrograd's spelling of a table op


def _op_for(symbol: str, children: tuple) -> tuple[str, tuple]:
    """The table op (and operands) that micrograd's ``_op`` text names, or a TypeError."""
    if not isinstance(symbol, str):
        raise TypeError(f"Value(..., _op={_describe(symbol)}): _op must be text such as "
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
        exponent = _as_float(_parse_number(symbol[2:], symbol), f"Value(..., _op={symbol!r})")
        return "pow", (children[0], Value(exponent, number_literal(exponent)))
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


def _check_children(data: float, children) -> tuple:
    if not isinstance(children, (tuple, list)):
        raise TypeError(f"Value(data, _children={_describe(children)}): _children must be a "
                        "tuple of Values such as (a, b), or a text label (Value(2.0, 'a'))")
    for child in children:
        if isinstance(child, str):  # ("a",): a label put where micrograd keeps _children
            raise TypeError(f"Value({data!r}, {_describe(children)}): the second argument "
                            f"holds text {_describe(child)}, but a tuple there is micrograd's "
                            "_children, the Values this one was computed from; for a label "
                            f"write Value({data!r}, {_describe(child)}) or "
                            f"Value({data!r}, label={_describe(child)})")
        if not isinstance(child, Value):
            raise TypeError(f"Value(data, _children=...): {_describe(child)} of type "
                            f"{type(child).__name__} is not a Value; _children holds the "
                            "Values this one was computed from")
    return tuple(children)


_new = object.__new__


def _node(data: float, parents: tuple, op: str) -> "Value":
    """A result node, without __init__'s argument checks (data is a finite float)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if not _open_no_grad or _grad_mode.enabled:
        out._prev = parents
        out._op = op
    else:
        out._prev = ()
        out._op = ""
    return out


class Value:
    """A scalar node of a computation graph: ``data``, ``grad`` and how it was made.

    ``Value(data, label="")`` makes a leaf; ``Value(2.0, "a")`` is short for
    ``Value(2.0, label="a")``.  micrograd's full constructor works too,
    ``Value(data, _children=(), _op='', label='')``, where ``_op`` is an op's name or
    symbol in the table (``'+'``, ``'*'``, ``'tanh'``, micrograd's ``'**2'``):

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = Value(a.data * b.data, (a, b), "*", label="c")
    >>> c._op, c._prev == (a, b)
    ('mul', True)
    """

    # _grad_scratch: where autograd.grad() sums d(output)/d(node), so that it leaves
    # every .grad alone at backward()'s speed (slot updates, not dict updates).
    __slots__ = ("data", "grad", "label", "_prev", "_op", "_grad_scratch")

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = ""):
        if type(data) is not float or data - data:
            data = _as_float(data, f"Value({_describe(data)})")
        if type(_children) is str:  # chainrule's shorthand: Value(2.0, "a")
            if label or _op != "":
                raise TypeError(f"Value({data!r}, {_children!r}, ...): the second argument is "
                                "either a label or micrograd's tuple of _children, not both; "
                                "write Value(data, (a, b), '+', label='c')")
            label, _children = _children, ()
        if not isinstance(label, str):
            raise TypeError(f"Value({data!r}, label={_describe(label)}): the label must be text")
        self.data = data
        self.grad = 0.0
        self.label = label
        if _children != () or _op != "":
            self._op, self._prev = _op_for(_op, _check_children(data, _children))
        else:
            self._prev = ()
            self._op = ""

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
        if data - data:  # NaN or infinite
            raise _non_finite_result(name, op, datas, data)
        return _node(data, operands, name)

    def _coerce(self, other, name: str) -> "Value":
        if isinstance(other, Value):
            return other
        return Value(_as_float(other, f"{name}: {self!r} and {_describe(other)}"))

    # + and * dominate every network, so they take a short path with the same rules
    # as the table's "add" and "mul" entries.  A result that is not finite goes to
    # the table path, which raises its error (tests/test_engine_semantics.py).
    def __add__(self, other) -> "Value":
        if type(other) is not Value:
            other = self._coerce(other, "add")
        data = self.data + other.data
        if data - data:  # NaN or infinite: 0.0 for every finite float
            return self._apply("add", (self, other))
        out = _new(Value)  # _node(), inlined: a call costs as much as the rest
        out.data = data
        out.grad = 0.0
        out.label = ""
        if not _open_no_grad or _grad_mode.enabled:
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
        if data - data:
            return self._apply("mul", (self, other))
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        if not _open_no_grad or _grad_mode.enabled:
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
        exponent.label = number_literal(exponent.data)
        return self._apply("pow", (self, exponent))

    def __rpow__(self, other) -> "Value":
        base = self._coerce(other, "rpow")
        base.label = number_literal(base.data)
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

    def sqrt(self) -> "Value":
        return self._apply("sqrt", (self,))

    def sin(self) -> "Value":
        return self._apply("sin", (self,))

    def cos(self) -> "Value":
        return self._apply("cos", (self,))

    def minimum(self, other) -> "Value":
        """The smaller of ``self`` and ``other``; at a tie each gets half the gradient."""
        return self._apply("minimum", (self, self._coerce(other, "minimum")))

    def maximum(self, other) -> "Value":
        """The larger of ``self`` and ``other``; at a tie each gets half the gradient."""
        return self._apply("maximum", (self, self._coerce(other, "maximum")))

    def clamp(self, low, high) -> "Value":
        """``self`` limited to ``[low, high]``; gradient flows to whichever is the result."""
        return self._apply("clamp", (self, self._coerce(low, "clamp"),
                                     self._coerce(high, "clamp")))
    # --- end of the methods of the ops added for the table's new rows ---

    # --- gradients --------------------------------------------------------------

    def backward(self) -> None:
        """Add d self / d leaf into every leaf's ``.grad``; recompute the inner nodes'.

        The semantics are PyTorch's (with ``retain_graph=True``):

        * a *leaf* -- a Value with no parents: an input, a parameter, a constant, or
          a result made under :func:`no_grad` -- accumulates: each call adds one more
          d(self)/d(leaf), so call ``zero_grad()`` (or set ``.grad = 0.0``) between
          training steps;
        * an *inner* node -- a Value an op made, with ``_prev`` -- gets its ``.grad``
          recomputed by each call: it holds d(self)/d(node) of the latest call, which
          teaching wants to read.  This holds for any Value with parents, even one
          that was the root of an earlier backward().

        >>> a, b = Value(2.0), Value(-3.0)
        >>> e = a * b; d = e + a
        >>> d.backward(); a.grad, e.grad
        (-2.0, 1.0)
        >>> d.backward(); a.grad, e.grad    # the leaf adds -2 again; e is recomputed
        (-4.0, 1.0)

        A gradient that overflows raises :class:`OpOverflowError` naming the op and
        its values; the leaves' grads are then partial, so zero them before retrying.
        """
        # One walk at a time: the walk sums into the nodes' _grad_scratch slots, and two
        # threads' graphs share their leaves (a model's parameters), so two walks at once
        # would zero and add into the same slots -- silently wrong gradients (off by 22 on
        # a shared MLP before this lock).  Serialized, every thread's call adds its
        # d(self)/d(leaf), as PyTorch's concurrent backward() does.
        with gradient_walk_lock, gc_paused():  # no cycles made: scanning would only cost time
            order = topological_order(self)
            accumulate_gradients(order)
            for node in order:
                if node._prev:
                    node.grad = node._grad_scratch
                else:
                    total = node.grad + node._grad_scratch
                    if total - total:  # NaN or infinite: a .grad that was huge already
                        raise _non_finite_gradient(node, order, total)
                    node.grad = total

    def _backward(self) -> None:
        """This node's own step of backprop, as micrograd's ``_backward()``.

        Adds ``local derivative * self.grad`` into each parent's ``.grad``, with the
        local derivatives from the table -- so micrograd's lecture can backpropagate
        by hand, node by node.  A leaf has no step.

        >>> x, w = Value(2.0, "x"), Value(-3.0, "w")
        >>> y = x * w
        >>> y.grad = 1.0
        >>> y._backward()
        >>> x.grad, w.grad
        (-3.0, 2.0)
        """
        if self._prev:
            for parent, local in zip(self._prev, local_derivatives(self)):
                if local is not None:
                    parent.grad += local * self.grad

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # --- copying and pickling, without recursion over the graph's depth -----------
    # Python's defaults follow _prev recursively, so a 50,000-deep chain raised
    # RecursionError.  These walk topological_order() (iterative) instead.

    def __copy__(self) -> "Value":
        """A new node with the same data, grad, label and op over the *same* parents."""
        return _rebuilt(self.data, self.grad, self.label, self._op, self._prev)

    def __deepcopy__(self, memo: dict) -> "Value":
        """A copy of the whole graph; a Value reached twice is copied once (``memo``)."""
        for node in topological_order(self):
            if id(node) not in memo:
                memo[id(node)] = _rebuilt(node.data, node.grad, node.label, node._op,
                                          tuple(memo[id(p)] for p in node._prev))
        return memo[id(self)]

    def __reduce__(self) -> tuple:
        """Pickle a leaf as itself and an inner node as its graph, flat: the leaves
        (parameters, inputs) as objects, so pickle keeps them shared; the inner nodes
        as rows that name their parents by position."""
        if not self._prev:
            return _rebuilt, (self.data, self.grad, self.label, self._op, ())
        order = topological_order(self)
        position = {id(node): i for i, node in enumerate(order)}
        rows = [node if not node._prev else
                (node.data, node.grad, node.label, node._op,
                 tuple(position[id(p)] for p in node._prev)) for node in order]
        return _unpickled_graph, (rows,)

    # --- display: visualize registers these (register_display_hook) -------------

    def _repr_svg_(self) -> Optional[str]:
        """Jupyter's picture of the graph, once ``import visualize`` has registered it."""
        hook = display_hook("svg")
        return None if hook is None else hook(self)

    def _repr_png_(self) -> Optional[bytes]:
        """The same picture as PNG, for viewers that do not trust SVG or HTML."""
        hook = display_hook("png")
        return None if hook is None else hook(self)

    def _repr_html_(self) -> Optional[str]:
        """Jupyter's HTML view (an inline stepper), once ``visualize`` has registered it."""
        hook = display_hook("html")
        return None if hook is None else hook(self)

    def stepper(self, **options):
        """A step-by-step backward stepper for this graph, shown inline in Jupyter.

        Needs ``import visualize`` first, which provides it; ``options`` go to it.
        """
        hook = display_hook("stepper")
        if hook is None:
            raise RuntimeError("Value.stepper() is provided by the visualize package: run "
                               "`import visualize` first, then call .stepper() again")
        return hook(self, **options)


def _rebuilt(data: float, grad: float, label: str, op: str, parents: tuple) -> Value:
    """A node with these fields, bypassing the constructor's checks (they held already)."""
    node = Value.__new__(Value)
    node.data, node.grad, node.label, node._op, node._prev = data, grad, label, op, parents
    return node


def _unpickled_graph(rows: list) -> Value:
    """The inverse of :meth:`Value.__reduce__`: the graph's last row, with its parents."""
    nodes: list = []
    for row in rows:
        if isinstance(row, Value):
            nodes.append(row)
        else:
            data, grad, label, op, parents = row
            nodes.append(_rebuilt(data, grad, label, op, tuple(nodes[i] for i in parents)))
    return nodes[-1]


def _operands_text(op, datas) -> str:
    return op.describe(*(repr(d) for d in datas))


def _non_finite_result(name: str, op, datas: list, data: float) -> OpError:
    operands = _operands_text(op, datas)
    if any(d - d for d in datas):
        return OpDomainError(f"{name}: {operands} has an operand that is not finite; a Value "
                             "holds a finite number -- look for an assignment to .data")
    if data != data:
        return OpDomainError(f"{name}: {operands} is not a number (NaN)")
    return OpOverflowError(f"{name}: {operands} is {data}, which overflows a float; "
                           "scale the inputs down")


# Held by every walk that writes the _grad_scratch slots (backward(), autograd.grad()).
gradient_walk_lock = threading.RLock()


def accumulate_gradients(order: list) -> None:
    """The chain rule over a graph: d(root)/d(node) into every node's ``_grad_scratch``.

    ``order`` is :func:`topological_order` of the root (the root last).  backward()
    copies the sums into ``.grad`` (added for leaves, set for inner nodes) and
    :func:`autograd.grad` reads them for its inputs, leaving ``.grad`` alone: one walk
    for both, at the cost of slot updates.  A sum that is not finite raises.
    """
    for node in order:
        node._grad_scratch = 0.0
    order[-1]._grad_scratch = 1.0
    for node in reversed(order):
        upstream = node._grad_scratch  # complete: every consumer of node came before it
        if upstream - upstream:  # NaN or infinite
            raise _non_finite_gradient(node, order, upstream)
        parents = node._prev
        if not parents:
            continue
        op = node._op
        if op == "add":
            a, b = parents
            a._grad_scratch += upstream
            b._grad_scratch += upstream
        elif op == "mul":
            a, b = parents
            a._grad_scratch += b.data * upstream
            b._grad_scratch += a.data * upstream
        else:
            for parent, local in zip(parents, local_derivatives(node)):
                if local is not None:
                    parent._grad_scratch += local * upstream


def _non_finite_gradient(node: Value, order: list, total: float) -> OpOverflowError:
    """The error for a gradient that reached ``node`` as inf or NaN: which op made it."""
    where = f"{node.label or 'a node'} (data {node.data!r}{', op ' + node._op if node._op else ''})"
    for child in order:
        for index, parent in enumerate(child._prev):
            if parent is not node:
                continue
            local = local_derivatives(child)[index]
            if local is None:
                continue
            contribution = local * child._grad_scratch
            if contribution - contribution:
                op = OPS[child._op]
                return OpOverflowError(
                    f"backward: {child._op}: {_operands_text(op, [p.data for p in child._prev])}"
                    f" sends {where} the gradient {local!r} (local derivative {op.formulas[index]})"
                    f" * {child._grad_scratch!r} (upstream) = {contribution}, which overflows a "
                    "float; scale the inputs or the loss down")
    return OpOverflowError(f"backward: the gradient of {where} is {total}: the sum of its "
                           "contributions overflows a float (or .grad was already not finite); "
                           "scale the inputs or the loss down and zero the grads")


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
        if not math.isfinite(local):  # overflow or a point without a derivative: ops says
            raise derivative_error(op, index, datas, local)
        out.append(local)
    return out
