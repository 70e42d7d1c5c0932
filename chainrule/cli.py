"""``chainrule SUBCOMMAND ...``: argument parsing and error reporting for every subcommand.

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(args) -> int``; :data:`SUBCOMMANDS` lists them.  Any
:class:`CommandError` (or bad-input error from the engine) ends as one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys

from autograd import OpError
from autograd.trace import format_number

__all__ = ["main", "CommandError", "SUBCOMMANDS", "parse_bindings"]

# name -> (module, one-line help)
SUBCOMMANDS = {
    "demo": ("chainrule.demo", "train micrograd's moons demo and draw a neuron's graph"),
    "trace": ("chainrule.trace_cmd", "backprop through an expression step by step: tables, "
              "pictures, an HTML stepper"),
    "gradcheck": ("chainrule.gradcheck_cmd", "compare backward() with finite differences "
                  "for an expression"),
    "train": ("chainrule.train_cmd", "train an MLP on a data set: metrics, model.json, plots"),
    "predict": ("chainrule.predict_cmd", "run a saved model.json on new inputs"),
}


class CommandError(Exception):
    """Bad input from the command line; printed as one line, exit code 2."""


def parse_bindings(bindings: list[str]) -> dict:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``, or a CommandError saying what is wrong.

    >>> parse_bindings(["x=2", "w=-3e-1"])
    {'x': 2.0, 'w': -0.3}
    """
    values: dict = {}
    for binding in bindings:
        name, sep, text = binding.partition("=")
        name, text = name.strip(), text.strip()
        if not sep:
            raise CommandError(f"{binding!r} is not NAME=VALUE; give each variable a number, "
                               "e.g. x=2")
        if not name.isidentifier():
            raise CommandError(f"{binding!r}: {name!r} is not a variable name; "
                               "use letters, digits and _, e.g. x1=2")
        try:
            number = float(text)
        except ValueError:
            raise CommandError(f"{binding!r}: {text!r} is not a number; write e.g. "
                               f"{name}=0.5 or {name}=-3") from None
        if not math.isfinite(number):
            raise CommandError(f"{binding!r}: {text} is not a finite number; "
                               "a variable needs a real value")
        if name in values:
            raise CommandError(f"{name} is given twice ({name}={format_number(values[name])} "
                               f"and {binding}); keep one")
        values[name] = number
    return values


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chainrule", description="See backpropagation at work.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (CommandError, OpError, ValueError, TypeError, OSError) as error:
        print(f"chainrule {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130
