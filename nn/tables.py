"""The forward pass of a network as a table, one row per neuron.

>>> from nn import MLP
>>> model = MLP(2, [2, 1], activation="tanh", seed=0)
>>> table = neuron_table(model, [2.0, -1.0])
>>> [(row.layer, row.neuron, row.activation) for row in table]
[(1, 1, 'tanh'), (1, 2, 'tanh'), (2, 1, 'linear')]

It lives in ``nn`` because it reads ``nn``'s classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Sequence, Union

from autograd import Value
from autograd.notation import format_number
from autograd.trace import table_text

from .modules import MLP, Layer, Neuron

__all__ = ["neuron_table", "NeuronRow", "NeuronTable"]


@dataclass(frozen=True)
class NeuronRow:
    """One neuron on one input: ``activation(sum(w*x) + b)``."""

    layer: int                # 1-based; 1 for a lone neuron
    neuron: int               # 1-based within its layer
    inputs: tuple
    weights: tuple
    bias: float
    weighted_sum: float       # w . x + b, before the activation
    activation: str           # "tanh", "relu", ..., or "linear"
    output: float
    node: Value               # the output Value (its graph is live)


class NeuronTable(Sequence):
    """The forward pass of a network, one :class:`NeuronRow` per neuron."""

    def __init__(self, rows: Sequence[NeuronRow], outputs: list):
        self.rows = tuple(rows)
        self.outputs = outputs   # the network's output Values

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        def numbers(xs):
            return "[" + ", ".join(format_number(x) for x in xs) + "]"
        body = [[str(r.layer), str(r.neuron), numbers(r.inputs), numbers(r.weights),
                 format_number(r.bias), format_number(r.weighted_sum), r.activation,
                 format_number(r.output)] for r in self.rows]
        return table_text(["layer", "neuron", "inputs", "weights", "bias", "w.x + b",
                           "activation", "output"], body, right=(4, 5, 7))

    def __repr__(self) -> str:
        return f"<NeuronTable of {len(self.rows)} neurons>"


def _layers_of(model) -> list[list[Neuron]]:
    if isinstance(model, MLP):
        return [list(layer.neurons) for layer in model.layers]
    if isinstance(model, Layer):
        return [list(model.neurons)]
    if isinstance(model, Neuron):
        return [[model]]
    raise TypeError(f"neuron_table: {type(model).__name__} is not a network; pass a "
                    "Neuron, a Layer or an MLP from nn")


def _data(x) -> float:
    return x.data if isinstance(x, Value) else float(x)


def neuron_table(model: Union[Neuron, Layer, MLP],
                 inputs: Sequence[Union[float, Value]]) -> NeuronTable:
    """Run ``model`` on ``inputs`` and tabulate every neuron's part of the forward pass.

    ``model`` is an :class:`nn.Neuron`, :class:`nn.Layer` or :class:`nn.MLP`; each
    layer reads the previous layer's outputs (dropout is not applied).

    >>> row = neuron_table(Neuron(2, activation="tanh", seed=1), [2.0, 1.0])[0]
    >>> row.activation, row.output == round(row.output, 15)
    ('tanh', True)
    """
    layers = _layers_of(model)
    x = list(inputs)
    for i, xi in enumerate(x, 1):  # named here, not as "Value(nan)" from deep inside
        if isinstance(xi, Value):
            continue
        if isinstance(xi, bool) or not isinstance(xi, Real):
            raise TypeError(f"neuron_table: input {i} is {xi!r:.40}, not a number; pass one "
                            "number (or Value) per weight of the first layer")
        if not math.isfinite(xi):
            raise ValueError(f"neuron_table: input {i} is {xi}; give finite numbers")
    rows = []
    for layer_number, neurons in enumerate(layers, 1):
        outputs = []
        for neuron_number, neuron in enumerate(neurons, 1):
            if len(x) != len(neuron.w):
                raise ValueError(f"neuron_table: layer {layer_number} neuron {neuron_number} "
                                 f"has {len(neuron.w)} weights but gets {len(x)} inputs; "
                                 "pass one input per weight of the first layer")
            out = neuron(x)
            activated = neuron.activation != "linear"
            weighted = out._prev[0].data if activated else out.data
            rows.append(NeuronRow(layer_number, neuron_number, tuple(_data(v) for v in x),
                                  tuple(w.data for w in neuron.w), _data(neuron.b), weighted,
                                  neuron.activation, out.data, out))
            outputs.append(out)
        x = outputs
    return NeuronTable(rows, x)

