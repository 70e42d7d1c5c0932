"""Layers compiled as layers: a dense layer is one matrix product, a convolution an
im2col gather and a matrix product, a max-pool an argmax that routes the gradient back --
numpy kernels over a whole batch, built from the model's shapes alone, so building one
costs the same for 100 parameters as for 100,000 (the traced tape records one scalar
node per weight instead).

A :class:`LayerTape` has the traced tape's interface (``forward(X, M, params=theta)``,
then ``gradients(weights=seeds)``) and gives the scalar engine's numbers to rounding
(tests/test_compiled_layers.py checks 1e-9 on random conv nets and MLPs):

>>> import numpy as np
>>> from nn import MLP
>>> model = MLP(3, [4, 2], seed=0)
>>> tape = layer_tape(model)
>>> theta = np.array([p.data for p in model.parameters()])
>>> out = tape.forward(np.array([[1.0, 2.0, 3.0]]), None, params=theta)
>>> bool(np.allclose(out[0], model.forward_data([1.0, 2.0, 3.0]), atol=1e-12))
True

:func:`layer_tape` returns None for a model it does not know (or one whose dropout is
training, whose masks the traced tape takes as inputs): the caller then traces.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from autograd import OPS

from .layers import Activation, Conv2d, Flatten, Linear, MaxPool2d, Sequential
from .modules import MLP, Dropout

__all__ = ["LayerTape", "layer_tape", "batch_outputs", "cross_entropy_rows", "loss_rows",
           "ARRAY_LOSSES", "SMALL_DATA"]

# below this many input numbers, predict/evaluate do not import numpy for the arrays
SMALL_DATA = 20_000


class _Dense:
    """``x @ W.T + b``; ``W`` and ``b`` are views of theta at ``(start, nout, nin, bias
    position)``: Sequential stores a weight matrix then a bias, MLP a row per neuron."""

    def __init__(self, nin: int, nout: int, weight_at, bias_at):
        self.nin, self.nout, self.weight_at, self.bias_at = nin, nout, weight_at, bias_at

    def forward(self, np, theta, x):
        self.x, W, b = x, self.weight_at(theta), self.bias_at(theta)
        self.W = W
        return x @ W.T + b

    def backward(self, np, g, grad, need_input: bool):
        self.weight_at(grad)[...] += g.T @ self.x
        self.bias_at(grad)[...] += g.sum(axis=0)
        return g @ self.W if need_input else None


class _Conv:
    """im2col: every output position's (c, i, j) taps gathered into a row (padding reads
    a zero), then one matrix product with the (cout, cin*k*k) weight."""

    def __init__(self, np, layer: Conv2d, start: int):
        c, h, w = layer.input_shape
        _, out_h, out_w = layer.output_shape
        k, s, p = layer.k, layer.stride, layer.padding
        hp, wp = h + 2 * p, w + 2 * p
        self.shape, self.padded, self.p = (c, h, w), (c, hp, wp), p
        ch, i, j = np.meshgrid(np.arange(c), np.arange(k), np.arange(k), indexing="ij")
        oy, ox = np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")
        taps = (ch.ravel()[None, :] * hp + (oy.ravel()[:, None] * s + i.ravel()[None, :])) \
            * wp + ox.ravel()[:, None] * s + j.ravel()[None, :]
        self.taps = taps  # (positions, c*k*k) indices into one padded image
        self.cout, self.fan_in, self.positions = layer.cout, c * k * k, out_h * out_w
        n_weights = self.cout * self.fan_in
        self.weight = slice(start, start + n_weights)
        self.bias = slice(start + n_weights, start + n_weights + self.cout)

    def forward(self, np, theta, x):
        batch = x.shape[0]
        c, h, w = self.shape
        p = self.p
        images = x.reshape(batch, c, h, w)
        if p:
            images = np.pad(images, ((0, 0), (0, 0), (p, p), (p, p)))
        # (B * positions, fan_in): one 2-D product, much faster than a batched 3-D one
        self.cols = images.reshape(batch, -1)[:, self.taps].reshape(-1, self.fan_in)
        self.W = theta[self.weight].reshape(self.cout, self.fan_in)
        out = self.cols @ self.W.T + theta[self.bias]  # (B * positions, cout)
        return out.reshape(batch, self.positions, self.cout).transpose(0, 2, 1).reshape(batch, -1)

    def backward(self, np, g, grad, need_input: bool):
        batch = g.shape[0]
        g = g.reshape(batch, self.cout, self.positions).transpose(0, 2, 1)  # (B, P, cout)
        flat_g = g.reshape(-1, self.cout)
        grad[self.weight] += (flat_g.T @ self.cols).ravel()
        grad[self.bias] += flat_g.sum(axis=0)
        if not need_input:
            return None
        dcols = flat_g @ self.W  # (B * P, fan_in)
        size = int(np.prod(self.padded))
        index = (np.arange(batch)[:, None, None] * size + self.taps[None]).ravel()
        dpadded = np.bincount(index, weights=dcols.ravel(), minlength=batch * size)
        c, hp, wp = self.padded
        dpadded = dpadded.reshape(batch, c, hp, wp)
        p = self.p
        if p:
            dpadded = dpadded[:, :, p:hp - p, p:wp - p]
        return dpadded.reshape(batch, -1)


class _MaxPool:
    """The largest input of each window (the first of equal ones, as the scalar engine's
    ``a + relu(b - a)`` and PyTorch pick); backward adds each gradient to that input."""

    def __init__(self, np, layer: MaxPool2d):
        self.windows = np.array(list(layer.windows()))  # (outputs, k*k)
        self.size = int(np.prod(layer.input_shape))

    def forward(self, np, theta, x):
        # one pass per window offset (k*k of them): a strict > keeps the first maximum,
        # and is much faster than argmax along a short last axis
        best = x[:, self.windows[:, 0]]
        source = np.broadcast_to(self.windows[:, 0], best.shape).copy()
        for offset in range(1, self.windows.shape[1]):
            candidate = x[:, self.windows[:, offset]]
            larger = candidate > best
            best = np.where(larger, candidate, best)
            source[larger] = np.broadcast_to(self.windows[:, offset], best.shape)[larger]
        self.source = source
        return best

    def backward(self, np, g, grad, need_input: bool):
        if not need_input:
            return None
        batch = g.shape[0]
        index = (np.arange(batch)[:, None] * self.size + self.source).ravel()
        return np.bincount(index, weights=g.ravel(),
                           minlength=batch * self.size).reshape(batch, self.size)


class _Elementwise:
    """An activation from the ops table, forward and derivative rules on arrays."""

    def __init__(self, op: str):
        self.row = OPS[op]

    def forward(self, np, theta, x):
        self.x = x
        self.out = self.row.forward(np, x)
        return self.out

    def backward(self, np, g, grad, need_input: bool):
        return g * self.row.derivatives[0](np, self.out, self.x) if need_input else None


class _Identity:
    def forward(self, np, theta, x):
        return x

    def backward(self, np, g, grad, need_input: bool):
        return g


class LayerTape:
    """A batch forward and backward through compiled layers, in theta's order."""

    def __init__(self, kernels: list, n_params: int):
        import numpy as np

        self.np, self.kernels, self.n_params = np, kernels, n_params

    def forward(self, X, M=None, params=None):
        np = self.np
        self.theta = np.asarray(params, dtype=float)
        x = np.asarray(X, dtype=float)
        for kernel in self.kernels:
            x = kernel.forward(np, self.theta, x)
        return x

    def gradients(self, weights):
        """d(sum of ``weights * outputs``)/d theta, after :meth:`forward`."""
        np = self.np
        grad = np.zeros(self.n_params)
        g = np.asarray(weights, dtype=float)
        first = next((i for i, k in enumerate(self.kernels) if isinstance(k, (_Dense, _Conv))),
                     None)
        if first is None:
            return grad
        for index in range(len(self.kernels) - 1, first - 1, -1):
            g = self.kernels[index].backward(np, g, grad, need_input=index > first)
        return grad


def _mlp_kernels(np, model: MLP) -> Optional[list]:
    if model.dropout is not None and model.training and model.dropout.p:
        return None
    kernels, start = [], 0
    for layer in model.layers:
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)

        def block(theta, start=start, nin=nin, nout=nout):
            return theta[start:start + nout * (nin + 1)].reshape(nout, nin + 1)

        kernels.append(_Dense(nin, nout, lambda t, block=block, nin=nin: block(t)[:, :nin],
                              lambda t, block=block, nin=nin: block(t)[:, nin]))
        if layer.activation != "linear":
            kernels.append(_Elementwise(layer.activation))
        start += nout * (nin + 1)
    return kernels


def _sequential_kernels(np, model: Sequential) -> Optional[list]:
    kernels, start = [], 0
    for layer in model.modules:
        if isinstance(layer, Linear):
            n_weights, shape = layer.nin * layer.nout, layer.weight_shape()
            kernels.append(_Dense(
                layer.nin, layer.nout,
                lambda t, a=start, n=n_weights, s=shape: t[a:a + n].reshape(s),
                lambda t, a=start + n_weights, n=layer.nout: t[a:a + n]))
            start += n_weights + layer.nout
        elif isinstance(layer, Conv2d):
            kernels.append(_Conv(np, layer, start))
            start += len(layer.weight) + len(layer.bias)
        elif isinstance(layer, MaxPool2d):
            kernels.append(_MaxPool(np, layer))
        elif isinstance(layer, Activation):
            kernels.append(_Elementwise(layer.op))
        elif isinstance(layer, Flatten):
            kernels.append(_Identity())
        elif isinstance(layer, Dropout):
            if layer.training and layer.p:
                return None
            kernels.append(_Identity())
        else:
            return None
    return kernels


def layer_tape(model: Any) -> Optional[LayerTape]:
    """A :class:`LayerTape` for an :class:`~nn.MLP` or :class:`~nn.Sequential` (None
    for other models, a training dropout, or no numpy)."""
    try:
        import numpy as np
    except ImportError:
        return None
    if type(model) is MLP:
        kernels = _mlp_kernels(np, model)
    elif type(model) is Sequential:
        kernels = _sequential_kernels(np, model)
    else:
        return None
    return None if kernels is None else LayerTape(kernels, len(model.parameters()))


def batch_outputs(model: Any, X, chunk: int = 1024) -> Optional[list]:
    """Every row's outputs as lists of floats, computed on arrays (eval mode), or None
    when the model has no compiled form or the data is small and numpy not yet loaded
    (the caller then runs the scalar engine).  Importing numpy starts BLAS threads, and
    a process-wide signal may then land in one of them, past the main thread's
    ``pthread_sigmask`` (chainrule.run_files.signals_deferred): a small run that needs no
    numpy keeps it out."""
    if "numpy" not in sys.modules and len(X) * len(X[0] if len(X) else ()) < SMALL_DATA:
        return None
    tape = layer_tape(model)
    if tape is None:
        return None
    np = tape.np
    theta = np.array([p.data for p in model.parameters()], dtype=float)
    out = []
    for begin in range(0, len(X), chunk):
        out.extend(tape.forward(np.asarray(X[begin:begin + chunk], dtype=float),
                                params=theta).tolist())
    return out


def cross_entropy_rows(outputs: list, targets: list) -> Optional[list]:
    """Each row's cross entropy ``logsumexp(z) - z[target]`` on arrays (the scalar
    engine's formula, shifted by the row's max), or None when numpy is not loaded:
    :func:`loss_rows` for ``"cross_entropy"``.

    >>> import numpy
    >>> [round(v, 12) for v in cross_entropy_rows([[0.0, 0.0]], [1])]
    [0.69314718056]
    """
    return loss_rows("cross_entropy", outputs, targets)


# --- the losses on arrays ------------------------------------------------------------
# Each takes the batch's outputs (B, n) and targets and gives every row's loss (B,) and
# d(row's loss)/d(outputs) (B, n): the formula of the loss's scalar example in nn.losses,
# its kinks and smooth parts taken from the ops table's rows (relu, softplus), so both
# engines agree on, e.g., the slope of relu at exactly 0.


def _cross_entropy(np, z, targets):
    labels = np.asarray(targets, dtype=np.intp)
    rows = np.arange(len(z))
    shift = z.max(axis=1)
    exps = np.subtract(z, shift[:, None])
    np.exp(exps, out=exps)
    totals = exps.sum(axis=1)
    losses = np.log(totals) + (shift - z[rows, labels])
    seeds = np.divide(exps, totals[:, None], out=exps)  # softmax - onehot
    seeds[rows, labels] -= 1.0
    return losses, seeds


def _mse(np, z, targets):
    # the mean over an example's components, as mse_example: (o - t) * (o - t) each
    t = np.asarray(targets, dtype=float).reshape(z.shape)
    error = z - t
    n = z.shape[1]
    squares = (error * error).sum(axis=1)
    return (squares * (1.0 / n) if n > 1 else squares), error * (2.0 / n)


def _relu(np, a):
    row = OPS["relu"]
    out = row.forward(np, a)
    return out, row.derivatives[0](np, out, a)


def _bce(np, z, targets):
    # t * softplus(-x) + (1 - t) * softplus(x), as bce_with_logits_example
    softplus = OPS["softplus"]
    t = np.asarray(targets, dtype=float)[:, None]
    up, down = softplus.forward(np, z), softplus.forward(np, -z)
    losses = t * down + (1.0 - t) * up
    slope = -t * softplus.derivatives[0](np, down, -z) \
        + (1.0 - t) * softplus.derivatives[0](np, up, z)
    return losses[:, 0], slope


def _hinge(np, z, targets):
    # relu(1 + -y * score), as hinge_example
    y = np.asarray(targets, dtype=float)[:, None]
    losses, slope = _relu(np, 1 + -y * z)
    return losses[:, 0], slope * -y


def _multi_margin(np, z, targets, margin: float = 1.0):
    # sum over i != y of relu(margin - s_y + s_i), / C, as multi_margin_example
    labels = np.asarray(targets, dtype=np.intp)
    rows = np.arange(len(z))
    n = z.shape[1]
    terms, slope = _relu(np, margin - z[rows, labels][:, None] + z)
    others = np.ones_like(z, dtype=bool)
    others[rows, labels] = False
    terms, slope = np.where(others, terms, 0.0), np.where(others, slope, 0.0)
    seeds = slope * (1.0 / n)
    seeds[rows, labels] = -slope.sum(axis=1) * (1.0 / n)
    return terms.sum(axis=1) * (1.0 / n), seeds


ARRAY_LOSSES = {"cross_entropy": _cross_entropy, "mse": _mse, "bce": _bce,
                "hinge": _hinge, "multi_margin": _multi_margin}


def loss_rows(name: str, outputs, targets) -> Optional[list]:
    """Each row's loss ``name`` on arrays (the scalar example's formula), or None when
    numpy is not loaded or the loss has no array form.

    >>> import numpy
    >>> [round(v, 12) for v in loss_rows("hinge", [[0.25], [3.0]], [1.0, -1.0])]
    [0.75, 4.0]
    """
    if "numpy" not in sys.modules or name not in ARRAY_LOSSES:
        return None
    import numpy as np

    losses, _ = ARRAY_LOSSES[name](np, np.asarray(outputs, dtype=float), targets)
    return losses.tolist()
