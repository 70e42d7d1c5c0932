"""Hypothesis strategies for networks: random MLPs as gradient-check problems.

>>> from hypothesis import given
>>> from autograd import gradcheck
>>> @given(mlps(max_hidden_layers=1, max_width=2))
... def test_every_weight(case):
...     assert gradcheck(*case.function("parameters"))
>>> test_every_weight()

This module imports hypothesis (a test dependency), so ``import nn`` does not load it.
``autograd.strategies.mlps`` (the old home) still works once ``nn`` is imported.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from hypothesis import assume
from hypothesis import strategies as st

from autograd import Value, graph_function
from autograd.strategies import scalars, smooth_graph

from .modules import ACTIVATIONS, MLP

__all__ = ["mlps", "MLPCase"]


@dataclass
class MLPCase:
    """An MLP and one input vector; :meth:`function` makes it a gradcheck problem."""

    model: object
    inputs: tuple[float, ...]
    sizes: tuple[int, ...]
    activation: str

    def output(self, inputs: Optional[Sequence] = None) -> Value:
        xs = self.inputs if inputs is None else inputs
        return self.model([x if isinstance(x, Value) else Value(x) for x in xs])

    def function(self, wrt: str = "parameters") -> tuple[Callable[..., Value], list[Value]]:
        """``(f, point)`` for :func:`gradcheck`: the output as a function of ``wrt``.

        ``wrt`` is ``"parameters"`` (what training needs), ``"inputs"`` or ``"both"``.
        """
        if wrt not in ("parameters", "inputs", "both"):
            raise ValueError(f"MLPCase.function(wrt={wrt!r}): choose 'parameters', "
                             "'inputs' or 'both'")
        xs = [Value(x, f"in{i}") for i, x in enumerate(self.inputs)]
        root = self.output(xs)
        params = self.model.parameters()
        leaves = []
        if wrt in ("inputs", "both"):
            leaves += xs
        if wrt in ("parameters", "both"):
            leaves += params
        f = graph_function(root, leaves)
        f.__name__ = f"MLP{list(self.sizes)}({self.activation})"
        param_ids = {id(p) for p in params}
        point = [Value(v.data, f"p{i}.{v.label}" if id(v) in param_ids else v.label)
                 for i, v in enumerate(leaves)]
        return f, point


@st.composite
def mlps(draw, *, max_inputs: int = 3, max_hidden_layers: int = 2, max_width: int = 4,
         activations: Optional[Sequence[str]] = None, min_value: float = -2.0,
         max_value: float = 2.0, smooth: bool = True) -> MLPCase:
    """:class:`MLPCase` examples: ``nn.MLP(nin, [w1, ..., 1], activation=...)`` and inputs.

    Widths, depth and the hidden activation (default: each of ``nn.ACTIVATIONS``) are
    drawn; the weights come from a drawn seed.  With ``smooth=True`` no op of the
    table (relu, leaky_relu, ...) sits exactly on its kink.

    >>> from hypothesis import find
    >>> case = find(mlps(), lambda c: len(c.sizes) == 3)
    >>> len(case.sizes), case.sizes[-1], case.activation in ACTIVATIONS
    (3, 1, True)
    """
    choices = sorted(activations) if activations is not None else sorted(ACTIVATIONS)
    nin = draw(st.integers(1, max_inputs))
    hidden = draw(st.lists(st.integers(1, max_width), max_size=max_hidden_layers))
    activation = draw(st.sampled_from(choices))
    seed = draw(st.integers(0, 2**32 - 1))
    inputs = tuple(draw(scalars(min_value, max_value)) for _ in range(nin))
    state = random.getstate()
    try:
        random.seed(seed)
        model = MLP(nin, hidden + [1], activation=activation)
    finally:
        random.setstate(state)
    case = MLPCase(model, inputs, (nin, *hidden, 1), activation)
    if smooth:
        assume(smooth_graph(case.output()))
    return case
