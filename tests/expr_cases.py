"""Hypothesis strategies and an independent oracle for expression-language tests.

The oracle evaluates the SAME text with Python's own evaluator (in the tests only --
the library never does this) over a namespace of plain ``math`` or ``mpmath``
functions written here, so it shares no code with autograd's ops table.
"""

from __future__ import annotations

import math

import mpmath
from hypothesis import strategies as st

from autograd.expr import callable_ops

VARIABLES = ("x", "y", "w", "b")


def _sigmoid(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    z = math.exp(v)
    return z / (1.0 + z)


FLOAT_FUNCTIONS = {
    "exp": math.exp, "log": math.log, "tanh": math.tanh, "sigmoid": _sigmoid,
    "relu": lambda v: v if v > 0 else 0.0, "neg": lambda v: -v,
}

MP_FUNCTIONS = {
    "exp": mpmath.exp, "log": mpmath.log, "tanh": mpmath.tanh,
    "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
    "relu": lambda v: v if v > 0 else mpmath.mpf(0), "neg": lambda v: -v,
}

# Only ops this file knows an independent rule for; others are tested generically.
KNOWN_CALLS = [name for name in callable_ops() if name in FLOAT_FUNCTIONS]


def oracle(text: str, values: dict, functions: dict = FLOAT_FUNCTIONS):
    """Python's value of ``text`` (a test oracle; never used by the library)."""
    namespace = {"__builtins__": {}}
    namespace.update(functions)
    return eval(text, namespace, dict(values))  # noqa: S307 - test oracle on generated text


numbers = st.sampled_from(["2", "3", "0.5", "1.5", "10", "0.25"])
leaves = st.one_of(st.sampled_from(VARIABLES), numbers)


def _extend(children):
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children,
                       st.sampled_from(["", " "])).map(
        lambda t: f"({t[0]}{t[3]}{t[1]}{t[3]}{t[2]})")
    call = st.tuples(st.sampled_from(KNOWN_CALLS), children).map(lambda t: f"{t[0]}({t[1]})")
    negate = children.map(lambda c: f"-{c}")
    power = st.one_of(
        st.tuples(children, st.sampled_from(["2", "3", "-1", "0.5"])).map(
            lambda t: f"({t[0]})**{t[1]}"),
        children.map(lambda c: f"2**({c})"),
        st.tuples(children, children).map(lambda t: f"({t[0]})**({t[1]})"),
    )
    return st.one_of(binary, binary, call, negate, power)


expressions = st.recursive(leaves, _extend, max_leaves=6)
values = st.fixed_dictionaries(
    {name: st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))
     for name in VARIABLES})


def used(text: str, env: dict, variables) -> dict:
    """The bindings for just the variables an expression uses."""
    return {name: env[name] for name in variables}
