"""A convolution's backward pass, shown like a neuron's: each kernel weight touched
every output position, so its gradient is the sum, over those positions, of
``input under the weight * upstream gradient of that output``.

>>> from nn.layers import Conv2d, Sequential, Flatten
>>> conv = Conv2d(1, 1, 3, seed=0)
>>> model = Sequential(conv, Flatten(), input_shape=(1, 5, 5))   # a 5x5 image, 3x3 kernel
>>> image = [float((3 * i) % 7) for i in range(25)]
>>> rows = weight_gradient_rows(conv, image, upstream=[1.0] * 9)
>>> rows[0].weight, len(rows[0].terms), rows[0].gradient
('0.weight[0,0,0,0]', 9, 22.0)
>>> print(rows[0].sum_text())
dL/dw[0,0,0,0] = 0*1 + 3*1 + 6*1 + 1*1 + 4*1 + 0*1 + 2*1 + 5*1 + 1*1 = 22

:func:`weight_gradient_rows` computes the sums by hand from the forward pass's inputs;
tests/test_conv_lesson.py checks them against ``backward()`` (and PyTorch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .layers import Conv2d

__all__ = ["WeightGradientRow", "weight_gradient_rows"]


def _number(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class WeightGradientRow:
    """One kernel weight: its name, the ``(output position, input, upstream)`` it met at
    each position it touched, and the sum of their products (its gradient)."""

    weight: str
    terms: tuple  # ((out_channel, oy, ox), input value, upstream gradient)
    gradient: float

    def sum_text(self) -> str:
        index = self.weight.split("[", 1)[1] if "[" in self.weight else self.weight
        parts = " + ".join(f"{_number(x)}*{_number(g)}" for _, x, g in self.terms)
        return f"dL/dw[{index} = {parts or '0'} = {_number(self.gradient)}"


def weight_gradient_rows(conv: Conv2d, image: Sequence[float],
                         upstream: Sequence[float]) -> list[WeightGradientRow]:
    """For every weight of ``conv`` (built inside a model, so its shapes are known): the
    positions it touched on ``image`` and ``upstream`` (dL/d output, one per output in
    (C, H, W) order), and its gradient as their sum."""
    if conv.input_shape is None:
        raise ValueError(f"{conv!r} has no input shape yet; build it inside a Sequential "
                         "with input_shape=(C, H, W)")
    cout, out_h, out_w = conv.output_shape
    if len(upstream) != cout * out_h * out_w:
        raise ValueError(f"{conv!r} has {cout * out_h * out_w} outputs but got "
                         f"{len(upstream)} upstream gradients; give one per output")
    if len(image) != math.prod(conv.input_shape):
        raise ValueError(f"{conv!r} takes images of shape {conv.input_shape} but got "
                         f"{len(image)} numbers")
    fan_in = conv.cin * conv.k * conv.k
    terms: dict = {}
    for o in range(cout):
        for oy in range(out_h):
            for ox in range(out_w):
                g = float(upstream[(o * out_h + oy) * out_w + ox])
                for offset, index in conv.taps(oy, ox):
                    terms.setdefault(o * fan_in + offset, []).append(
                        ((o, oy, ox), float(image[index]), g))
    rows = []
    for flat, weight in enumerate(conv.weight):
        touched = tuple(terms.get(flat, ()))
        gradient = 0.0
        for _, x, g in touched:
            gradient += x * g
        rows.append(WeightGradientRow(weight.label, touched, gradient))
    return rows
