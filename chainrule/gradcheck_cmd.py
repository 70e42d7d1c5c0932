"""``chainrule gradcheck EXPR NAME=VALUE ...``: is backward() right for this expression?

Prints :func:`autograd.gradcheck`'s table: the gradient from ``backward()`` next to
central finite differences, for every variable.  Exit code 0 when they match (or
where the expression has no derivative, which the table says), 1 on a mismatch,
2 on bad input::

    $ chainrule gradcheck "tanh(x*w + b)" x=0.5 w=-1.5 b=0.25
    $ chainrule gradcheck "log(x) * y**2" --random 200 --seed 7

With ``--random N`` the expression is checked at N random points inside its domain;
variables given as ``NAME=VALUE`` stay fixed, the others are drawn uniformly from
``--range``.  The expression goes through the safe parser (:func:`autograd.parse`);
nothing is evaluated as Python.
"""

from __future__ import annotations

import math
import random

from autograd import OpError, gradcheck, parse
from autograd.gradcheck import StepRoundsAwayError
from chainrule.common import (
    CommandError,
    capped_list,
    finite_float,
    float_between,
    int_between,
    non_negative_float,
    one_line,
    parse_bindings,
    positive_float,
)

__all__ = ["add_arguments", "run", "read_assignments"]

# Tries per random point before giving up on finding one inside the domain.
MAX_TRIES = 1000
MAX_POINTS = 100_000


def add_arguments(parser) -> None:
    parser.epilog = ("exit status: 0 when backward() matches finite differences (inputs "
                     "on a kink are reported, not failed), 1 on a mismatch, 2 on bad input. "
                     'An expression may start with "-": chainrule gradcheck "-x*y" x=1 y=2')
    parser.add_argument("expression", metavar="EXPR",
                        help='an expression such as "tanh(x*w + b)" (quote it for the shell)')
    parser.add_argument("assignments", metavar="NAME=VALUE", nargs="*",
                        help="a value for each variable, e.g. x=0.5 w=-1.5")
    parser.add_argument("--random", metavar="N", type=int_between(0, MAX_POINTS), default=0,
                        help="check at N random points in the domain instead (variables "
                             "given as NAME=VALUE stay fixed)")
    parser.add_argument("--seed", type=int_between(0, 2**63 - 1), default=0,
                        help="seed for --random (default: 0)")
    parser.add_argument("--range", nargs=2, type=finite_float, metavar=("LOW", "HIGH"),
                        default=(-3.0, 3.0),
                        help="interval random values are drawn from (default: -3 3)")
    parser.add_argument("--eps", type=float_between(0.0, 1.0, low_inclusive=False),
                        default=1e-6, help="finite-difference step (default: 1e-6)")
    # > 0: finite differences are never exact, and a zero gradient has no relative error
    parser.add_argument("--atol", type=positive_float, default=1e-5,
                        help="absolute tolerance, > 0 (default: 1e-5)")
    parser.add_argument("--rtol", type=non_negative_float, default=1e-3,
                        help="relative tolerance (default: 1e-3)")


def read_assignments(assignments, variables) -> dict[str, float]:
    """``["x=0.5", "w=-1"]`` -> ``{"x": 0.5, "w": -1.0}``, checked against ``variables``.

    >>> read_assignments(["x=0.5", "w=-1"], ("x", "w"))
    {'x': 0.5, 'w': -1.0}
    """
    values = parse_bindings(assignments)
    for name in values:
        if name not in variables:
            uses = capped_list(variables) if variables else "no variables"
            raise CommandError(f"{name} is not in the expression, which uses {uses}; "
                               "check the spelling")
    return values

def run(args) -> int:
    expression = parse(args.expression)
    variables = expression.variables
    if not variables:
        raise CommandError(f"{args.expression!r} has no variables, so there is no gradient to "
                           "check; write one with a variable, e.g. tanh(x)")
    fixed = read_assignments(args.assignments, variables)
    low, high = args.range
    if not (low < high and math.isfinite(high - low)):
        raise CommandError(f"--range {low:g} {high:g}: give two finite numbers LOW < HIGH "
                           "less than 1e308 apart")

    def f(**leaves):
        return expression.build(leaves)

    def check(point):
        """The result and its table; any library error is one line naming the point."""
        try:
            result = gradcheck(f, point, eps=args.eps, atol=args.atol, rtol=args.rtol,
                               name=expression.text)
            return result, str(result)
        except (ArithmeticError, ValueError) as error:
            # e.g. a step that rounds away next to a huge input: the library says why
            where = one_line(", ".join(f"{n}={v:.6g}" for n, v in point.items()), 200)
            hint = ("; the finite-difference step rounds away at this size: use a larger "
                    "--eps or smaller inputs"
                    if isinstance(error, (ZeroDivisionError, StepRoundsAwayError)) else "")
            raise CommandError(f"cannot check at {where} with --eps {args.eps:g}: "
                               f"{error}{hint}") from None

    if not args.random:
        missing = [v for v in variables if v not in fixed]
        if missing:
            example = " ".join(f"{v}=0.5" for v in missing)
            raise CommandError(f"no value for {capped_list(missing)}; give each variable "
                               f"a number, e.g. {one_line(example, 80)}, or use --random N")
        result, table = check({v: fixed[v] for v in variables})
        print(table)
        return 0 if result.passed else 1

    rng = random.Random(args.seed)
    counts = {"passed": 0, "not differentiable": 0, "failed": 0}
    for index in range(1, args.random + 1):
        point = _random_point(expression, variables, fixed, rng, low, high)
        if point is None:
            raise CommandError(f"found no point inside the domain of {expression.text!r} in "
                               f"{MAX_TRIES} tries over [{low:g}, {high:g}]; "
                               "choose another --range or fix some variables")
        result, table = check(point)
        counts[result.status] += 1
        where = ", ".join(f"{n}={v:.6g}" for n, v in point.items())
        print(f"point {index}: {where}: {result.status}")
        if result.status != "passed":
            print("    " + table.replace("\n", "\n    "))
    print(f"checked {expression.text!r} at {args.random} random points (seed {args.seed}): "
          f"{counts['passed']} passed, {counts['not differentiable']} not differentiable, "
          f"{counts['failed']} failed")
    return 1 if counts["failed"] else 0


def _random_point(expression, variables, fixed, rng, low, high):
    """A point where the expression can be evaluated, or None after MAX_TRIES draws."""
    for _ in range(MAX_TRIES):
        point = {v: fixed[v] if v in fixed else rng.uniform(low, high) for v in variables}
        try:
            expression.build(point)
        except OpError:
            continue
        return point
    return None
