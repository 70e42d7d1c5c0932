"""Every loss on arrays (nn.compiled_layers.ARRAY_LOSSES) against the scalar engine.

Each row's loss and its gradient with respect to the model's outputs must be those of
the loss's scalar example (nn.losses) run through ``backward()``, to 1e-9; and
``fit(compile=True)`` on a Sequential trains on arrays for every loss, never tracing a
scalar graph, with the scalar engine's weights.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn.compiled
from autograd import Value
from nn import evaluate, fit
from nn.compiled_layers import ARRAY_LOSSES, loss_rows
from nn.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Tanh
from nn.losses import LOSSES

score = st.floats(-30, 30, allow_nan=False)
# the kinks too: hinge's 1 - y*s = 0 and a margin term's 0 come out exactly
kinky = st.one_of(score, st.sampled_from([-1.0, 0.0, 1.0, 0.5]))


@st.composite
def batch(draw, loss: str):
    rows = draw(st.integers(1, 5))
    classes = 1 if loss in ("bce", "hinge") else draw(st.integers(2, 4))
    if loss == "mse" and draw(st.booleans()):
        classes = 1
    outputs = [[draw(kinky) for _ in range(classes)] for _ in range(rows)]
    if loss in ("cross_entropy", "multi_margin"):
        targets = [draw(st.integers(0, classes - 1)) for _ in range(rows)]
    elif loss == "hinge":
        targets = [draw(st.sampled_from([-1.0, 1.0])) for _ in range(rows)]
    elif loss == "bce":
        targets = [draw(st.sampled_from([0.0, 1.0])) for _ in range(rows)]
    elif classes == 1:
        targets = [draw(score) for _ in range(rows)]
    else:
        targets = [[draw(score) for _ in range(classes)] for _ in range(rows)]
    return outputs, targets


def scalar_rows(loss: str, outputs, targets):
    """The scalar engine: each row's loss, and d loss / d outputs by backward()."""
    losses, grads = [], []
    for out, t in zip(outputs, targets):
        values = [Value(o) for o in out]
        L = LOSSES[loss].example(values if len(values) > 1 else values[0], t)
        L.backward()
        losses.append(L.data)
        grads.append([v.grad for v in values])
    return losses, grads


def test_every_loss_fit_offers_has_an_array_form():
    assert set(ARRAY_LOSSES) == set(LOSSES)


@pytest.mark.parametrize("loss", sorted(ARRAY_LOSSES))
@given(data=st.data())
def test_each_rows_loss_and_gradient_are_the_scalar_engines(loss, data):
    outputs, targets = data.draw(batch(loss))
    losses, seeds = ARRAY_LOSSES[loss](np, np.array(outputs, dtype=float), targets)
    expected_losses, expected_grads = scalar_rows(loss, outputs, targets)
    assert losses.tolist() == pytest.approx(expected_losses, rel=1e-9, abs=1e-9)
    assert seeds.tolist() == [pytest.approx(g, rel=1e-9, abs=1e-9) for g in expected_grads]
    assert loss_rows(loss, outputs, targets) == pytest.approx(expected_losses, rel=1e-9,
                                                              abs=1e-9)


def conv_net(outputs: int, seed: int = 0):
    return Sequential(Conv2d(1, 2, 3, padding=1, seed=seed), ReLU(), MaxPool2d(2), Flatten(),
                      Linear(8, 4, seed=seed + 1), Tanh(), Linear(4, outputs, seed=seed + 2),
                      input_shape=(1, 4, 4))


def data_for(loss: str, rows: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 16)).round(3).tolist()
    labels = [int(v) for v in rng.integers(0, 3 if LOSSES[loss].multi_output else 2, rows)]
    outputs = 3 if LOSSES[loss].multi_output else 1
    return X, labels, outputs


@pytest.mark.parametrize("loss", ["mse", "bce", "hinge", "multi_margin", "cross_entropy"])
def test_compiled_fit_of_a_conv_net_runs_on_arrays_with_the_scalar_engines_weights(
        loss, monkeypatch):
    X, y, outputs = data_for(loss)
    scalar, compiled = conv_net(outputs), conv_net(outputs)
    fit(scalar, X, y, loss=loss, optimizer="adam", lr=0.01, epochs=2, batch_size=4,
        progress=False)

    def traced(*args, **kwargs):
        raise AssertionError(f"fit(compile=True) traced a scalar graph for loss {loss!r}")

    monkeypatch.setattr(nn.compiled, "CompiledLoss", traced)
    history = fit(compiled, X, y, loss=loss, optimizer="adam", lr=0.01, epochs=2,
                  batch_size=4, progress=False, compile=True)
    assert [p.data for p in compiled.parameters()] == pytest.approx(
        [p.data for p in scalar.parameters()], rel=1e-9, abs=1e-9)
    assert history.train_loss[-1] == pytest.approx(
        fit(conv_net(outputs), X, y, loss=loss, optimizer="adam", lr=0.01, epochs=2,
            batch_size=4, progress=False).train_loss[-1], rel=1e-9)


@pytest.mark.parametrize("loss", ["mse", "bce", "hinge", "multi_margin"])
def test_evaluate_runs_every_loss_on_arrays_with_the_scalar_losses_number(loss, monkeypatch):
    X, y, outputs = data_for(loss, rows=10, seed=3)
    model = conv_net(outputs, seed=4)
    targets = [LOSSES[loss].target(t, outputs) for t in y]
    expected, _ = scalar_rows(loss, [model.forward_data(x) for x in X], targets)

    def on_values(*args):
        raise AssertionError(f"evaluate built the scalar graph of {loss!r} row by row")

    monkeypatch.setattr(LOSSES[loss], "example", on_values)
    result = evaluate(model, X, y, loss=loss)
    assert result["loss"] == pytest.approx(sum(expected) / len(X), rel=1e-12)


def test_a_loss_of_ones_own_named_like_a_built_in_is_not_replaced():
    from nn.losses import Loss

    doubled = Loss("mse", lambda out, t: 2 * LOSSES["mse"].example(out, t),
                   LOSSES["mse"].predict, LOSSES["mse"].target, False)
    batch_loss = nn.compiled.ArrayBatchLoss(conv_net(1), doubled, [0.0] * 16, 1.0)
    assert not batch_loss.fused
