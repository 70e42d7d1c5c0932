"""``chainrule trace EXPR NAME=VALUE ...``: backprop through an expression, step by step.

    $ chainrule trace "tanh(x*w + b)" x=2 w=-3 b=6.88

prints the forward table, every backward step and the gradient of every input;
``--order 2`` adds the second derivatives (the Hessian table, rows and columns named).
``--svg FILE`` writes the graph with derivatives on its edges, ``--html FILE`` the
stepper page, ``--frames DIR`` one SVG per backward step.  Bad input of any kind
ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

from autograd.expr import parse
from autograd.functional import hessian_of, hessian_table
from autograd.graph import topological_order
from autograd.trace import STEP_HEADER, backward_steps, format_number, forward_table
from chainrule.common import CommandError, add_digits_argument, check_output, parse_bindings
from chainrule.table_format import FORMATS, render_tables, terminal_width
from nn.model_file import write_atomically
from visualize.stepper import check_stepper_size

__all__ = ["add_arguments", "run", "parse_bindings"]

_EXAMPLE_HINT = '; give one, e.g. chainrule trace "tanh(x*w + b)" x=2 w=-3 b=6.88'


def add_arguments(parser) -> None:
    parser.add_argument("expression", metavar="EXPR",
                        help='an expression such as "tanh(x*w + b)"')
    parser.add_argument("bindings", metavar="NAME=VALUE", nargs="*",
                        help="a number for each variable, e.g. x=2 w=-3 b=6.88")
    parser.add_argument("--svg", metavar="FILE",
                        help="write the graph with local derivatives and flowing grads on "
                             "its edges (.svg, .png or .dot)")
    parser.add_argument("--html", metavar="FILE",
                        help="write the step-by-step page (one self-contained HTML file)")
    parser.add_argument("--order", type=int, choices=(1, 2), default=1,
                        help="2 also prints the second derivatives: the Hessian, with names")
    parser.add_argument("--frames", metavar="DIR",
                        help="write one SVG per backward step into DIR")
    parser.add_argument("--format", default="text", metavar="FMT",
                        help=f"how to print the tables: {', '.join(FORMATS)} (default text)")
    add_digits_argument(parser)
    plain_error = parser.error

    def error(message):
        if "required: EXPR" in message:
            message += _EXAMPLE_HINT
        plain_error(message)

    parser.error = error


def _check_outputs(args) -> None:
    """Refuse unusable output paths before anything is printed."""
    from visualize.drawing import FORMATS
    if args.svg and Path(args.svg).suffix.lower() not in FORMATS:
        raise CommandError(f"--svg {args.svg}: end the file name with one of "
                           f"{', '.join(sorted(FORMATS))}")
    for option, value, folder in (("--svg", args.svg, False), ("--html", args.html, False),
                                  ("--frames", args.frames, True)):
        if value:
            check_output(option, value, folder)


def run(args) -> int:
    if args.format not in FORMATS:
        raise CommandError(f"--format {args.format!r} is not known: use one of "
                           f"{', '.join(FORMATS)}")
    expression = parse(args.expression.strip())
    values = parse_bindings(args.bindings)
    _check_outputs(args)
    root = expression.build(values)
    if args.html or args.frames:  # counted before tracing, by the stepper's own check
        try:
            check_stepper_size(root, "--html and --frames need a shorter expression")
        except ValueError as error:
            raise CommandError(str(error)) from None
    trace = backward_steps(root)

    if args.format != "text":
        tables = _tables(root, trace, expression)
        if args.order == 2 and expression.variables:
            names = [f"d/d{name}" for name in expression.variables]
            tables.append((f"second derivatives of {root.label}", ["derivative"] + names,
                           [[name] + [format_number(h) for h in row]
                            for name, row in zip(names, _hessian(root, expression))]))
        print(render_tables(tables, args.format))
        with contextlib.redirect_stdout(sys.stderr):  # stdout holds only the tables
            _write_pictures(args, root, trace)
        return 0
    print(f"expression  {expression.text.strip()}")
    if values:
        print("values      " + ", ".join(f"{k} = {format_number(v)}" for k, v in values.items()))
    print()
    print("forward pass: one row per node, parents first")
    width = terminal_width() - 2          # the tables are indented by two
    print(_indent(forward_table(root).text(width)))
    print()
    print("backward pass: one step per node, in reverse order; "
          "each parent gets local derivative * upstream")
    print(_indent(trace.text(width)))
    print()
    print(f"gradients of {root.label}")
    grads = trace.gradients()
    width = max((len(name) for name in expression.variables), default=0)
    for name in expression.variables:
        print(f"  d/d{name.ljust(width)} = {format_number(grads[name])}")
    if not expression.variables:
        print("  (the expression has no variables)")

    if args.order == 2 and expression.variables:
        print()
        print(f"second derivatives of {root.label} (the Hessian: d/d(row) of d/d(column))")
        print(_indent(hessian_table(root, _variable_leaves(root, expression))))
    _write_pictures(args, root, trace)
    return 0


def _variable_leaves(root, expression) -> list:
    leaves = {node.label: node for node in topological_order(root) if not node._prev}
    return [leaves[name] for name in expression.variables]


def _hessian(root, expression) -> list:
    return hessian_of(root, _variable_leaves(root, expression))


def _tables(root, trace, expression) -> list:
    """The forward table, every backward step and the gradients, for --format."""
    forward = [[str(r.index), r.name, r.op, ", ".join(r.inputs) or "-", format_number(r.value)]
               for r in forward_table(root)]
    grads = trace.gradients()
    return [("forward pass", ["#", "node", "op", "inputs", "value"], forward),
            ("backward pass", list(STEP_HEADER), [row for step in trace for row in step.rows()]),
            (f"gradients of {root.label}", ["input", "gradient"],
             [[name, format_number(grads[name])] for name in expression.variables])]


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _write_pictures(args, root, trace) -> None:
    if not (args.svg or args.html or args.frames):
        return
    from visualize import RendererNotFound, render
    from visualize.annotated import draw_annotated
    from visualize.stepper import step_frames, write_stepper
    try:
        if args.svg:
            path = render(draw_annotated(root), Path(args.svg))
            print(f"wrote {path}")
        if args.frames:
            folder = Path(args.frames)
            folder.mkdir(parents=True, exist_ok=True)
            frames = step_frames(trace)
            for k, svg in enumerate(frames, 1):
                write_atomically(folder / f"step-{k:03d}.svg", svg)
            if len(frames) == 1:
                print(f"wrote 1 frame: {folder}/step-001.svg")
            else:
                print(f"wrote {len(frames)} frames: {folder}/step-001.svg ... "
                      f"step-{len(frames):03d}.svg")
        if args.html:
            path = write_stepper(root, args.html, title=args.expression.strip())
            print(f"wrote {path}")
    except (RendererNotFound, RuntimeError, subprocess.SubprocessError) as error:
        # no layout program, or it failed or timed out: say so in one line
        raise CommandError(f"drawing failed: {error}") from None
