"""The stepper: one self-contained HTML page that walks through forward and backward.

>>> from autograd.expr import build
>>> page = stepper_html(build("a*b + a", a=2.0, b=-3.0), title="a*b + a")
>>> page.count("<svg"), "http://" in page.split("<svg")[0]
(1, False)

The graph is laid out once (see :mod:`visualize.page`); each step -- first the
forward pass node by node, then every backward step of the trace -- restyles that
one picture: the node being explained is highlighted, values and grads fill in,
edge labels ``local / flows`` appear as the gradient passes them.  The explanation
beside it uses the trace's own texts.  :func:`step_frames` still gives one SVG per
backward step for slides.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Union

from autograd import Value
from autograd.graph import count_nodes
from autograd.notation import format_number
from autograd.trace import BackwardTrace, backward_steps, forward_table
from nn.model_file import write_atomically

from .annotated import LAYOUT_BUDGET, layout_cost
from .dot import build_graph
from .drawing import to_svg
from .page import StepperPage, frames_from_steps, page_html

__all__ = ["stepper_html", "write_stepper", "step_frames", "expression_stepper", "expression_steps",
           "MAX_STEPPER_NODES", "check_stepper_size"]

MAX_STEPPER_NODES = 300  # one picture per node: beyond this the page gets unwieldy


def step_frames(source: Union[Value, BackwardTrace]) -> list[str]:
    """One SVG (text) per backward step, step 1 first: the stepper page's picture,
    laid out once, with that step's node and edges highlighted and the grads and
    edge labels filled in as far as backprop has come."""
    trace = source if isinstance(source, BackwardTrace) else _trace(source)
    return frames_from_steps(_picture(trace), expression_steps(trace), modes=("backward",),
                             legend="edges: local derivative, and the gradient that flows back")


def check_stepper_size(root: Value, way_out: str = "step through a smaller expression, or "
                       "draw the whole graph with draw_network/draw_annotated") -> None:
    """Refuse a graph of more than MAX_STEPPER_NODES nodes, counted before any tracing
    (:func:`autograd.graph.count_nodes`), so a huge graph is refused at once."""
    if count_nodes(root, MAX_STEPPER_NODES) > MAX_STEPPER_NODES:
        raise ValueError(f"the graph has more than {MAX_STEPPER_NODES} nodes; the stepper "
                         f"draws one picture per node and stops at {MAX_STEPPER_NODES}: "
                         + way_out)


def _trace(root: Value) -> BackwardTrace:
    check_stepper_size(root)
    trace = backward_steps(root)
    cost = layout_cost(trace.nodes)
    if cost > LAYOUT_BUDGET:
        raise ValueError(f"the graph has {len(trace)} nodes with many long edges (layout cost "
                         f"{cost} > {LAYOUT_BUDGET}); drawing every step would take minutes: "
                         "step through a smaller expression")
    return trace


def _grad_text(x: float) -> str:
    return f"grad {format_number(x)}"   # the panel's and the tables' rounding


def expression_steps(trace: BackwardTrace) -> list[dict]:
    """The page's steps for an expression: the forward pass node by node, then backward.

    Ids refer to the picture of :func:`_picture`: ``node-i`` / ``op-i`` for the i-th
    node in topological order, ``edge-i-k`` for the edge into its operand ``k``.
    """
    nodes, names = trace.nodes, trace.names
    leaves = [i for i, v in enumerate(nodes, 1) if not v._op]
    blank = [[f"node-{i}", -1, "grad ?"] for i in range(1, len(nodes) + 1)]
    blank += [[f"node-{i}", -2, "data ?" if v._op else f"data {format_number(v.data)}"]
              for i, v in enumerate(nodes, 1)]
    steps = [{"mode": "forward", "title": "the inputs",
              "lines": [f"{names[nodes[i - 1]]} = {format_number(nodes[i - 1].data)}"
                        for i in leaves] or ["no inputs"],
              "focus": [f"node-{i}" for i in leaves], "set": blank}]
    for row in forward_table(trace.nodes[-1]):
        if row.op == "input":
            continue
        node = nodes[row.index - 1]
        operands = ", ".join(f"{names[p]} = {format_number(p.data)}" for p in node._prev)
        steps.append({"mode": "forward", "title": f"{row.name} = {format_number(row.value)}",
                      "lines": [f"{row.name} = {row.formula}", f"with {operands}",
                                f"= {format_number(row.value)}"],
                      "focus": [f"node-{row.index}", f"op-{row.index}"]
                      + [f"edge-{row.index}-{k}" for k in range(len(node._prev))],
                      "set": [[f"node-{row.index}", -2, f"data {format_number(node.data)}"]]})
    received: set = set()
    for step, rows in ((s, s.rows()) for s in trace):
        # the progress colours, as draw_step has them: visited (grad final), reached
        # (grad arriving, more may come), waiting (nothing yet); this step's node is lit
        # (grads as they stand after this step's +=, as draw_step draws them)
        received.update(c.parent_index for c in step.contributions if c.local is not None)
        state = {}
        for i in range(1, len(nodes) + 1):
            if i == step.index:
                continue
            visited = len(nodes) - i + 1 < step.step
            state[f"node-{i}"] = ("final" if visited else
                                  "reached" if i in received else "waiting")
        header = f"gradient arriving at {step.node}: {step.upstream_text()}"
        lines, question, quiz = [header], [header], []
        sets = [[f"node-{step.index}", -1, _grad_text(step.upstream)]]
        edges = []
        for c, row in zip(step.contributions, rows):
            edges.append(f"edge-{step.index}-{c.position}")
            lines.append(c.formula_text())
            if c.local is None:
                continue
            lines.append(f"passes back {row[4]} to {c.parent}")
            lines.append(f"{c.parent}.grad: {row[6]}")
            sets.append([f"node-{c.parent_index}", -1, _grad_text(c.total_after)])
            quiz.append({"prompt": f"{c._derivative()} =", "answer": c.local,
                         "answer_text": format_number(c.local)})
            quiz.append({"prompt": f"gradient passed back to {c.parent} =",
                         "answer": c.amount, "answer_text": format_number(c.amount)})
        if not step.contributions:
            lines.append("a leaf: its grad is final" if step.op == "input" else "no parents")
        question.append("what is the local derivative, and what flows back?")
        steps.append({"mode": "backward", "title": f"{step.node}  (backward {step.step})",
                      "quiz_title": f"{step.node}: what flows back?",
                      "lines": lines, "question": question, "quiz": quiz,
                      "focus": [f"node-{step.index}", f"op-{step.index}"] + edges,
                      "set": sets, "reveal": edges, "state": state})
    return steps


# The stepper's picture panel at the two screens a classroom meets (CSS px, the page's
# own layout at 1280x800 and 1024x768): the layout that draws biggest in both is used.
PANELS = ((880, 690), (690, 640))
EDGE_FONT = "11"   # edge labels as big as the records: a projector shows both


def _scale(svg: str) -> float:
    """How big ``svg`` draws in the smaller of :data:`PANELS` (px per point) when fitted."""
    width, height = map(float, re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"',
                                         svg).groups())
    return min(min(w / width, h / height) for w, h in PANELS)


def _picture(trace: BackwardTrace) -> str:
    """One layout of the whole graph, every edge labelled; the page hides and fills in.

    Left to right suits a wide, shallow graph and top to bottom a deep, narrow one
    (a chain of ops is long, and a left-to-right strip of it is tiny in a panel);
    both are laid out and the one that fits the panel at the larger scale is kept.
    """
    nodes = trace.nodes
    edge_info = {}
    for step in trace:
        for c in step.contributions:
            text = ("constant" if c.local is None else
                    f"local {format_number(c.local)}\nflows {format_number(c.amount)}")
            edge_info[(step.index - 1, c.position)] = (
                text, {"id": f"edge-{step.index}-{c.position}"})
    pictures = []
    for rankdir in ("LR", "TB"):
        graph = build_graph(nodes, trace.names, edge_info=edge_info, rankdir=rankdir)
        graph.edge_attr.update(fontsize=EDGE_FONT)   # at the top: it applies to every edge
        pictures.append(to_svg(graph))
        if len(nodes) > 60:      # a big graph is zoomed into anyway: one layout is enough
            break
    return max(pictures, key=_scale)


def stepper_html(root: Value, title: str = "") -> str:
    """The stepper page for the graph of ``root`` as one HTML string.

    It traces the backward pass (which resets and fills the graph's grads), lays
    the graph out once, and lets the page restyle that one picture per step.
    """
    trace = _trace(root)
    title = title or trace.steps[0].node
    tables = (f"<details><summary>forward table</summary><pre>"
              f"{html.escape(str(forward_table(root)))}</pre></details>"
              f"<details><summary>backward table</summary><pre>"
              f"{html.escape(str(trace))}</pre></details>")
    return page_html(_picture(trace), expression_steps(trace), title, tables)


def expression_stepper(root: Value, title: str = "") -> StepperPage:
    """The stepper of ``root``'s graph as an object Jupyter shows inline.

    >>> from autograd.expr import build
    >>> page = expression_stepper(build("tanh(x*w)", x=1.0, w=0.5))
    >>> "<iframe" in page._repr_html_() and "steps-data" in str(page)
    True
    """
    from .annotated import draw_annotated
    page = stepper_html(root, title=title)       # (this backpropagates root's graph)
    return StepperPage(page, preview=draw_annotated(root))


def write_stepper(root: Value, path: Union[str, os.PathLike], title: str = "") -> Path:
    """Write :func:`stepper_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    write_atomically(path, stepper_html(root, title=title))  # whole file or none
    return path
