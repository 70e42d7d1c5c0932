"""Hypothesis strategies for property-testing gradients (this module imports hypothesis).

Property-test your own function's gradient in five lines::

    from hypothesis import given
    from autograd import gradcheck, strategies as s

    @given(s.scalars(-3, 3), s.scalars(-3, 3))
    def test_my_function_gradient(x, y):
        assert gradcheck(lambda x, y: (x * y).tanh() + (x - y) ** 2, [x, y])

``gradcheck`` is truthy unless a gradient mismatches, and its table is the failure
message.  The strategies read the op table (:data:`autograd.OPS`) when they draw, so
an op added with ``register_op`` is covered with no change here:

* :func:`scalars` -- finite floats, with whole numbers (0, 1, -2 ...) drawn often,
  because that is where special cases live.
* :func:`op_inputs` -- operand tuples inside one op's domain, found through the op's
  own ``check`` and derivative rules.
* :func:`expressions` -- random computation graphs over the table, with shared
  subexpressions, paired with a point where every op is defined and smooth.
* ``mlps`` -- random :class:`nn.MLP` networks: now :func:`nn.strategies.mlps` (this old
  name still works once ``nn`` is imported).

>>> from hypothesis import given
>>> from autograd import gradcheck
>>> @given(expressions(max_depth=3))
... def test_backward(case):
...     expression, point = case
...     assert gradcheck(expression, point)
>>> test_backward()
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

from hypothesis import assume
from hypothesis import strategies as st

from .graph import topological_order
from .notation import number_literal
from .ops import OPS, SCALAR_MATH, Op
from .value import Value

__all__ = [
    "scalars",
    "op_inputs",
    "is_smooth_at",
    "smooth_graph",
    "expressions",
    "ExpressionGraph",
]

# Relative distance from a point that must stay inside the op's domain (so finite
# differences with gradcheck's default step never leave it), and the tiny shift used
# to see whether a derivative jumps (a kink, such as relu's at 0).
DOMAIN_MARGIN = 1e-3
KINK_PROBE = 1e-9


def scalars(min_value: float = -3.0, max_value: float = 3.0) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]``; whole numbers come up often.

    >>> from hypothesis import find
    >>> find(scalars(-3, 3), lambda x: x < -2.5)
    -3.0
    """
    if not (math.isfinite(min_value) and math.isfinite(max_value) and min_value <= max_value):
        raise ValueError(f"scalars({min_value!r}, {max_value!r}): give finite bounds with "
                         "min_value <= max_value, e.g. scalars(-3, 3)")
    floats = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    low, high = math.ceil(min_value), math.floor(max_value)
    if low > high:
        return floats
    return st.one_of(st.integers(low, high).map(float), floats)


def _op(op: Union[str, Op]) -> Op:
    if isinstance(op, Op):
        return op
    try:
        return OPS[op]
    except KeyError:
        raise KeyError(f"no op named {op!r}; the ops table has {', '.join(sorted(OPS))}") from None


def _rule_values(op: Op, xs: Sequence[float]) -> Optional[tuple[float, list]]:
    """``op``'s output and local derivatives at ``xs``, or None where it is undefined."""
    if not op.accepts(*xs):
        return None
    try:
        out = float(op.forward(SCALAR_MATH, *xs))
        derivatives = [None if rule is None else float(rule(SCALAR_MATH, out, *xs))
                       for rule in op.derivatives]
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not math.isfinite(out) or any(d is not None and not math.isfinite(d) for d in derivatives):
        return None
    return out, derivatives


def is_smooth_at(op: Union[str, Op], operands: Sequence[float], *,
                 margin: float = DOMAIN_MARGIN, max_magnitude: float = math.inf) -> bool:
    """True where ``op`` is defined, differentiable and away from its domain's edge.

    Read from the table alone: the ``check`` must pass at the operands and a relative
    ``margin`` either side of each differentiable operand, and each local derivative
    must not jump across the operand (relu's does at 0).

    >>> is_smooth_at("log", [2.0]), is_smooth_at("log", [1e-9]), is_smooth_at("relu", [0.0])
    (True, False, False)
    """
    op = _op(op)
    here = _rule_values(op, operands)
    if here is None:
        return False
    out, derivatives = here
    if abs(out) > max_magnitude or any(d is not None and abs(d) > max_magnitude
                                       for d in derivatives):
        return False
    for i, rule in enumerate(op.derivatives):
        if rule is None:
            continue
        scale = max(1.0, abs(operands[i]))
        for sign in (-1.0, 1.0):
            edge = list(operands)
            edge[i] += sign * margin * scale
            if not op.accepts(*edge):
                return False
            near = list(operands)
            near[i] += sign * KINK_PROBE * scale
            there = _rule_values(op, near)
            if there is None:
                return False
            for d_here, d_there in zip(derivatives, there[1]):
                if d_here is not None and abs(d_there - d_here) > 1e-6 + 1e-4 * abs(d_here):
                    return False
    return True


def op_inputs(op: Union[str, Op], *, min_value: float = -3.0, max_value: float = 3.0,
              smooth: bool = True,
              max_magnitude: float = 1e6) -> st.SearchStrategy[tuple[float, ...]]:
    """Operand tuples for ``op`` inside its domain, as judged by the op's own ``check``.

    With ``smooth=True`` the op is also differentiable there, with room for finite
    differences (see :func:`is_smooth_at`); ``smooth=False`` allows every point of the
    domain, kinks and edges included.  Works for any registered op.

    >>> from hypothesis import find
    >>> find(op_inputs("log"), lambda xs: True)[0] > 0
    True
    """
    op = _op(op)

    def usable(xs: tuple) -> bool:
        if smooth:
            return is_smooth_at(op, xs, max_magnitude=max_magnitude)
        here = _rule_values(op, xs)
        return here is not None and abs(here[0]) <= max_magnitude

    def nudge_into_domain(xs: tuple) -> tuple:
        # Many domains are "positive" (log, a base): mirroring keeps the draw useful
        # instead of throwing half of them away.
        if usable(xs):
            return xs
        return tuple(abs(x) for x in xs)

    operand = scalars(min_value, max_value)
    return (st.tuples(*([operand] * op.arity))
            .map(nudge_into_domain)
            .filter(usable))


# --- random expression graphs ------------------------------------------------------

_VARIABLE_NAMES = ("x", "y", "z", "u", "v", "w")


@dataclass(frozen=True)
class ExpressionGraph:
    """A computation graph as a straight-line program over the op table.

    ``steps[k] = (op_name, operands)``; an operand is ``("var", i)``,
    ``("node", j)`` (the result of step ``j``, so steps can share it) or
    ``("const", c)``.  The last step is the output.  Calling the expression with
    Values builds the graph:

    >>> e = ExpressionGraph(("x",), (("mul", (("var", 0), ("var", 0))), ("tanh", (("node", 0),))))
    >>> print(e)
    t0 = x*x
    t1 = tanh(t0)
    >>> e.formula()
    'tanh(x*x)'
    >>> round(e(Value(0.5)).data, 6)
    0.244919
    """

    variables: tuple[str, ...]
    steps: tuple[tuple[str, tuple[tuple[str, object], ...]], ...]
    depths: tuple[int, ...] = field(default=(), compare=False)

    def fold(self, apply: Callable, values: Sequence, constant: Callable = float):
        """Run the program with ``apply(op_name, operands)``: floats, mpmath, torch ..."""
        results: list = []
        for name, operands in self.steps:
            args = []
            for kind, ref in operands:
                if kind == "var":
                    args.append(values[ref])
                elif kind == "node":
                    args.append(results[ref])
                else:
                    args.append(constant(ref))
            results.append(apply(name, tuple(args)))
        return results[-1]

    def __call__(self, *values: Union[Value, float]) -> Value:
        if len(values) != len(self.variables):
            raise TypeError(f"{self.formula()} takes {len(self.variables)} values "
                            f"({', '.join(self.variables)}), got {len(values)}")
        leaves = [v if isinstance(v, Value) else Value(v, n)
                  for v, n in zip(values, self.variables)]
        return self.fold(lambda name, args: args[0]._apply(name, args), leaves, Value)

    @property
    def __name__(self) -> str:  # gradcheck's table names the function ...
        return self.formula()

    @property
    def __signature__(self) -> inspect.Signature:  # ... and its inputs x, y, z
        return inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY)
                                  for name in self.variables])

    @property
    def ops_used(self) -> frozenset:
        return frozenset(name for name, _ in self.steps)

    def shared_nodes(self) -> list[int]:
        """Steps whose result is used more than once: the graph is a DAG, not a tree."""
        uses = [0] * len(self.steps)
        for _, operands in self.steps:
            for kind, ref in operands:
                if kind == "node":
                    uses[ref] += 1
        return [k for k, n in enumerate(uses) if n > 1]

    def _text(self, kind, ref, names) -> str:
        if kind == "var":
            return self.variables[ref]
        if kind == "node":
            return names[ref]
        return number_literal(ref)

    def __str__(self) -> str:
        names = [f"t{k}" for k in range(len(self.steps))]
        lines = []
        for k, (name, operands) in enumerate(self.steps):
            parts = [self._text(kind, ref, names) for kind, ref in operands]
            lines.append(f"{names[k]} = {OPS[name].describe(*parts) if name in OPS else name}")
        return "\n".join(lines)

    def formula(self) -> str:
        """The output as one formula (shared subexpressions written out each time).

        :mod:`autograd.notation` writes it, from the table's precedences, so
        :func:`autograd.parse` reads the formula back as the same graph.
        """
        texts: list[str] = []
        for name, operands in self.steps:
            parts = [self._text(kind, ref, texts) for kind, ref in operands]
            op = OPS.get(name)
            texts.append(op.describe(*parts) if op is not None
                         else f"{name}({', '.join(parts)})")
        return texts[-1]

    def __repr__(self) -> str:
        return f"ExpressionGraph({self.formula()!r}, variables={self.variables})"


@st.composite
def expressions(draw, *, max_depth: int = 4, max_variables: int = 3, max_ops: int = 8,
                ops: Optional[Sequence[str]] = None, min_value: float = -3.0,
                max_value: float = 3.0, max_magnitude: float = 1e3,
                ) -> tuple[ExpressionGraph, tuple[float, ...]]:
    """``(expression, point)`` pairs: a random graph over the op table and its inputs.

    The graph has 1..``max_variables`` variables and 1..``max_ops`` steps, no path
    longer than ``max_depth`` ops, and operands drawn from every earlier step, so
    subexpressions are shared.  Each op is drawn from ``ops`` (default: every op
    registered when the example is drawn).  The output depends on at least one
    variable, and every op is smooth at the point
    (:func:`is_smooth_at`) and no value exceeds ``max_magnitude``, so central
    differences are meaningful.  Operands an op does not differentiate (the ``n`` in
    ``x ** n``) are constants.

    >>> from hypothesis import find
    >>> e, point = find(expressions(), lambda case: "log" in case[0].ops_used)
    >>> e.formula(), point
    ('log(x)', (1.0,))
    """
    if max_depth < 1 or max_variables < 1 or max_ops < 1:
        raise ValueError("expressions(): max_depth, max_variables and max_ops must be >= 1")
    names = sorted(ops) if ops is not None else sorted(OPS)
    if not names:
        raise ValueError("expressions(): the ops table is empty")
    for name in names:
        _op(name)
    n_vars = draw(st.integers(1, max_variables))
    variables = tuple(_VARIABLE_NAMES[i] if i < len(_VARIABLE_NAMES) else f"x{i}"
                      for i in range(n_vars))
    point = tuple(draw(scalars(min_value, max_value)) for _ in range(n_vars))
    # (reference, value, depth, depends on a variable) of everything a step may read
    available = [(("var", i), x, 0, True) for i, x in enumerate(point)]
    steps, depths = [], []
    n_steps = draw(st.integers(1, max_ops))
    for _ in range(n_steps):
        readable = [a for a in available if a[2] < max_depth]
        for _attempt in range(10):
            op = OPS[draw(st.sampled_from(names))]
            operands, datas, depth, depends = [], [], 0, False
            for rule in op.derivatives:
                if rule is None or draw(st.integers(0, 5)) == 0:
                    c = draw(scalars(min_value, max_value))
                    operands.append(("const", c))
                    datas.append(c)
                else:
                    ref, x, d, uses_variable = readable[draw(st.integers(0, len(readable) - 1))]
                    operands.append(ref)
                    datas.append(x)
                    depth = max(depth, d)
                    depends = depends or uses_variable
            if is_smooth_at(op, datas, max_magnitude=max_magnitude):
                break
        else:
            assume(False)  # no op fits here; hypothesis tries another example
        out = float(op.forward(SCALAR_MATH, *datas))
        steps.append((op.name, tuple(operands)))
        depths.append(depth + 1)
        available.append((("node", len(steps) - 1), out, depth + 1, depends))
    assume(available[-1][3])  # an output made of constants alone has no gradient to check
    return ExpressionGraph(variables, tuple(steps), tuple(depths)), point


# --- graphs that are already built ---------------------------------------------------


def smooth_graph(root: Value) -> bool:
    """True when every op in ``root``'s graph is smooth at its operands (no relu at 0)."""
    for node in topological_order(root):
        if node._prev and not is_smooth_at(node._op, [p.data for p in node._prev]):
            return False
    return True
