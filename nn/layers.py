"""Layers as modules: ``Sequential`` of Linear, Conv2d, MaxPool2d, Flatten, Dropout and
activation layers, built from Values on the scalar engine (backward, gradcheck, the
pictures, save/load and ``fit`` work on them as on an MLP).

An example is a flat row of ``C*H*W`` numbers in PyTorch's (C, H, W) order; a model that
starts with a convolution is told its ``input_shape``:

>>> from nn.layers import Sequential, Conv2d, MaxPool2d, Flatten, Linear, ReLU
>>> model = Sequential(Conv2d(1, 2, 3, padding=1, seed=0), ReLU(), MaxPool2d(2),
...                    Flatten(), Linear(2 * 2 * 2, 3, seed=1), input_shape=(1, 4, 4))
>>> [layer.output_shape for layer in model.modules]
[(2, 4, 4), (2, 4, 4), (2, 2, 2), (8,), (3,)]
>>> out = model([0.1 * i for i in range(16)])
>>> len(out), len(model.parameters())
(3, 47)

``parameters()`` follow PyTorch's order: each layer's weight, row-major as PyTorch's
tensor, then its bias; each is named like PyTorch's ``named_parameters`` plus its index:

>>> [name for name, _ in model.named_parameters()][:2]
['0.weight[0,0,0,0]', '0.weight[0,0,0,1]']

The activation layers (``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU``, ``Softplus``) are
made from the ops table's rows marked ``activation``, one generic class each.
"""

from __future__ import annotations

import math
from itertools import product
from typing import Optional, Sequence

from autograd import OPS, SCALAR_MATH, Value, gc_paused
from autograd.ops import activation_ops

from .modules import RNG, Dropout, Module, _check_parameter_count, _rng, _size, as_inputs

__all__ = ["Sequential", "Linear", "Conv2d", "MaxPool2d", "Flatten", "Activation",
           "ACTIVATION_LAYERS", "Dropout"]

Shape = tuple


def _uniform_init(count: int, fan_in: int, rng: RNG) -> list[float]:
    # PyTorch's default for Linear and Conv2d weights and biases: U(-1/sqrt(fan_in), ...)
    bound = 1.0 / math.sqrt(fan_in)
    return [rng.uniform(-bound, bound) for _ in range(count)]


def _shape_text(shape: Shape) -> str:
    return str(tuple(shape))


class LayerModule(Module):
    """One layer of a :class:`Sequential`: ``build(shape)`` fixes its input shape (and
    checks it), ``forward(values)`` maps a flat list of Values to a flat list."""

    input_shape: Optional[Shape] = None
    output_shape: Optional[Shape] = None
    name = ""

    def build(self, shape: Shape) -> Shape:
        self.input_shape = self.output_shape = tuple(shape)
        return self.output_shape

    def forward(self, x: list) -> list:
        raise NotImplementedError

    def forward_data(self, x: list) -> list:
        """The same numbers as plain floats (no graph)."""
        return [v.data for v in self.forward([Value(xi) for xi in x])]

    def config(self) -> dict:
        return {"type": type(self).__name__}

    def children(self) -> list:
        return []   # a layer holds Values only: nothing to scan in its weight list

    def __call__(self, x):
        if self.input_shape is None:
            self.build((len(x),))
        return self.forward(as_inputs(x))


class Linear(LayerModule):
    """``out[o] = bias[o] + sum_i weight[o, i] * x[i]``, PyTorch's ``nn.Linear``."""

    def __init__(self, nin: int, nout: int, seed: Optional[int] = None,
                 rng: Optional[RNG] = None):
        call = f"Linear({nin!r}, {nout!r})"
        self.nin, self.nout = _size(nin, call, "in_features"), _size(nout, call, "out_features")
        _check_parameter_count(call, (self.nin + 1) * self.nout)
        rng = _rng(seed, rng)
        self.weight = [Value(w) for w in _uniform_init(self.nin * self.nout, self.nin, rng)]
        self.bias = [Value(b) for b in _uniform_init(self.nout, self.nin, rng)]

    def build(self, shape: Shape) -> Shape:
        if tuple(shape) != (self.nin,):
            flat = "; put nn.Flatten() before it" if len(shape) > 1 else ""
            raise ValueError(f"{self!r} takes {self.nin} inputs but gets shape "
                             f"{_shape_text(shape)}{flat}")
        self.input_shape, self.output_shape = (self.nin,), (self.nout,)
        return self.output_shape

    def forward(self, x: list) -> list:
        out, w = [], self.weight
        for o in range(self.nout):
            act, row = self.bias[o], o * self.nin
            for i in range(self.nin):
                act = act + w[row + i] * x[i]
            out.append(act)
        return out

    def forward_data(self, x: list) -> list:
        w = [v.data for v in self.weight]
        return [_dot(self.bias[o].data, w, o * self.nin, x)
                for o in range(self.nout)]

    def weight_shape(self) -> Shape:
        return (self.nout, self.nin)

    def parameters(self) -> list[Value]:
        return self.weight + self.bias

    def config(self) -> dict:
        return {"type": "Linear", "in_features": self.nin, "out_features": self.nout}

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout})"


def _dot(start: float, w: list, offset: int, x: list) -> float:
    # the scalar engine's order of additions: bias first, then one product at a time
    act = start
    for i, xi in enumerate(x):
        act = act + w[offset + i] * xi
    return act


class Conv2d(LayerModule):
    """PyTorch's ``nn.Conv2d(cin, cout, k, stride, padding)`` (square kernel, zero
    padding): ``out[o, y, x] = bias[o] + sum_{c,i,j} weight[o, c, i, j] * in[c, y*s+i-p,
    x*s+j-p]``, the padded positions contributing nothing."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, padding: int = 0,
                 seed: Optional[int] = None, rng: Optional[RNG] = None):
        call = f"Conv2d({cin!r}, {cout!r}, {k!r}, stride={stride!r}, padding={padding!r})"
        self.cin, self.cout = _size(cin, call, "in_channels"), _size(cout, call, "out_channels")
        self.k, self.stride = _size(k, call, "kernel_size"), _size(stride, call, "stride")
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"{call}: padding must be an int >= 0")
        self.padding = padding
        fan_in = self.cin * self.k * self.k
        _check_parameter_count(call, (fan_in + 1) * self.cout)
        rng = _rng(seed, rng)
        self.weight = [Value(w) for w in _uniform_init(self.cout * fan_in, fan_in, rng)]
        self.bias = [Value(b) for b in _uniform_init(self.cout, fan_in, rng)]

    def build(self, shape: Shape) -> Shape:
        if len(shape) != 3 or shape[0] != self.cin:
            raise ValueError(f"{self!r} takes (C={self.cin}, H, W) images but gets shape "
                             f"{_shape_text(shape)}; give the Sequential input_shape="
                             f"({self.cin}, H, W)")
        _, h, w = shape
        out_h = (h + 2 * self.padding - self.k) // self.stride + 1
        out_w = (w + 2 * self.padding - self.k) // self.stride + 1
        if h + 2 * self.padding < self.k or w + 2 * self.padding < self.k:
            raise ValueError(f"{self!r}: a {h}x{w} image padded by {self.padding} is smaller "
                             f"than the {self.k}x{self.k} kernel; use a smaller kernel or "
                             "more padding")
        self.input_shape, self.output_shape = tuple(shape), (self.cout, out_h, out_w)
        return self.output_shape

    def taps(self, oy: int, ox: int):
        """``(weight offset within a filter, input index)`` of every in-image position
        the kernel covers at output ``(oy, ox)``, in PyTorch's (c, i, j) order."""
        _, h, w = self.input_shape
        k, s, p = self.k, self.stride, self.padding
        for c, i, j in product(range(self.cin), range(k), range(k)):
            y, x = oy * s + i - p, ox * s + j - p
            if 0 <= y < h and 0 <= x < w:
                yield (c * k + i) * k + j, (c * h + y) * w + x

    def forward(self, x: list) -> list:
        _, out_h, out_w = self.output_shape
        fan_in = self.cin * self.k * self.k
        positions = [list(self.taps(oy, ox)) for oy in range(out_h) for ox in range(out_w)]
        out = []
        for o in range(self.cout):
            base = o * fan_in
            for taps in positions:
                act = self.bias[o]
                for offset, index in taps:
                    act = act + self.weight[base + offset] * x[index]
                out.append(act)
        return out

    def weight_shape(self) -> Shape:
        return (self.cout, self.cin, self.k, self.k)

    def parameters(self) -> list[Value]:
        return self.weight + self.bias

    def config(self) -> dict:
        return {"type": "Conv2d", "in_channels": self.cin, "out_channels": self.cout,
                "kernel_size": self.k, "stride": self.stride, "padding": self.padding}

    def __repr__(self) -> str:
        return (f"Conv2d({self.cin}, {self.cout}, {self.k}, stride={self.stride}, "
                f"padding={self.padding})")


class MaxPool2d(LayerModule):
    """PyTorch's ``nn.MaxPool2d(k, stride=k)``: each output is the largest input of its
    window, and backward routes its gradient to that input (the first of equal maxima,
    as PyTorch picks)."""

    def __init__(self, k: int, stride: Optional[int] = None):
        call = f"MaxPool2d({k!r}, stride={stride!r})"
        self.k = _size(k, call, "kernel_size")
        self.stride = self.k if stride is None else _size(stride, call, "stride")

    def build(self, shape: Shape) -> Shape:
        if len(shape) != 3 or shape[1] < self.k or shape[2] < self.k:
            raise ValueError(f"{self!r} takes (C, H, W) images of at least {self.k}x{self.k}"
                             f" but gets shape {_shape_text(shape)}")
        c, h, w = shape
        self.input_shape = tuple(shape)
        self.output_shape = (c, (h - self.k) // self.stride + 1, (w - self.k) // self.stride + 1)
        return self.output_shape

    def windows(self):
        """The input indices of each output's window, in output order."""
        c_n, h, w = self.input_shape
        _, out_h, out_w = self.output_shape
        k, s = self.k, self.stride
        for c, oy, ox in product(range(c_n), range(out_h), range(out_w)):
            yield [(c * h + oy * s + i) * w + ox * s + j for i in range(k) for j in range(k)]

    def forward(self, x: list) -> list:
        # max(a, b) = a + relu(b - a), written with a table op rather than a branch on
        # .data, so the compiled tape replays it for every image; relu's slope 0 at a
        # tie keeps the gradient on the first maximum, where PyTorch puts it.
        out = []
        for window in self.windows():
            best = x[window[0]]
            for index in window[1:]:
                best = best + (x[index] - best).relu()
            out.append(best)
        return out

    def forward_data(self, x: list) -> list:
        forward = OPS["relu"].forward
        out = []
        for window in self.windows():
            best = x[window[0]]
            for index in window[1:]:
                best = best + float(forward(SCALAR_MATH, x[index] - best))
            out.append(best)
        return out

    def config(self) -> dict:
        return {"type": "MaxPool2d", "kernel_size": self.k, "stride": self.stride}

    def __repr__(self) -> str:
        return f"MaxPool2d({self.k}, stride={self.stride})"


class Flatten(LayerModule):
    """(C, H, W) -> (C*H*W,): the numbers are already a flat row, so only the shape
    changes."""

    def build(self, shape: Shape) -> Shape:
        self.input_shape, self.output_shape = tuple(shape), (math.prod(shape),)
        return self.output_shape

    def forward(self, x: list) -> list:
        return list(x)

    def __repr__(self) -> str:
        return "Flatten()"


class Activation(LayerModule):
    """An activation as a layer: the op ``op`` of the table applied to every input."""

    op = ""

    def forward(self, x: list) -> list:
        method = self.op
        return [getattr(v, method)() for v in x]

    def forward_data(self, x: list) -> list:
        forward = OPS[self.op].forward
        return [float(forward(SCALAR_MATH, xi)) for xi in x]

    def config(self) -> dict:
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _class_name(op: str) -> str:
    # PyTorch's spelling: relu -> ReLU, leaky_relu -> LeakyReLU, tanh -> Tanh
    return "".join("ReLU" if part == "relu" else part.title() for part in op.split("_"))


# class name -> class, one per row of the ops table marked as an activation
ACTIVATION_LAYERS = {
    _class_name(name): type(_class_name(name), (Activation,),
                            {"op": name, "__doc__": f"``{name}`` on every input (the ops "
                                                    "table's row), as a layer."})
    for name in activation_ops()
}
globals().update(ACTIVATION_LAYERS)
__all__ += sorted(ACTIVATION_LAYERS)


def _layer_of(module: Module) -> Module:
    if isinstance(module, Dropout):
        return module
    if not isinstance(module, LayerModule):
        raise TypeError(f"Sequential: {module!r} is not a layer; use nn.Linear, nn.Conv2d, "
                        "nn.MaxPool2d, nn.Flatten, nn.Dropout or an activation layer")
    return module


class Sequential(Module):
    """Layers applied in order to one example (a flat row of numbers); a model that
    starts with a convolution is given ``input_shape=(C, H, W)``.  One output comes
    back as a Value, several as a list (as an MLP's)."""

    def __init__(self, *modules: Module, input_shape: Optional[Sequence[int]] = None):
        if not modules:
            raise ValueError("Sequential needs at least one layer, e.g. "
                             "Sequential(Linear(2, 4), ReLU(), Linear(4, 1))")
        self.modules = [_layer_of(m) for m in modules]
        if input_shape is None:
            first = next((m for m in self.modules if isinstance(m, (Linear, Conv2d))), None)
            if not isinstance(first, Linear):
                raise ValueError("Sequential: a model that starts with a convolution needs "
                                 "input_shape=(C, H, W), e.g. input_shape=(1, 8, 8)")
            input_shape = (first.nin,)
        shape = tuple(_size(n, f"Sequential(input_shape={tuple(input_shape)!r})", "each size")
                      for n in input_shape)
        self.input_shape = shape
        for index, module in enumerate(self.modules):
            if isinstance(module, LayerModule):
                try:
                    shape = module.build(shape)
                except ValueError as error:
                    raise ValueError(f"Sequential layer {index}: {error}") from None
        self.output_shape = shape
        if len(shape) != 1:
            raise ValueError(f"Sequential: the last layer gives shape {_shape_text(shape)}; "
                             "end with nn.Flatten() (or a Linear layer after it)")
        for index, module in enumerate(self.modules):
            for name, values, dims in _parameter_tensors(module):
                for flat, point in enumerate(product(*map(range, dims))):
                    values[flat].label = f"{index}.{name}[{','.join(map(str, point))}]"

    @property
    def nin(self) -> int:
        return math.prod(self.input_shape)

    @property
    def nouts(self) -> list[int]:
        return [self.output_shape[0]]

    def layers_with(self, kind: type) -> list:
        return [m for m in self.modules if isinstance(m, kind)]

    def __call__(self, x):
        try:
            count = len(x)
        except TypeError:
            raise TypeError(f"Sequential takes a list of {self.nin} numbers (one example), "
                            f"not {type(x).__name__} {x!r:.40}") from None
        if count != self.nin:
            raise ValueError(f"Sequential with input_shape {_shape_text(self.input_shape)} "
                             f"takes {self.nin} numbers but got {count}")
        with gc_paused(promote=True):
            x = as_inputs(x)
            for module in self.modules:
                x = module.forward(x) if isinstance(module, LayerModule) else module(x)
        return x[0] if len(x) == 1 else x

    def forward_data(self, x: Sequence[float]) -> list[float]:
        """The outputs as floats (eval mode: dropout is the identity)."""
        x = [float(v) for v in x]
        for module in self.modules:
            if isinstance(module, LayerModule):
                x = module.forward_data(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for m in self.modules for p in m.parameters()]

    def architecture(self) -> dict:
        """What :func:`nn.load` needs to rebuild the model (parameters apart)."""
        layers = [m.config() if isinstance(m, LayerModule) else {"type": "Dropout", "p": m.p}
                  for m in self.modules]
        return {"type": "Sequential", "input_shape": list(self.input_shape), "layers": layers}

    def __repr__(self) -> str:
        inner = ", ".join(map(repr, self.modules))
        return f"Sequential({inner}, input_shape={_shape_text(self.input_shape)})"


def _parameter_tensors(module: Module) -> list:
    """``(name, values, PyTorch shape)`` of a layer's weight and bias, in that order."""
    if isinstance(module, (Linear, Conv2d)):
        return [("weight", module.weight, module.weight_shape()),
                ("bias", module.bias, (len(module.bias),))]
    return []


_BUILDERS = {
    "Linear": lambda c: Linear(c["in_features"], c["out_features"], seed=0),
    "Conv2d": lambda c: Conv2d(c["in_channels"], c["out_channels"], c["kernel_size"],
                               stride=c["stride"], padding=c["padding"], seed=0),
    "MaxPool2d": lambda c: MaxPool2d(c["kernel_size"], stride=c["stride"]),
    "Flatten": lambda c: Flatten(),
    "Dropout": lambda c: Dropout(c["p"]),
    **{name: (lambda c, cls=cls: cls()) for name, cls in ACTIVATION_LAYERS.items()},
}


def sequential_from_architecture(arch: dict) -> Sequential:
    """The model an ``architecture()`` describes (weights from seed 0); a ValueError
    names a layer that is not known or badly described."""
    layers = arch.get("layers")
    if not isinstance(layers, list) or not layers:
        raise ValueError("architecture.layers is not a non-empty list of layers")
    modules = []
    for index, config in enumerate(layers):
        kind = config.get("type") if isinstance(config, dict) else None
        if kind not in _BUILDERS:
            raise ValueError(f"layer {index} has type {kind!r}; known layers are "
                             f"{', '.join(sorted(_BUILDERS))}")
        try:
            modules.append(_BUILDERS[kind](config))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"layer {index} ({kind}) is badly described: {error}") from None
    shape = arch.get("input_shape")
    if not isinstance(shape, list):
        raise ValueError("architecture.input_shape is not a list of sizes")
    return Sequential(*modules, input_shape=shape)
