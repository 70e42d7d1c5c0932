"""Gradients as values: ``grad``, ``hessian``, ``hvp`` -- and gradients of gradients.

:func:`grad` is shaped like ``torch.autograd.grad``: it returns d(output)/d(input)
for each input and leaves every ``.grad`` as it was.

>>> from autograd import Value
>>> x = Value(3.0, "x")
>>> y = x * x * x
>>> [g.data for g in grad(y, [x])]
[27.0]

With ``create_graph=True`` the backward pass is itself built out of table ops
(every derivative rule of :data:`autograd.ops.OPS` evaluated with :data:`VALUE_MATH`,
whose functions make Value nodes), so the gradient can be differentiated again:

>>> (dy,) = grad(y, [x], create_graph=True)        # 3x**2
>>> (d2y,) = grad(dy, [x], create_graph=True)      # 6x
>>> (d3y,) = grad(d2y, [x])                        # 6
>>> dy.data, d2y.data, d3y.data
(27.0, 18.0, 6.0)

An op whose slope is constant between kinks (relu, abs, minimum ...) says so in
its row (``piecewise_linear``); its slope enters the gradient graph as a constant,
whose derivative is 0 -- true everywhere but on the kink itself.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Callable, Sequence, Union

from .coercion import as_float
from .graph import topological_order
from .notation import format_number
from .ops import OPS, SCALAR_MATH, OpError, OpOverflowError
from .trace import table_text
from .value import (
    Value,
    accumulate_gradients,
    gc_paused,
    gradient_walk_lock,
    is_grad_enabled,
    local_derivatives,
)

__all__ = ["grad", "hessian", "hessian_of", "hessian_table", "hvp", "VALUE_MATH",
           "graph_local_derivatives"]

Number = Union[int, float]


def _lifted(name: str, scalar: Callable) -> Callable:
    """SCALAR_MATH's function ``name`` for Values: the table's row of the same name
    (``**`` for ``power``) when an operand is a Value, the plain function otherwise."""
    op = OPS.get(name)
    if name == "power":
        def build(base, exponent):
            return base ** exponent
    elif op is not None and op.is_method:
        def build(first, *rest):
            return getattr(first if isinstance(first, Value) else Value(first), name)(*rest)
    else:  # no row (where, log1p): a function of plain numbers only
        return scalar

    def apply(*operands):
        if any(isinstance(x, Value) for x in operands):
            return build(*operands)
        return scalar(*operands)
    apply.__name__ = name
    return apply


# The derivative rules' math namespace for Values, lifted from the scalar one: each
# function that is a row builds that row's node (so the result is a graph), and falls
# back to plain math for plain numbers.
VALUE_MATH = SimpleNamespace(**{name: _lifted(name, scalar)
                                for name, scalar in vars(SCALAR_MATH).items()})


def graph_local_derivatives(node: Value) -> list:
    """Like :func:`~autograd.local_derivatives`, but each derivative is a Value graph.

    The rule is evaluated with :data:`VALUE_MATH` on the node and its parents, so
    the result depends on them through table ops.  A constant operand (the ``n``
    of ``x ** n``) enters as its number; a ``piecewise_linear`` op's slope is a
    constant.  ``None`` marks a constant operand, as in ``local_derivatives``.
    """
    op = OPS[node._op]
    if op.piecewise_linear:  # slopes constant between kinks: their derivative is 0
        return local_derivatives(node)
    operands = tuple(p.data if rule is None else p for p, rule in zip(node._prev, op.derivatives))
    out = []
    for index, rule in enumerate(op.derivatives):
        if rule is None:
            out.append(None)
            continue
        try:
            local = rule(VALUE_MATH, node, *operands)
        except OpError:
            local_derivatives(node)  # the table's message: which op, which derivative
            raise
        except TypeError as error:
            raise OpError(f"{op.name}: its derivative rule {op.formulas[index]!r} cannot be "
                          f"evaluated with Values ({error}); write the rule with the math "
                          "namespace m only, or declare the op piecewise_linear if its "
                          "slope is constant between kinks") from None
        if not isinstance(local, Value):
            local = float(local)
            if not math.isfinite(local):
                local_derivatives(node)  # raises the table's clear error
        elif not math.isfinite(local.data):
            local_derivatives(node)
        out.append(local)
    return out


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False,
         allow_unused: bool = False) -> list[Value]:
    """d(output)/d(input) for each of ``inputs``, as Values; no ``.grad`` changes.

    ``create_graph=False``: each result is a new leaf holding the number (the same
    numbers ``backward()`` accumulates).  ``create_graph=True``: each result is a
    node of a graph built from the table's ops, which :func:`grad` (or
    ``backward()``) can differentiate again, to any order.  An input that
    ``output`` does not depend on is an error unless ``allow_unused=True``, when its
    gradient is ``Value(0.0)``.

    >>> a = Value(2.0, "a"); b = Value(-3.0, "b")
    >>> d = a * b + a
    >>> [g.data for g in grad(d, [a, b])], a.grad
    ([-2.0, 2.0], 0.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output is {type(output).__name__}, not a Value; pass the "
                        "Value to differentiate, e.g. grad(loss, [w, b])")
    if isinstance(inputs, Value):
        raise TypeError("grad: inputs is one Value; pass a list of the Values you want the "
                        "gradient for, e.g. grad(loss, [w]) (the result is a list too)")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] is {type(x).__name__}, not a Value; pass "
                            "the Values you want the gradient for")
    if _inside_tape_trace(output, inputs):
        raise RuntimeError("grad() inside a function that compile_tape is tracing: the tape "
                           "replays the ops fn builds, and grad() would hand it gradients as "
                           "numbers (or, with create_graph=True, relu-like slopes as "
                           "constants) frozen at the traced example; take gradients with the "
                           "scalar engine (grad or backward) outside the traced function")
    if create_graph and not is_grad_enabled():
        raise RuntimeError("grad(create_graph=True) inside no_grad(): the gradient graph "
                           "could not be recorded; call it outside the no_grad() block")
    with gc_paused():  # as backward(): the walk makes no cycles, so scanning only costs
        order = topological_order(output)
        grads = (_graph_backward(output, order) if create_graph
                 else _float_backward(output, order, inputs))
    results = []
    for i, x in enumerate(inputs):
        g = grads.get(x)
        if g is None:
            if not allow_unused:
                raise ValueError(f"grad: output {output!r} does not depend on inputs[{i}] "
                                 f"({x.label or repr(x)}); pass allow_unused=True to get 0 "
                                 "for it")
            g = 0.0
        number = g.data if isinstance(g, Value) else g
        if not math.isfinite(number):  # as backward() does: never hand back inf or NaN
            raise OpOverflowError(f"grad: d({output.label or 'output'})/d("
                                  f"{x.label or f'inputs[{i}]'}) is {number}: a gradient "
                                  "overflowed a float on the way back; scale the output or "
                                  "the inputs down")
        results.append(g if isinstance(g, Value) else Value(g))
    return results


def _inside_tape_trace(output: Value, inputs: list) -> bool:
    # While compile_tape traces, the values computed from its inputs and parameters are
    # autograd.tape.tracing.TracedValues, which say so (and no other Value does).
    return any(getattr(v, "traced_by_tape", False) for v in [output, *inputs])


def _float_backward(output: Value, order: list, inputs: Sequence[Value]) -> dict:
    """backward()'s own walk, read from the scratch slots: input -> d(output)/d(input).

    No ``.grad`` changes.  An input outside the graph keeps the ``None`` set first.
    """
    with gradient_walk_lock:  # the scratch slots of shared leaves: one walk at a time
        for x in inputs:
            x._grad_scratch = None
        accumulate_gradients(order)
        return {x: x._grad_scratch for x in inputs if x._grad_scratch is not None}


def _graph_backward(output: Value, order: list) -> dict:
    """The backward pass as a graph: node -> a Value computing d(output)/d(node)."""
    grads: dict = {output: Value(1.0, "1")}  # the seed d(output)/d(output), named by its value
    for node in reversed(order):
        parents = node._prev
        if not parents or node not in grads:
            continue
        upstream = grads[node]
        for parent, local in zip(parents, graph_local_derivatives(node)):
            if local is None:
                continue
            if isinstance(local, Value):
                amount = local * upstream
            elif local == 1.0:
                amount = upstream
            elif local == -1.0:
                amount = -upstream
            else:
                amount = upstream * local
            grads[parent] = grads[parent] + amount if parent in grads else amount
    return grads


# --- second order -----------------------------------------------------------------


def _leaves(f: Callable[..., Value], point: Sequence[Number], who: str
            ) -> tuple[Value, list[Value]]:
    if not isinstance(point, (list, tuple)):
        point = _sequence(point, who, "point")
    xs = [Value(as_float(x, f"{who}: point[{i}]"), f"x{i}") for i, x in enumerate(point)]
    if not xs:
        raise ValueError(f"{who}: the point is empty; give one number per input of f")
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: f returned {type(out).__name__}, not a Value; f must build "
                        "its result from the Values it is given")
    return out, xs


def _sequence(items, who: str, what: str) -> list:
    """``items`` as a list, or a TypeError naming the argument (a lone number, text)."""
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{who}: {what} {items!r:.40} should be a list of numbers, one per "
                        "input of f, such as [0.5, -1.0]")
    return list(items)


def hessian(f: Callable[..., Value], point: Sequence[Number]) -> list[list[float]]:
    """The matrix of second derivatives d2f/dxi dxj at ``point``, as lists of floats.

    One ``grad(create_graph=True)`` gives the gradient as a graph; one more
    ``grad`` per input differentiates it again.

    >>> hessian(lambda x, y: x * x * y, [3.0, 2.0])
    [[4.0, 6.0], [6.0, 0.0]]
    """
    out, xs = _leaves(f, point, "hessian")
    return hessian_of(out, xs)


def hessian_of(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """:func:`hessian` of a graph that is already built, with respect to ``inputs``.

    >>> x = Value(3.0, "x"); y = Value(2.0, "y")
    >>> hessian_of(x * x * y, [x, y])
    [[4.0, 6.0], [6.0, 0.0]]
    """
    first = grad(output, inputs, create_graph=True, allow_unused=True)
    return [[h.data for h in grad(g, inputs, allow_unused=True)] for g in first]


def hessian_table(output: Value, inputs: Sequence[Value]) -> str:
    """The Hessian of ``output`` as an aligned table, rows and columns named by label.

    >>> x = Value(3.0, "x"); y = Value(2.0, "y")
    >>> print(hessian_table(x * x * y, [x, y]))
          d/dx  d/dy
    d/dx   4.0   6.0
    d/dy   6.0   0.0
    """
    names = [f"d/d{x.label or f'x{i}'}" for i, x in enumerate(inputs)]
    rows = [[name] + [format_number(h) for h in row]
            for name, row in zip(names, hessian_of(output, inputs))]
    return table_text([""] + names, rows, right=range(1, len(names) + 1))


def hvp(f: Callable[..., Value], point: Sequence[Number], v: Sequence[Number]) -> list[float]:
    """The Hessian of ``f`` at ``point`` times ``v``, without forming the Hessian.

    d/dx (grad f(x) . v): one gradient graph and one more backward pass, so it costs
    a small constant times one backward pass whatever the number of inputs.

    >>> hvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0])
    [4.0, 6.0]
    """
    out, xs = _leaves(f, point, "hvp")
    v = [as_float(c, f"hvp: v[{i}]") for i, c in enumerate(_sequence(v, "hvp", "v"))]
    if len(v) != len(xs):
        raise ValueError(f"hvp: v has {len(v)} numbers but f takes {len(xs)} inputs; "
                         "give one direction component per input")
    first = grad(out, xs, create_graph=True, allow_unused=True)
    directional = first[0] * v[0]
    for g, c in zip(first[1:], v[1:]):
        directional = directional + g * c
    return [h.data for h in grad(directional, xs, allow_unused=True)]
