"""The network diagram and its stepper: every number checked against PyTorch."""

from __future__ import annotations

import doctest
import json
import re
import warnings

import pytest
import torch

import visualize.network
from nn import MLP
from visualize import GraphTooLargeWarning, draw_network_diagram, network_stepper_html
from visualize.network import run_network

X, TARGET = [1.0, -2.0], 1.0


def test_docstring_examples_run():
    assert doctest.testmod(visualize.network).failed == 0


def _torch_pass(model, x, target):
    """The same network in PyTorch: per layer z, a, and the grads of L = (out - t)**2."""
    weights = [torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                            dtype=torch.float64, requires_grad=True) for layer in model.layers]
    biases = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                           requires_grad=True) for layer in model.layers]
    a = torch.tensor(x, dtype=torch.float64)
    zs, acts = [], []
    for i, (W, b) in enumerate(zip(weights, biases)):
        z = W @ a + b
        z.retain_grad()
        a = torch.tanh(z) if model.layers[i].neurons[0].activation == "tanh" else z
        a.retain_grad()
        zs.append(z)
        acts.append(a)
    loss = ((a - target) ** 2).sum()
    loss.backward()
    return weights, biases, zs, acts, loss


def test_every_neuron_and_weight_number_matches_pytorch():
    model = MLP(2, [3, 2, 1], activation="tanh", seed=3)
    run = run_network(model, X, target=TARGET)
    weights, biases, zs, acts, loss = _torch_pass(model, X, TARGET)
    assert run.loss.data == pytest.approx(loss.item(), rel=1e-12)
    for row in run.rows:
        layer, j = row.layer - 1, row.neuron - 1
        z = visualize.network._z(row)
        assert z.data == pytest.approx(zs[layer][j].item(), rel=1e-12)
        assert row.output == pytest.approx(acts[layer][j].item(), rel=1e-12)
        assert row.node.grad == pytest.approx(acts[layer].grad[j].item(), rel=1e-9)  # dL/da
        assert z.grad == pytest.approx(zs[layer].grad[j].item(), rel=1e-9)          # dL/dz
        slope = visualize.network._slope(row)
        assert slope * row.node.grad == pytest.approx(zs[layer].grad[j].item(), rel=1e-9)
        for k, w in enumerate(visualize.network._weights(row)):
            assert w.grad == pytest.approx(weights[layer].grad[j, k].item(), rel=1e-9)


def test_the_stepper_explains_each_neuron_with_the_right_numbers():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    page = network_stepper_html(model, X, target=TARGET)
    steps = json.loads(re.search(r'id="steps-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    _, _, zs, _, _ = _torch_pass(MLP(2, [3, 1], activation="tanh", seed=0), X, TARGET)
    modes = [s["mode"] for s in steps]
    assert modes.index("backward") == len(modes) - modes[::-1].index("forward")
    neuron_steps = [s for s in steps if s["mode"] == "backward" and s.get("quiz")]
    assert len(neuron_steps) == 4                        # one per neuron, output first
    assert neuron_steps[0]["title"].startswith("L2.N1")
    for s in neuron_steps:
        layer, neuron = map(int, re.match(r"L(\d)\.N(\d)", s["title"]).groups())
        dz = s["quiz"][1]["answer"]
        assert dz == pytest.approx(zs[layer - 1].grad[neuron - 1].item(), rel=1e-9)
        assert any(line.startswith("act'(z)") for line in s["lines"])
        assert any(line.startswith("dL/da") for line in s["lines"])
    weight_steps = [s for s in steps if s["title"].endswith("the weights' gradients")]
    assert len(weight_steps) == 4 and "dL/dw = dL/dz * x" in weight_steps[0]["lines"][0]


def test_edges_show_sign_by_colour_and_size_by_width():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    source = draw_network_diagram(model, X, target=TARGET).source
    for w_line in re.findall(r"-> n-\d-\d \[([^\]]*)\]", source):
        w = float(re.search(r"tooltip=\"[^=]*= ([^\"]+)\"", w_line).group(1))
        colour = re.search(r"color=\"([^\"]+)\"", w_line).group(1)
        width = float(re.search(r"penwidth=([\d.]+)", w_line).group(1))
        assert colour == ("#1565c0" if w >= 0 else "#c62828")
        assert width == pytest.approx(0.8 + 4 * min(1.0, abs(w)), abs=0.01)


def test_four_layers_of_eight_draw_whole_and_a_wider_layer_is_summarized_with_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = draw_network_diagram(MLP(8, [8, 8, 8, 1], seed=0), [0.1] * 8, target=0.0)
    assert small.source.count("shape=circle") == 8 + 8 * 3 + 1
    with pytest.warns(GraphTooLargeWarning, match="more than fit a screen"):
        wide = draw_network_diagram(MLP(3, [20, 1], seed=0), [0.1] * 3, target=0.0)
    assert "+ 13 more" in wide.source


def test_bad_loss_and_target_length_are_clear_errors():
    with pytest.raises(ValueError, match="loss='hinge' is not known"):
        run_network(MLP(2, [1], seed=0), X, target=1.0, loss="hinge")
    with pytest.raises(ValueError, match="target has 2 values but the network has 1"):
        run_network(MLP(2, [1], seed=0), X, target=[1.0, 2.0])


def test_frames_are_the_page_steps_applied_one_svg_each():
    import xml.etree.ElementTree as ET

    from visualize.network import network_frames
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    frames = network_frames(model, X, target=TARGET)
    page = network_stepper_html(MLP(2, [3, 1], activation="tanh", seed=0), X, target=TARGET)
    steps = json.loads(re.search(r'id="steps-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert len(frames) == len(steps)
    for frame, step in zip(frames, steps):
        texts = [t.text for t in ET.fromstring(frame).iter("{http://www.w3.org/2000/svg}text")]
        for _, _, text in step.get("set", [])[-3:]:
            assert text in texts
    first = [t.text for t in ET.fromstring(frames[0]).iter("{http://www.w3.org/2000/svg}text")]
    assert "z = ?" in first and "dL/dz = ?" in first      # forward starts empty
