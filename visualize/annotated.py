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

import warnings
from typing import Optional, Sequence, Union

import graphviz

from autograd import OPS, Value, local_derivatives, topological_order
from autograd.trace import BackwardTrace, backward_steps, format_number, neuron_table, node_names

__all__ = ["draw_annotated", "draw_step", "draw_network", "GraphTooLargeWarning",
           "DEFAULT_MAX_NODES", "LAYOUT_BUDGET", "STATE_STYLES", "layout_cost",
           "network_clusters"]

DEFAULT_MAX_NODES = 600  # Value nodes; graphviz-pure lays out ~1000 in well under a second
# Layout time grows with the long edges too (a leaf feeding every stage of a long
# chain): layout_cost counts nodes plus the ranks each edge skips.  Measured with
# graphviz-pure: cost 2,600 lays out in 0.7 s, 5,000 in 4 s, 10,000 in minutes.
LAYOUT_BUDGET = 3000

STATE_STYLES = {
    "current": {"style": "filled,bold", "fillcolor": "#ffd54f", "penwidth": "3"},
    "final": {"style": "filled", "fillcolor": "#c8e6c9"},
    "reached": {"style": "filled", "fillcolor": "#ffe0b2"},
    "waiting": {"style": "filled,dashed", "fillcolor": "#f5f5f5", "fontcolor": "#9e9e9e",
                "color": "#9e9e9e"},
}
_LEGEND = ("yellow: this step  |  green: visited, grad final  |  "
           "orange: has received grad, not visited yet  |  grey: not reached yet")


class GraphTooLargeWarning(UserWarning):
    """The graph has more nodes than ``max_nodes``; a summary was drawn instead."""


def _escape_record(text: str) -> str:
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _escape(text: str) -> str:
    """Text for a quoted DOT attribute; a line break becomes DOT's centred ``\\n``."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _record(name: str, data: float, grad: float) -> str:
    return f"{{ {_escape_record(name)} | data {data:.4f} | grad {grad:.4f} }}"


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


def _build(nodes: Sequence[Value], *, grads: Sequence[float], states: Optional[dict],
           edge_info: dict, clusters: Optional[dict], rankdir: str, title: str = "",
           names: Optional[dict] = None) -> graphviz.Digraph:
    """The DOT graph: ``edge_info[(child_index, k)] = (text, style)`` labels operand k."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir={rankdir!r}: use 'LR' (left to right) or 'TB' (top to bottom)")
    names = names or node_names(nodes)
    ids = {v: f"v{i}" for i, v in enumerate(nodes)}
    graph_attr = {"rankdir": rankdir}
    if title:
        graph_attr.update(label=_escape(title), labelloc="t", fontsize="12",
                          fontname="Helvetica")
    dot = graphviz.Digraph(format="svg", graph_attr=graph_attr,
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    bodies: dict = {}  # cluster path -> Digraph

    def home(node):
        path = clusters.get(node) if clusters else None
        if not path:
            return dot
        for depth in range(1, len(path) + 1):
            key = tuple(path[:depth])
            if key not in bodies:
                sub = graphviz.Digraph(name=f"cluster_{len(bodies)}")
                sub.attr(label=_escape(key[-1]), style="rounded,filled",
                         fillcolor="#eef3fb" if depth % 2 else "#fbf7ee", color="#8aa1c1")
                bodies[key] = sub
        return bodies[tuple(path)]

    for index, node in enumerate(nodes):
        where = home(node)
        attrs = {"shape": "record", "id": f"node-{index + 1}"}
        if states is not None:
            state = states[node]
            attrs.update(STATE_STYLES[state])
            attrs["class"] = state
        where.node(ids[node], label=_record(names[node], node.data, grads[index]), **attrs)
        if node._op:
            symbol = OPS[node._op].symbol if node._op in OPS else node._op
            where.node(ids[node] + "_op", label=_escape(symbol), shape="ellipse",
                       id=f"op-{index + 1}")
            where.edge(ids[node] + "_op", ids[node])
    for index, node in enumerate(nodes):
        for k, parent in enumerate(node._prev):
            text, style = edge_info.get((index, k), ("", {}))
            attrs = dict(style)
            if text:
                attrs["label"] = _escape(text)
            dot.edge(ids[parent], ids[node] + "_op", **attrs)
    # attach clusters innermost first, so each box holds its inner boxes
    for key in sorted(bodies, key=len, reverse=True):
        parent = bodies.get(key[:-1]) if len(key) > 1 else dot
        parent.subgraph(bodies[key])
    return dot


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
    if _too_big(nodes, max_nodes):
        return _summary(nodes, roots, clusters, max_nodes, rankdir)
    position = {v: i for i, v in enumerate(nodes)}
    edge_info = {}
    if edge_labels:
        for node in nodes:
            if not node._prev:
                continue
            for k, local in enumerate(_locals(node)):
                flow = None if local is None else local * node.grad
                edge_info[(position[node], k)] = (_edge_text(local, flow), {})
    return _build(nodes, grads=[v.grad for v in nodes], states=None, edge_info=edge_info,
                  clusters=clusters, rankdir=rankdir, title=title,
                  names=node_names(nodes, unique=not clusters))


def layout_cost(nodes: Sequence[Value], kept: Optional[set] = None) -> int:
    """Roughly how hard the drawing is to lay out: boxes, op ovals and skipped ranks.

    ``nodes`` is in topological order; with ``kept``, only those nodes are drawn
    (a parent outside ``kept`` is a stub right beside its child).

    >>> x = Value(1.0, "x"); y = x * x
    >>> layout_cost([x, y])      # x, the * oval, y; no edge skips a rank
    3
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


def _too_big(nodes, max_nodes) -> bool:
    return len(nodes) > max_nodes or layout_cost(nodes) > LAYOUT_BUDGET


def _nodes_of(roots: Sequence[Value]) -> list:
    seen, nodes = set(), []
    for r in roots:
        for v in topological_order(r):
            if v not in seen:
                seen.add(v)
                nodes.append(v)
    return nodes


def draw_step(source: Union[Value, BackwardTrace], step: int, *, rankdir: str = "LR",
              clusters: Optional[dict] = None) -> graphviz.Digraph:
    """Step ``step`` (1-based) of the backward pass, the visited node highlighted.

    ``source`` is the output Value (its backward pass is traced, which resets and
    fills its grads) or a :class:`~autograd.trace.BackwardTrace` you already have.
    Grads are drawn as they stand right after this step's ``+=``.
    """
    trace = source if isinstance(source, BackwardTrace) else backward_steps(source)
    if not 1 <= step <= len(trace):
        raise ValueError(f"step {step}: the backward pass of this graph has steps 1 to "
                         f"{len(trace)}")
    nodes = list(trace.nodes)
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
    return _build(nodes, grads=grads, states=states, edge_info=edge_info, clusters=clusters,
                  rankdir=rankdir, title=title, names=trace.names)


def network_clusters(model, inputs: Sequence[Union[float, Value]]):
    """Run ``model`` on ``inputs``; return ``(outputs, clusters, table)`` for drawing.

    Each neuron owns the nodes it made: its weights, bias, products, sums and
    activation; the inputs stay outside every box.
    """
    leaves = [x if isinstance(x, Value) else Value(float(x), f"x{i + 1}")
              for i, x in enumerate(inputs)]
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
    if _too_big(nodes, max_nodes):
        return _summary(nodes, outputs, clusters, max_nodes, rankdir)
    return draw_annotated(outputs, clusters=clusters, rankdir=rankdir, max_nodes=max_nodes)


def _summary(nodes, roots, clusters, max_nodes, rankdir) -> graphviz.Digraph:
    """Too many nodes to draw one by one: one box per module, or the part near the output."""
    if clusters:
        groups = {}
        for v in nodes:
            path = clusters.get(v)
            if path is not None:
                groups.setdefault(path, []).append(v)
        depth = 2 if len(groups) <= max_nodes else 1
        summary = {}
        for path, members in groups.items():
            summary.setdefault(tuple(path[:depth]), []).extend(members)
        if len(summary) <= max_nodes:
            message = (f"{_why(nodes, max_nodes)}: drawing one box per "
                       f"{'neuron' if depth == 2 else 'layer'} instead")
            warnings.warn(message, GraphTooLargeWarning, stacklevel=3)
            return _module_summary(nodes, roots, clusters, summary, depth, message, rankdir)
    count = min(max_nodes, len(nodes))
    while count > 1 and layout_cost(nodes, set(nodes[-count:])) > LAYOUT_BUDGET:
        count = count * 4 // 5
    keep = nodes[-count:]
    message = f"{_why(nodes, max_nodes)}: drawing the {len(keep)} nodes nearest the output"
    warnings.warn(message, GraphTooLargeWarning, stacklevel=3)
    kept = set(keep)
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": rankdir,
                                                     "label": _escape(message),
                                                     "labelloc": "t", "fontsize": "12"})
    names = node_names(nodes)
    ids = {v: f"v{i}" for i, v in enumerate(nodes)}
    dot.attr("node", fontname="Helvetica", fontsize="11")
    for v in keep:
        dot.node(ids[v], label=_record(names[v], v.data, v.grad), shape="record")
        if v._op:
            dot.node(ids[v] + "_op", label=_escape(OPS[v._op].symbol if v._op in OPS
                                                   else v._op), shape="ellipse")
            dot.edge(ids[v] + "_op", ids[v])
            if any(p not in kept for p in v._prev):
                # a stub beside each cut edge: one shared "hidden" node would make the
                # very long edges that slow the layout down
                stub = ids[v] + "_earlier"
                dot.node(stub, label="... earlier nodes", shape="plaintext",
                         fontcolor="#777777")
                dot.edge(stub, ids[v] + "_op", style="dashed")
            for p in v._prev:
                if p in kept:
                    dot.edge(ids[p], ids[v] + "_op")
    return dot


def _why(nodes, max_nodes) -> str:
    if len(nodes) > max_nodes:
        return (f"graph has {len(nodes)} nodes, more than max_nodes={max_nodes} "
                "(pass a larger max_nodes to draw every node)")
    return (f"graph has {len(nodes)} nodes with many long edges (layout cost "
            f"{layout_cost(nodes)} > {LAYOUT_BUDGET}), too tangled to lay out quickly")


def _module_summary(nodes, roots, clusters, summary, depth, message, rankdir):
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": rankdir,
                                                     "label": _escape(message),
                                                     "labelloc": "t", "fontsize": "12"})
    box_of = {}
    for k, (path, members) in enumerate(summary.items()):
        for v in members:
            box_of[v] = f"m{k}"
        out = members[-1]  # topological order: a neuron's output comes last
        params = sum(1 for v in members if not v._prev)
        activation = out._op if out._op in OPS and OPS[out._op].arity == 1 else "linear"
        label = (f"{{ {_escape_record(' / '.join(path))} | {len(members)} nodes, "
                 f"{params} parameters | {activation} | out {out.data:.4f} | "
                 f"grad {out.grad:.4f} }}")
        dot.node(f"m{k}", label=label, shape="record", style="rounded,filled",
                 fillcolor="#eef3fb", id=f"module-{k + 1}")
    names = node_names(nodes)
    outside = [v for v in nodes if v not in box_of]
    for i, v in enumerate(outside):
        box_of[v] = f"o{i}"
        dot.node(f"o{i}", label=_record(names[v], v.data, v.grad), shape="record")
    edges = set()
    for v in nodes:
        for p in v._prev:
            a, b = box_of[p], box_of[v]
            if a != b and (a, b) not in edges:
                edges.add((a, b))
                dot.edge(a, b)
    return dot
