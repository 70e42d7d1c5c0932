"""Neurons, layers and MLPs with micrograd's API (and its initial weights).

>>> import random
>>> random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> len(model.parameters())
337
>>> out = model([2.0, -1.0])      # a single output comes back as a Value
>>> type(out).__name__
'Value'

After ``random.seed(1337)`` the weights are exactly micrograd 0.1.0's, because
each weight is drawn with ``random.uniform(-1, 1)`` in the same order.
"""

from __future__ import annotations

import random
from typing import Optional, Sequence, Union

from autograd import Value

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]

# activation name -> the Value method that applies it (None: identity)
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": None}


def _activation_name(nonlin: bool, activation: Optional[str]) -> str:
    if activation is None:
        return "relu" if nonlin else "linear"
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; "
                         f"choose one of {', '.join(sorted(ACTIVATIONS))}")
    return activation


class Module:
    """Anything with parameters: ``parameters()`` lists them, ``zero_grad()`` resets them."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    """``activation(w . x + b)``: weights from uniform(-1, 1), bias 0, as in micrograd."""

    def __init__(self, nin: int, nonlin: bool = True, activation: Optional[str] = None):
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron(nin={nin!r}): nin must be a positive int")
        self.w = [Value(random.uniform(-1, 1), f"w{i}") for i in range(nin)]
        self.b = Value(0.0, "b")
        self.activation = _activation_name(nonlin, activation)
        self.nonlin = self.activation != "linear"

    def __call__(self, x: Sequence[Union[Value, float]]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"{self!r} got {len(x)} inputs but has {len(self.w)} weights")
        # sum() from b keeps micrograd's order of additions, so floats match it exactly.
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        method = ACTIVATIONS[self.activation]
        return getattr(act, method)() if method else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        name = {"relu": "ReLU", "linear": "Linear"}.get(self.activation, self.activation.title())
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that read the same inputs."""

    def __init__(self, nin: int, nout: int, **kwargs):
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer(nin={nin!r}, nout={nout!r}): nout must be a positive int")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def outputs(self, x) -> list[Value]:
        """All outputs as a list, even when there is one (what the next layer needs)."""
        return [n(x) for n in self.neurons]

    def __call__(self, x):
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers in a row: hidden layers use ReLU (or ``activation``), the last is linear."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: Optional[str] = None):
        sizes = [nin] + list(nouts)
        if not nouts:
            raise ValueError("MLP needs at least one layer size, e.g. MLP(2, [16, 16, 1])")
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != last,
                  activation=(activation if i != last and activation else None))
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        # Always pass lists between layers, so a one-neuron hidden layer works
        # (micrograd hands the next layer a bare Value and fails).
        for layer in self.layers:
            x = layer.outputs(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
