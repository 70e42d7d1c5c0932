"""``chainrule SUBCOMMAND ...``: the registry of subcommands and the one place errors end.

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(args) -> int``; adding one is one line in :data:`SUBCOMMANDS`.  Command modules
import their helpers from :mod:`chainrule.common`, never from here, so imports run one
way.  Whatever goes wrong ends as one line on stderr, never a traceback:

- exit 2: bad input (:class:`~chainrule.common.CommandError`, a library error about
  the values or files given, an argparse error);
- exit 1: a run that failed (:class:`~chainrule.common.RunFailed`, a mismatch, an
  interrupt, output closed early as in ``chainrule trace ... | head -1``, a bug).

    $ chainrule trace "x*x" x=3 | head -1    # exit 1: "output closed early"
    $ chainrule train --noise nan           # exit 2: "argument --noise: 'nan' is not ..."
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
import warnings

from chainrule.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    CommandError,
    RunFailed,
    one_line,
    parse_bindings,
)
from chainrule.version import __version__

__all__ = ["main", "build_parser", "CommandError", "RunFailed", "SUBCOMMANDS",
           "parse_bindings"]

# name -> (module, one-line help).  One line per subcommand.
SUBCOMMANDS = {
    "demo": ("chainrule.demo", "train micrograd's moons demo and draw a neuron's graph"),
    "trace": ("chainrule.trace_cmd", "backprop through an expression step by step: tables, "
              "pictures, an HTML stepper"),
    "gradcheck": ("chainrule.gradcheck_cmd", "compare backward() with finite differences "
                  "for an expression"),
    "train": ("chainrule.train_cmd", "train an MLP on a data set: metrics, model.json, plots"),
    "predict": ("chainrule.predict_cmd", "run a saved model.json on new inputs"),
    "network": ("chainrule.network_cmd", "backprop through a small network neuron by neuron: "
                "tables, the network diagram, a stepper with a quiz"),
    "export": ("chainrule.export_cmd", "write a saved model.json as a PyTorch checkpoint"),
    "play": ("chainrule.play_cmd", "serve the browser classroom (built by `make site`) "
             "on 127.0.0.1 and open it"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        if message.startswith("unrecognized arguments: --"):
            message += ("; an expression that starts with '--' goes after a '--' of its "
                        "own, e.g. chainrule trace -- --x x=1")
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``chainrule`` parser with every registered subcommand."""
    parser = _Parser(prog="chainrule", description="See backpropagation at work.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def _dashes_as_values(argv: list[str]) -> list[str]:
    """``--range -1e-3 1``, ``--point -1,2``, ``gradcheck -x*y``: argparse takes a token
    that starts with one ``-`` for an option.  chainrule's only one-dash option is
    ``-h``, so such a token is a value; a leading space makes argparse agree, and
    ``float(" -1e-3")`` and the expression parser ignore the space."""
    fixed = []
    for index, arg in enumerate(argv):
        if arg == "--":
            return fixed + argv[index:]
        if arg.startswith("-") and not arg.startswith("--") and arg not in ("-", "-h"):
            arg = " " + arg
        elif arg.startswith("--") and not _LONG_OPTION.fullmatch(arg.partition("=")[0]):
            arg = " " + arg  # "---x", "--x*w": no option is spelled so; an expression
        fixed.append(arg)
    return fixed


_LONG_OPTION = re.compile(r"--[A-Za-z][A-Za-z0-9_-]*")


# errno values that mean "the device is full or broken", not "the path is wrong"
_DEVICE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def _bad_input_errors() -> tuple:
    """Library errors that mean "the input cannot be used" (exit 2)."""
    from autograd import OpError

    return (CommandError, OpError, ValueError, TypeError, OSError, OverflowError)


def _describe(error: Exception) -> str:
    """``missing.json: No such file or directory`` rather than ``[Errno 2] ...``."""
    if isinstance(error, ValueError) and str(error) == "embedded null byte":  # open("a\0")
        return ("a file name given holds a NUL byte (\\x00), which no file name can; "
                "remove it")
    if isinstance(error, OSError) and error.strerror:
        if error.filename is None:
            return error.strerror
        return f"{error.filename}: {error.strerror}"
    return str(error) or type(error).__name__


def _our_module_missing(error: ImportError) -> bool:
    """A module of chainrule's own packages is missing: a broken install, so a bug."""
    missing = getattr(error, "name", None) or ""
    return missing.split(".")[0] in ("autograd", "nn", "visualize", "chainrule")


def _silence_stdout() -> None:
    # After a broken pipe, Python's final flush of stdout would fail again and print
    # "Exception ignored ..."; point stdout at /dev/null so the exit stays quiet.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _one_line_warning(prefix: str):
    """Show a warning (a graph too large to draw whole, ...) as one line that names the
    command, not Python's two lines of file, line number and source."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{prefix}: warning: {one_line(message)}", file=sys.stderr)
    return show


def main(argv: list[str] | None = None) -> int:
    """Run ``chainrule`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = _dashes_as_values(list(sys.argv[1:] if argv is None else argv))
    command = next((a for a in argv if a in SUBCOMMANDS), "")
    prefix = f"chainrule {command}".rstrip()
    if sys.stdout is None:  # started with stdout closed (>&-): every print would vanish
        print(f"{prefix}: failed: standard output is closed; redirect it to a file or "
              "/dev/null instead", file=sys.stderr)
        return EXIT_FAILED
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        from autograd.notation import DEFAULT_DIGITS, number_digits
        with warnings.catch_warnings(), \
                number_digits(getattr(args, "digits", DEFAULT_DIGITS)):
            # (both restore the caller's state on exit: warning display, digits)
            warnings.showwarning = _one_line_warning(prefix)
            code = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        return code
    except SystemExit as stop:  # argparse: --help (0) or its one-line error (2)
        return stop.code if isinstance(stop.code, int) else EXIT_BAD_INPUT
    except RunFailed as error:
        print(f"{prefix}: {one_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        _silence_stdout()
        print(f"{prefix}: output closed early (broken pipe); stopped", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return EXIT_FAILED
    except RecursionError as error:  # a RuntimeError, but about the input's depth
        print(f"{prefix}: error: input nested too deeply ({one_line(error)})",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print(f"{prefix}: error: out of memory; use smaller inputs", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - the one place every error ends
        if isinstance(error, OSError) and error.errno in _DEVICE_FULL:
            # the disk or the terminal failed us, not the input: a failed run
            _silence_stdout()
            print(f"{prefix}: failed: cannot write ({one_line(_describe(error))})",
                  file=sys.stderr)
            return EXIT_FAILED
        if isinstance(error, _bad_input_errors()):
            print(f"{prefix}: error: {one_line(_describe(error))}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if isinstance(error, ImportError) and not _our_module_missing(error):
            # an optional extra that is not installed: its message says how to install it
            print(f"{prefix}: failed: {one_line(error)}", file=sys.stderr)
            return EXIT_FAILED
        print(f"{prefix}: failed: {type(error).__name__}: {one_line(error)} (this is a bug "
              "in chainrule; please report it with the command line)", file=sys.stderr)
        return EXIT_FAILED
