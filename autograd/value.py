"""Value: a scalar that remembers how it was made, so it can send gradients back.

>>> a = Value(2.0, "a")
>>> b = Value(-3.0, "b")
>>> c = a * b + a           # a is used twice
>>> c.backward()
>>> c
Value(data=-4.0, grad=1.0)
>>> a.grad, b.grad           # dc/da = b + 1, dc/db = a
(-2.0, 2.0)

A node stores its data, grad, label, its parents ``_prev`` (an ordered tuple) and
the name of the op that made it, ``_op``: a row of :data:`autograd.ops.OPS`, whose
rules compute the data going forward and the local derivatives going back.  There
are no per-node closures, so a graph holds no reference cycles.  Every Value holds
a finite float: a result that is NaN or overflows raises, naming the op.
"""

from __future__ import annotations

import inspect
import math
import sys
import threading
from typing import Optional, Union

from . import grad_mode
from .coercion import as_float, describe
from .collector import gc_paused
from .display import display_hook, register_display_hook
from .grad_mode import is_grad_enabled, no_grad
from .graph import free_below, topological_order
from .micrograd_compat import micrograd_node
from .notation import number_literal
from .ops import (
    OPS,
    SCALAR_MATH,
    Op,
    OpDomainError,
    OpError,
    OpOverflowError,
    OpZeroDivisionError,
    derivative_error,
    watch_rows,
)

__all__ = ["Value", "local_derivatives", "no_grad", "is_grad_enabled", "gc_paused",
           "register_display_hook"]

Number = Union[int, float]


class Value:
    """A scalar node of a computation graph: ``data``, ``grad`` and how it was made.

    ``Value(data, label="")`` makes a leaf; ``Value(2.0, "a")`` is short for
    ``Value(2.0, label="a")``.  micrograd's full constructor works too,
    ``Value(data, _children=(), _op='', label='')``, where ``_op`` is an op's name or
    symbol in the table (``'+'``, ``'*'``, ``'tanh'``, micrograd's ``'**2'``):

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = Value(a.data * b.data, (a, b), "*", label="c")
    >>> c._op, c._prev == (a, b), c.is_leaf
    ('mul', True, False)
    """

    # _grad_scratch: where backward() and autograd.grad() sum d(output)/d(node)
    __slots__ = ("data", "grad", "label", "_prev", "_op", "_grad_scratch")

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = ""):
        if type(data) is not float or data - data:
            data = as_float(data, f"Value({describe(data)})")
        if type(_children) is str:  # chainrule's shorthand: Value(2.0, "a")
            if label or _op != "":
                raise TypeError(f"Value({data!r}, {_children!r}, ...): the second argument is "
                                "either a label or micrograd's tuple of _children, not both; "
                                "write Value(data, (a, b), '+', label='c')")
            label, _children = _children, ()
        if not isinstance(label, str):
            raise TypeError(f"Value({data!r}, label={describe(label)}): the label must be text")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._prev = ()
        self._op = ""
        if _children != () or _op != "":  # micrograd's Value(data, (a, b), '+')
            self._op, self._prev = micrograd_node(data, _children, _op, Value)

    @property
    def is_leaf(self) -> bool:
        """True for a Value no op made (an input, a parameter, a constant, a result
        made under :func:`no_grad`): backward() *accumulates* into its ``.grad``."""
        return not self._prev

    def backward(self) -> None:
        """Add d self / d leaf into every leaf's ``.grad``; recompute the inner nodes'.

        The semantics are PyTorch's (with ``retain_graph=True``):

        * a *leaf* (:attr:`is_leaf`) accumulates: each call adds one more
          d(self)/d(leaf), so call ``zero_grad()`` (or set ``.grad = 0.0``) between
          training steps;
        * an *inner* node -- a Value an op made -- has its ``.grad`` overwritten by
          each call with d(self)/d(node), which teaching wants to read.

        >>> a, b = Value(2.0), Value(-3.0)
        >>> e = a * b; d = e + a
        >>> d.backward(); a.grad, e.grad
        (-2.0, 1.0)
        >>> d.backward(); a.grad, e.grad    # the leaf adds -2 again; e is recomputed
        (-4.0, 1.0)

        A gradient that overflows raises :class:`OpOverflowError` naming the op and
        its values, and leaves every leaf's ``.grad`` as it was.
        """
        # One walk at a time: walks sum into the shared leaves' _grad_scratch slots.
        with gradient_walk_lock, gc_paused():  # no cycles made: scanning would only cost time
            order = topological_order(self)
            accumulate_gradients(order)
            add_into_leaves(overwrite_inner_nodes(order), order)

    def _backward(self) -> None:
        """This node's own step of backprop, as micrograd's ``_backward()``: adds
        ``local derivative * self.grad`` into each parent's ``.grad``.  A leaf has none.

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

    # --- operators: + and * are written out (they dominate every network); the rest
    # delegate to the table's rows.  Methods for the rows written as calls (x.tanh(),
    # x.clamp(lo, hi)) are made from the rows, below the class.

    def __add__(self, other) -> "Value":
        if type(other) is not Value:
            other = self._coerce(other, "add")
        data = self.data + other.data  # the "add" row's forward (tests/test_fast_paths.py)
        if data - data:  # NaN or infinite: the row's path raises the error
            return _run(_ADD, (self, other))
        out = _new(Value)  # _node(), inlined: a call costs as much as the rest
        out.data = data
        out.grad = 0.0
        out.label = ""
        if not grad_mode.open_blocks or grad_mode.thread_mode.enabled:
            out._prev = (self, other)
            out._op = "add"
        else:
            out._prev = ()
            out._op = ""
        return out

    def __mul__(self, other) -> "Value":
        if type(other) is not Value:
            other = self._coerce(other, "mul")
        data = self.data * other.data  # the "mul" row's forward
        if data - data:
            return _run(_MUL, (self, other))
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        if not grad_mode.open_blocks or grad_mode.thread_mode.enabled:
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
        return _run(_SUB, (self, self._coerce(other, "sub")))

    def __rsub__(self, other) -> "Value":
        return _run(_SUB, (self._coerce(other, "sub"), self))

    def __truediv__(self, other) -> "Value":
        return _run(_DIV, (self, self._coerce(other, "div")))

    def __rtruediv__(self, other) -> "Value":
        return _run(_DIV, (self._coerce(other, "div"), self))

    def __neg__(self) -> "Value":
        return _run(_NEG, (self,))

    def __pos__(self) -> "Value":
        return self

    def __pow__(self, other) -> "Value":
        if isinstance(other, Value):
            return _run(OPS["powv"], (self, other))
        exponent = self._coerce(other, "pow")
        exponent.label = number_literal(exponent.data)
        return _run(OPS["pow"], (self, exponent))

    def __rpow__(self, other) -> "Value":
        base = self._coerce(other, "rpow")
        base.label = number_literal(base.data)
        return _run(OPS["rpow"], (base, self))

    def _apply(self, name: str, operands: tuple) -> "Value":
        """Run the table's op ``name`` on ``operands`` (Values) and record it."""
        return _run(OPS[name], operands)

    def _coerce(self, other, name: str) -> "Value":
        if isinstance(other, Value):
            return other
        return Value(as_float(other, f"{name}: {self!r} and {describe(other)}"))

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


# --- going forward: one op of the table on Values ---------------------------------

_new = object.__new__
_ADD, _MUL, _SUB, _DIV, _NEG = (OPS[name] for name in ("add", "mul", "sub", "div", "neg"))


def _node(data: float, parents: tuple, op: str) -> Value:
    """A result node, without __init__'s argument checks (data is a finite float)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if not grad_mode.open_blocks or grad_mode.thread_mode.enabled:
        out._prev = parents
        out._op = op
    else:
        out._prev = ()
        out._op = ""
    return out


def _run(op: Op, operands: tuple) -> Value:
    """Run the row ``op`` on ``operands`` (Values) and record it: the domain rule, the
    forward rule, and a clear error for a result that is not a finite float."""
    datas = [v.data for v in operands]
    if op.domain is not None:
        op.domain(*datas)  # raises the row's OpError
    try:
        data = op.forward(SCALAR_MATH, *datas)
    except OverflowError:
        raise OpOverflowError(f"{op.name}: {_operands_text(op, datas)} overflows a float; "
                              "scale the inputs down") from None
    except ZeroDivisionError:
        raise OpZeroDivisionError(f"{op.name}: {_operands_text(op, datas)} divides by zero; "
                                  "keep the operand away from 0") from None
    except ValueError:
        raise OpDomainError(f"{op.name}: {_operands_text(op, datas)} is outside the op's "
                            "domain") from None
    if type(data) is not float:
        if isinstance(data, complex):
            raise OpDomainError(f"{op.name}: {_operands_text(op, datas)} has no real value")
        data = float(data)
    if data - data:  # NaN or infinite
        raise _non_finite_result(op, datas, data)
    return _node(data, operands, op.name)


# --- Value's methods for the table's rows written as calls ----------------------------


def _op_method(op: Op):
    """``Value.<op.name>``: runs the row; operands after ``self`` may be plain numbers."""
    coerce = Value._coerce
    if op.arity == 1:
        def method(self):
            return _run(op, (self,))
    elif op.arity == 2:
        def method(self, other):
            return _run(op, (self, coerce(self, other, op.name)))
    else:
        def method(self, *others):
            if len(others) != op.arity - 1:
                raise TypeError(f"Value.{op.name}() takes {op.arity - 1} operand(s) after "
                                f"the Value, got {len(others)}")
            return _run(op, (self, *(coerce(self, x, op.name) for x in others)))
    names = _operand_names(op)
    method.__name__, method.__qualname__ = op.name, f"Value.{op.name}"
    method.__doc__ = _method_doc(op, names)
    method.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
        + [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names[1:]],
        return_annotation="Value")
    method.row = op  # where the method came from: the test of row methods reads it
    return method


def _operand_names(op: Op) -> list:
    """The operands' names in the row's own forward rule (``a, lo, hi`` for clamp)."""
    try:
        names = list(inspect.signature(op.forward).parameters)[1:]  # after m
    except (TypeError, ValueError):
        names = []
    if len(names) != op.arity or any(n.startswith("*") for n in names):
        names = ["a", "b", "c", "d"][:op.arity] if op.arity <= 4 else \
            [f"x{i}" for i in range(op.arity)]
    return names


def _method_doc(op: Op, names: list) -> str:
    """The method's docstring, written from the row."""
    lines = [f"``{op.describe(*names)}`` with {names[0]} = self"
             + (f": {op.doc}." if op.doc else "."), ""]
    lines += [f"d/d{name} = {formula}" for name, formula in zip(names, op.formulas)
              if formula is not None]
    if op.kinks:
        lines.append(f"Kinks at {op.kinks}: backward takes a one-sided slope there.")
    if op.activation:
        lines.append(f'An activation: MLP(..., activation="{op.name}").')
    lines += ["", f"From the row autograd.ops.OPS[{op.name!r}]."]
    return "\n".join(lines)


def _watch_row(op: Op, registered: bool) -> None:
    """Give Value a method for each row written as a call, and take it back with the row."""
    if not op.is_method:
        return
    current = Value.__dict__.get(op.name)
    if not registered:
        if getattr(current, "row", None) is op:
            delattr(Value, op.name)
        return
    if current is not None or hasattr(Value, op.name):
        raise ValueError(f"op {op.name!r}: Value already has an attribute {op.name!r}, so "
                         "the row cannot become its method; give the op another name")
    setattr(Value, op.name, _op_method(op))


watch_rows(_watch_row)


def _let_go_iteratively(self) -> None:
    """``Value.__del__`` under WebAssembly: free the graph below one node at a time
    (:func:`autograd.graph.free_below`), where recursive freeing overflows the stack."""
    if self._prev and free_below is not None:  # (None while the interpreter shuts down)
        free_below(self)


if sys.platform == "emscripten":  # natively CPython bounds the depth of its own freeing
    Value.__del__ = _let_go_iteratively


# --- going back: the chain rule over a graph -----------------------------------------

# Held by every walk that writes the _grad_scratch slots (backward(), autograd.grad()):
# two threads' graphs share leaves (a model's parameters), so two walks at once would
# zero and add into the same slots.  Serialized, each call adds its own d(self)/d(leaf).
gradient_walk_lock = threading.RLock()


def accumulate_gradients(order: list) -> None:
    """The chain rule over a graph: d(root)/d(node) into every node's ``_grad_scratch``.

    ``order`` is :func:`topological_order` of the root (the root last).  backward()
    then adds the sums into the leaves' ``.grad`` and overwrites the inner nodes';
    :func:`autograd.grad` reads them for its inputs and leaves ``.grad`` alone.  A sum
    that is not finite raises.
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
        if op == "add":  # the add and mul rows' derivatives, written out for speed
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


def overwrite_inner_nodes(order: list) -> list:
    """backward()'s step for the inner nodes: ``.grad`` = d(root)/d(node) of this call.

    Returns the leaves, in order, for :func:`add_into_leaves` (one pass over the graph).
    """
    leaves = []
    for node in order:
        if node._prev:
            node.grad = node._grad_scratch
        else:
            leaves.append(node)
    return leaves


def add_into_leaves(leaves: list, order: list) -> None:
    """backward()'s step for the leaves: each ``.grad`` += d(root)/d(leaf).

    Every sum is checked before any is stored, so an overflow changes no leaf's ``.grad``.
    """
    totals = [leaf.grad + leaf._grad_scratch for leaf in leaves]
    for leaf, total in zip(leaves, totals):
        if total - total:  # NaN or infinite: a .grad that was huge already
            raise _non_finite_gradient(leaf, order, total)
    for leaf, total in zip(leaves, totals):
        leaf.grad = total


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


# --- copies, pickles and error messages ------------------------------------------------


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


def _operands_text(op: Op, datas) -> str:
    return op.describe(*(repr(d) for d in datas))


def _non_finite_result(op: Op, datas: list, data: float) -> OpError:
    operands = _operands_text(op, datas)
    if any(d - d for d in datas):
        return OpDomainError(f"{op.name}: {operands} has an operand that is not finite; a "
                             "Value holds a finite number -- look for an assignment to .data")
    if data != data:
        return OpDomainError(f"{op.name}: {operands} is not a number (NaN)")
    return OpOverflowError(f"{op.name}: {operands} is {data}, which overflows a float; "
                           "scale the inputs down")


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
