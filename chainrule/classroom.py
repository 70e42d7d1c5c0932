"""What the classroom page runs in Pyodide: one call per lesson, from the link's query.

The page (``web/classroom.js``) only loads Python, draws what these return and wires
buttons, so the page and the command line cannot disagree: the tables are the output of
``chainrule trace`` and ``chainrule network`` run with the same flags, the steppers are
their ``--html`` pages, and the gradients are the full floats behind those tables.

>>> lesson = expression_lesson("expr=x*y%2Bx&x=2&y=-3")
>>> lesson["link"], lesson["gradients"]
('expr=x%2Ay%2Bx&x=2&y=-3', [['x', '-2.0', '-2.0'], ['y', '2.0', '2.0']])
>>> print(lesson["tables"]["md"].splitlines()[0])
**forward pass**
>>> network_lesson("net=2,1&input=1,-2&target=0.5&seed=0")["gradients"][0][0]
'L1.N1.w1'

The training lesson keeps one :class:`visualize.Playground` between calls (the page
steps it while the class watches), and the digits lesson classifies strokes:

>>> training_lesson("train=xor&sizes=4")["link"]
'train=xor&sizes=4&activation=tanh&lr=0.05&batch=16&seed=0&optimizer=adam&n=200&noise=0.05'
>>> training_step(5)["state"]["step"]
5
>>> digits_lesson("digits", [[[50, 10], [50, 90]]])["digit"] in range(10)
True
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from autograd.expr import parse
from autograd.notation import format_number
from autograd.trace import backward_steps
from chainrule.cli import build_parser, main
from chainrule.common import CommandError, parse_bindings
from chainrule.network_cmd import conv_model, network_model, parameter_gradients, read_options

__all__ = ["expression_lesson", "network_lesson", "conv_lesson", "training_lesson", "training_step",
           "digits_lesson", "lesson", "lesson_json", "training_step_json", "digits_json",
           "choices_json", "TABLE_FORMATS", "NETWORK_DEFAULTS"]

TABLE_FORMATS = ("text", "md", "latex")
# the flags of `chainrule network` a link may set, with the CLI's defaults (the link may
# leave any out); `input` has no default there and none here
NETWORK_DEFAULTS = {"net": "2,3,1", "input": None, "target": None, "activation": "tanh",
                    "seed": "0", "loss": "mse"}
_NETWORK_FLAGS = {"net": "--sizes", "input": "--input", "target": "--target",
                  "activation": "--activation", "seed": "--seed", "loss": "--loss"}
# the convolution lesson: `chainrule network --conv HxW,KxK`, the same flags otherwise
CONV_DEFAULTS = {"conv": "3x3,2x2", **{k: v for k, v in NETWORK_DEFAULTS.items() if k != "net"}}
_CONV_FLAGS = {"conv": "--conv", **{k: v for k, v in _NETWORK_FLAGS.items() if k != "net"}}


def _run_cli(argv: list) -> str:
    """``chainrule ARGV``'s standard output, or a CommandError with its one-line error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    if code != 0:
        message = err.getvalue().strip().splitlines() or [f"exit code {code}"]
        raise CommandError(message[-1])
    return out.getvalue()


def _tables_and_stepper(argv: list, title: str) -> tuple:
    """The CLI's text, Markdown and LaTeX tables for ``argv``, and its ``--html`` page."""
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "stepper.html"
        text = _run_cli(argv + ["--html", str(page)])
        stepper = page.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.rstrip().splitlines()
                     if not line.startswith("wrote ")).rstrip() + "\n"
    tables = {"text": text}
    for fmt in TABLE_FORMATS[1:]:
        tables[fmt] = _run_cli(argv + ["--format", fmt])
    return tables, stepper


def _failure(kind: str, link: str, error: Exception) -> dict:
    return {"lesson": kind, "ok": False, "error": str(error), "link": link}


def expression_lesson(query: str) -> dict:
    """``expr=EXPR&NAME=VALUE...``: the trace tables, the stepper and every gradient."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=True)]
    expr = next((v for k, v in pairs if k == "expr"), "").strip()
    bindings = [f"{k}={v}" for k, v in pairs if k != "expr"]
    link = urlencode([("expr", expr)] + [(k, v) for k, v in pairs if k != "expr"])
    try:
        if not expr:
            raise CommandError('give an expression, e.g. ?expr=tanh(x*w%2Bb)&x=2&w=-3&b=6.88')
        values = parse_bindings(bindings)
        argv = ["trace", expr] + bindings
        tables, stepper = _tables_and_stepper(argv, expr)
        gradients = backward_steps(parse(expr).build(values)).gradients()
    except (CommandError, ValueError, ArithmeticError, SyntaxError) as error:
        return _failure("expr", link, error)
    names = list(parse(expr).variables)
    return {"lesson": "expr", "ok": True, "error": "", "link": link, "title": expr,
            "command": shlex.join(["chainrule"] + argv), "gradient_of": "∂out",
            "gradients": [_gradient(k, gradients[k]) for k in names],
            "tables": tables, "stepper": stepper}


def _gradient(name: str, grad) -> list:
    """``[name, the full float (repr), the float as the tables print it]``."""
    return [name, repr(float(grad)), format_number(float(grad))]


def _cli_lesson(kind: str, query: str, defaults: dict, flags: dict, example: str):
    """``(link, argv, parsed args, checked options)`` of a ``chainrule network`` lesson,
    or ``(link, CommandError)``: the link's settings become the CLI's flags."""
    given = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    options = {k: given.get(k, default) for k, default in defaults.items()}
    link = urlencode([(k, v) for k, v in options.items() if v is not None])
    argv = ["network"]
    for key, flag in flags.items():
        if options[key] is not None:
            argv += [flag, options[key]]
    if options["input"] is None:
        return link, CommandError(f"give the network's input, e.g. {example}")
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        return link, CommandError(f"{unknown[0]}= is not a {kind} setting: use "
                                  f"{', '.join(defaults)}")
    args = build_parser().parse_args(argv)
    try:
        return link, argv, args, read_options(args)
    except CommandError as error:
        return link, error


def _stepper_lesson(kind: str, read, run_of, title_of, gradients_of) -> dict:
    """A lesson the stepper shows: ``chainrule network``'s tables and ``--html`` page for
    the flags ``read`` from the link, and each named gradient of ``run_of(args, options)``."""
    if len(read) == 2:
        return _failure(kind, *read)
    link, argv, args, options = read
    try:
        tables, stepper = _tables_and_stepper(argv, "network")
        run = run_of(args, options)
    except (CommandError, ValueError, ArithmeticError) as error:
        return _failure(kind, link, error)
    return {"lesson": kind, "ok": True, "error": "", "link": link,
            "title": title_of(run, args, options), "command": shlex.join(["chainrule"] + argv),
            "gradient_of": "∂L", "loss": repr(run.loss.data),
            "gradients": [_gradient(name, g) for name, g in gradients_of(run)],
            "tables": tables, "stepper": stepper}


def _loss(args, target) -> str:
    return "none" if target is None else args.loss


def network_lesson(query: str) -> dict:
    """``net=2,3,1&input=1,-2&target=0.5&activation=tanh&seed=0``: ``chainrule network``'s
    tables and stepper, and every parameter's gradient by name (``L1.N1.w1``)."""
    from visualize.network import run_network

    def run_of(args, options):
        sizes, x, target, seed = options
        return run_network(network_model(sizes, args.activation, seed), x, target,
                           _loss(args, target))

    def title_of(run, args, options):
        sizes, _, _, seed = options
        return f"network {'-'.join(map(str, sizes))}, {args.activation}, seed {seed}"

    read = _cli_lesson("network", query, NETWORK_DEFAULTS, _NETWORK_FLAGS,
                       "?net=2,3,1&input=1,-2&target=0.5")
    return _stepper_lesson("net", read, run_of, title_of,
                           lambda run: parameter_gradients(run).items())


def conv_lesson(query: str) -> dict:
    """``conv=5x5,3x3&input=...&target=1&activation=relu&seed=0``: ``chainrule network
    --conv``'s tables and stepper (one kernel on a small image, then Flatten and Linear),
    and each kernel weight's gradient (``w[0,0]`` ... ``b``), the sum over the positions
    it touched."""
    from visualize.conv_network import run_conv_network

    def run_of(args, options):
        _, x, target, seed = options
        return run_conv_network(conv_model(args, seed), x, target, _loss(args, target))

    def gradients_of(run):
        k = run.conv.k
        names = [f"w[{i // k},{i % k}]" for i in range(k * k)] + ["b"]
        weights = list(run.conv.weight) + [run.conv.bias[0]]
        return [(name, v.grad) for name, v in zip(names, weights)]

    read = _cli_lesson("conv", query, CONV_DEFAULTS, _CONV_FLAGS,
                       "?conv=3x3,2x2&input=1,0,0,0,1,0,0,0,1&target=1")
    return _stepper_lesson("conv", read, run_of,
                           lambda run, args, options: f"a {run.conv.k}x{run.conv.k} kernel, "
                           f"{args.activation}, seed {options[3]}", gradients_of)


_playground = None   # the training lesson's run, stepped by training_step


def _training_view(playground, state: dict) -> dict:
    state = dict(state, loss_text=format_number(state["loss"]),
                 accuracy_text=f"{100 * state['accuracy']:.0f}%")
    return {"state": state, "boundary": playground.boundary_svg(),
            "loss_curve": playground.loss_svg(), "gradient_flow": playground.gradient_svg()}


def training_lesson(query: str) -> dict:
    """``train=moons&sizes=8,8&activation=tanh&lr=0.05&batch=16&seed=0``: a new run at
    step 0 (:class:`visualize.Playground`), kept for :func:`training_step`."""
    global _playground
    from visualize.playground import Playground, PlaygroundError
    try:
        playground = Playground.from_query(query)
    except PlaygroundError as error:
        return _failure("train", query.lstrip("?"), error)
    _playground = playground
    return {"lesson": "train", "ok": True, "error": "", "link": playground.to_query(),
            "title": f"training on {playground.dataset}", **_training_view(playground,
                                                                             playground.state())}


def training_step(k: int = 1) -> dict:
    """``k`` more mini-batch steps of the run :func:`training_lesson` started."""
    if _playground is None:
        return _failure("train", "", CommandError("no training run: open a ?train= link first"))
    from nn import TrainingDivergedError
    try:
        state = _playground.step(int(k))
    except TrainingDivergedError as error:
        return _failure("train", _playground.to_query(), error)
    return {"lesson": "train", "ok": True, "error": "", "link": _playground.to_query(),
            **_training_view(_playground, state)}


def digits_lesson(query: str = "digits", strokes=None) -> dict:
    """``?digits``: the strokes drawn on the pad (lists of ``[x, y]`` points, screen
    coordinates) scaled to the digits set's 8x8, classified by the shipped model."""
    from visualize import digit_pad
    base = {"lesson": "digits", "ok": True, "error": "", "link": "digits",
            "title": "draw a digit"}
    if not strokes:
        return {**base, "digit": None, "probabilities": [], "pixels_svg": "",
                "bars": "", "activations_svg": ""}
    try:
        pixels = digit_pad.to_digits_8x8(strokes)
        result = digit_pad.classify(pixels)
    except digit_pad.DigitPadError as error:
        return _failure("digits", "digits", error)
    return {**base, "digit": result["digit"],
            "probabilities": [repr(p) for p in result["probabilities"]],
            "pixels_svg": digit_pad.pixels_svg(pixels),
            "bars": digit_pad.probabilities_svg(result["probabilities"]),
            "activations_svg": digit_pad.activations_svg(result)}


LESSONS = {"expr": expression_lesson, "net": network_lesson, "conv": conv_lesson,
           "train": training_lesson, "digits": digits_lesson}


def lesson(query: str) -> dict:
    """The lesson a link asks for: the first of ``expr``, ``net`` in its query."""
    keys = [k for k, _ in parse_qsl(query.lstrip("?"), keep_blank_values=True)]
    kind = next((k for k in keys if k in LESSONS), None)
    if kind is None:
        return {"lesson": "", "ok": False, "link": "",
                "error": f"the link names no lesson: start it with one of "
                         f"{', '.join('?' + k + '=' for k in LESSONS)}"}
    return LESSONS[kind](query)


def choices_json() -> str:
    """What the page's menus offer, from the library's own lists."""
    from nn import ACTIVATIONS
    from nn.optim import OPTIMIZERS
    from visualize.playground import PLAYGROUND_DATASETS
    return json.dumps({"activations": list(ACTIVATIONS), "datasets": list(PLAYGROUND_DATASETS),
                       "optimizers": list(OPTIMIZERS)})


def training_step_json(k: int) -> str:
    """:func:`training_step` as JSON text."""
    return json.dumps(training_step(k))


def digits_json(strokes_json: str) -> str:
    """:func:`digits_lesson` of the pad's strokes (JSON text) as JSON text."""
    return json.dumps(digits_lesson("digits", json.loads(strokes_json)))


def lesson_json(query: str) -> str:
    """:func:`lesson` as JSON text, the one value that crosses into JavaScript."""
    return json.dumps(lesson(query))
