"""Annotated pictures: derivatives on the edges, one backward step highlighted, module boxes.

>>> from autograd import Value
>>> from autograd.expr import build
>>> out = build("a*b + a", a=2.0, b=-3.0); out.backward()
>>> dot = draw_annotated(out)              # edges carry "local" and "flows"
>>> 'local -3.0' in dot.source and 'flows -3.0' in dot.source
True
>>> dot = draw_step(out, 2)                # step 2 of the backward pass: the node a*b
>>> 'class=current' in dot.source
True

Node states in a step picture: the node being visited is yellow and bold; nodes
whose grad is already final (visited earlier) are green; nodes that have received
grad but are not visited yet (more may still arrive) are orange; nodes nothing has
reached yet are grey and dashed.
:func:`draw_network` draws a Neuron, Layer or MLP with a box per neuron and per
layer.  A graph with more than ``max_nodes`` nodes is drawn summarized (a box per
neuron, or the part nearest the output) and a :class:`GraphTooLargeWarning` says so.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import graphviz

from autograd import Value, local_derivatives, topological_order
from autograd.notation import format_number
from autograd.trace import BackwardTrace, backward_steps, node_names
from nn.tables import neuron_table

from .dot import build_graph
from .inputs import input_leaves
from .summary import (
    DEFAULT_MAX_NODES,
    LAYOUT_BUDGET,
    GraphTooLargeWarning,
    layout_cost,
    summarize,
    too_big,
)

__all__ = ["draw_annotated", "draw_step", "draw_network", "GraphTooLargeWarning",
           "DEFAULT_MAX_NODES", "LAYOUT_BUDGET", "STATE_STYLES", "layout_cost",
           "network_clusters"]

STATE_STYLES = {
    "current": {"style": "filled,bold", "fillcolor": "#ffd54f", "penwidth": "3"},
    "final": {"style": "filled", "fillcolor": "#c8e6c9"},
    "reached": {"style": "filled", "fillcolor": "#ffe0b2"},
    "waiting": {"style": "filled,dashed", "fillcolor": "#f5f5f5", "fontcolor": "#9e9e9e",
                "color": "#9e9e9e"},
}
_LEGEND = ("yellow: this step  |  green: visited, grad final  |  "
           "orange: has received grad, not visited yet  |  grey: not reached yet")


def _edge_text(local: Optional[float], flow: Optional[float]) -> str:
    if local is None:
        return "constant"
    text = f"local {format_number(local)}"
    return text if flow is None else f"{text}\nflows {format_number(flow)}"


def _locals(node: Value) -> list:
    try:
        return local_derivatives(node)
    except ValueError:  # not differentiable here: draw the edge without a number
        return [None] * len(node._prev)


def draw_annotated(root: Union[Value, Sequence[Value]], *, edge_labels: bool = True,
                   clusters: Optional[dict] = None, rankdir: str = "LR",
                   max_nodes: int = DEFAULT_MAX_NODES, title: str = "") -> graphviz.Digraph:
    """The graph with each edge labelled by its local derivative and the grad that flows.

    The flow along edge parent -> child is ``local * child.grad``: what backward()
    added into ``parent.grad`` from that child.  Call ``backward()`` first.
    ``clusters`` maps nodes to a path of box names, e.g. ``("layer 1", "neuron 2")``.
    """
    roots = [root] if isinstance(root, Value) else list(root)
    nodes = _nodes_of(roots)
    names = node_names(nodes, unique=not clusters)
    if too_big(nodes, max_nodes):
        return summarize(nodes, names, clusters, max_nodes, rankdir)
    position = {v: i for i, v in enumerate(nodes)}
    edge_info = {}
    if edge_labels:
        for node in nodes:
            if not node._prev:
                continue
            for k, local in enumerate(_locals(node)):
                flow = None if local is None else local * node.grad
                edge_info[(position[node], k)] = (_edge_text(local, flow), {})
    return build_graph(nodes, names, edge_info=edge_info, clusters=clusters, rankdir=rankdir,
                       title=title)


def _nodes_of(roots: Sequence[Value]) -> list:
    seen, nodes = set(), []
    for r in roots:
        for v in topological_order(r):
            if v not in seen:
                seen.add(v)
                nodes.append(v)
    return nodes


def draw_step(source: Union[Value, BackwardTrace], step: int, *, rankdir: str = "LR",
              clusters: Optional[dict] = None,
              max_nodes: int = DEFAULT_MAX_NODES) -> graphviz.Digraph:
    """Step ``step`` (1-based) of the backward pass, the visited node highlighted.

    ``source`` is the output Value (its backward pass is traced, which resets and
    fills its grads) or a :class:`~autograd.trace.BackwardTrace` you already have.
    Grads are drawn as they stand right after this step's ``+=``.  A graph too big
    to lay out quickly is summarized (with a ``GraphTooLargeWarning``) instead.
    """
    if isinstance(step, bool) or not isinstance(step, int):
        raise TypeError(f"draw_step(step={step!r:.40}): the step is a whole number, counted "
                        "from 1")
    trace = source if isinstance(source, BackwardTrace) else backward_steps(source)
    if not 1 <= step <= len(trace):
        raise ValueError(f"step {step}: the backward pass of this graph has steps 1 to "
                         f"{len(trace)}")
    nodes = list(trace.nodes)
    if too_big(nodes, max_nodes):
        return summarize(nodes, trace.names, clusters, max_nodes, rankdir)
    grads = trace.grads_after(step)
    current = trace[step - 1]
    states = {}
    received_by = set()
    for done in trace.steps[:step]:
        for c in done.contributions:
            if c.local is not None:
                received_by.add(c.parent_index)
    for index, node in enumerate(nodes, 1):
        visited_at = len(nodes) - index + 1  # step that visits this node
        if visited_at == step:
            states[node] = "current"
        elif visited_at < step:
            states[node] = "final"
        elif index in received_by:
            states[node] = "reached"
        else:
            states[node] = "waiting"
    edge_info = {}
    for done in trace.steps[:step]:
        for c in done.contributions:
            key = (done.index - 1, c.position)
            if done.step == step:
                edge_info[key] = (_edge_text(c.local, None if c.local is None else c.amount),
                                  {"color": "#d84315", "fontcolor": "#d84315",
                                   "penwidth": "2.5", "class": "flowing"})
            else:
                edge_info[key] = (_edge_text(c.local, None if c.local is None else c.amount),
                                  {"color": "#607d8b", "fontcolor": "#607d8b"})
    title = (f"step {step} of {len(trace)}: {current.node}, upstream grad "
             f"{format_number(current.upstream)}\n{_LEGEND}")
    return build_graph(nodes, trace.names, grads=grads, states=states, edge_info=edge_info,
                       clusters=clusters, rankdir=rankdir, title=title,
                       state_styles=STATE_STYLES)


def network_clusters(model, inputs: Sequence[Union[float, Value]]):
    """Run ``model`` on ``inputs``; return ``(outputs, clusters, table)`` for drawing.

    Each neuron owns the nodes it made: its weights, bias, products, sums and
    activation; the inputs stay outside every box.
    """
    leaves = input_leaves(inputs, "draw_network")
    table = neuron_table(model, leaves)
    multi_layer = hasattr(model, "layers")
    single = not multi_layer and not hasattr(model, "neurons")
    clusters: dict = {}
    owned = set(_nodes_of(leaves))
    for row in table:
        if single:
            path = ("neuron",)
        elif multi_layer:
            path = (f"layer {row.layer}", f"neuron {row.layer}.{row.neuron}")
        else:
            path = (f"neuron {row.neuron}",)
        for v in topological_order(row.node):
            if v not in owned:
                clusters[v] = path
                owned.add(v)
    return table.outputs, clusters, table


def draw_network(model, inputs: Sequence[Union[float, Value]], *, rankdir: str = "LR",
                 max_nodes: int = DEFAULT_MAX_NODES) -> graphviz.Digraph:
    """A Neuron, Layer or MLP on ``inputs``: a box per neuron (inside a box per layer).

    Runs the forward pass and ``backward()`` from the output (from the sum of the
    outputs when there are several), after zeroing the grads it will fill.

    >>> import random; random.seed(0)
    >>> from nn import MLP
    >>> dot = draw_network(MLP(2, [3, 1]), [1.0, -1.0])
    >>> dot.source.count("subgraph cluster_")   # 2 layers + 4 neurons
    6
    """
    outputs, clusters, _ = network_clusters(model, inputs)
    nodes = _nodes_of(outputs)
    for v in nodes:
        v.grad = 0.0
    if len(outputs) == 1:
        outputs[0].backward()
    else:
        total = sum(outputs[1:], outputs[0])
        total.backward()
    if too_big(nodes, max_nodes):
        return summarize(nodes, node_names(nodes), clusters, max_nodes, rankdir)
    return draw_annotated(outputs, clusters=clusters, rankdir=rankdir, max_nodes=max_nodes)
