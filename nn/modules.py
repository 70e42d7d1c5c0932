"""Neurons, layers, dropout and MLPs with micrograd's API (and its initial weights).

>>> import random
>>> random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> len(model.parameters())
337
>>> out = model([2.0, -1.0])      # a single output comes back as a Value
>>> type(out).__name__
'Value'

After ``random.seed(1337)`` the weights are exactly micrograd 0.1.0's, because
each weight is drawn with ``random.uniform(-1, 1)`` in the same order.  Other
initializers and activations are one keyword away, and a seed keeps them
reproducible without touching the global ``random`` state:

>>> model = MLP(64, [32, 10], activation="relu", init="he", dropout=0.1, seed=0)
>>> model.eval().training       # train()/eval() switch dropout, as in PyTorch
False

Every parameter is named by its place, counted from 1 (``L2.N3.w1``: layer 2, neuron 3,
the weight of its input 1), and a call labels each node it makes by neuron and role,
so pictures, tables and saved files all speak of the same things:

>>> model = MLP(2, [2, 1], activation="tanh", seed=0)
>>> [name for name, parameter in model.named_parameters()][:4]
['L1.N1.w1', 'L1.N1.w2', 'L1.N1.b', 'L1.N2.w1']
>>> out = model([0.5, -1.0])   # plain numbers become the leaves x1, x2
>>> out.label, [node.label for node in out._prev]
('L2.N1 Σ', ['L2.N1 Σ1', 'L2.N1 w2·x2'])
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any, Optional, Sequence, Union

from autograd import OPS, SCALAR_MATH, Value, gc_paused
from autograd.ops import activation_ops

from .model_file import MAX_PARAMETERS, write_model

__all__ = ["Module", "Neuron", "Layer", "MLP", "Dropout", "ACTIVATIONS", "INITIALIZERS",
           "activate", "activate_data", "as_inputs"]

# activation name -> the Value method (an op of the table) that applies it; None: identity.
# Derived from the rows marked ``activation`` in autograd/ops.py, never listed here.
ACTIVATIONS = {"linear": None, **{name: name for name in activation_ops()}}

RNG = Union[random.Random, Any]  # a random.Random, or the random module itself


def activate(name: str, x: Value) -> Value:
    """Apply activation ``name`` to a Value.

    >>> activate("leaky_relu", Value(-2.0)).data
    -0.02
    """
    method = ACTIVATIONS[name]
    return getattr(x, method)() if method else x


def activate_data(name: str, x: float) -> float:
    """The same activation on a plain float, with the ops table's forward rule
    (so the result is bit-identical to :func:`activate`'s ``.data``).

    >>> activate_data("relu", -3.0), activate_data("sigmoid", 0.0)
    (0.0, 0.5)
    """
    if name == "linear":
        return x
    return float(OPS[name].forward(SCALAR_MATH, x))


# --- initializers: (fan_in, fan_out, rng) -> one weight ---------------------------


def _uniform(fan_in: int, fan_out: int, rng: RNG) -> float:
    return rng.uniform(-1, 1)  # micrograd's init, whatever the layer size


def _xavier_uniform(fan_in: int, fan_out: int, rng: RNG) -> float:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound)


def _xavier_normal(fan_in: int, fan_out: int, rng: RNG) -> float:
    return rng.gauss(0.0, math.sqrt(2.0 / (fan_in + fan_out)))


def _he_normal(fan_in: int, fan_out: int, rng: RNG) -> float:
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


def _he_uniform(fan_in: int, fan_out: int, rng: RNG) -> float:
    bound = math.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound)


# name -> rule; each matches torch.nn.init's function of that name with the default gain
# (xavier: gain 1, for tanh/sigmoid/linear; he/kaiming: gain sqrt(2), fan_in, for ReLU)
INITIALIZERS = {
    "uniform": _uniform,
    "xavier": _xavier_uniform,
    "xavier_uniform": _xavier_uniform,
    "glorot": _xavier_uniform,
    "xavier_normal": _xavier_normal,
    "he": _he_normal,
    "kaiming": _he_normal,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
}


def _activation_name(nonlin: bool, activation: Optional[str]) -> str:
    if activation is None:
        return "relu" if nonlin else "linear"
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; "
                         f"choose one of {', '.join(sorted(ACTIVATIONS))}")
    return activation


def _init_rule(init: str):
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; choose one of "
                         f"{', '.join(sorted(INITIALIZERS))}")
    return INITIALIZERS[init]


def as_inputs(x: Sequence[Union[Value, float]]) -> list:
    """Inputs for a model call: Values pass through, plain numbers become leaves named
    ``x1 ... xn`` (counted from 1), so a picture of the graph names every input.

    >>> [v.label for v in as_inputs([0.5, Value(2.0, "t")])]
    ['x1', 't']
    """
    if all(type(xi) is Value for xi in x):
        return x if isinstance(x, list) else list(x)
    return [xi if isinstance(xi, Value) else Value(xi, f"x{i}") for i, xi in enumerate(x, 1)]


def _size(value, call: str, field: str) -> int:
    """A layer size as an int: numpy's integers count, a bool or 2.0 does not."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{call}: {field} must be a positive int")
    return int(value)


def _check_parameter_count(what: str, count: int) -> None:
    # The scalar engine keeps one Value per parameter: past the model file's limit a
    # typo such as MLP(2, [10**9]) allocates for hours instead of failing.
    if count > MAX_PARAMETERS:
        raise ValueError(f"{what} would have {count:,} parameters; a chainrule model holds "
                         f"at most {MAX_PARAMETERS:,} (one Value each, and what a model file "
                         "may hold): use smaller layers, or PyTorch for a model this size")


def _not_a_list(x, neuron) -> TypeError:
    return TypeError(f"{neuron!r} takes a list of {len(neuron.w)} numbers (one example), "
                     f"not {type(x).__name__} {x!r:.40}")


def _rng(seed: Optional[int], rng: Optional[RNG]) -> RNG:
    """An explicit RNG, a fresh one from ``seed``, or the global ``random`` module
    (micrograd's behaviour, which ``random.seed`` controls)."""
    if rng is not None:
        return rng
    return random.Random(seed) if seed is not None else random


class Module:
    """Anything with parameters: ``parameters()``, ``zero_grad()``, ``train()``/``eval()``.

    Sub-modules (attributes that are Modules or lists of Modules) are found
    automatically, so ``model.eval()`` reaches every Dropout inside.
    """

    training = True

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, parameter)`` pairs in ``parameters()`` order, as PyTorch's method.

        Neurons, layers and MLPs name each parameter by place, counted from 1:
        ``L1.N2.w1`` is layer 1, neuron 2, the weight of input 1; ``L1.N2.b`` its bias.

        >>> [name for name, _ in MLP(2, [1], seed=0).named_parameters()]
        ['L1.N1.w1', 'L1.N1.w2', 'L1.N1.b']
        """
        return [(p.label or f"p{i}", p) for i, p in enumerate(self.parameters(), 1)]

    def children(self) -> list["Module"]:
        found = []
        for value in vars(self).values():
            if isinstance(value, Module):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                found.extend(v for v in value if isinstance(v, Module))
        return found

    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout active); returns the module, as PyTorch does."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Inference mode: dropout is the identity."""
        return self.train(False)

    def save(self, path, metadata: Optional[dict] = None) -> None:
        """Write architecture and parameters as versioned JSON (see :mod:`nn.serialize`)."""
        write_model(self, path, metadata)


class Neuron(Module):
    """``activation(w . x + b)``: weights from uniform(-1, 1), bias 0, as in micrograd.

    ``name`` prefixes every label (a Layer passes ``L1.N2``): the parameters are
    ``L1.N2.w1 ... L1.N2.b``, and a call labels each node it makes by its role.

    >>> out = Neuron(2, activation="tanh", name="L1.N2", seed=0)([1.0, -1.0])
    >>> out.label, out._prev[0].label, out._prev[0]._prev[0].label
    ('L1.N2 tanh', 'L1.N2 Σ', 'L1.N2 Σ1')
    """

    def __init__(self, nin: int, nonlin: bool = True, activation: Optional[str] = None,
                 init: str = "uniform", seed: Optional[int] = None,
                 rng: Optional[RNG] = None, fan_out: int = 1, name: str = ""):
        nin = _size(nin, f"Neuron(nin={nin!r})", "nin")
        _check_parameter_count(f"Neuron({nin})", nin + 1)
        rule, rng = _init_rule(init), _rng(seed, rng)
        self.name = name
        dot = f"{name}." if name else ""
        self.w = [Value(rule(nin, fan_out, rng), f"{dot}w{i}") for i in range(1, nin + 1)]
        self.b = Value(0.0, f"{dot}b")
        self.activation = _activation_name(nonlin, activation)
        self.nonlin = self.activation != "linear"
        # A call names its nodes with these strings, made once here: labelling then
        # costs one attribute store per node (the demo step must stay fast).
        role = f"{name} " if name else ""
        self._node_labels = [(f"{role}w{i}·x{i}", f"{role}Σ{i}") for i in range(1, nin + 1)]
        self._node_labels[-1] = (self._node_labels[-1][0], f"{role}Σ")
        self._output_label = f"{role}{self.activation}"

    def children(self) -> list["Module"]:
        # a neuron holds Values only: not scanning its weights keeps train()/eval() and
        # the dropout search from touching every weight of a wide layer (measured: a
        # third of a second per call on MLP(784, [128, 10]))
        return []

    def __call__(self, x: Sequence[Union[Value, float]]) -> Value:
        try:
            count = len(x)
        except TypeError:  # a lone number, None, a generator
            raise _not_a_list(x, self) from None
        if count != len(self.w):
            raise ValueError(f"{self!r} got {len(x)} inputs but has {len(self.w)} weights")
        return self._forward(as_inputs(x))

    def _forward(self, x: list) -> Value:
        # b + w1*x1 + w2*x2 + ...: micrograd's order of additions, so floats match it.
        act = self.b
        for wi, xi, (product_label, sum_label) in zip(self.w, x, self._node_labels):
            product = wi * xi
            product.label = product_label
            act = act + product
            act.label = sum_label
        if self.activation == "linear":
            return act
        out = getattr(act, ACTIVATIONS[self.activation])()
        out.label = self._output_label
        return out

    def forward_data(self, x: Sequence[float]) -> float:
        """The output as a plain float, without building a graph (inference)."""
        if len(x) != len(self.w):
            raise ValueError(f"{self!r} got {len(x)} inputs but has {len(self.w)} weights")
        act = self.b.data
        for wi, xi in zip(self.w, x):
            act = act + wi.data * xi  # the same float operations, in the same order
        return activate_data(self.activation, act)

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def named_parameters(self) -> list[tuple[str, Value]]:
        dot = f"{self.name}." if self.name else ""
        return [(f"{dot}w{i}", w) for i, w in enumerate(self.w, 1)] + [(f"{dot}b", self.b)]

    def __repr__(self) -> str:
        name = {"relu": "ReLU", "linear": "Linear", "leaky_relu": "LeakyReLU"}.get(
            self.activation, self.activation.title())
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that read the same inputs."""

    def __init__(self, nin: int, nout: int, seed: Optional[int] = None,
                 rng: Optional[RNG] = None, name: str = "L1", **kwargs):
        call = f"Layer(nin={nin!r}, nout={nout!r})"
        nin, nout = _size(nin, call, "nin"), _size(nout, call, "nout")
        _check_parameter_count(f"Layer({nin}, {nout})", (nin + 1) * nout)
        rng = _rng(seed, rng)
        self.name = name
        self.neurons = [Neuron(nin, rng=rng, fan_out=nout, name=f"{name}.N{j}", **kwargs)
                        for j in range(1, nout + 1)]

    def outputs(self, x) -> list[Value]:
        """All outputs as a list, even when there is one (what the next layer needs)."""
        nin = len(self.neurons[0].w)
        try:
            count = len(x)
        except TypeError:
            raise _not_a_list(x, self.neurons[0]) from None
        if count != nin:
            raise ValueError(f"{self.neurons[0]!r} got {len(x)} inputs but has {nin} weights")
        x = as_inputs(x)
        return [n._forward(x) for n in self.neurons]

    def outputs_data(self, x: Sequence[float]) -> list[float]:
        """All outputs as plain floats (no graph)."""
        return [n.forward_data(x) for n in self.neurons]

    def __call__(self, x):
        with gc_paused(promote=True):
            out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [pair for n in self.neurons for pair in n.named_parameters()]

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class Dropout(Module):
    """Inverted dropout: in training, zero each input with probability ``p`` and scale
    the rest by ``1 / (1 - p)``; in eval mode, pass inputs through unchanged.

    >>> drop = Dropout(0.5, seed=0)
    >>> [v.data for v in drop([Value(1.0)] * 4)]
    [2.0, 2.0, 0.0, 0.0]
    >>> [v.data for v in drop.eval()([Value(1.0)] * 2)]
    [1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, seed: Optional[int] = None, rng: Optional[RNG] = None):
        if not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout(p={p!r}): p is the probability of dropping an input "
                             "and must be in [0, 1)")
        self.p = float(p)
        self.rng = _rng(seed, rng)
        self.masks = None  # fit's mask source while it trains (nn.masks.DropoutMasks)

    def __call__(self, x: Sequence[Value]) -> list:
        if not self.training or self.p == 0.0:
            return list(x)
        if self.masks is not None:  # inside fit: both engines read one seeded source
            out = [xi * factor for xi, factor in zip(x, self.masks.take(self.p, len(x)))]
        else:
            scale = 1.0 / (1.0 - self.p)
            out = [xi * (0.0 if self.rng.random() < self.p else scale) for xi in x]
        for xi, kept in zip(x, out):
            if isinstance(xi, Value) and xi.label:
                kept.label = f"{xi.label} dropout"
        return out

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class MLP(Module):
    """Layers in a row: hidden layers use ReLU (or ``activation``), the last is linear.

    ``activation`` is one name for every hidden layer, or a list with one name per
    layer (output layer included).  ``init`` picks the weight initializer (see
    :data:`INITIALIZERS`); ``seed`` or ``rng`` makes it reproducible.  ``dropout``
    adds a :class:`Dropout` after each hidden layer.
    """

    def __init__(self, nin: int, nouts: Sequence[int],
                 activation: Optional[Union[str, Sequence[str]]] = None,
                 init: str = "uniform", dropout: float = 0.0, seed: Optional[int] = None,
                 rng: Optional[RNG] = None, output_activation: str = "linear"):
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            raise TypeError(f"MLP({nin!r}, {nouts!r:.40}): the second argument is the list of "
                            f"layer sizes, e.g. MLP({nin!r}, [16, 1])")
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP needs at least one layer size, e.g. MLP(2, [16, 16, 1])")
        sizes = [_size(nin, f"Neuron(nin={nin!r})", "nin")]
        for n in nouts:
            sizes.append(_size(n, f"Layer(nin={sizes[-1]!r}, nout={n!r})", "nout"))
        _check_parameter_count(f"MLP({sizes[0]}, {sizes[1:]})",
                               sum((a + 1) * b for a, b in zip(sizes, sizes[1:])))
        last = len(nouts) - 1
        if isinstance(activation, (list, tuple)):
            if len(activation) != len(nouts):
                raise ValueError(f"MLP: {len(activation)} activations for {len(nouts)} layers; "
                                 "give one per layer (the last is the output layer)")
            activations = list(activation)
        else:
            # checked even when there is no hidden layer to use it: a typo is an error
            _activation_name(True, activation)
            activations = [activation or "relu"] * last + [output_activation]
        for name in activations:
            _activation_name(True, name)
        rng = _rng(seed, rng)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=activations[i] != "linear",
                  activation=activations[i], init=init, rng=rng, name=f"L{i + 1}")
            for i in range(len(nouts))
        ]
        self.init = init
        self.dropout = Dropout(dropout, rng=rng) if dropout else None

    def __call__(self, x):
        # Always pass lists between layers, so a one-neuron hidden layer works
        # (micrograd hands the next layer a bare Value and fails).
        # The collector is kept out while the graph is built (it holds no cycles);
        # see autograd.gc_paused.
        last = len(self.layers) - 1
        with gc_paused(promote=True):
            for i, layer in enumerate(self.layers):
                x = layer.outputs(x)
                if self.dropout is not None and i != last:
                    x = self.dropout(x)
        return x[0] if len(x) == 1 else x

    def forward_data(self, x: Sequence[float]) -> list[float]:
        """The outputs as a list of floats, with no graph: fast inference (eval mode).

        >>> model = MLP(2, [3, 2], seed=0)
        >>> [round(o, 9) for o in model.forward_data([1.0, 2.0])] == \\
        ...     [round(o.data, 9) for o in model([1.0, 2.0])]
        True
        """
        x = [float(xi) for xi in x]
        for layer in self.layers:
            x = layer.outputs_data(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``[("L1.N1.w1", Value), ...]`` in ``parameters()`` order.

        >>> [name for name, _ in MLP(1, [2, 1], seed=0).named_parameters()]
        ['L1.N1.w1', 'L1.N1.b', 'L1.N2.w1', 'L1.N2.b', 'L2.N1.w1', 'L2.N1.w2', 'L2.N1.b']
        """
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    @property
    def nin(self) -> int:
        return len(self.layers[0].neurons[0].w)

    @property
    def nouts(self) -> list[int]:
        return [len(layer.neurons) for layer in self.layers]

    def architecture(self) -> dict:
        """What :func:`nn.load` needs to rebuild the model (parameters apart)."""
        return {"type": "MLP", "nin": self.nin, "nouts": self.nouts,
                "activations": [layer.activation for layer in self.layers],
                "init": self.init, "dropout": self.dropout.p if self.dropout else 0.0}

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
