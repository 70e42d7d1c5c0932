"""nn core: micrograd 0.1.0 compatibility (its own code is the oracle) and its one-neuron fix."""

import random

import micrograd.engine as micrograd_engine
import micrograd.nn as micrograd_nn
import pytest

from autograd import Value
from chainrule.demo import demo_loss
from nn import MLP, Layer, Neuron
from nn.data import make_moons


def test_structure_matches_micrograd():
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    random.seed(0)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    assert repr(model) == repr(theirs)
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == \
        [n.nonlin for layer in theirs.layers for n in layer.neurons]
    out = model([0.5, -1.5])
    assert isinstance(out, Value)
    assert out.data == theirs([0.5, -1.5]).data


def _micrograd_demo_losses(X, y, steps):
    Value_ = micrograd_engine.Value
    random.seed(1337)
    model = micrograd_nn.MLP(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        inputs = [list(map(Value_, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
        reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(total.data)
    return losses


def test_demo_losses_match_micrograd_step_for_step():
    X, labels = make_moons(100, noise=0.1, seed=1)
    y = [2 * t - 1 for t in labels]
    steps = 8
    expected = _micrograd_demo_losses(X, y, steps)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    for k in range(steps):
        total, _ = demo_loss(model, X, y)
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        # micrograd sums grads in set order, so the last bits may differ; nothing more.
        assert total.data == pytest.approx(expected[k], rel=1e-12, abs=1e-15), f"step {k}"


def test_one_neuron_hidden_layer_works():
    random.seed(3)
    model = MLP(3, [1, 4, 1])
    x = [1.0, 2.0, 3.0]
    out = model(x)
    assert isinstance(out, Value)
    # The same network by hand, in floats: 3 -> 1 (relu) -> 4 (relu) -> 1 (linear).
    h = [x]
    for layer, relu in zip(model.layers, (True, True, False)):
        row = []
        for n in layer.neurons:
            s = sum((w.data * xi for w, xi in zip(n.w, h[-1])), n.b.data)
            row.append(max(s, 0.0) if relu else s)
        h.append(row)
    assert out.data == h[-1][0]
    with pytest.raises(TypeError):  # micrograd's own bug, for the record
        random.seed(3)
        micrograd_nn.MLP(3, [1, 4, 1])(x)


def test_layer_returns_value_for_single_output_and_list_otherwise():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    assert len(Layer(2, 3)([1.0, 2.0])) == 3
    assert len(MLP(2, [3, 2])([1.0, 2.0])) == 2


@pytest.mark.parametrize("activation,check", [
    ("relu", lambda s, o: o == max(s, 0.0)),
    ("tanh", lambda s, o: o == pytest.approx(__import__("math").tanh(s))),
    ("sigmoid", lambda s, o: 0.0 < o < 1.0),
    ("linear", lambda s, o: o == s),
])
def test_activation_argument(activation, check):
    random.seed(5)
    n = Neuron(3, activation=activation)
    x = [0.3, -1.2, 2.0]
    s = sum((w.data * xi for w, xi in zip(n.w, x)), n.b.data)
    assert check(s, n(x).data)


def test_mlp_activation_applies_to_hidden_layers_only():
    model = MLP(2, [4, 4, 1], activation="tanh")
    assert [n.activation for n in model.layers[0].neurons] == ["tanh"] * 4
    assert model.layers[-1].neurons[0].activation == "linear"


def test_bad_arguments_have_clear_errors():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Neuron(2, activation="swish")
    with pytest.raises(ValueError, match="got 3 inputs but has 2 weights"):
        Neuron(2)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])


def test_zero_grad():
    model = MLP(2, [3, 1])
    model([1.0, 1.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
