"""The one place that turns user text into DOT: escaping, record nodes and op nodes.

Every drawing (``draw_graph``, ``draw_annotated``, ``draw_step``, the summaries and
the network diagram) builds its nodes here, so a label, title or name from a user
can never reach Graphviz unescaped.

>>> plain_text('say "hi" &lt; <b>')          # quotes escaped, & kept literal
'say \\\\"hi\\\\" &amp;lt; <b>'
>>> record_label("x|y", 2.0, -3.0)
'{ x\\\\|y | data 2.0000 | grad -3.0000 }'

What the escaping guarantees:

* Graphviz never sees an HTML-like label from us (``graphviz.nohtml``), so a title
  such as ``<<a href="javascript:...">x</a>>`` is drawn as the characters it is.
  The one exception is :func:`grid_label`, the convolution picture's grids, which
  builds its table itself and escapes every cell's text and tooltip.
* ``&`` becomes ``&amp;``: an entity such as ``&lt;`` shows literally.
* A NUL byte is refused with :class:`UnsafeLabelError` (Graphviz would cut the text
  there); other control characters and lone surrogates are shown as ``\\x07`` or
  ``\\ud800`` so that nothing invisible or unencodable reaches the layout program.
"""

from __future__ import annotations

import html
from typing import Optional, Sequence

import graphviz

from autograd import OPS

__all__ = ["UnsafeLabelError", "visible_text", "plain_text", "record_text", "record_label",
           "add_record_node", "add_op_node", "new_digraph", "op_symbol", "build_graph", "FONT",
           "grid_label"]

FONT = "Helvetica"


class UnsafeLabelError(ValueError):
    """A label holds a character that cannot be drawn (a NUL byte)."""


def visible_text(text: str) -> str:
    """Control characters and lone surrogates as escapes a reader can see."""
    text = str(text)
    if "\x00" in text:
        shown = text.replace("\x00", "\\x00")
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise UnsafeLabelError(
            f"the label {shown!r} contains a NUL byte, which Graphviz cannot draw "
            "(it ends the text there): remove it from the label or title")
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif code < 32 or code == 127:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def plain_text(text: str) -> graphviz.quoting.NoHtml:
    """Text for a quoted DOT attribute (a title, an oval, an edge label).

    A line break becomes DOT's centred ``\\n``; the result is never read as HTML.
    """
    text = visible_text(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return graphviz.nohtml(text.replace("\n", "\\n").replace("\t", " "))


def record_text(text: str) -> str:
    """Text for one field of a record label: ``{ } | < >`` and quotes escaped too."""
    text = visible_text(text).replace("\\", "\\\\").replace("&", "&amp;")
    for ch in "{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n").replace("\t", " ")


def record_label(name: str, data: float, grad: float) -> graphviz.quoting.NoHtml:
    """The micrograd record ``{ name | data 2.0000 | grad -3.0000 }``."""
    return graphviz.nohtml(f"{{ {record_text(name)} | data {data:.4f} | grad {grad:.4f} }}")


def new_digraph(rankdir: str = "LR", title: str = "", **graph_attr: str) -> graphviz.Digraph:
    """An empty drawing with our fonts; ``title`` (escaped) goes on top."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir={rankdir!r}: use 'LR' (left to right) or 'TB' (top to bottom)")
    attrs = {"rankdir": rankdir, **graph_attr}
    if title:
        attrs.update(label=plain_text(title), labelloc="t", fontsize="12", fontname=FONT)
    return graphviz.Digraph(format="svg", graph_attr=attrs,
                            node_attr={"fontname": FONT, "fontsize": "11"},
                            edge_attr={"fontname": FONT, "fontsize": "9"})


def grid_label(title: str, rows: Sequence[Sequence[tuple]], width: int = 64,
               height: int = 40) -> str:
    """An HTML-like label: a grid of cells under a title, for images and kernels.

    Each cell is ``(cell_id, lines, tooltip, fill)``; a short row's last cell spans the
    rest of it.  Graphviz gives a cell the SVG id
    ``a_<cell_id>`` (a cell needs a tooltip to get one) with one ``<text>`` per line.

    >>> label = grid_label("x", [[("x-0-0", ["1 < 2"], "x[0,0]", "#ffffff")]])
    >>> 'ID="x-0-0"' in label and "1 &lt; 2" in label
    True
    """
    def text(t) -> str:
        return html.escape(visible_text(t), quote=True)

    columns = max(len(row) for row in rows)
    body = [f'<TR><TD COLSPAN="{columns}" BORDER="0"><B>{text(title)}</B></TD></TR>']
    for row in rows:
        cells = []
        for k, (cell_id, lines, tooltip, fill) in enumerate(row):
            # a short row's last cell spans the rest (a kernel's bias under its weights)
            span = columns - len(row) + 1 if k == len(row) - 1 else 1
            cells.append(f'<TD ID="{text(cell_id)}" TOOLTIP="{text(tooltip)}" '
                         f'BGCOLOR="{text(fill)}" COLSPAN="{span}" WIDTH="{width}" '
                         f'HEIGHT="{height}">{"<BR/>".join(map(text, lines))}</TD>')
        body.append(f"<TR>{''.join(cells)}</TR>")
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            + "".join(body) + "</TABLE>>")


def add_record_node(graph: graphviz.Digraph, node_id: str, name: str, data: float,
                    grad: float, **attrs: str) -> None:
    """One Value as a record node ``{ name | data | grad }``."""
    graph.node(node_id, label=record_label(name, data, grad), shape="record", **attrs)


def add_op_node(graph: graphviz.Digraph, node_id: str, symbol: str, **attrs: str) -> str:
    """The oval of the op that made node ``node_id``, with its edge into the node.

    Returns the oval's id, which the operands' edges point at.
    """
    op_id = node_id + "_op"
    graph.node(op_id, label=plain_text(symbol), shape="ellipse", **attrs)
    graph.edge(op_id, node_id)
    return op_id


def op_symbol(node) -> str:
    """How the op that made ``node`` is written in its oval: ``*``, ``tanh``."""
    op = OPS.get(node._op)
    return op.symbol if op is not None else node._op


def build_graph(nodes: Sequence, names: dict, *, grads: Optional[Sequence[float]] = None,
                states: Optional[dict] = None, edge_info: Optional[dict] = None,
                clusters: Optional[dict] = None, rankdir: str = "LR", title: str = "",
                state_styles: Optional[dict] = None) -> graphviz.Digraph:
    """The record-and-oval picture of ``nodes`` (topological order) -- every drawing's core.

    ``names[node]`` is the text on its record; ``grads`` overrides ``node.grad``;
    ``states[node]`` picks a style from ``state_styles``; ``edge_info[(i, k)] =
    (text, attrs)`` labels the edge into operand ``k`` of ``nodes[i]``; ``clusters``
    maps a node to a path of box names such as ``("layer 1", "neuron 2")``.
    Record nodes get the SVG id ``node-<i+1>`` and ovals ``op-<i+1>``.
    """
    dot = new_digraph(rankdir, title)
    edge_info = edge_info or {}
    ids = {v: f"v{i}" for i, v in enumerate(nodes)}
    bodies: dict = {}  # cluster path -> Digraph

    def home(node):
        path = clusters.get(node) if clusters else None
        if not path:
            return dot
        for depth in range(1, len(path) + 1):
            key = tuple(path[:depth])
            if key not in bodies:
                sub = graphviz.Digraph(name=f"cluster_{len(bodies)}")
                sub.attr(label=plain_text(key[-1]), style="rounded,filled",
                         fillcolor="#eef3fb" if depth % 2 else "#fbf7ee", color="#8aa1c1")
                bodies[key] = sub
        return bodies[tuple(path)]

    for index, node in enumerate(nodes):
        where = home(node)
        attrs = {"id": f"node-{index + 1}"}
        if states is not None:
            attrs.update(state_styles[states[node]])
            attrs["class"] = states[node]
        add_record_node(where, ids[node], names[node], node.data,
                        node.grad if grads is None else grads[index], **attrs)
        if node._op:
            add_op_node(where, ids[node], op_symbol(node), id=f"op-{index + 1}")
    for index, node in enumerate(nodes):
        for k, parent in enumerate(node._prev):
            text, style = edge_info.get((index, k), ("", {}))
            attrs = dict(style)
            if text:
                attrs["label"] = plain_text(text)
            dot.edge(ids[parent], ids[node] + "_op", **attrs)
    # attach clusters innermost first, so each box holds its inner boxes
    for key in sorted(bodies, key=len, reverse=True):
        parent = bodies.get(key[:-1]) if len(key) > 1 else dot
        parent.subgraph(bodies[key])
    return dot
