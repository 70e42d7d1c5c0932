"""Numerical gradient checks: is ``backward()`` right for *this* function at *this* point?

:func:`gradcheck` builds ``f`` at the inputs, runs ``backward()`` and compares every
input's gradient with a central finite difference, the way
``torch.autograd.gradcheck`` and JAX's ``check_grads`` do:

>>> from autograd import gradcheck
>>> result = gradcheck(lambda x, w: (x * w).tanh(), [0.5, -1.5])
>>> bool(result), result.status
(True, 'passed')
>>> print(result)
gradcheck of <lambda> at x=0.5, w=-1.5  (eps=1e-06, atol=1e-05, rtol=0.001)
input  value  analytic (backward)  numeric (central)  abs error  rel error  status
x      0.5    -0.8948787124        -0.8948787124      1.32e-11   1.48e-11   ok
w      -1.5   0.2982929041         0.2982929041       1.66e-11   5.56e-11   ok
worst input: w (abs error 1.66e-11, rel error 5.56e-11)
PASSED: all 2 inputs match

It is honest at points where ``f`` has no derivative (``relu`` at 0, ``abs`` at 0,
the edge of a domain): there the slopes from the left and from the right disagree,
so the input is reported as *not differentiable here* -- neither failed nor passed:

>>> result = gradcheck(lambda x: x.relu(), [0.0])
>>> bool(result), result.status, result.not_differentiable[0].name
(True, 'not differentiable', 'x')

A wrong derivative makes the result falsy (and ``raise_exception=True`` raises
:class:`GradcheckError` with the table in its message).

:func:`graph_function` turns a graph that is already built (a parsed expression, an
MLP's output) back into a function of chosen leaves, so it can be checked too.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Callable, NamedTuple, Optional, Sequence, Union

from .functional import grad
from .graph import topological_order
from .ops import OPS, OpError
from .value import Value

__all__ = ["gradcheck", "gradgradcheck", "GradcheckResult", "InputCheck", "GradcheckError",
           "StepRoundsAwayError", "graph_function"]

Number = Union[int, float]
Inputs = Union[Sequence[Union[Number, Value]], Mapping[str, Union[Number, Value]]]

OK = "ok"
MISMATCH = "MISMATCH"
NOT_DIFFERENTIABLE = "not differentiable here"

# Each finite-difference step is tried at eps, eps/10 and eps/100: a smooth function's
# left and right slopes converge as the step shrinks; at a kink they never do.
_STEP_DIVISORS = (1.0, 10.0, 100.0)


class GradcheckError(AssertionError):
    """``backward()`` disagrees with finite differences; ``.result`` holds the details."""

    def __init__(self, result: "GradcheckResult"):
        super().__init__(f"gradient check failed\n{result.table()}")
        self.result = result


class StepRoundsAwayError(ValueError):
    """The finite-difference step vanishes next to an input (x + eps == x): a huge
    input or a tiny ``eps``.  Nothing can be measured; the message says what to change."""


@dataclass(frozen=True)
class InputCheck:
    """The check of one input: both gradients, their errors and a verdict.

    ``status`` is ``"ok"``, ``"MISMATCH"`` or ``"not differentiable here"``; for the
    last, ``numeric`` and the errors are NaN and ``note`` says why (``left`` and
    ``right`` are the one-sided slopes, when they exist).
    """

    name: str
    value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    status: str
    step: float
    left: Optional[float] = None
    right: Optional[float] = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class GradcheckResult:
    """What :func:`gradcheck` found.  Truthy unless some input's gradient is wrong.

    ``status`` is ``"passed"``, ``"failed"`` (at least one mismatch) or
    ``"not differentiable"`` (no mismatch, but some input sits on a kink or a domain
    edge, so its gradient could not be checked).  ``str(result)`` is a table.
    """

    function: str
    output: float
    inputs: tuple[InputCheck, ...]
    eps: float
    atol: float
    rtol: float
    backward_error: str = ""
    kind: str = "gradcheck"   # or "gradgradcheck": the title of the table
    point: tuple = ()         # ((name, value), ...) when rows are not one per input

    @property
    def mismatches(self) -> list[InputCheck]:
        return [c for c in self.inputs if c.status == MISMATCH]

    @property
    def not_differentiable(self) -> list[InputCheck]:
        return [c for c in self.inputs if c.status == NOT_DIFFERENTIABLE]

    @property
    def passed(self) -> bool:
        """No gradient mismatched (inputs on a kink count as unchecked, not failed)."""
        return not self.mismatches

    @property
    def status(self) -> str:
        if self.mismatches:
            return "failed"
        if self.not_differentiable:
            return "not differentiable"
        return "passed"

    @property
    def worst(self) -> Optional[InputCheck]:
        """The checked input whose error is largest relative to its tolerance."""
        checked = [c for c in self.inputs if c.status != NOT_DIFFERENTIABLE]
        if not checked:
            return None
        return max(checked, key=lambda c: c.abs_error / (self.atol + self.rtol * abs(c.numeric)))

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> InputCheck:
        """The check of the input called ``name``: ``result["x"].analytic``."""
        for check in self.inputs:
            if check.name == name:
                return check
        raise KeyError(f"no input named {name!r}; the inputs are "
                       f"{', '.join(c.name for c in self.inputs)}")

    def table(self) -> str:
        """The report: one row per input, the worst input and a verdict."""
        at = self.point or tuple((c.name, c.value) for c in self.inputs)
        point = ", ".join(f"{name}={_number(value)}" for name, value in at)
        lines = [f"{self.kind} of {self.function} at {point}  "
                 f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"]
        header = ("input", "value", "analytic (backward)", "numeric (central)",
                  "abs error", "rel error", "status")
        rows = [header] + [_row(c) for c in self.inputs]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if self.backward_error:
            lines.append(f"backward() failed: {self.backward_error}")
        for check in self.inputs:
            if check.note:
                lines.append(f"  {check.name}: {check.note}")
        worst = self.worst
        if worst is not None:
            lines.append(f"worst input: {worst.name} (abs error {worst.abs_error:.2e}, "
                         f"rel error {worst.rel_error:.2e})")
        lines.append(self._verdict())
        return "\n".join(lines)

    def _verdict(self) -> str:
        n = len(self.inputs)
        bad = self.mismatches
        kinks = self.not_differentiable
        if bad:
            names = ", ".join(c.name for c in bad)
            return (f"FAILED: {len(bad)} of {n} inputs mismatch ({names}); "
                    "check the derivative rule of the ops they flow through")
        if kinks:
            names = ", ".join(c.name for c in kinks)
            checked = n - len(kinks)
            rest = (f"the other {checked} of {n} inputs match" if checked
                    else "nothing could be checked")
            return (f"NOT DIFFERENTIABLE here for {names} ({rest}); "
                    "check a nearby point to test that gradient")
        return f"PASSED: all {n} inputs match" if n > 1 else "PASSED: the input matches"

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        worst = self.worst
        tail = f", worst={worst.name!r}" if worst is not None else ""
        return f"<GradcheckResult {self.status} for {len(self.inputs)} inputs{tail}>"


def _number(x: float) -> str:
    return f"{x:.10g}"


def _error(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.2e}"


def _row(c: InputCheck) -> tuple[str, ...]:
    numeric = "-" if math.isnan(c.numeric) else _number(c.numeric)
    analytic = "-" if math.isnan(c.analytic) else _number(c.analytic)
    return (c.name, _number(c.value), analytic, numeric, _error(c.abs_error),
            _error(c.rel_error), c.status)


# --- the check ---------------------------------------------------------------------


def gradcheck(
    f: Callable[..., Value],
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = False,
    name: Optional[str] = None,
) -> GradcheckResult:
    """Compare ``backward()``'s gradient of ``f`` at ``inputs`` with central differences.

    ``f`` takes Values and returns a Value.  ``inputs`` is a list of numbers (or
    Values, whose labels name them), passed to ``f`` positionally, or a mapping
    ``{name: number}`` passed as keywords.  An input's gradient matches when
    ``|analytic - numeric| <= atol + rtol * |numeric|``; ``numeric`` is
    ``(f(x + h) - f(x - h)) / 2h`` with ``h = eps`` (smaller when a kink or strong
    curvature lies within ``eps``).  Inputs where the one-sided slopes disagree for
    every step are reported as not differentiable.

    >>> r = gradcheck(lambda x: x ** 3, {"x": 2.0})
    >>> r["x"].analytic, round(r["x"].numeric, 6), r.passed
    (12.0, 12.0, True)
    """
    _check_tolerances(eps, atol, rtol)
    names, point, by_keyword = _read_inputs(f, inputs)
    label = name or getattr(f, "__name__", None) or type(f).__name__
    evaluate = _evaluator(f, names, by_keyword, label)
    out, leaves = _evaluate_at_point(evaluate, names, point, label, "gradcheck")
    backward_error = ""
    try:
        out.backward()
        analytic = [leaf.grad for leaf in leaves]
    except OpError as error:  # an op's derivative is infinite here
        backward_error = str(error)
        analytic = [math.nan] * len(leaves)

    def value_at(values: Sequence[float]) -> float:
        return evaluate(values)[0].data

    f0 = out.data
    checks = tuple(
        _check_input(value_at, point, i, names[i], f0, analytic[i], eps, atol, rtol,
                     backward_error)
        for i in range(len(point))
    )
    result = GradcheckResult(label, f0, checks, eps, atol, rtol, backward_error)
    if raise_exception and not result.passed:
        raise GradcheckError(result)
    return result


def _evaluator(f, names, by_keyword, label) -> Callable[[Sequence[float]], tuple]:
    """``values -> (f's output Value, the input leaves)``, with a clear TypeError."""
    def evaluate(values: Sequence[float]) -> tuple[Value, list[Value]]:
        leaves = [Value(v, n) for n, v in zip(names, values)]
        out = f(**dict(zip(names, leaves))) if by_keyword else f(*leaves)
        if not isinstance(out, Value):
            raise TypeError(f"gradcheck: {label} returned {type(out).__name__} "
                            f"{out!r:.40}, not a Value; f must build its result from the Values "
                            "it is given (e.g. return (x * y).tanh(), not a float)")
        return out, leaves
    return evaluate


def _evaluate_at_point(evaluate, names, point, label, who) -> tuple[Value, list[Value]]:
    try:
        return evaluate(point)
    except OpError as error:
        at = ", ".join(f"{n}={_number(v)}" for n, v in zip(names, point))
        raise type(error)(f"{who}: {label} cannot be evaluated at {at}: {error}") from error


def _check_tolerances(eps: float, atol: float, rtol: float) -> None:
    # True is an int to Python, but never a step size; a step of 1 or more measures a
    # secant, not a derivative, and 1e300 overflowed into a "failed" verdict
    if isinstance(eps, bool) or not (isinstance(eps, Real) and math.isfinite(eps)
                                     and 0 < eps < 1):
        raise ValueError(f"gradcheck: eps={eps!r} must be a small positive number below 1, "
                         "e.g. 1e-6")
    for what, tol in (("atol", atol), ("rtol", rtol)):
        if isinstance(tol, bool) or not (isinstance(tol, Real) and math.isfinite(tol)
                                         and tol >= 0):
            raise ValueError(f"gradcheck: {what}={tol!r} must be a number >= 0, e.g. 1e-5")


def _read_inputs(f, inputs) -> tuple[list[str], list[float], bool]:
    """Names and float values of the inputs, and whether ``f`` takes them as keywords."""
    if isinstance(inputs, Mapping):
        items = list(inputs.items())
        by_keyword = True
    elif isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"gradcheck: inputs {inputs!r:.40} should be a list of numbers such as "
                        "[0.5, -1.0], or a dict such as {'x': 0.5}")
    else:
        values = list(inputs)
        names = _default_names(f, values)
        items = list(zip(names, values))
        by_keyword = False
    if not items:
        raise ValueError("gradcheck: no inputs; give at least one point, e.g. [0.5]")
    names, point = [], []
    for name, raw in items:
        value = raw.data if isinstance(raw, Value) else raw
        if not isinstance(value, Real) or isinstance(value, bool):
            raise TypeError(f"gradcheck: input {name} = {raw!r:.40} is not a number; "
                            "give an int or a float (convert text with float(...))")
        try:
            value = float(value)
        except OverflowError:  # an int or a Fraction beyond a float: 10**400
            raise ValueError(f"gradcheck: input {name} = {raw!r:.40} is too large for a float "
                             "(the largest is about 1.8e308); scale it down") from None
        if not math.isfinite(value):
            raise ValueError(f"gradcheck: input {name} = {value} is not finite; "
                             "check the gradient at a finite point")
        names.append(str(name))
        point.append(value)
    if len(set(names)) != len(names):
        raise ValueError(f"gradcheck: input names {names} repeat; label the Values apart")
    return names, point, by_keyword


def _default_names(f, values) -> list[str]:
    """Labels of Value inputs, else ``f``'s parameter names, else x0, x1, ..."""
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = []
    for i, v in enumerate(values):
        if isinstance(v, Value) and v.label:
            names.append(v.label)
        elif len(params) == len(values):
            names.append(params[i])
        else:
            names.append(f"x{i}")
    if len(set(names)) != len(names):
        names = [f"x{i}" for i in range(len(values))]
    return names


class _Slope(NamedTuple):
    """What the finite differences found at one input: the central slope (NaN if the
    two sides never agreed), the last step tried, the one-sided slopes, and the side
    on which f was undefined ("" if neither)."""

    numeric: float
    step: float
    left: Optional[float]
    right: Optional[float]
    undefined_side: str


def _check_input(value_at, point, i, name, f0, analytic, eps, atol, rtol, backward_error):
    x = point[i]

    def at(shifted: float) -> float:
        moved = list(point)
        moved[i] = shifted
        return value_at(moved)

    slope = _measured_slope(at, x, name, f0, eps, atol, rtol)
    if backward_error:
        return InputCheck(name, x, analytic, math.nan, math.nan, math.nan, NOT_DIFFERENTIABLE,
                          slope.step, slope.left, slope.right,
                          "backward() found an infinite local derivative (see above)")
    if math.isnan(slope.numeric):
        return _no_slope(name, x, analytic, slope)
    return _compared(at, name, x, f0, analytic, slope, atol, rtol)


def _measured_slope(at, x: float, name: str, f0: float, eps: float, atol: float,
                    rtol: float) -> _Slope:
    """Central differences at steps eps, eps/10, ... until the two sides agree."""
    first_gap = None
    tried_step = eps
    left = right = None
    undefined_side = ""
    numeric = math.nan
    for divisor in _STEP_DIVISORS:
        h = eps / divisor
        x_plus, x_minus = x + h, x - h
        if x_plus == x or x_minus == x:
            if divisor == _STEP_DIVISORS[0]:
                raise StepRoundsAwayError(
                    f"gradcheck: the finite-difference step {h:g} vanishes next to input "
                    f"{name} = {_number(x)} (x + step rounds back to x in floating point), so "
                    f"no slope can be measured there; use a larger eps (about "
                    f"{max(abs(x), 1.0) * 1e-7:.1g}) or rescale the input")
            break  # a smaller step would round away too: keep what the larger ones found
        tried_step = h
        try:
            f_minus = at(x_minus)
        except OpError:
            f_minus, undefined_side = None, "left"
        try:
            f_plus = at(x_plus)
        except OpError:
            f_plus, undefined_side = None, "right"
        # Divide by the step that was really taken: x + h rounds when |x| >> h.
        left = (f0 - f_minus) / (x - x_minus) if f_minus is not None else None
        right = (f_plus - f0) / (x_plus - x) if f_plus is not None else None
        if left is None or right is None:
            continue  # maybe a smaller step stays inside the domain
        undefined_side = ""
        gap = abs(right - left)
        noise = _rounding_noise(f0, f_plus, f_minus, h)
        if gap <= atol + rtol * max(abs(left), abs(right)) + 2 * noise:
            numeric = (f_plus - f_minus) / (x_plus - x_minus)
            break
        if first_gap is None:
            first_gap = gap
        elif divisor == _STEP_DIVISORS[-1] and gap <= first_gap / 10:
            # The gap shrank with the step: curvature, not a kink.
            numeric = (f_plus - f_minus) / (x_plus - x_minus)
    return _Slope(numeric, tried_step, left, right, undefined_side)


def _no_slope(name: str, x: float, analytic: float, slope: _Slope) -> InputCheck:
    """The verdict where the two sides never agreed: the domain's edge, or a kink."""
    if slope.undefined_side:
        note = (f"f is undefined on the {slope.undefined_side} of {name}={_number(x)} even "
                f"{slope.step:g} away: the point is on the edge of f's domain")
    else:
        note = (f"slopes from the left ({_number(slope.left)}) and the right "
                f"({_number(slope.right)}) disagree down to a step of {slope.step:g}: a "
                f"kink; backward() gives {_number(analytic)}")
    return InputCheck(name, x, analytic, math.nan, math.nan, math.nan, NOT_DIFFERENTIABLE,
                      slope.step, slope.left, slope.right, note)


def _compared(at, name: str, x: float, f0: float, analytic: float, slope: _Slope,
              atol: float, rtol: float) -> InputCheck:
    """The verdict where a slope was measured: backward()'s value against it."""
    numeric, tried_step = slope.numeric, slope.step
    abs_error = abs(analytic - numeric)
    if numeric != 0:
        rel_error = abs_error / abs(numeric)
    else:
        rel_error = 0.0 if abs_error == 0 else math.inf
    status = OK if abs_error <= atol + rtol * abs(numeric) else MISMATCH
    if status == MISMATCH:
        jump = _jump_note(at, x, name, numeric, tried_step)
        if jump:  # f jumps at x (a tie of max, a kink of the first derivative): no verdict
            return InputCheck(name, x, analytic, math.nan, math.nan, math.nan,
                              NOT_DIFFERENTIABLE, tried_step, slope.left, slope.right, jump)
    note = ""
    if status == MISMATCH:
        note = (f"backward() gives {_number(analytic)} but f changes at a rate of "
                f"{_number(numeric)} (step {tried_step:g})")
        noise = _rounding_noise(f0, f0, f0, tried_step) / 2
        if abs_error <= noise:
            note += (f"; but |f| = {abs(f0):.3g} makes the finite difference's rounding "
                     f"error about {noise:.2g}, so try a larger eps or rescale f")
    return InputCheck(name, x, analytic, numeric, abs_error, rel_error, status, tried_step,
                      slope.left, slope.right, note)


def _jump_note(at, x: float, name: str, numeric: float, step: float) -> str:
    """A note when f jumps at x, else "".

    Slopes from the two sides agree at a jump too (both are about jump / (2 step)), so
    the kink test above cannot see it: gradgradcheck's f is a first derivative, which
    jumps wherever the function has a kink or a tie (max(x, y) * x at x = y).  A jump
    shows as a rate that grows as the step shrinks; a wrong derivative rule does not
    move with the step.  Run only for a would-be MISMATCH, so a passing check costs
    nothing more.
    """
    small = step / 8
    x_plus, x_minus = x + small, x - small
    if x_plus == x or x_minus == x:
        return ""
    try:
        rate = (at(x_plus) - at(x_minus)) / (x_plus - x_minus)
    except OpError:
        return ""
    if abs(rate) <= 4 * abs(numeric):
        return ""
    return (f"f jumps here (input {_number(x)}): its rate of change grows as the step shrinks "
            f"({_number(numeric)} at step {step:g}, {_number(rate)} at {small:g}), as at a "
            "tie or a kink of the first derivative, so it has no derivative there")


def _rounding_noise(f0: float, f_plus: float, f_minus: float, h: float) -> float:
    """How far a one-sided difference can be off from rounding f's values alone."""
    scale = max(abs(f0), abs(f_plus), abs(f_minus))
    return 4 * 2.220446049250313e-16 * scale / h


# --- second derivatives ------------------------------------------------------------


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = False,
    name: Optional[str] = None,
) -> GradcheckResult:
    """Compare second derivatives of ``f`` with central differences of its gradient.

    The same call, result and table as :func:`gradcheck`, one row per pair
    ``d/dxi (df/dxj)``: the analytic side differentiates the gradient graph
    (``autograd.grad(..., create_graph=True)``) again; the numeric side is a central
    difference of the first derivative.  Where the first derivative has a kink the
    row says "not differentiable here".

    >>> r = gradgradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
    >>> r.status, [c.name for c in r.inputs][:2]
    ('passed', ['d/dx (df/dx)', 'd/dy (df/dx)'])
    """
    _check_tolerances(eps, atol, rtol)
    names, point, by_keyword = _read_inputs(f, inputs)
    label = name or getattr(f, "__name__", None) or type(f).__name__
    evaluate = _evaluator(f, names, by_keyword, label)
    out, leaves = _evaluate_at_point(evaluate, names, point, label, "gradgradcheck")
    n = len(leaves)
    backward_error = ""
    try:
        firsts = grad(out, leaves, create_graph=True, allow_unused=True)
        analytic = [[h.data for h in grad(g, leaves, allow_unused=True)] for g in firsts]
    except OpError as error:  # a first or second derivative is infinite here
        backward_error = str(error)
        firsts = None  # no first derivative to show (a Value cannot hold the NaN)
        analytic = [[math.nan] * n for _ in range(n)]

    def first_derivative(j: int) -> Callable[[Sequence[float]], float]:
        def value_at(values: Sequence[float]) -> float:
            shifted_out, shifted_leaves = evaluate(values)
            return grad(shifted_out, shifted_leaves, allow_unused=True)[j].data
        return value_at

    checks = tuple(
        _check_input(first_derivative(j), point, i, f"d/d{names[i]} (df/d{names[j]})",
                     math.nan if firsts is None else firsts[j].data, analytic[j][i], eps,
                     atol, rtol, backward_error)
        for j in range(n) for i in range(n))
    result = GradcheckResult(label, out.data, checks, eps, atol, rtol, backward_error,
                             kind="gradgradcheck", point=tuple(zip(names, point)))
    if raise_exception and not result.passed:
        raise GradcheckError(result)
    return result


# --- checking a graph that is already built ----------------------------------------


def graph_function(root: Value, leaves: Sequence[Value]) -> Callable[..., Value]:
    """A function that rebuilds ``root``'s graph with ``leaves`` replaced by its arguments.

    Every other leaf is kept as a constant (copied, so its ``grad`` is never touched).
    Each inner node is rebuilt from the op table by name, so any registered op works.

    >>> x = Value(2.0, "x"); y = Value(3.0, "y")
    >>> f = graph_function((x * y + x).tanh(), [x, y])
    >>> gradcheck(f, [x, y]).passed
    True
    """
    order = topological_order(root)
    positions = {id(leaf): index for index, leaf in enumerate(leaves)}
    for node in order:
        if node._prev and node._op not in OPS:
            raise ValueError(f"graph_function: node {node!r} was made by op {node._op!r}, "
                             "which is not in the ops table; register it with register_op")

    def rebuilt(*values: Value) -> Value:
        if len(values) != len(leaves):
            raise TypeError(f"graph_function: expected {len(leaves)} Values "
                            f"({', '.join(v.label or '?' for v in leaves)}), got {len(values)}")
        new = {}
        for node in order:
            index = positions.get(id(node))
            if index is not None:
                value = values[index]
                new[id(node)] = value if isinstance(value, Value) else Value(value)
            elif not node._prev:
                new[id(node)] = Value(node.data, node.label)
            else:
                parents = tuple(new[id(p)] for p in node._prev)
                new[id(node)] = parents[0]._apply(node._op, parents)
        return new[id(root)]

    rebuilt.__name__ = root.label or "graph"
    return rebuilt
