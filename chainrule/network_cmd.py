"""``chainrule network``: backprop through a small network, neuron by neuron.

    $ chainrule network --sizes 2,3,1 --activation tanh --input 1,-2 --target 1 --seed 0

prints the forward table (one row per neuron: inputs, weights, bias, weighted sum,
activation), the loss, the backward table (``dL/da``, ``act'(z)``, ``dL/dz`` per
neuron) and every parameter's gradient by name.  ``--conv 5x5,3x3`` builds a small
convolutional net instead (one 3x3 kernel on a 5x5 image, ``--input`` its 25 pixels row
by row, then Flatten and Linear(9, 1)); its tables give each output position and each
kernel weight's gradient as the sum over the positions it touched.  ``--svg FILE`` writes
the network diagram, ``--html FILE`` the network stepper, ``--frames DIR`` one SVG per step, and
``--format md|latex|csv|json`` prints the tables for lecture notes or programs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from autograd.notation import format_number
from chainrule.common import CommandError, add_digits_argument, check_output, one_line, size_list
from chainrule.table_format import FORMATS, render_tables
from nn import ACTIVATIONS, MLP
from nn.model_file import write_atomically

__all__ = ["add_arguments", "run", "network_tables", "conv_tables", "read_options",
           "network_model", "conv_model", "parameter_gradients"]

MAX_SIZE = 64        # neurons per layer: a teaching network, not a training run
MAX_LAYERS = 8
MAX_IMAGE, MAX_KERNEL = 8, 5   # visualize.conv_network draws at most this (checked in tests)


def add_arguments(parser) -> None:
    parser.add_argument("--sizes", metavar="N,N,...",
                        help="inputs, then neurons per layer, e.g. 2,3,1 (default)")
    parser.add_argument("--conv", metavar="HxW,KxK",
                        help="a conv net instead of an MLP: a KxK kernel on an HxW image "
                             f"(at most {MAX_IMAGE}x{MAX_IMAGE}), then the --activation, "
                             "Flatten and Linear(n, 1); e.g. 5x5,3x3")
    parser.add_argument("--activation", default="tanh", metavar="NAME",
                        help=f"activation of every layer: {', '.join(ACTIVATIONS)} "
                             "(default tanh)")
    parser.add_argument("--input", required=True, metavar="X,X,...",
                        help="one number per input, e.g. 1,-2")
    parser.add_argument("--target", metavar="T,T,...",
                        help="one number per output; without it the output is backpropagated")
    parser.add_argument("--loss", default="mse", metavar="NAME",
                        help="mse (mean of (a - target)**2, the default) or none")
    parser.add_argument("--seed", default="0", metavar="INT", help="weight seed (default 0)")
    parser.add_argument("--format", default="text", metavar="FMT",
                        help=f"how to print the tables: {', '.join(FORMATS)} (default text)")
    add_digits_argument(parser)
    parser.add_argument("--svg", metavar="FILE", help="write the network diagram (.svg/.png/.dot)")
    parser.add_argument("--html", metavar="FILE", help="write the network stepper page")
    parser.add_argument("--frames", metavar="DIR", help="write one SVG per stepper step into DIR")


def _numbers(option: str, text: str) -> list[float]:
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise CommandError(f"{option} {text!r}: give numbers separated by commas, "
                           "e.g. 1,-2") from None
    bad = [p for p, v in zip(parts, values) if v != v or v in (float("inf"), float("-inf"))]
    if bad:
        raise CommandError(f"{option} {text!r}: {bad[0]} is not a finite number")
    return values


def _sizes(text: str) -> list[int]:
    return size_list("--sizes", text, MAX_SIZE, MAX_LAYERS + 1, fewest=2,
                     usage="give the input count and each layer's neuron count as whole "
                           "numbers, e.g. 2,3,1 (a network to read, not to train)")


def _conv_shape(text: str) -> tuple:
    """``"5x5,3x3"`` -> ``(5, 5, 3)``, or one CommandError naming --conv."""
    usage = (f"--conv {one_line(str(text), 40)!r}: give the image and the kernel as HxW,KxK, "
             f"e.g. 5x5,3x3 (an image of at most {MAX_IMAGE}x{MAX_IMAGE}, a square kernel "
             f"of at most {MAX_KERNEL}x{MAX_KERNEL} that fits in it)")
    match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*,\s*(\d+)\s*x\s*(\d+)\s*", str(text),
                         re.ASCII)
    if not match:
        raise CommandError(usage)
    h, w, k, k2 = map(int, match.groups())
    if k != k2 or not (1 <= k <= MAX_KERNEL and k <= h <= MAX_IMAGE and k <= w <= MAX_IMAGE):
        raise CommandError(usage)
    return h, w, k


def read_options(args):
    """``(sizes, x, target, seed)`` from the parsed flags, each checked (one-line errors)."""
    if args.conv is not None and args.sizes is not None:
        raise CommandError("--conv and --sizes both describe the network: give one of them")
    if args.conv is not None:
        h, w, k = _conv_shape(args.conv)
        sizes = [h * w, 1]
    else:
        sizes = _sizes("2,3,1" if args.sizes is None else args.sizes)
    if args.activation not in ACTIVATIONS:
        raise CommandError(f"--activation {args.activation!r} is not known: use one of "
                           f"{', '.join(ACTIVATIONS)}")
    if args.loss not in ("mse", "none"):
        raise CommandError(f"--loss {args.loss!r} is not known: use mse or none")
    if args.format not in FORMATS:
        raise CommandError(f"--format {args.format!r} is not known: use one of "
                           f"{', '.join(FORMATS)}")
    if not str(args.seed).strip().lstrip("-").isdigit():
        raise CommandError(f"--seed {args.seed!r}: give a whole number")
    x = _numbers("--input", args.input)
    if args.conv is not None and len(x) != sizes[0]:
        raise CommandError(f"--input has {len(x)} numbers but --conv {args.conv} takes a "
                           f"{h}x{w} image: give {h * w} pixels, row by row")
    if len(x) != sizes[0]:
        raise CommandError(f"--input has {len(x)} numbers but --sizes "
                           f"{','.join(map(str, sizes))} starts with {sizes[0]} inputs: "
                           "give one number per input")
    target = None if args.target is None else _numbers("--target", args.target)
    if target is not None and len(target) != sizes[-1]:
        raise CommandError(f"--target has {len(target)} numbers but the network has "
                           f"{sizes[-1]} outputs: give one per output")
    return sizes, x, target, int(str(args.seed).strip())


def network_model(sizes, activation: str, seed: int) -> MLP:
    """The model ``chainrule network --sizes ... --activation ... --seed ...`` runs: the
    activation on every layer, the weights drawn from ``seed``."""
    return MLP(sizes[0], sizes[1:], activation=[activation] * (len(sizes) - 1), seed=seed)


def _named_parameters(run):
    """``(name, Value)`` of every weight and bias, ``L1.N1.w1`` ... ``L2.N1.b``."""
    from visualize.network import _weights
    for row in run.rows:
        name = f"L{row.layer}.N{row.neuron}"
        for k, w in enumerate(_weights(row), 1):
            yield f"{name}.w{k}", w
        yield f"{name}.b", row.neuron_object.b


def parameter_gradients(run) -> dict:
    """Every parameter's gradient as the full float, by the tables' names (``L1.N1.w1``)."""
    return {name: value.grad for name, value in _named_parameters(run)}


def network_tables(run) -> list:
    """The forward, loss, backward and parameter tables of a :class:`NetworkPass`."""
    from visualize.network import _slope, _z
    n = format_number
    forward, backward = [], []
    for row in run.rows:
        name = f"L{row.layer}.N{row.neuron}"
        forward.append([name, ", ".join(n(v) for v in row.inputs),
                        ", ".join(n(w) for w in row.weights), n(row.bias), n(_z(row).data),
                        row.activation, n(row.output)])
    params = [[name, n(value.data), n(value.grad)] for name, value in _named_parameters(run)]
    for layer in reversed(run.layers):
        for row in layer:
            backward.append([f"L{row.layer}.N{row.neuron}", n(row.node.grad), n(_slope(row)),
                             n(_z(row).grad)])
    return [
        ("forward pass: one row per neuron",
         ["neuron", "inputs", "weights", "bias", "z = w.x + b", "activation", "a"], forward),
        ("loss", ["loss", "value"], [[f"L = {run.loss_formula}", n(run.loss.data)]]),
        ("backward pass: one row per neuron, output layer first",
         ["neuron", "dL/da", "act'(z)", "dL/dz = dL/da * act'(z)"], backward),
        ("gradient of every parameter", ["parameter", "value", "dL/dparameter"], params),
    ]


def conv_tables(run) -> list:
    """The forward, loss, backward and kernel tables of a :class:`ConvPass`."""
    n = format_number
    out_w = run.conv.output_shape[2]
    forward, backward = [], []
    for p, z in enumerate(run.conv_out):
        i, j = divmod(p, out_w)
        patch = [run.image[x].data for _, x in run.conv.taps(i, j)]
        forward.append([f"z[{i},{j}]", ", ".join(n(v) for v in patch), n(z.data)])
        backward.append([f"z[{i},{j}]", n(z.grad)])
    k = run.conv.k
    params = []
    for flat, (row, w) in enumerate(zip(run.rows, run.conv.weight)):
        terms = " + ".join(f"{n(x)}*{n(g)}" for _, x, g in row.terms) or "0"
        params.append([f"w[{flat // k},{flat % k}]", n(w.data), terms, n(w.grad)])
    bias = run.conv.bias[0]
    params.append(["b", n(bias.data), " + ".join(n(z.grad) for z in run.conv_out),
                   n(bias.grad)])
    later = [[repr(layer), ", ".join(n(v.data) for v in values)] for layer, values in run.later]
    return [
        ("forward pass: one row per output position",
         ["output", "patch under the kernel", "z = b + w.patch"], forward),
        ("the layers after the convolution", ["layer", "out"], later),
        ("loss", ["loss", "value"], [[f"L = {run.loss_formula}", n(run.loss.data)]]),
        ("backward pass: dL/dz at each output position", ["output", "dL/dz"], backward),
        ("gradient of every kernel weight: the sum over the positions it touched of "
         "x * dL/dz", ["parameter", "value", "sum over positions", "dL/dparameter"], params),
    ]


def conv_model(args, seed: int):
    """The model ``chainrule network --conv HxW,KxK`` runs: Conv2d(1, 1, K), the
    activation, Flatten, Linear(n, 1), the weights drawn from ``seed``."""
    from nn.layers import ACTIVATION_LAYERS, Conv2d, Flatten, Linear, Sequential
    h, w, k = _conv_shape(args.conv)
    op = ACTIVATIONS[args.activation]
    activation = [] if op is None else [
        next(cls for cls in ACTIVATION_LAYERS.values() if cls.op == op)()]
    n = (h - k + 1) * (w - k + 1)
    return Sequential(Conv2d(1, 1, k, seed=seed), *activation, Flatten(),
                      Linear(n, 1, seed=seed + 1), input_shape=(1, h, w))


def _run_conv(args, x, target, seed) -> int:
    from visualize.conv_network import run_conv_network
    loss = "none" if target is None else args.loss
    result = run_conv_network(conv_model(args, seed), x, target, loss)
    if args.format == "text":
        h, w, k = _conv_shape(args.conv)
        print(f"network     conv {k}x{k} on a {h}x{w} image, {args.activation}, Flatten, "
              f"Linear({len(result.conv_out)}, 1), seed {seed}")
        print(f"loss        {result.loss_text}")
        print()
    print(render_tables(conv_tables(result), args.format))
    _write_pictures(args, lambda: conv_model(args, seed), x, target, loss)
    return 0


def run(args) -> int:
    sizes, x, target, seed = read_options(args)
    for option, value, folder in (("--svg", args.svg, False), ("--html", args.html, False),
                                  ("--frames", args.frames, True)):
        if value:
            check_output(option, value, folder)
    if args.conv is not None:
        return _run_conv(args, x, target, seed)
    from visualize.network import run_network

    def model():
        return network_model(sizes, args.activation, seed)

    loss = "none" if target is None else args.loss
    result = run_network(model(), x, target, loss)
    tables = network_tables(result)
    if args.format == "text":
        print(f"network     {'-'.join(map(str, sizes))}, {args.activation}, seed {seed}")
        print("input       " + ", ".join(f"x{i} = {format_number(v)}"
                                         for i, v in enumerate(x, 1)))
        print(f"loss        {result.loss_text}")
        print()
    print(render_tables(tables, args.format))
    _write_pictures(args, model, x, target, loss)
    return 0


def _write_pictures(args, model, x, target, loss) -> None:
    if not (args.svg or args.html or args.frames):
        return
    from visualize import RendererNotFound, render
    from visualize.network import draw_network_diagram, network_frames, network_stepper_html
    say = print if args.format == "text" else (lambda *a: print(*a, file=sys.stderr))
    try:
        if args.svg:
            path = render(draw_network_diagram(model(), x, target, loss).graph, Path(args.svg))
            say(f"wrote {path}")
        if args.html:
            path = Path(args.html)
            write_atomically(path, network_stepper_html(model(), x, target, loss))
            say(f"wrote {path}")
        if args.frames:
            folder = Path(args.frames)
            folder.mkdir(parents=True, exist_ok=True)
            frames = network_frames(model(), x, target, loss)
            for k, svg in enumerate(frames, 1):
                write_atomically(folder / f"step-{k:03d}.svg", svg)
            say(f"wrote {len(frames)} frames: {folder}/step-001.svg ... step-{len(frames):03d}.svg")
    except (RendererNotFound, RuntimeError, subprocess.SubprocessError) as error:
        raise CommandError(f"drawing failed: {error}") from None
