"""nn.conv_lesson: a kernel weight's gradient as the sum over the positions it touched.
Oracle: backward() on the scalar engine through the same convolution (padding, stride)."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value
from nn.conv_lesson import weight_gradient_rows


@given(k=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 1),
       cout=st.integers(1, 2), seed=st.integers(0, 1000))
def test_each_weights_sum_over_its_positions_is_its_backward_gradient(k, stride, padding,
                                                                      cout, seed):
    conv = nn.Conv2d(1, cout, k, stride=stride, padding=padding, seed=seed)
    nn.Sequential(conv, nn.Flatten(), input_shape=(1, 5, 5))
    rng = random.Random(seed)
    image = [rng.uniform(-1, 1) for _ in range(25)]
    outputs = conv.forward([Value(v) for v in image])
    upstream = [rng.uniform(-1, 1) for _ in outputs]
    conv.zero_grad()
    sum((o * g for o, g in zip(outputs, upstream)), Value(0.0)).backward()
    rows = weight_gradient_rows(conv, image, upstream)
    assert [row.gradient for row in rows] == pytest.approx([w.grad for w in conv.weight],
                                                           abs=1e-12)
    out_h = conv.output_shape[1]
    if padding == 0:  # without padding every weight touches every output position once
        assert all(len(row.terms) == out_h * out_h for row in rows)


def test_a_wrong_number_of_upstream_gradients_is_one_line():
    conv = nn.Conv2d(1, 1, 3, seed=0)
    nn.Sequential(conv, nn.Flatten(), input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="has 9 outputs but got 4 upstream"):
        weight_gradient_rows(conv, [0.0] * 25, [1.0] * 4)
