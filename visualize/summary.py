"""The size guard every drawing shares: too big a graph is summarized, never left to hang.

Graphviz's layout time grows with the nodes and, faster, with long edges (a leaf
feeding every stage of a long chain).  :func:`layout_cost` counts both, and
:func:`guarded` draws a summary -- one box per neuron or layer, or the part of the
graph nearest the output -- with a :class:`GraphTooLargeWarning` that says why.

>>> from autograd import Value
>>> x = Value(1.0, "x"); y = x * x
>>> layout_cost([x, y])      # x, the * oval, y; no edge skips a rank
3
"""

from __future__ import annotations

import warnings
from typing import Optional, Sequence

import graphviz

from autograd import OPS, Value

from .dot import add_op_node, add_record_node, new_digraph, op_symbol, record_text

__all__ = ["GraphTooLargeWarning", "DEFAULT_MAX_NODES", "LAYOUT_BUDGET", "layout_cost",
           "too_big", "summarize"]

DEFAULT_MAX_NODES = 600  # Value nodes; graphviz-pure lays out ~1000 in well under a second
# Measured with graphviz-pure: cost 2,600 lays out in 0.7 s, 5,000 in 4 s, 10,000 in minutes.
LAYOUT_BUDGET = 3000


class GraphTooLargeWarning(UserWarning):
    """The graph has more nodes than ``max_nodes``; a summary was drawn instead."""


def layout_cost(nodes: Sequence[Value], kept: Optional[set] = None) -> int:
    """Roughly how hard the drawing is to lay out: boxes, op ovals and skipped ranks.

    ``nodes`` is in topological order; with ``kept``, only those nodes are drawn
    (a parent outside ``kept`` is a stub right beside its child).
    """
    rank: dict = {}
    cost = 0
    for v in nodes:
        if kept is not None and v not in kept:
            continue
        cost += 1
        inside = [p for p in v._prev if p in rank]
        if not v._prev:
            rank[v] = 0
            continue
        op_rank = max((rank[p] for p in inside), default=0) + 1
        cost += 1 + sum(op_rank - rank[p] - 1 for p in inside)
        rank[v] = op_rank + 1
    return cost


def too_big(nodes: Sequence[Value], max_nodes: int = DEFAULT_MAX_NODES) -> bool:
    """True when drawing every node would be too many or too slow to lay out."""
    return len(nodes) > max_nodes or layout_cost(nodes) > LAYOUT_BUDGET


def summarize(nodes: Sequence[Value], names: dict, clusters: Optional[dict],
              max_nodes: int, rankdir: str) -> graphviz.Digraph:
    """Too many nodes to draw one by one: one box per module, or the part near the output."""
    if clusters:
        groups: dict = {}
        for v in nodes:
            path = clusters.get(v)
            if path is not None:
                groups.setdefault(path, []).append(v)
        depth = 2 if len(groups) <= max_nodes else 1
        summary: dict = {}
        for path, members in groups.items():
            summary.setdefault(tuple(path[:depth]), []).extend(members)
        if len(summary) <= max_nodes:
            message = (f"{_why(nodes, max_nodes)}: drawing one box per "
                       f"{'neuron' if depth == 2 else 'layer'} instead")
            warnings.warn(message, GraphTooLargeWarning, stacklevel=3)
            return _module_summary(nodes, names, summary, message, rankdir)
    count = min(max_nodes, len(nodes))
    while count > 1 and layout_cost(nodes, set(nodes[-count:])) > LAYOUT_BUDGET:
        count = count * 4 // 5
    keep = nodes[-count:]
    message = f"{_why(nodes, max_nodes)}: drawing the {len(keep)} nodes nearest the output"
    warnings.warn(message, GraphTooLargeWarning, stacklevel=3)
    kept = set(keep)
    dot = new_digraph(rankdir, message)
    ids = {v: f"v{i}" for i, v in enumerate(nodes)}
    for v in keep:
        add_record_node(dot, ids[v], names[v], v.data, v.grad)
        if v._op:
            op_id = add_op_node(dot, ids[v], op_symbol(v))
            if any(p not in kept for p in v._prev):
                # a stub beside each cut edge: one shared "hidden" node would make the
                # very long edges that slow the layout down
                stub = ids[v] + "_earlier"
                dot.node(stub, label="... earlier nodes", shape="plaintext",
                         fontcolor="#777777")
                dot.edge(stub, op_id, style="dashed")
            for p in v._prev:
                if p in kept:
                    dot.edge(ids[p], op_id)
    return dot


def _why(nodes, max_nodes) -> str:
    if len(nodes) > max_nodes:
        return (f"graph has {len(nodes)} nodes, more than max_nodes={max_nodes} "
                "(pass a larger max_nodes to draw every node)")
    return (f"graph has {len(nodes)} nodes with many long edges (layout cost "
            f"{layout_cost(nodes)} > {LAYOUT_BUDGET}), too tangled to lay out quickly")


def _module_summary(nodes, names, summary, message, rankdir):
    dot = new_digraph(rankdir, message)
    box_of = {}
    for k, (path, members) in enumerate(summary.items()):
        for v in members:
            box_of[v] = f"m{k}"
        out = members[-1]  # topological order: a neuron's output comes last
        params = sum(1 for v in members if not v._prev)
        activation = out._op if out._op in OPS and OPS[out._op].activation else "linear"
        label = (f"{{ {record_text(' / '.join(path))} | {len(members)} nodes, "
                 f"{params} parameters | {activation} | out {out.data:.4f} | "
                 f"grad {out.grad:.4f} }}")
        dot.node(f"m{k}", label=graphviz.nohtml(label), shape="record",
                 style="rounded,filled", fillcolor="#eef3fb", id=f"module-{k + 1}")
    outside = [v for v in nodes if v not in box_of]
    for i, v in enumerate(outside):
        box_of[v] = f"o{i}"
        add_record_node(dot, f"o{i}", names[v], v.data, v.grad)
    edges = set()
    for v in nodes:
        for p in v._prev:
            a, b = box_of[p], box_of[v]
            if a != b and (a, b) not in edges:
                edges.add((a, b))
                dot.edge(a, b)
    return dot
