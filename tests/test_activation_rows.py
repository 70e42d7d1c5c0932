"""nn's activations come from the ops table's rows marked ``activation`` and nowhere else:
every such row builds an MLP, its gradients match central differences, and it compiles
(the compiled fit trains to the same weights as the scalar fit)."""

import math

import pytest

import nn
from autograd.ops import OPS, activation_ops
from nn import MLP, fit

ROWS = activation_ops()


def test_activation_rows_are_the_only_list():
    assert ROWS == tuple(name for name, op in OPS.items() if op.activation)
    assert set(nn.ACTIVATIONS) == set(ROWS) | {"linear"}


@pytest.mark.parametrize("name", ROWS)
def test_every_activation_row_trains_in_mlp(name):
    model = MLP(2, [3, 1], activation=name, seed=0)
    x = [0.7, -0.4]
    out = model(x)
    model.zero_grad()
    out.backward()
    h = 1e-6
    for p in model.parameters():
        keep = p.data
        p.data = keep + h
        up = model(x).data
        p.data = keep - h
        down = model(x).data
        p.data = keep
        assert math.isclose(p.grad, (up - down) / (2 * h), rel_tol=1e-5, abs_tol=1e-8), name


@pytest.mark.parametrize("name", ROWS)
def test_every_activation_row_compiles(name):
    X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5], [0.1, 2.0]]
    y = [0, 1, 1, 0]
    trained = []
    for compile in (False, True):
        model = MLP(2, [3, 2], activation=name, seed=0)
        fit(model, X, y, epochs=3, batch_size=2, progress=False, compile=compile)
        trained.append([p.data for p in model.parameters()])
    for a, b in zip(*trained):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), name
