"""Layers, activations, initializers, dropout and train/eval modes.

Oracles: micrograd 0.1.0 (initial weights and forward floats), PyTorch float64
(activation values and slopes), and the variance formulas of Glorot & Bengio and
He et al. (sample statistics of large layers).
"""

import random
import statistics

import micrograd.nn as micrograd_nn
import pytest
import torch

from autograd import Value
from nn import MLP, Dropout, Layer, Neuron
from nn.modules import INITIALIZERS, activate, activate_data


def test_default_init_and_forward_are_micrograds():
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in ([0.5, -1.25], [2.0, 3.0], [-0.7, 0.1]):
        assert ours(x).data == theirs(x).data == ours.forward_data(x)[0]
    assert isinstance(ours([1.0, 1.0]), Value)


def test_seeded_init_is_reproducible_and_leaves_global_random_alone():
    random.seed(5)
    expected_next = random.random()
    random.seed(5)
    a = MLP(3, [4, 2], init="he", seed=11)
    assert random.random() == expected_next
    b = MLP(3, [4, 2], init="he", rng=random.Random(11))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    c = MLP(3, [4, 2], init="he", seed=12)
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


@pytest.mark.parametrize("name,torch_init,fan_in,fan_out", [
    ("xavier", torch.nn.init.xavier_uniform_, 300, 100),
    ("xavier_normal", torch.nn.init.xavier_normal_, 300, 100),
    ("he", lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"), 300, 100),
    ("he_uniform", lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu"), 300, 100),
])
def test_initializer_spread_matches_torch(name, torch_init, fan_in, fan_out):
    layer = Layer(fan_in, fan_out, init=name, seed=0)
    ours = [w.data for n in layer.neurons for w in n.w]
    theirs = torch_init(torch.empty(fan_out, fan_in, dtype=torch.float64)).flatten().tolist()
    # 30,000 samples: the sample std is within ~1% of the true one
    assert statistics.pstdev(ours) == pytest.approx(statistics.pstdev(theirs), rel=0.03)
    assert abs(statistics.fmean(ours)) < 0.01
    if name.endswith("uniform") or name == "xavier":
        assert max(map(abs, ours)) <= max(map(abs, theirs)) * 1.001
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_unknown_names_are_explained():
    with pytest.raises(ValueError, match="unknown init 'lecun'; choose one of"):
        Neuron(2, init="lecun")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        MLP(2, [3, 1], activation="gelu")
    with pytest.raises(ValueError, match="3 activations for 2 layers"):
        MLP(2, [3, 1], activation=["relu", "relu", "linear"])
    assert set(INITIALIZERS) >= {"uniform", "xavier", "he"}


@pytest.mark.parametrize("name,torch_fn", [
    ("relu", torch.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid),
    ("leaky_relu", torch.nn.functional.leaky_relu), ("linear", lambda t: t),
])
@pytest.mark.parametrize("x", [-2.5, -0.3, 0.7, 3.0])
def test_activations_match_torch(name, torch_fn, x):
    v = Value(x)
    out = activate(name, v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    expected = torch_fn(t)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-12)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-12)
    assert activate_data(name, x) == out.data


def test_each_layer_takes_an_activation_and_one_neuron_hidden_layer_works():
    model = MLP(2, [1, 3, 2], activation=["tanh", "leaky_relu", "sigmoid"], seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "leaky_relu", "sigmoid"]
    out = model([0.3, -0.2])
    assert len(out) == 2 and all(0 < o.data < 1 for o in out)
    assert isinstance(model.layers[0].outputs([0.3, -0.2]), list)
    assert [o.data for o in out] == model.forward_data([0.3, -0.2])


def test_dropout_scales_kept_inputs_and_is_identity_in_eval():
    drop = Dropout(0.25, seed=3)
    xs = [Value(1.0) for _ in range(4000)]
    out = [v.data for v in drop(xs)]
    assert set(out) == {0.0, 1.0 / 0.75}
    assert out.count(0.0) / len(out) == pytest.approx(0.25, abs=0.03)
    assert statistics.fmean(out) == pytest.approx(1.0, abs=0.05)  # inverted dropout
    drop.eval()
    assert [v.data for v in drop(xs[:3])] == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"must be in \[0, 1\)"):
        Dropout(1.0)


def test_train_and_eval_reach_nested_dropout():
    model = MLP(2, [8, 8, 1], dropout=0.5, seed=1)
    assert model.training and model.dropout.training
    assert model.eval() is model
    assert not model.dropout.training and not model.layers[0].neurons[0].training
    x = [0.4, -0.9]
    assert model(x).data == model(x).data == model.forward_data(x)[0]
    model.train()
    outs = {model(x).data for _ in range(20)}
    assert len(outs) > 1  # dropout draws a new mask each call


def test_dropout_gradient_flows_only_through_kept_inputs():
    drop = Dropout(0.5, seed=0)
    xs = [Value(2.0) for _ in range(10)]
    out = drop(xs)
    total = sum(out[1:], out[0])
    total.backward()
    for x, o in zip(xs, out):
        assert x.grad == (2.0 if o.data else 0.0)
