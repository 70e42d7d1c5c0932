"""Walking a computation graph without recursion.

>>> from autograd import Value
>>> a = Value(2.0, "a"); b = Value(-3.0, "b")
>>> c = a * b; c.label = "c"
>>> [v.label for v in topological_order(c)]
['a', 'b', 'c']

The walk is an explicit stack, so a chain 100,000 nodes deep is fine; the order is
a plain depth-first post-order over each node's ordered ``_prev`` tuple, so the
same graph always gives the same order (drawings and traces are deterministic).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .value import Value

__all__ = ["topological_order", "nodes_and_edges", "count_nodes", "free_below"]


def count_nodes(root: "Value", limit: int) -> int:
    """The number of nodes reachable from ``root``, counting (iteratively) no further
    than ``limit + 1``: the check a size limit makes before any expensive work, in
    time proportional to the limit, not to the graph (a 200,000-step chain answers
    at once).

    >>> from autograd import Value
    >>> x = Value(1.0); y = x
    >>> for _ in range(10_000): y = y + 1.0
    >>> count_nodes(y, 300), count_nodes(x * 2.0, 300)
    (301, 3)
    """
    seen = {id(root)}
    stack = [root]
    while stack and len(seen) <= limit:
        for parent in getattr(stack.pop(), "_prev", ()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return min(len(seen), limit + 1)


def topological_order(root: "Value") -> list["Value"]:
    """Every node reachable from ``root``, each after all of its parents."""
    try:
        first = iter(root._prev)
    except AttributeError:  # draw_graph(3.0), stepper_html([loss]): name it, not '_prev'
        shown = repr(root) if len(repr(root)) <= 40 else repr(root)[:37] + "..."
        raise TypeError(f"{shown} of type {type(root).__name__} is not a Value: pictures, "
                        "traces and gradients start from the Value a computation ends in, "
                        "e.g. draw_graph(loss)") from None
    order = []
    visited = {root}
    # Each stack entry is a node and an iterator over the parents still to visit.
    stack = [(root, first)]
    push, pop = stack.append, stack.pop
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                push((parent, iter(parent._prev)))
                break
        else:
            pop()
            order.append(node)
    return order


def nodes_and_edges(root: "Value") -> tuple[list["Value"], list[tuple["Value", "Value"]]]:
    """The nodes in topological order and the ``(parent, child)`` edges, in a stable order."""
    nodes = topological_order(root)
    edges = [(parent, child) for child in nodes for parent in child._prev]
    return nodes, edges


def _references_held_only_here() -> int:
    # what sys.getrefcount reports for an object held by one local variable alone
    # (the number differs between Python versions, so it is measured, not assumed)
    node = object()
    return sys.getrefcount(node)


_ONLY_HERE = _references_held_only_here()


def free_below(node: "Value") -> None:
    """Let go of ``node``'s inputs one node at a time, not by recursion.

    Python frees a chain of nodes by recursion: each freed node drops its ``_prev``,
    which frees the next.  CPython bounds that depth natively (its "trashcan"), but
    in WebAssembly (Pyodide) freeing a chain of 3,000 nodes overflows the stack and
    kills the interpreter.  As ``Value.__del__`` there, this empties ``_prev`` of
    each input that nothing else holds, and so on down, from an explicit stack;
    a node that something else still holds (a variable, another graph) keeps its
    whole graph.

    >>> from autograd import Value
    >>> x = Value(1.0, "x"); h = x * 2.0; y = h * 3.0
    >>> free_below(y)          # y lets go of h; h is still held by the name h
    >>> y._prev, len(h._prev)
    ((), 2)
    """
    stack = list(node._prev)
    node._prev = ()
    while stack:
        child = stack.pop()
        if child._prev and sys.getrefcount(child) == _ONLY_HERE:
            stack.extend(child._prev)
            child._prev = ()
        child = None  # noqa: F841 -- freed here when this was the last reference
