"""What every subcommand shares: exit codes, errors, and checked parsing of numbers.

A command module imports from here and never from :mod:`chainrule.cli`, so imports run
one way: ``cli`` -> ``*_cmd`` -> ``common``.  Every number a flag takes goes through one
of the ``argparse`` types below, so ``--noise nan`` or ``--lr 1e400`` ends as one line
that names the flag, the value and what to write instead:

>>> finite_float("0.5")
0.5
>>> parse_bindings(["x=2", "w=-3e-1"])
{'x': 2.0, 'w': -0.3}
>>> capped_list(["a", "b", "c", "d"], limit=2)
'a, b, ... and 2 more'
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from autograd.trace import format_number

__all__ = [
    "EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT", "MAX_SAMPLES", "CommandError", "RunFailed",
    "size_list", "parse_bindings", "load_splits", "check_output", "capped_list", "one_line",
    "finite_float", "positive_float", "non_negative_float", "float_between", "fraction",
    "int_between",
]

EXIT_OK = 0
EXIT_FAILED = 1      # the input was fine but the run failed (diverged, mismatch, interrupted)
EXIT_BAD_INPUT = 2   # the command line, a file or a value cannot be used

# The most points a toy data set may have (train generates them, predict --evaluate
# rebuilds them from a model file's settings).
MAX_SAMPLES = 100_000

# Longest error line we print; longer ones (thousands of names) are cut with a count.
MAX_MESSAGE = 600


class CommandError(Exception):
    """Bad input from the command line; printed as one line, exit code 2."""


class RunFailed(Exception):
    """A run that started and failed (for instance diverged); one line, exit code 1."""


def capped_list(items, limit: int = 8) -> str:
    """``"a, b, ... and 98 more"``: a list short enough for one error line."""
    items = [str(item) for item in items]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", ... and {len(items) - limit} more"


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """The text on a single line of at most about ``limit`` characters.

    >>> one_line("first\\nsecond")
    'first second'
    """
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    return text


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


def size_list(option: str, text, largest: int, most: int, fewest: int = 0,
              usage: str = "give layer sizes as ints separated by commas, e.g. 32,16"
              ) -> list[int]:
    """``"32,16"`` -> ``[32, 16]`` for a flag of sizes (``--hidden``, ``--sizes``), each
    1..``largest``, ``fewest`` to ``most`` of them, or one CommandError naming the flag.
    Only ASCII digits count: ``"²".isdigit()`` is True but ``int("²")`` fails."""
    shown = one_line(str(text), 60)
    parts = [p.strip() for p in str(text).split(",")] if str(text).strip() else []
    if any(not p for p in parts):
        raise CommandError(f"{option} {shown!r}: a size is missing between commas; {usage}")
    bad = [p for p in parts if not (p.isascii() and p.isdigit())]
    if bad or len(parts) < fewest:
        raise CommandError(f"{option} {shown!r}: {usage}"
                           + (f" ({one_line(bad[0], 20)!r} is not a whole number)" if bad
                              else f" (at least {fewest})"))
    sizes = [int(p) for p in parts]
    if any(not 1 <= n <= largest for n in sizes) or len(sizes) > most:
        raise CommandError(f"{option} {shown!r}: each size must be 1 to {largest}, with at "
                           f"most {most} of them")
    return sizes


def check_output(option: str, path, folder: bool = False, inputs: tuple = ()) -> None:
    """Refuse an output path that cannot work, before any work is done: a folder where
    a file is wanted (or the reverse), a file in the middle of the path, a place we
    may not write -- and one that would destroy data: an input of the same command,
    or a saved model (only ``chainrule train`` replaces a model, and only by a better one).
    """
    if "\x00" in str(path):  # pathlib answers "does not exist"; open() fails after the work
        raise CommandError(f"{option} {str(path)!r}: a file name cannot hold a NUL byte "
                           "(\\x00); remove it")
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise CommandError(f"{option} {path}: that is a file; give a folder name")
    if not folder and path.is_dir():
        raise CommandError(f"{option} {path}: that is a folder; give a file name")
    if not folder and path.exists() and not path.is_file():  # /dev/null, a FIFO
        raise CommandError(f"{option} {path}: that is not a regular file (a device or a "
                           "pipe), which writing a file would replace; give a file name")
    if not folder and path.is_file():
        for given in inputs:
            if _same_file(path, given):
                raise CommandError(f"{option} {path}: that is also the input {given}, which "
                                   "the output would replace; give the output another name")
        if _is_model_file(path):
            raise CommandError(f"{option} {path}: that file is a saved chainrule model, which "
                               "the output would replace; give the output another name")
    existing = path if folder else path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"{option} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK):
        raise CommandError(f"{option} {path}: {existing} is not writable; choose "
                           "another place")


def _same_file(path: Path, other) -> bool:
    try:
        return os.path.samefile(path, other)
    except (OSError, ValueError):  # the input is missing: its own error comes later
        return False


def _is_model_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(200)
    except OSError:
        return False
    return b'"format": "chainrule.model"' in head


# argparse types: argparse turns an ArgumentTypeError into "argument --lr: <message>".

def finite_float(text: str) -> float:
    """A finite float; ``nan``, ``inf`` and ``1e400`` are refused."""
    shown = one_line(text, 40)  # cli.main may have put a space before a negative number
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown!r} is not a number, e.g. 0.5") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{shown!r} is not a finite number; give a real "
                                         "value such as 0.5")
    return number


def positive_float(text: str) -> float:
    """A finite float > 0."""
    number = finite_float(text)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text.strip()} must be greater than 0")
    return number


def non_negative_float(text: str) -> float:
    """A finite float >= 0."""
    number = finite_float(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text.strip()} must be 0 or more")
    return number


def float_between(low: float, high: float, low_inclusive: bool = True):
    """An argparse type for a finite float in ``[low, high]`` (``(low, high]`` when
    ``low_inclusive`` is false); the bounds are in the message.

    >>> float_between(0.0, 10.0, low_inclusive=False)("0.5")
    0.5
    """
    def parse(text: str) -> float:
        number = finite_float(text)
        above_low = number >= low if low_inclusive else number > low
        if not (above_low and number <= high):
            bracket = "[" if low_inclusive else "("
            raise argparse.ArgumentTypeError(f"{one_line(text, 40)} is out of range; give a "
                                             f"number in {bracket}{low:g}, {high:g}]")
        return number

    parse.__name__ = f"number in [{low:g}, {high:g}]"
    return parse


def fraction(text: str) -> float:
    """A share of the data: a finite float with 0 <= x < 1."""
    number = finite_float(text)
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError(f"{text.strip()} must be a share from 0 up to (not "
                                         "including) 1, e.g. 0.2")
    return number


def int_between(low: int, high: int):
    """An argparse type for an int in ``[low, high]``; the bounds are in the message.

    >>> int_between(1, 10)("3"), int_between(1, 2000)("1e3")
    (3, 1000)
    """
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = _integral_float(text)  # "1e3" and "2.0" are whole numbers too
        if number is None:
            raise argparse.ArgumentTypeError(f"{one_line(text, 40).strip()!r} is not a "
                                             f"whole number; give one from {low} to {high}")
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{one_line(text, 40)} is out of range; give a "
                                             f"whole number from {low} to {high}")
        return number

    parse.__name__ = f"int from {low} to {high}"
    return parse


def add_digits_argument(parser) -> None:
    """``--digits N``: the significant digits of every number printed and drawn."""
    from autograd.notation import DEFAULT_DIGITS, MAX_DIGITS
    parser.add_argument("--digits", type=int_between(1, MAX_DIGITS), default=DEFAULT_DIGITS,
                        metavar="N",
                        help="significant digits of every number in the tables, pictures, "
                             f"pages and frames (default {DEFAULT_DIGITS}; 4 suits a "
                             "projector)")


def _integral_float(text: str) -> int | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def load_splits(settings: dict):
    """``(X_train, X_val, X_test, y_train, y_val, y_test)`` for the settings, unscaled."""
    from nn.data import DATASETS, load_digits, train_val_test_split

    name = settings["dataset"]
    if settings.get("data"):  # an IDX folder (chainrule train --data DIR)
        from chainrule.train_recipe import RecipeError, load_idx_splits

        try:
            return load_idx_splits(settings)
        except RecipeError as error:
            raise CommandError(str(error)) from None
    if name == "digits":
        try:
            X, y = load_digits()
        except ImportError as error:
            raise CommandError(str(error)) from None
    elif name == "blobs":
        X, y = DATASETS[name](settings["samples"], cluster_std=settings["noise"],
                              seed=settings["seed"])
    else:
        X, y = DATASETS[name](settings["samples"], noise=settings["noise"],
                              seed=settings["seed"])
    return train_val_test_split(X, y, settings["val_split"], settings["test_split"],
                                seed=settings["seed"])
