"""The network picture and stepper of a small convolutional net: the image, the kernel
and the output grid, and in the backward pass each kernel weight's gradient as the sum
over the positions it touched.

>>> from nn.layers import Conv2d, Flatten, Linear, Sequential
>>> model = Sequential(Conv2d(1, 1, 3, seed=0), Flatten(), Linear(9, 1, seed=1),
...                    input_shape=(1, 5, 5))
>>> run = run_conv_network(model, [float(i % 3) for i in range(25)], target=1.0)
>>> len(run.rows), len(run.rows[0].terms)     # 9 kernel weights, each met 9 positions
(9, 9)
>>> abs(run.rows[0].gradient - run.conv.weight[0].grad) < 1e-12   # the sum is backward's
True

Every number comes from the engine: the forward pass of the model, ``backward()`` of
the loss, and :func:`nn.conv_lesson.weight_gradient_rows` for the sums (whose total is
each weight's ``grad``).  :mod:`visualize.network` sends a ``Sequential`` that starts
with a convolution here, so ``draw_network_diagram``, ``network_stepper_html``,
``network_frames`` and ``Stepper`` draw either kind of model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import graphviz

from autograd import Value
from autograd.notation import format_number
from nn.conv_lesson import weight_gradient_rows
from nn.layers import Conv2d, Flatten, LayerModule, Linear, Sequential

from .dot import grid_label, new_digraph, plain_text
from .drawing import to_svg
from .inputs import finite_numbers
from .network_loss import network_loss

__all__ = ["is_conv_model", "run_conv_network", "ConvPass", "conv_diagram", "conv_svg",
           "conv_steps", "MAX_IMAGE", "MAX_KERNEL"]

MAX_IMAGE = 8    # pixels a side: a grid a class can read
MAX_KERNEL = 5
POSITIVE_FILL, NEGATIVE_FILL = "#e3f2fd", "#ffebee"
LEGEND = "image shaded by pixel value; kernel and output: blue > 0, red < 0"


def is_conv_model(model) -> bool:
    """Whether ``model`` is a ``Sequential`` with a convolution (this module draws it)."""
    return isinstance(model, Sequential) and any(isinstance(m, Conv2d) for m in model.modules)


def _the_conv(model) -> Conv2d:
    conv = model.modules[0]
    if not isinstance(conv, Conv2d) or any(isinstance(m, Conv2d) for m in model.modules[1:]):
        raise ValueError(f"the network picture shows one convolution, as the model's first "
                         f"layer, e.g. Sequential(Conv2d(1, 1, 3), Flatten(), Linear(9, 1), "
                         f"input_shape=(1, 5, 5)); got {model!r}")
    _, h, w = conv.input_shape
    if conv.cin != 1 or conv.cout != 1 or max(h, w) > MAX_IMAGE or conv.k > MAX_KERNEL:
        raise ValueError(f"the network picture draws one kernel on one image: Conv2d(1, 1, k) "
                         f"with k <= {MAX_KERNEL} on an image of at most {MAX_IMAGE}x"
                         f"{MAX_IMAGE}; got {conv!r} on {h}x{w}")
    return conv


@dataclass
class ConvPass:
    """One forward and backward pass through a conv net, read back per position."""

    conv: Conv2d
    image: list           # the pixel leaves x[r,c], row by row
    conv_out: list        # z[i,j] = b + kernel . patch, row by row
    later: list           # [(layer, its output Values)] for each layer after the conv
    loss: Value
    loss_text: str
    loss_formula: str
    target: Optional[list]
    rows: list            # nn.conv_lesson.WeightGradientRow, one per kernel weight


def run_conv_network(model, x: Sequence[float], target=None, loss: str = "mse") -> ConvPass:
    """Run ``model`` (a ``Sequential`` starting with ``Conv2d(1, 1, k)``) on the image
    ``x`` (row by row), build the loss as :func:`visualize.network.run_network` does and
    backpropagate it."""
    conv = _the_conv(model)
    pixels = finite_numbers(x, "network", "pixel")
    _, h, w = conv.input_shape
    if len(pixels) != h * w:
        raise ValueError(f"the model takes a {h}x{w} image: {h * w} numbers, row by row, "
                         f"but got {len(pixels)}")
    image = [Value(v, f"x[{i // w},{i % w}]") for i, v in enumerate(pixels)]
    conv_out = conv.forward(image)
    later, values = [], conv_out
    for layer in model.modules[1:]:
        values = layer.forward(values) if isinstance(layer, LayerModule) else layer(values)
        later.append((layer, values))
    L, targets, formula = network_loss(list(values), target, loss)
    L.label = L.label or "L"
    L.backward()
    rows = weight_gradient_rows(conv, pixels, [z.grad for z in conv_out])
    return ConvPass(conv, image, conv_out, later, L, f"L = {formula} = {format_number(L.data)}",
                    formula, targets, rows)


def _n(x: float) -> str:
    return format_number(x + 0.0)     # + 0.0: a product 0 * -0.5 shows as 0, not -0


def _grey(v: float, low: float, high: float) -> str:
    # white for the smallest pixel, a light blue-grey for the largest: text stays readable
    t = 0.0 if high == low else (v - low) / (high - low)
    r, g, b = (round(255 + t * (c - 255)) for c in (0x90, 0xa4, 0xae))
    return f"#{r:02x}{g:02x}{b:02x}"


def _sign_fill(v: float) -> str:
    return POSITIVE_FILL if v >= 0 else NEGATIVE_FILL


def _out_shape(run: ConvPass) -> tuple:
    return run.conv.output_shape[1:]


def _positions(run: ConvPass) -> list:
    _, out_w = _out_shape(run)
    return [divmod(p, out_w) for p in range(len(run.conv_out))]


def _kernel_index(run: ConvPass, flat: int) -> tuple:
    return divmod(flat, run.conv.k)


def _pixel(run: ConvPass, index: int) -> tuple:
    return divmod(index, run.conv.input_shape[2])


def _layer_text(values: list) -> str:
    if len(values) <= 3:
        return ", ".join(_n(v.data) for v in values)
    return f"{len(values)} numbers"


def _grad_text(values: list) -> str:
    if len(values) <= 3:
        return ", ".join(_n(v.grad) for v in values)
    return f"{len(values)} numbers"


def conv_diagram(run: ConvPass) -> graphviz.Digraph:
    """The picture after backward: image and kernel on top, the output grid below them,
    then one box per later layer and the loss under it (narrow enough for a projector)."""
    dot = new_digraph("TB", "", nodesep="0.45", ranksep="0.3")
    dot.attr("node", fontsize="16", shape="plaintext")
    dot.attr("edge", fontsize="14", color="#555555")
    _, h, w = run.conv.input_shape
    k = run.conv.k
    values = [v.data for v in run.image]
    low, high = min(values), max(values)
    image_rows = [[(f"x-{r}-{c}", [_n(run.image[r * w + c].data)],
                    f"x[{r},{c}] = {run.image[r * w + c].data:.6g}",
                    _grey(run.image[r * w + c].data, low, high)) for c in range(w)]
                  for r in range(h)]
    dot.node("image", label=grid_label(f"image x, {h}x{w}", image_rows, width=48), id="image")
    weights, bias = run.conv.weight, run.conv.bias[0]
    kernel_rows = [[(f"k-{i}-{j}", [f"w {_n(weights[i * k + j].data)}",
                                    f"dL/dw {_n(weights[i * k + j].grad)}"],
                     f"w[{i},{j}] = {weights[i * k + j].data:.6g}",
                     _sign_fill(weights[i * k + j].data)) for j in range(k)] for i in range(k)]
    kernel_rows.append([("k-b", [f"b {_n(bias.data)}", f"dL/db {_n(bias.grad)}"],
                         f"b = {bias.data:.6g}", "#f5f5f5")])
    dot.node("kernel", label=grid_label(f"kernel {k}x{k} and bias", kernel_rows), id="kernel")
    out_h, out_w = _out_shape(run)
    out_rows = [[(f"z-{i}-{j}", [f"z {_n(run.conv_out[i * out_w + j].data)}",
                                 f"dL/dz {_n(run.conv_out[i * out_w + j].grad)}"],
                  f"z[{i},{j}] = {run.conv_out[i * out_w + j].data:.6g}",
                  _sign_fill(run.conv_out[i * out_w + j].data)) for j in range(out_w)]
                for i in range(out_h)]
    stride = f", stride {run.conv.stride}" if run.conv.stride != 1 else ""
    padding = f", padding {run.conv.padding}" if run.conv.padding else ""
    dot.node("output", label=grid_label(f"output z = b + kernel . patch, {out_h}x{out_w}"
                                        f"{stride}{padding}", out_rows), id="output")
    dot.edge("image", "output", id="image-to-output")
    dot.edge("kernel", "output", id="kernel-to-output")
    previous = "output"
    for n, (layer, outputs) in enumerate(run.later, 1):
        node_id = f"layer-{n}"
        dot.node(node_id, label=plain_text(f"{layer!r}\nout = {_layer_text(outputs)}\n"
                                           f"dL/dout = {_grad_text(outputs)}"),
                 shape="box", style="rounded,filled", fillcolor="#fffde7", id=node_id)
        dot.edge(previous, node_id, id=f"to-{node_id}")
        previous = node_id
    target = "" if run.target is None else "\ntarget = " + ", ".join(map(_n, run.target))
    dot.node("loss", label=plain_text(f"{run.loss_text}\ndL/dL = 1{target}"), shape="box",
             style="rounded,filled", fillcolor="#f3e5f5", id="loss")
    dot.edge(previous, "loss", id="to-loss")
    return dot


def conv_svg(run: ConvPass) -> str:
    """The picture as SVG, each cell's lines centred in it (a step rewrites them), with
    the page's highlight for a cell, which the page's own style does not reach."""
    svg = _centred_cells(to_svg(conv_diagram(run)))
    opening = re.search(r"<svg[^>]*>", svg)
    return svg[:opening.end()] + _CELL_STYLE + svg[opening.end():]


# a cell is <g id="a_..."><a><polygon>: the page marks the <g> "current", as it does a node
_CELL_STYLE = ("\n<style>g.current > a > polygon { stroke: #e65100 !important; "
               "stroke-width: 4px; fill: #ffd54f !important; }</style>")


_CELL = re.compile(r'(<g id="a_[^"]*"><a [^>]*>)(.*?)(</a>)', re.S)


def _centred_cells(svg: str) -> str:
    # Graphviz anchors a table cell's text at its start, so a step's shorter or longer
    # text ("dL/dw ?" -> "dL/dw 0.342179") would hang off to one side: centre it instead
    def centre(match):
        body = match.group(2)
        points = re.search(r'<polygon[^>]* points="([^"]+)"', body)
        if not points:
            return match.group(0)
        xs = [float(p.split(",")[0]) for p in points.group(1).split()]
        middle = (min(xs) + max(xs)) / 2
        body = re.sub(r'text-anchor="start" x="[-\d.]+"',
                      f'text-anchor="middle" x="{middle:.2f}"', body)
        return match.group(1) + body + match.group(3)
    return _CELL.sub(centre, svg)


def _cell(kind: str, i: int, j: int) -> str:
    return f"a_{kind}-{i}-{j}"       # Graphviz's id for a table cell with ID and tooltip


def conv_steps(run: ConvPass) -> list[dict]:
    """The stepper's steps: each output position forward, then backward to every weight."""
    return _forward_steps(run) + _backward_steps(run)


def _blank(run: ConvPass) -> list:
    k = run.conv.k
    out_h, out_w = _out_shape(run)
    blank = [[_cell("z", i, j), t, text] for i in range(out_h) for j in range(out_w)
             for t, text in ((0, "z ?"), (1, "dL/dz ?"))]
    blank += [[_cell("k", i, j), 1, "dL/dw ?"] for i in range(k) for j in range(k)]
    blank += [["a_k-b", 1, "dL/db ?"]]
    for n in range(1, len(run.later) + 1):
        blank += [[f"layer-{n}", 1, "out = ?"], [f"layer-{n}", 2, "dL/dout = ?"]]
    return blank + [["loss", 0, f"L = {run.loss_formula} = ?"], ["loss", 1, "dL/dL = ?"]]


def _forward_steps(run: ConvPass) -> list[dict]:
    conv, k = run.conv, run.conv.k
    _, h, w = conv.input_shape
    out_h, out_w = _out_shape(run)
    steps = [{"mode": "forward", "title": "the image and the kernel",
              "lines": [f"image x: {h}x{w} pixels, darker = larger",
                        f"kernel: {k}x{k} weights w and a bias b"
                        + (f", stride {conv.stride}" if conv.stride != 1 else "")
                        + (f", padding {conv.padding}" if conv.padding else ""),
                        f"the kernel slides over the image: {out_h}x{out_w} positions, "
                        "one output z each",
                        "z[i,j] = b + the sum of each weight times the pixel under it"],
              "focus": ["image", "kernel"], "set": _blank(run)}]
    bias = conv.bias[0]
    for (i, j), z in zip(_positions(run), run.conv_out):
        taps = list(conv.taps(i, j))
        names = " + ".join("w[{},{}]*x[{},{}]".format(*_kernel_index(run, o), *_pixel(run, x))
                           for o, x in taps)
        numbers = " + ".join(f"{_n(conv.weight[o].data)}*{_n(run.image[x].data)}"
                             for o, x in taps)
        steps.append({
            "mode": "forward", "title": f"z[{i},{j}] = {_n(z.data)}",
            "lines": [f"z[{i},{j}] = b + {names}", f"  = {_n(bias.data)} + {numbers}",
                      f"  = {_n(z.data)}"],
            "focus": [_cell("z", i, j)] + [_cell("x", *_pixel(run, x)) for _, x in taps]
            + [_cell("k", *_kernel_index(run, o)) for o, _ in taps],
            "set": [[_cell("z", i, j), 0, f"z {_n(z.data)}"]]})
    for n, (layer, outputs) in enumerate(run.later, 1):
        steps.append({"mode": "forward", "title": f"{layer!r}",
                      "lines": [_what_it_does(layer), f"out = {_layer_text(outputs)}"],
                      "focus": [f"layer-{n}"],
                      "set": [[f"layer-{n}", 1, f"out = {_layer_text(outputs)}"]]})
    steps.append({"mode": "forward", "title": "the loss", "lines": [run.loss_text],
                  "focus": ["loss"], "set": [["loss", 0, run.loss_text]]})
    return steps


def _what_it_does(layer) -> str:
    if isinstance(layer, Flatten):
        return "Flatten: the grid, row by row, as one list of numbers"
    if isinstance(layer, Linear):
        return f"Linear: {layer.nout} weighted sums of the {layer.nin} numbers, plus a bias"
    return f"{layer!r} on every number"


def _backward_steps(run: ConvPass) -> list[dict]:
    steps = [{"mode": "backward", "title": "dL/dL = 1", "lines": ["backward() starts at L"],
              "focus": ["loss"], "set": [["loss", 1, "dL/dL = 1"]]}]
    for n in range(len(run.later), 0, -1):
        layer, outputs = run.later[n - 1]
        steps.append({"mode": "backward", "title": f"{layer!r}: dL/dout",
                      "lines": [f"dL/dout = {_grad_text(outputs)}"]
                      + ([", ".join(_n(v.grad) for v in outputs)] if len(outputs) > 3 else []),
                      "focus": [f"layer-{n}"],
                      "set": [[f"layer-{n}", 2, f"dL/dout = {_grad_text(outputs)}"]]})
    positions = _positions(run)
    steps.append({
        "mode": "backward", "title": "dL/dz at every output position",
        "lines": [f"dL/dz[{i},{j}] = {_n(z.grad)}" for (i, j), z in zip(positions, run.conv_out)]
        + ["(what backward() passes down from the layers after the convolution)"],
        "focus": ["output"],
        "set": [[_cell("z", i, j), 1, f"dL/dz {_n(z.grad)}"]
                for (i, j), z in zip(positions, run.conv_out)]})
    steps += _walk(run, 0)
    for flat, row in enumerate(run.rows):
        steps.append(_weight_step(run, flat, row))
    bias = run.conv.bias[0]
    steps.append({
        "mode": "backward", "title": f"b: dL/db = {_n(bias.grad)}",
        "lines": ["the bias is added at every position, with slope 1:",
                  "dL/db = " + " + ".join(_n(z.grad) for z in run.conv_out),
                  f"  = {_n(bias.grad)}"],
        "focus": ["a_k-b"] + [_cell("z", i, j) for i, j in positions],
        "set": [["a_k-b", 1, f"dL/db {_n(bias.grad)}"]]})
    return steps


def _term_cells(run: ConvPass, term) -> list:
    (_, i, j), _, _ = term
    return [_cell("z", i, j)]


def _walk(run: ConvPass, flat: int) -> list[dict]:
    """One weight's sum, position by position: the patch pixel it sat on, times dL/dz."""
    ki, kj = _kernel_index(run, flat)
    row, steps, total = run.rows[flat], [], 0.0
    pixels = _touched_pixels(run, flat)
    for n, (term, pixel) in enumerate(zip(row.terms, pixels), 1):
        (_, i, j), x, g = term
        total += x * g
        y, c = _pixel(run, pixel)
        steps.append({
            "mode": "backward",
            "title": f"w[{ki},{kj}], position {n} of {len(row.terms)}: z[{i},{j}]",
            "lines": [f"making z[{i},{j}], w[{ki},{kj}] multiplied x[{y},{c}] = {_n(x)}",
                      f"so it gets x * dL/dz = {_n(x)} * {_n(g)} = {_n(x * g)}",
                      f"running sum: dL/dw[{ki},{kj}] = {_n(total)} so far"],
            "focus": [_cell("k", ki, kj), _cell("x", y, c), _cell("z", i, j)]})
    return steps


def _touched_pixels(run: ConvPass, flat: int) -> list:
    """The input index under weight ``flat`` at each position it touched, in row order."""
    return [x for i, j in _positions(run) for o, x in run.conv.taps(i, j) if o == flat]


def _weight_step(run: ConvPass, flat: int, row) -> dict:
    ki, kj = _kernel_index(run, flat)
    weight = run.conv.weight[flat]
    terms = " + ".join(f"{_n(x)}*{_n(g)}" for _, x, g in row.terms) or "0"
    explain = [f"w[{ki},{kj}] touched {len(row.terms)} positions: dL/dw is the sum of "
               "x under it * dL/dz there", f"dL/dw[{ki},{kj}] = {terms}"]
    return {"mode": "backward", "title": f"w[{ki},{kj}]: dL/dw = {_n(weight.grad)}",
            "quiz_title": f"w[{ki},{kj}]: dL/dw = ?",
            "lines": explain + [f"  = {_n(weight.grad)}"], "question": explain,
            "quiz": [{"prompt": f"dL/dw[{ki},{kj}] =", "answer": weight.grad,
                      "answer_text": _n(weight.grad)}],
            "focus": [_cell("k", ki, kj)]
            + [_cell("x", *_pixel(run, x)) for x in _touched_pixels(run, flat)]
            + [c for term in row.terms for c in _term_cells(run, term)],
            "set": [[_cell("k", ki, kj), 1, f"dL/dw {_n(weight.grad)}"]]}
