"""Layers compiled as layers (nn.compiled_layers): numpy kernels per layer must give the
scalar engine's outputs and parameter gradients to 1e-9, on hypothesis-drawn conv nets
(padding, stride, pooling) and MLPs; fit(compile=True) on them must train as the scalar
engine does; predict/evaluate on arrays must agree with the graph-free scalar path."""

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_nn_layers import conv_nets

import nn
from nn.compiled_layers import batch_outputs, layer_tape


def scalar_outputs_and_grads(model, X, seeds):
    model.zero_grad()
    outputs, total = [], None
    for x, row_seeds in zip(X, seeds):
        out = model(x)
        out = out if isinstance(out, list) else [out]
        outputs.append([o.data for o in out])
        row = sum((o * float(s) for o, s in zip(out[1:], row_seeds[1:])),
                  out[0] * float(row_seeds[0]))
        total = row if total is None else total + row
    total.backward()
    return outputs, [p.grad for p in model.parameters()]


def check_against_the_scalar_engine(model, X):
    rng = np.random.default_rng(len(X))
    tape = layer_tape(model)
    assert tape is not None
    theta = np.array([p.data for p in model.parameters()])
    out = tape.forward(np.array(X), None, params=theta)
    seeds = rng.uniform(-1, 1, out.shape)
    grad = tape.gradients(weights=seeds)
    want_out, want_grad = scalar_outputs_and_grads(model, X, seeds.tolist())
    assert out.ravel().tolist() == pytest.approx(sum(want_out, []), abs=1e-9)
    assert grad.tolist() == pytest.approx(want_grad, abs=1e-9)


@given(conv_nets())
def test_compiled_conv_nets_give_the_scalar_engines_numbers(case):
    model, X = case
    check_against_the_scalar_engine(model, X)


@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
       seed=st.integers(0, 1000), rows=st.integers(1, 4))
def test_compiled_mlps_give_the_scalar_engines_numbers(sizes, activation, seed, rows):
    model = nn.MLP(3, sizes, activation=activation, seed=seed)
    rng = random.Random(seed)
    check_against_the_scalar_engine(model, [[rng.uniform(-2, 2) for _ in range(3)]
                                            for _ in range(rows)])


def test_max_pool_ties_route_to_the_first_maximum_on_arrays_too():
    # two channels whose 1x1 convolution ties at positions 0 and 1: the weights'
    # gradients say which position the pool chose
    model = nn.Sequential(nn.Conv2d(2, 1, 1, seed=0), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(1, 1, seed=0), input_shape=(2, 2, 2))
    for p, value in zip(model.parameters(), [1.0, 1.0, 0.0, 1.0, 0.0]):
        p.data = value
    check_against_the_scalar_engine(model, [[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]])


def test_a_training_dropout_is_left_to_the_traced_tape():
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Dropout(0.5), nn.Linear(2, 1, seed=0))
    assert layer_tape(model) is None
    assert layer_tape(model.eval()) is not None
    assert layer_tape(nn.MLP(2, [3, 1], dropout=0.5, seed=0)) is None


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_fit_on_compiled_layers_trains_as_the_scalar_engine(optimizer):
    def make():
        return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, seed=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(12, 3, seed=2), input_shape=(1, 4, 4))

    rng = random.Random(3)
    X = [[rng.uniform(0, 1) for _ in range(16)] for _ in range(10)]
    y = [i % 3 for i in range(10)]
    scalar, compiled = make(), make()
    kwargs = dict(optimizer=optimizer, lr=0.05, epochs=3, batch_size=4, progress=False,
                  weight_decay=0.01, validation_data=(X[:4], y[:4]))
    h1 = nn.fit(scalar, X, y, **kwargs)
    h2 = nn.fit(compiled, X, y, compile=True, **kwargs)
    assert h2.train_loss == pytest.approx(h1.train_loss, abs=1e-9)
    assert h2.val_loss == pytest.approx(h1.val_loss, abs=1e-9)
    assert [p.data for p in compiled.parameters()] == pytest.approx(
        [p.data for p in scalar.parameters()], abs=1e-9)


def test_predict_and_evaluate_on_arrays_agree_with_the_scalar_path():
    model = nn.Sequential(nn.Conv2d(1, 2, 2, seed=0), nn.Tanh(), nn.Flatten(),
                          nn.Linear(18, 4, seed=1), input_shape=(1, 4, 4))
    rng = random.Random(0)
    X = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(30)]
    y = [rng.randrange(4) for _ in range(30)]
    arrays = batch_outputs(model, X, chunk=7)
    assert sum(arrays, []) == pytest.approx(sum((model.forward_data(x) for x in X), []),
                                            abs=1e-12)
    assert nn.predict(model, X) == [max(range(4), key=out.__getitem__) for out in arrays]
    result = nn.evaluate(model, X, y)
    assert 0.0 <= result["accuracy"] <= 1.0 and result["loss"] > 0


@given(st.lists(st.lists(st.floats(-30, 30), min_size=3, max_size=3), min_size=1, max_size=8),
       st.data())
def test_evaluates_cross_entropy_on_arrays_is_the_scalar_losss(outputs, data):
    from nn.compiled_layers import cross_entropy_rows
    from nn.losses import cross_entropy_example

    targets = data.draw(st.lists(st.integers(0, 2), min_size=len(outputs),
                                 max_size=len(outputs)))
    want = [cross_entropy_example(out, t).data for out, t in zip(outputs, targets)]
    assert cross_entropy_rows(outputs, targets) == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_numpy_matrices_are_checked_at_once_and_a_nan_is_still_named():
    model = nn.MLP(3, [4, 2], seed=0)
    X = np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]])
    assert nn.predict(model, X) == nn.predict(model, X.tolist())
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="nan at row 1, column 2"):
        nn.predict(model, X)


@pytest.mark.parametrize("compile", [False, True], ids=["scalar", "compiled"])
def test_fit_on_a_numpy_matrix_trains_as_on_lists(compile):
    rng = random.Random(1)
    X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(12)]
    y = [i % 2 for i in range(12)]
    on_lists, on_array = nn.MLP(3, [4, 2], seed=0), nn.MLP(3, [4, 2], seed=0)
    h1 = nn.fit(on_lists, X, y, epochs=2, batch_size=5, progress=False, compile=compile)
    h2 = nn.fit(on_array, np.array(X), np.array(y), epochs=2, batch_size=5, progress=False,
                compile=compile)
    assert h2.train_loss == pytest.approx(h1.train_loss, abs=1e-12)
    X_bad = np.array(X)
    X_bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="inf at row 3, column 1"):
        nn.fit(nn.MLP(3, [2], seed=0), X_bad, y, progress=False)
