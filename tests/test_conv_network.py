"""The conv net's picture and stepper: every number checked against PyTorch."""

from __future__ import annotations

import doctest
import json
import re
import xml.etree.ElementTree as ET

import pytest
import torch

import visualize.conv_network
from nn import MLP
from nn.layers import Conv2d, Flatten, Linear, MaxPool2d, Sequential, Tanh
from visualize import draw_network_diagram, network_stepper_html
from visualize.conv_network import run_conv_network
from visualize.network import network_frames

IMAGE = [0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0]
SVG = "{http://www.w3.org/2000/svg}"


def small(stride=1, padding=0, activation=False, seed=0):
    conv = Conv2d(1, 1, 3, stride=stride, padding=padding, seed=seed)
    side = (5 + 2 * padding - 3) // stride + 1
    later = [Tanh()] if activation else []
    return Sequential(conv, *later, Flatten(), Linear(side * side, 1, seed=seed + 1),
                      input_shape=(1, 5, 5))


def torch_pass(model, image, target):
    """The same model in PyTorch: z (the conv's output) and every gradient of the loss."""
    conv, linear = model.modules[0], model.modules[-1]
    w = torch.tensor([v.data for v in conv.weight], dtype=torch.float64).reshape(1, 1, 3, 3)
    b = torch.tensor([conv.bias[0].data], dtype=torch.float64)
    lw = torch.tensor([v.data for v in linear.weight], dtype=torch.float64).reshape(
        linear.nout, linear.nin)
    lb = torch.tensor([v.data for v in linear.bias], dtype=torch.float64)
    for t in (w, b, lw, lb):
        t.requires_grad_(True)
    x = torch.tensor(image, dtype=torch.float64).reshape(1, 1, 5, 5)
    z = torch.nn.functional.conv2d(x, w, b, stride=conv.stride, padding=conv.padding)
    z.retain_grad()
    h = torch.tanh(z) if any(isinstance(m, Tanh) for m in model.modules) else z
    out = h.flatten() @ lw.T + lb
    loss = ((out - target) ** 2).sum()
    loss.backward()
    return z, w, b, loss


def steps_of(page: str) -> list:
    return json.loads(re.search(r'id="steps-data"[^>]*>(.*?)</script>', page, re.S).group(1))


def test_docstring_examples_run():
    assert doctest.testmod(visualize.conv_network).failed == 0


@pytest.mark.parametrize("stride,padding,activation", [(1, 0, False), (2, 1, True),
                                                       (1, 1, False)])
def test_every_output_and_gradient_matches_pytorch(stride, padding, activation):
    model = small(stride, padding, activation)
    run = run_conv_network(model, IMAGE, target=1.0)
    z, w, b, loss = torch_pass(small(stride, padding, activation), IMAGE, 1.0)
    assert run.loss.data == pytest.approx(loss.item(), rel=1e-12)
    assert [v.data for v in run.conv_out] == pytest.approx(z.flatten().tolist(), rel=1e-12)
    assert [v.grad for v in run.conv_out] == pytest.approx(z.grad.flatten().tolist(), rel=1e-9)
    # the sum over the touched positions is the weight's gradient: backward's and PyTorch's
    for row, weight, expected in zip(run.rows, run.conv.weight, w.grad.flatten().tolist()):
        assert row.gradient == pytest.approx(weight.grad, rel=1e-12, abs=1e-15)
        assert row.gradient == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert run.conv.bias[0].grad == pytest.approx(b.grad.item(), rel=1e-9)


def test_the_stepper_walks_each_weight_with_pytorchs_numbers():
    page = network_stepper_html(small(), IMAGE, target=1.0)
    steps = steps_of(page)
    _, w, b, _ = torch_pass(small(), IMAGE, 1.0)
    modes = [s["mode"] for s in steps]
    assert modes.index("backward") == len(modes) - modes[::-1].index("forward")
    forward = [s for s in steps if re.match(r"z\[\d,\d\] = ", s["title"])]
    assert len(forward) == 9                            # one step per output position
    quizzes = [s for s in steps if s.get("quiz")]
    assert [s["title"].split(":")[0] for s in quizzes] == \
        [f"w[{i},{j}]" for i in range(3) for j in range(3)]
    for s, expected in zip(quizzes, w.grad.flatten().tolist()):
        assert s["quiz"][0]["answer"] == pytest.approx(expected, rel=1e-9)
        cells = [f for f in s["focus"] if f.startswith("a_x-")]
        assert len(cells) == 9                         # the 3x3 patch the weight touched
    # w[0,0] is walked position by position; its touched pixels are the top-left 3x3
    walk = [s for s in steps if s["title"].startswith("w[0,0], position")]
    assert len(walk) == 9
    assert [s["focus"][1] for s in walk] == [f"a_x-{y}-{x}" for y in range(3) for x in range(3)]
    running = float(walk[-1]["lines"][2].split("= ")[1].split()[0])
    assert running == pytest.approx(w.grad[0, 0, 0, 0].item(), rel=1e-5)
    bias = [s for s in steps if s["title"].startswith("b: dL/db")]
    assert float(bias[0]["lines"][-1].split("= ")[1]) == pytest.approx(b.grad.item(), rel=1e-5)


def test_with_padding_a_corner_weight_touches_only_the_pixels_inside_the_image():
    steps = steps_of(network_stepper_html(small(padding=1), IMAGE, target=1.0))
    corner = next(s for s in steps if s.get("quiz") and s["title"].startswith("w[0,0]"))
    # over a 5x5 output, the top-left weight falls on the padding in the first row and
    # column: it touched 4x4 = 16 pixels
    assert len([f for f in corner["focus"] if f.startswith("a_x-")]) == 16


def test_every_focused_and_rewritten_cell_is_on_the_picture():
    page = network_stepper_html(small(), IMAGE, target=1.0)
    svg = re.search(r"<svg.*</svg>", page, re.S).group(0)
    ids = {el.get("id") for el in ET.fromstring(svg).iter() if el.get("id")}
    root = ET.fromstring(svg)
    for step in steps_of(page):
        assert set(step["focus"]) <= ids, step["title"]
        for element_id, index, _ in step.get("set", []):
            texts = list(next(el for el in root.iter() if el.get("id") == element_id)
                         .iter(f"{SVG}text"))
            assert -len(texts) <= index < len(texts), (element_id, index)


def test_frames_fill_the_current_cells_yellow_and_keep_their_text_readable():
    frames = network_frames(small(), IMAGE, target=1.0)
    steps = steps_of(network_stepper_html(small(), IMAGE, target=1.0))
    assert len(frames) == len(steps)
    k = next(i for i, s in enumerate(steps) if s["title"].startswith("z[1,1]"))
    root = ET.fromstring(frames[k])
    cell = next(el for el in root.iter() if el.get("id") == "a_z-1-1")
    assert {p.get("fill") for p in cell.iter(f"{SVG}polygon")} == {"#ffd54f"}
    assert [t.text for t in cell.iter(f"{SVG}text")][0].startswith("z 0.")
    first = [t.text for t in ET.fromstring(frames[0]).iter(f"{SVG}text")]
    assert "z ?" in first and "dL/dw ?" in first           # forward starts empty


def test_a_cells_text_is_centred_in_it():
    svg = re.search(r"<svg.*</svg>", network_stepper_html(small(), IMAGE, target=1.0),
                    re.S).group(0)
    cells = [el for el in ET.fromstring(svg).iter() if (el.get("id") or "").startswith("a_")]
    assert len(cells) == 25 + 10 + 9
    for cell in cells:
        xs = [float(p.split(",")[0])
              for p in next(cell.iter(f"{SVG}polygon")).get("points").split()]
        for text in cell.iter(f"{SVG}text"):
            assert text.get("text-anchor") == "middle"
            assert float(text.get("x")) == pytest.approx((min(xs) + max(xs)) / 2, abs=0.01)


def test_the_diagram_shows_image_kernel_and_output_grids():
    source = draw_network_diagram(small(), IMAGE, target=1.0).source
    assert source.count('ID="x-') == 25 and source.count('ID="k-') == 10   # 9 weights, b
    assert source.count('ID="z-') == 9


@pytest.mark.parametrize("model,match", [
    (Sequential(Conv2d(1, 2, 3, seed=0), Flatten(), input_shape=(1, 5, 5)),
     r"Conv2d\(1, 1, k\) .* got Conv2d\(1, 2, 3"),
    (Sequential(Conv2d(1, 1, 3, seed=0), Conv2d(1, 1, 3, seed=1), Flatten(),
                input_shape=(1, 5, 5)), "one convolution, as the model's first layer"),
    (Sequential(MaxPool2d(2), Conv2d(1, 1, 2, seed=0), Flatten(), input_shape=(1, 4, 4)),
     "one convolution, as the model's first layer"),
    (Sequential(Conv2d(1, 1, 3, seed=0), Flatten(), input_shape=(1, 9, 9)),
     "at most 8x8; got .* on 9x9"),
])
def test_models_it_cannot_draw_are_one_clear_error(model, match):
    with pytest.raises(ValueError, match=match):
        draw_network_diagram(model, [0.0] * model.nin)


def test_a_wrong_image_size_is_a_clear_error():
    with pytest.raises(ValueError, match="takes a 5x5 image: 25 numbers, row by row, but got 24"):
        network_stepper_html(small(), IMAGE[:24], target=1.0)
    with pytest.raises(ValueError, match="pixel 3 is nan"):
        network_stepper_html(small(), [0, 0, float("nan")] + IMAGE[3:], target=1.0)


def test_frames_of_a_crowded_mlp_skip_the_edge_labels_it_does_not_draw():
    # 32 edges: more than get labels, yet every step's texts are set (it raised IndexError)
    frames = network_frames(MLP(2, [4, 4, 2], activation="tanh", seed=0), [0.5, 0.1],
                            target=[1.0, 0.0])
    page = network_stepper_html(MLP(2, [4, 4, 2], activation="tanh", seed=0), [0.5, 0.1],
                                target=[1.0, 0.0])
    assert len(frames) == len(steps_of(page))
