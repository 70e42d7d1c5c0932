"""The lecture picture of a network: circles in layers, one edge per weight, and its stepper.

>>> from nn import MLP
>>> diagram = draw_network_diagram(MLP(2, [3, 1], activation="tanh", seed=0), [1.0, -2.0],
...                                target=1.0)
>>> diagram.source.count("shape=circle")        # 2 inputs + 3 + 1 neurons
6
>>> "dL/dz" in diagram.source and "dL/dw" in diagram.source
True

Edge colour is the weight's sign (blue positive, red negative) and its width the
weight's size.  Each neuron shows its weighted sum ``z`` and activation ``a``, and
after backward ``dL/dz``; each edge shows ``w`` and ``dL/dw``.  Every number comes
from the engine itself: the forward pass of the model and ``backward()`` of the loss.
Up to :data:`MAX_DRAWN` neurons per layer are drawn; a wider layer shows its first
ones and a "+ n more" box, with a :class:`~visualize.GraphTooLargeWarning`.
"""

from __future__ import annotations

import html
import re
import warnings
from dataclasses import dataclass
from typing import Optional, Sequence

import graphviz

from autograd import Value, local_derivatives
from autograd.notation import format_number
from nn.tables import neuron_table

from .conv_network import LEGEND as CONV_LEGEND
from .conv_network import conv_diagram, conv_steps, conv_svg, is_conv_model, run_conv_network
from .dot import new_digraph, plain_text
from .drawing import to_png, to_svg
from .inputs import input_leaves
from .network_loss import LOSSES, network_loss
from .page import StepperPage, frames_from_steps, page_html
from .summary import GraphTooLargeWarning

__all__ = ["draw_network_diagram", "NetworkDiagram", "Stepper", "network_stepper_html",
           "network_frames",
           "network_steps", "NetworkPass", "run_network", "LOSSES", "MAX_DRAWN"]

MAX_DRAWN = 8          # neurons per layer drawn one by one
MAX_EDGE_LABELS = 30   # beyond this many edges the numbers move to the explanation only
POSITIVE, NEGATIVE = "#1565c0", "#c62828"


@dataclass
class NetworkPass:
    """One forward and backward pass through a model, read back per neuron."""

    inputs: list            # the input Values x1 ... xn
    rows: list              # one NeuronRow per neuron (nn.tables.neuron_table)
    layers: list            # [[row, ...] per layer]
    loss: Value             # L (the output itself when there is no target)
    loss_text: str          # how L is computed, e.g. "L = (a - target)**2 = 2.15"
    target: Optional[list]
    loss_formula: str = ""  # the same without the value: "(a - target)**2"


def run_network(model, x: Sequence[float], target=None, loss: str = "mse") -> NetworkPass:
    """Run ``model`` on ``x``, build the loss and backpropagate it.

    ``loss="mse"`` is the mean of ``(output - target)**2``; with ``target=None`` or
    ``loss="none"`` the network's (single or summed) output is backpropagated.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss={loss!r} is not known: use one of {', '.join(LOSSES)}")
    inputs = input_leaves(x, "network")
    table = neuron_table(model, inputs)
    outputs = list(table.outputs)
    neurons = _neurons_of(model)
    layers: list = []
    for row in table:
        if row.layer > len(layers):
            layers.append([])
        layers[-1].append(_Row(row, neurons[row.layer - 1][row.neuron - 1]))
    L, targets, formula = network_loss(outputs, target, loss)
    L.label = L.label or "L"
    L.backward()
    return NetworkPass(inputs, [r for layer in layers for r in layer], layers, L,
                       f"L = {formula} = {format_number(L.data)}", targets, formula)


class _Row:
    """A NeuronRow together with the neuron it describes (for its weight Values)."""

    def __init__(self, row, neuron):
        self.__dict__.update(vars(row) if hasattr(row, "__dict__") else
                             {f: getattr(row, f) for f in row.__dataclass_fields__})
        self.neuron_object = neuron


def _neurons_of(model) -> list:
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]
    return [[model]]


def _z(row) -> Value:
    return row.node._prev[0] if row.activation != "linear" else row.node


def _slope(row) -> float:
    """act'(z): the local derivative of the activation, from the ops table."""
    if row.activation == "linear":
        return 1.0
    return local_derivatives(row.node)[0]


def _name(row) -> str:
    return f"L{row.layer}.N{row.neuron}"


def _drawn(items: list, what: str) -> list:
    if len(items) <= MAX_DRAWN:
        return items
    warnings.warn(f"{len(items)} {what} are more than fit a screen: drawing the first "
                  f"{MAX_DRAWN - 1} and a box for the other {len(items) - MAX_DRAWN + 1}",
                  GraphTooLargeWarning, stacklevel=4)
    return items[:MAX_DRAWN - 1]


def _short(x: float) -> str:
    """A number on the picture, rounded as the panel and the tables round it."""
    return format_number(x)


def _neuron_lines(row, backward: bool) -> str:
    d = _short(_z(row).grad) if backward else "?"
    return f"{_name(row)}\nz = {_short(_z(row).data)}\na = {_short(row.output)}\ndL/dz = {d}"


def _diagram(run: NetworkPass, backward: bool, title: str = "") -> graphviz.Digraph:
    dot = new_digraph("LR", title, nodesep="0.25", ranksep="0.6")
    dot.attr("node", fontsize="16")
    dot.attr("edge", fontsize="14")
    shown_inputs = _drawn(run.inputs, "inputs")
    for i, v in enumerate(shown_inputs, 1):
        dot.node(f"in-{i}", label=plain_text(f"{v.label or f'x{i}'}\n{format_number(v.data)}"),
                 shape="circle", style="filled", fillcolor="#eceff1", id=f"in-{i}")
    previous = [(id(v), f"in-{i}") for i, v in enumerate(shown_inputs, 1)]
    _stack_in_order(dot, [node_id for _, node_id in previous])
    if len(shown_inputs) < len(run.inputs):
        dot.node("in-more", label=f"+ {len(run.inputs) - len(shown_inputs)} more",
                 shape="box", style="dashed", id="in-more")
    edge_count = sum(len(r.weights) for r in run.rows)
    for layer in run.layers:
        current = []
        drawn = _drawn(layer, f"neurons in layer {layer[0].layer}")
        for row in drawn:
            nid = f"n-{row.layer}-{row.neuron}"
            dot.node(nid, label=plain_text(_neuron_lines(row, backward)), shape="circle",
                     style="filled", fillcolor="#fffde7", id=nid)
            weights = _weights(row)
            for k, (_, source) in enumerate(previous):
                w = weights[k]
                label = f"w {_short(w.data)}"
                if backward:
                    label += f"\ndL/dw {_short(w.grad)}"
                attrs = {"color": POSITIVE if w.data >= 0 else NEGATIVE,
                         "penwidth": f"{0.8 + 4 * min(1.0, abs(w.data)):.2f}",
                         "id": f"w-{row.layer}-{row.neuron}-{k + 1}",
                         "tooltip": plain_text(f"{_name(row)}.w{k + 1} = {w.data:.6g}")}
                if edge_count <= MAX_EDGE_LABELS:
                    # in the edge's own colour, with a line to the edge it belongs to:
                    # crossing edges' labels are matched to their edges at a glance
                    attrs.update(label=plain_text(label), fontcolor=attrs["color"],
                                 decorate="true")
                dot.edge(source, nid, **attrs)
            current.append((id(row.node), nid))
        if len(drawn) < len(layer):
            dot.node(f"more-{layer[0].layer}", label=f"+ {len(layer) - len(drawn)} more",
                     shape="box", style="dashed", id=f"more-{layer[0].layer}")
        _stack_in_order(dot, [node_id for _, node_id in current])
        previous = current
    grad = "\ndL/dL = 1" if backward else ""
    target = "" if run.target is None else "\ntarget = " + (
        format_number(run.target[0]) if len(run.target) == 1
        else "(" + ", ".join(map(format_number, run.target)) + ")")
    dot.node("loss", label=plain_text(f"{run.loss_text}{grad}{target}"), shape="box",
             style="rounded,filled", fillcolor="#f3e5f5", id="loss")
    for _, source in previous:
        dot.edge(source, "loss", color="#555555", id=f"to-loss-{source}")
    return dot


def _stack_in_order(dot: graphviz.Digraph, ids: list) -> None:
    """One column, first neuron on top, as lecture notes draw it (Graphviz would reorder
    the column to save crossings): same rank, chained by invisible edges."""
    with dot.subgraph() as column:
        column.attr(rank="same")
        for upper, lower in zip(ids, ids[1:]):
            column.edge(upper, lower, style="invis")


def _weights(row) -> list:
    """The weight Values of a neuron (w1 ... wn), as the model holds them."""
    return list(row.neuron_object.w)


class NetworkDiagram:
    """The diagram as a Graphviz graph; shows itself inline in Jupyter (SVG)."""

    def __init__(self, graph: graphviz.Digraph):
        self.graph = graph

    @property
    def source(self) -> str:
        """The DOT text."""
        return self.graph.source

    def svg(self) -> str:
        """The picture as SVG text."""
        return to_svg(self.graph)

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_png_(self) -> bytes:
        """The picture as PNG: what GitHub and an untrusted notebook show."""
        return to_png(self.graph)


def draw_network_diagram(model, x: Sequence[float], target=None,
                         loss: str = "mse") -> NetworkDiagram:
    """The classic network picture of ``model`` on input ``x``, after backward of the loss.

    A ``Sequential`` that starts with ``Conv2d(1, 1, k)`` is drawn as its image, kernel
    and output grids (:mod:`visualize.conv_network`); ``x`` is then the image, row by row.
    """
    if is_conv_model(model):
        return NetworkDiagram(conv_diagram(run_conv_network(model, x, target, loss)))
    run = run_network(model, x, target, loss)
    return NetworkDiagram(_diagram(run, backward=True))


def network_steps(run: NetworkPass, drawn: Optional[set] = None) -> list[dict]:
    """The stepper's steps on the diagram: forward neuron by neuron, then backward.

    ``drawn`` is the set of element ids the picture has (see :func:`_drawn_ids`): a
    neuron summarized in a layer's "+ n more" box is explained beside the picture,
    and the box is what its steps highlight.
    """
    steps = _all_steps(run)
    return steps if drawn is None else [_on_the_picture(step, drawn) for step in steps]


def _drawn_ids(svg: str) -> set:
    return {html.unescape(i) for i in re.findall(r' id="([^"]+)"', svg)}  # "-" is &#45;


def _stand_in(element_id: str, drawn: set) -> Optional[str]:
    """The element that shows ``element_id`` on the picture: itself, or its "more" box."""
    if element_id in drawn:
        return element_id
    parts = element_id.split("-")
    if parts[0] == "n":
        return f"more-{parts[1]}" if f"more-{parts[1]}" in drawn else None
    if parts[0] == "in":
        return "in-more" if "in-more" in drawn else None
    return None   # an edge from or to a summarized neuron is not drawn


def _on_the_picture(step: dict, drawn: set) -> dict:
    step = dict(step)
    focus = [_stand_in(element_id, drawn) for element_id in step.get("focus", [])]
    step["focus"] = list(dict.fromkeys(f for f in focus if f))
    for key in ("set", "reveal"):
        if key in step:
            step[key] = [item for item in step[key]
                         if (item[0] if key == "set" else item) in drawn]
    return step


def _all_steps(run: NetworkPass) -> list[dict]:
    steps = []
    blank = []
    for row in run.rows:
        nid = f"n-{row.layer}-{row.neuron}"
        blank += [[nid, 1, "z = ?"], [nid, 2, "a = ?"], [nid, 3, "dL/dz = ?"]]
    edges = [f"w-{r.layer}-{r.neuron}-{k}" for r in run.rows
             for k in range(1, len(r.weights) + 1)]
    steps.append({"mode": "forward", "title": "the inputs",
                  "lines": [f"{v.label} = {format_number(v.data)}" for v in run.inputs]
                  + ["blue edges: positive weights, red: negative; wider = larger |w|"],
                  "focus": [f"in-{i}" for i in range(1, len(run.inputs) + 1)],
                  "set": blank + [[e, 1, "dL/dw ?"] for e in edges]
                  + [["loss", 0, f"L = {run.loss_formula} = ?"], ["loss", 1, "dL/dL = ?"]]})
    for row in run.rows:
        nid = f"n-{row.layer}-{row.neuron}"
        weights = _weights(row)
        terms = " + ".join(f"{_name(row)}.w{k}*x{k}" for k in range(1, len(weights) + 1)) \
            if row.layer == 1 else " + ".join(f"{_name(row)}.w{k}*L{row.layer - 1}.N{k}"
                                              for k in range(1, len(weights) + 1))
        numbers = " + ".join(f"{format_number(w.data)}*{format_number(x)}"
                             for w, x in zip(weights, row.inputs))
        steps.append({
            "mode": "forward", "title": f"{_name(row)}: z = {format_number(_z(row).data)}, "
                                        f"a = {format_number(row.output)}",
            "lines": [f"z = {terms} + {_name(row)}.b",
                      f"  = {numbers} + {format_number(row.bias)}",
                      f"  = {format_number(_z(row).data)}",
                      f"a = {row.activation}(z) = {format_number(row.output)}"],
            "focus": [nid] + [f"w-{row.layer}-{row.neuron}-{k}"
                              for k in range(1, len(weights) + 1)],
            "set": [[nid, 1, f"z = {_short(_z(row).data)}"],
                    [nid, 2, f"a = {_short(row.output)}"]]})
    steps.append({"mode": "forward", "title": "the loss", "lines": [run.loss_text],
                  "focus": ["loss"], "set": [["loss", 0, run.loss_text]]})
    for layer in reversed(run.layers):
        for row in layer:
            steps.extend(_backward_steps(run, row))
    return steps


def _backward_steps(run: NetworkPass, row) -> list[dict]:
    nid = f"n-{row.layer}-{row.neuron}"
    z, slope, dL_da = _z(row), _slope(row), row.node.grad
    if row.layer == len(run.layers):
        where = "straight from the loss L"
    else:
        feeds = run.layers[row.layer]
        where = "sum over the neurons it feeds of dL/dz * w: " + " + ".join(
            f"{_short(_z(n).grad)}*{_short(_weights(n)[row.neuron - 1].data)}" for n in feeds)
    neuron = {
        "mode": "backward", "title": f"{_name(row)}: dL/dz = {format_number(z.grad)}",
        "quiz_title": f"{_name(row)}: dL/dz = ?",
        "lines": [f"dL/da = {format_number(dL_da)}   ({where})",
                  f"act'(z) = {row.activation}'({format_number(z.data)}) = "
                  f"{format_number(slope)}",
                  f"dL/dz = dL/da * act'(z) = {format_number(dL_da)} * {format_number(slope)}"
                  f" = {format_number(z.grad)}"],
        "question": [f"dL/da = {format_number(dL_da)}   ({where})",
                     f"z = {format_number(z.data)}, a = {format_number(row.output)}"],
        "quiz": [{"prompt": "act'(z) =", "answer": slope, "answer_text": format_number(slope)},
                 {"prompt": "dL/dz =", "answer": z.grad, "answer_text": format_number(z.grad)}],
        "focus": [nid], "set": [[nid, 3, f"dL/dz = {_short(z.grad)}"], ["loss", 1, "dL/dL = 1"]]}
    weights = _weights(row)
    edges = [f"w-{row.layer}-{row.neuron}-{k}" for k in range(1, len(weights) + 1)]
    source = "x" if row.layer == 1 else f"a of L{row.layer - 1}.N"
    lines = [f"{_name(row)}.w{k}: dL/dw = dL/dz * x = {format_number(z.grad)} * "
             f"{format_number(x)} = {format_number(w.grad)}   (x = {source}{k})"
             for k, (w, x) in enumerate(zip(weights, row.inputs), 1)]
    lines.append(f"{_name(row)}.b: dL/db = dL/dz = {format_number(z.grad)}")
    weight_step = {"mode": "backward", "title": f"{_name(row)}: the weights' gradients",
                   "lines": lines, "focus": [nid] + edges,
                   "set": [[e, 1, f"dL/dw {_short(w.grad)}"]
                           for e, w in zip(edges, weights)]}
    return [neuron, weight_step]


def network_stepper_html(model, x: Sequence[float], target=None, loss: str = "mse",
                         title: str = "") -> str:
    """The network stepper page: forward then backward on the diagram, with a quiz."""
    if is_conv_model(model):
        conv = run_conv_network(model, x, target, loss)
        (_, h, w), k = conv.conv.input_shape, conv.conv.k
        return page_html(conv_svg(conv), conv_steps(conv),
                         title or f"a convolution: a {k}x{k} kernel on a {h}x{w} image")
    run = run_network(model, x, target, loss)
    diagram = _diagram(run, backward=True)
    sizes = [len(run.inputs)] + [len(layer) for layer in run.layers]
    title = title or f"a network {'-'.join(map(str, sizes))} on x = " \
                     f"({', '.join(format_number(v.data) for v in run.inputs)})"
    svg = to_svg(diagram)
    return page_html(svg, network_steps(run, _drawn_ids(svg)), title)


class Stepper(StepperPage):
    """The network stepper as an object Jupyter shows inline: ``Stepper(model, x, target)``.

    >>> from nn import MLP
    >>> page = Stepper(MLP(2, [3, 1], activation="tanh", seed=0), [1.0, -2.0], target=1.0)
    >>> "quiz-toggle" in str(page) and "<iframe" in page._repr_html_()
    True
    """

    def __init__(self, model, x: Sequence[float], target=None, loss: str = "mse",
                 title: str = "", height: int = 640):
        super().__init__(network_stepper_html(model, x, target, loss, title), height,
                         preview=draw_network_diagram(model, x, target, loss).graph)


def network_frames(model, x: Sequence[float], target=None, loss: str = "mse") -> list[str]:
    """One SVG per step of the network stepper (for slides): the page's steps, applied.

    The diagram is laid out once; each frame fills in the step's texts and outlines
    the step's neurons and edges in orange, as the page does.
    """
    if is_conv_model(model):
        conv = run_conv_network(model, x, target, loss)
        return frames_from_steps(conv_svg(conv), conv_steps(conv),
                                 legend=CONV_LEGEND)
    run = run_network(model, x, target, loss)
    svg = to_svg(_diagram(run, backward=True))
    return frames_from_steps(svg, network_steps(run, _drawn_ids(svg)),
                             legend="edges: blue w > 0, red w < 0, wider = larger |w|")
