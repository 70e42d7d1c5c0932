"""Names (issue 11 item 1): every parameter and every node of a model call has a readable,
unique name, counted from 1 as lecture notes do.

Properties, for random architectures and activations:
- ``named_parameters()`` pairs each parameter of ``parameters()`` (same order, same
  objects) with ``L<layer>.N<neuron>.w<input>`` / ``.b``, built here from the shape alone
  (the oracle), and each parameter's ``.label`` is its name;
- every node a model call creates has a non-empty label that names its neuron and
  role, none looks like a serial (``#12``), and plain-number inputs are ``x1 ... xn``.
"""

import re

from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from autograd.graph import topological_order
from nn import MLP, Layer, Module, Neuron

ACTIVATION_NAMES = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]

shapes = st.tuples(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=1, max_size=3))


def _expected_names(nin, nouts):
    sizes = [nin] + nouts
    return [f"L{layer}.N{neuron}.{part}"
            for layer in range(1, len(nouts) + 1)
            for neuron in range(1, sizes[layer] + 1)
            for part in [f"w{i}" for i in range(1, sizes[layer - 1] + 1)] + ["b"]]


@given(shapes)
def test_named_parameters_follow_the_shape_in_parameters_order(shape):
    nin, nouts = shape
    model = MLP(nin, nouts, seed=0)
    pairs = model.named_parameters()
    assert [name for name, _ in pairs] == _expected_names(nin, nouts)
    assert [p for _, p in pairs] == model.parameters()  # the same objects, same order
    assert all(p.label == name for name, p in pairs)


def test_named_parameters_of_a_small_network_by_hand():
    names = [name for name, _ in MLP(2, [2, 1], seed=0).named_parameters()]
    assert names == ["L1.N1.w1", "L1.N1.w2", "L1.N1.b", "L1.N2.w1", "L1.N2.w2", "L1.N2.b",
                     "L2.N1.w1", "L2.N1.w2", "L2.N1.b"]


@given(shapes, st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=3, max_size=3),
       st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_every_node_of_a_model_call_is_named_by_neuron_and_role(shape, activations, xs):
    nin, nouts = shape
    model = MLP(nin, nouts, activation=activations[:len(nouts)], seed=1)
    out = model(xs[:nin])
    outputs = out if isinstance(out, list) else [out]
    nodes = {id(n): n for o in outputs for n in topological_order(o)}.values()
    labels = [n.label for n in nodes]
    assert all(labels), [n for n in nodes if not n.label]
    assert not any(re.search(r"#\d", label) for label in labels)
    inputs = sorted(n.label for n in nodes if not n._prev and not n.label.startswith("L"))
    assert inputs == sorted(f"x{i}" for i in range(1, nin + 1))
    role = re.compile(r"^L\d+\.N\d+ (w\d+·x\d+|Σ\d*|relu|tanh|sigmoid|leaky_relu)$")
    for node in nodes:
        if node._prev:
            assert role.match(node.label), node.label
    assert len(labels) == len(set(labels))  # unique within one call


def test_roles_of_one_neuron_read_as_its_formula():
    neuron = Layer(3, 2, activation="tanh", seed=0).neurons[1]
    out = neuron([1.0, 2.0, 3.0])
    sums, products = [], []
    node = out._prev[0]
    while node._op == "add":  # b + w1·x1 + w2·x2 + w3·x3, left to right
        partial, product = node._prev
        sums.append(node.label)
        products.append(product.label)
        node = partial
    assert out.label == "L1.N2 tanh"
    assert sums == ["L1.N2 Σ", "L1.N2 Σ2", "L1.N2 Σ1"]
    assert products == ["L1.N2 w3·x3", "L1.N2 w2·x2", "L1.N2 w1·x1"]
    assert node is neuron.b and node.label == "L1.N2.b"


def test_a_linear_output_is_its_weighted_sum_and_given_values_keep_their_labels():
    model = MLP(2, [1], seed=0)
    x = [Value(0.5, "height"), 2.0]
    out = model(x)
    assert out.label == "L1.N1 Σ" and out._op == "add"
    leaves = {n.label for n in topological_order(out) if not n._prev}
    assert {"height", "x2"} <= leaves and x[0].label == "height"


def test_stand_alone_neurons_and_layers_have_names_too():
    assert [n for n, _ in Neuron(2).named_parameters()] == ["w1", "w2", "b"]
    assert Neuron(1, activation="relu")([2.0]).label == "relu"
    assert [n for n, _ in Layer(1, 2, name="L3").named_parameters()] == \
        ["L3.N1.w1", "L3.N1.b", "L3.N2.w1", "L3.N2.b"]


def test_dropout_outputs_say_where_they_come_from():
    model = MLP(2, [3, 1], dropout=0.5, seed=0)
    hidden = model.layers[0].outputs([1.0, 2.0])
    dropped = model.dropout(hidden)
    assert [v.label for v in dropped] == [f"L1.N{j} relu dropout" for j in (1, 2, 3)]


def test_any_module_gets_named_parameters_from_its_labels():
    class Affine(Module):
        def __init__(self):
            self.scale, self.shift = Value(2.0, "scale"), Value(0.0)

        def parameters(self):
            return [self.scale, self.shift]

    assert [n for n, _ in Affine().named_parameters()] == ["scale", "p2"]
