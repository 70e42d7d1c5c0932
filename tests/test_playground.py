"""The training lesson (visualize.playground): it learns, it is nn.fit stepped by hand, its
gradients are the loss's (central differences), its pictures are well-formed SVG, and its
link parameters round-trip while hostile ones give one clear line.

Oracles: nn.fit run with the same settings (the reference loop; the playground only
drives fit's pieces itself), nn.evaluate (natively on its numpy path) for the
whole-data-set loss, central differences of the batch loss for the gradients, and
xml.etree for the pictures.
"""

from __future__ import annotations

import doctest
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

import visualize.lesson_svg
import visualize.playground
from autograd import Value
from nn import MLP, evaluate, fit
from nn.losses import cross_entropy_example
from visualize.lesson_svg import mix
from visualize.playground import CLASS_COLOURS, QUERY_KEYS, Playground, PlaygroundError

SVG = "{http://www.w3.org/2000/svg}"


def test_the_docstring_examples_hold():
    for module in (visualize.playground, visualize.lesson_svg):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_training_on_moons_at_least_halves_the_loss():
    playground = Playground("moons", sizes=[8, 8], activation="tanh", lr=0.05, seed=0)
    start = playground.state()["loss"]
    state = playground.step(60)
    assert state["step"] == 60 and state["loss"] < start / 2, (start, state)
    assert state["accuracy"] > 0.8


@pytest.mark.parametrize("settings", [
    dict(dataset="moons", sizes=[8, 8], activation="tanh", lr=0.05, batch_size=16,
         optimizer="adam", n=100, seed=0),
    dict(dataset="spiral", sizes=[6], activation="relu", lr=0.1, batch_size=7,
         optimizer="momentum", n=60, seed=3),
    dict(dataset="xor", sizes=[], activation="sigmoid", lr=0.3, batch_size=60,
         optimizer="sgd", n=60, seed=1),
])
def test_whole_epochs_give_the_weights_and_losses_of_fit(settings):
    """k epochs of steps leave the model exactly as fit(epochs=k) leaves its own."""
    epochs = 2
    playground = Playground(**settings)
    batch_losses, norms = [], []
    for _ in range(epochs * playground.n_batches):
        playground.step()
        batch_losses.append((playground.batch_loss, len(playground.last_batch)))
        norms.append(playground.layer_norms)
    model = MLP(2, settings["sizes"] + [playground.n_classes],
                activation=settings["activation"],
                init="he" if settings["activation"] == "relu" else "xavier",
                seed=settings["seed"])
    history = fit(model, playground.X, playground.y, loss="cross_entropy",
                  optimizer=settings["optimizer"], lr=settings["lr"], epochs=epochs,
                  batch_size=settings["batch_size"], seed=settings["seed"], progress=False)
    assert [p.data for p in playground.model.parameters()] == [p.data for p in
                                                                 model.parameters()]
    last_epoch = batch_losses[-playground.n_batches:]
    assert math.isclose(sum(loss * size for loss, size in last_epoch) / playground.n,
                        history.train_loss[-1], rel_tol=1e-12)
    assert playground.epoch == epochs
    per_layer = list(zip(*norms[-playground.n_batches:]))
    assert [math.fsum(column) / len(column) for column in per_layer] == pytest.approx(
        history.grad_norms[-1], rel=1e-12)
    # the whole data set's loss and accuracy, as nn.evaluate computes them
    state = playground.state()
    reference = evaluate(playground.model, playground.X, playground.y)
    assert state["loss"] == pytest.approx(reference["loss"], rel=1e-12)
    assert state["accuracy"] == reference["accuracy"]


def test_the_gradients_shown_are_the_batch_losss_by_central_differences():
    playground = Playground("circles", sizes=[3], activation="tanh", lr=0.05, batch_size=8,
                            n=40, seed=2)
    playground.step(5)
    before = [p.data for p in playground.model.parameters()]
    playground.step()
    rows = playground.last_batch
    model = playground.new_model()
    params = model.parameters()

    def batch_loss() -> float:
        losses = [cross_entropy_example(model([Value(v) for v in playground.X[i]]),
                                        playground.y[i]).data for i in rows]
        return math.fsum(losses) / len(losses)

    h = 1e-6
    for index, p in enumerate(params):
        for q, value in zip(params, before):
            q.data = value
        p.data = before[index] + h
        up = batch_loss()
        p.data = before[index] - h
        down = batch_loss()
        shown = playground.model.parameters()[index].grad
        assert (up - down) / (2 * h) == pytest.approx(shown, abs=1e-7), index
    means = playground.state()["grad"]
    for layer, mean in zip(playground.model.layers, means):
        grads = [abs(p.grad) for p in layer.parameters()]
        assert mean == pytest.approx(sum(grads) / len(grads), rel=1e-12)


def test_a_new_learning_rate_takes_effect_at_the_next_step():
    playground = Playground("moons", sizes=[3], optimizer="sgd", lr=0.05, n=40, seed=0)
    playground.step(2)
    playground.set_lr(0.5)
    before = [p.data for p in playground.model.parameters()]
    playground.step()
    after = [p.data for p in playground.model.parameters()]
    grads = [p.grad for p in playground.model.parameters()]
    assert after == pytest.approx([b - 0.5 * g for b, g in zip(before, grads)], abs=1e-15)
    assert "lr=0.5&" in playground.to_query()
    with pytest.raises(PlaygroundError, match=r"^playground: lr=-1 "):
        playground.set_lr(-1)


def test_reset_goes_back_to_step_zero():
    playground = Playground("xor", sizes=[4], lr=0.1, n=50, seed=4)
    first = playground.state()
    weights = [p.data for p in playground.model.parameters()]
    playground.step(7)
    assert playground.reset() == first
    assert [p.data for p in playground.model.parameters()] == weights
    assert playground.curve == [(0, first["loss"])]
    playground.step(3)
    again = Playground("xor", sizes=[4], lr=0.1, n=50, seed=4)
    again.step(3)
    assert playground.state() == again.state()


def _parse(svg: str):
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def test_the_pictures_are_svg_with_one_mark_per_thing():
    playground = Playground("spiral", sizes=[5, 4], lr=0.05, n=30, batch_size=10, seed=0)
    playground.step(2)
    playground.step(1)
    boundary = _parse(playground.boundary_svg(cells=12))
    assert boundary.get("data-picture") == "boundary"
    assert len(boundary.findall(SVG + "rect")) == 12 * 12
    circles = boundary.findall(SVG + "circle")
    assert len(circles) == playground.n
    assert sum(c.get("stroke") == "#000000" for c in circles) == len(playground.last_batch)
    # three classes: every cell wears one of the classes' tints
    assert len({r.get("fill") for r in boundary.findall(SVG + "rect")}) > 3

    loss = _parse(playground.loss_svg())
    points = loss.find(SVG + "polyline").get("points").split()
    assert len(points) == len(playground.curve) == 3  # step 0, then after each call

    flow = _parse(playground.gradient_svg())
    weights = sum(len(n.w) for layer in playground.model.layers for n in layer.neurons)
    assert len(flow.findall(SVG + "line")) == weights
    assert len(flow.findall(SVG + "circle")) == 2 + 5 + 4 + 3
    shown = [float(t.get("data-mean-abs-grad")) for t in flow.findall(SVG + "text")
             if t.get("data-mean-abs-grad")]
    assert shown == playground.state()["grad"]
    widths = [float(line.get("stroke-width")) for line in flow.findall(SVG + "line")]
    assert max(widths) == pytest.approx(5.3, abs=0.01)  # the largest |grad| is widest


def test_a_notebook_shows_the_three_pictures():
    playground = Playground("xor", sizes=[3], n=30, seed=0)
    playground.step(2)
    page = ET.fromstring(playground._repr_html_())
    assert [svg.get("data-picture") for svg in page.iter(SVG + "svg")] == [
        "boundary", "gradient", "loss"]


def test_the_boundary_follows_the_model():
    """A cell's colour is the class the model predicts at its centre."""
    playground = Playground("moons", sizes=[8], lr=0.05, seed=0)
    playground.step(80)
    cells = 10
    boundary = _parse(playground.boundary_svg(cells=cells))
    x0, x1, y0, y1 = playground._bounds
    for k, cell in enumerate(boundary.findall(SVG + "rect")):
        j, i = divmod(k, cells)
        centre = [x0 + (x1 - x0) * (i + 0.5) / cells, y1 - (y1 - y0) * (j + 0.5) / cells]
        scores = playground.model.forward_data(centre)
        predicted = max(range(len(scores)), key=scores.__getitem__)
        other = 1 - predicted
        fill = cell.get("fill")
        distance = [sum(abs(int(fill[a:a + 2], 16) - int(mix("#ffffff", CLASS_COLOURS[c],
                                                              0.55)[a:a + 2], 16))
                        for a in (1, 3, 5)) for c in (predicted, other)]
        assert distance[0] <= distance[1], (k, fill)


def test_noise_is_the_data_sets_and_zero_puts_the_points_on_the_curves():
    assert Playground("spiral").noise == 0.05 and Playground("moons").noise == 0.1
    flat = Playground("moons", noise=0.0, n=40)
    for (x0, x1), label in zip(flat.X, flat.y):
        centre = (0.0, 0.0) if label == 0 else (1.0, 0.5)
        assert math.hypot(x0 - centre[0], x1 - centre[1]) == pytest.approx(1.0)
    noisy = Playground.from_query("train=moons&noise=0.3&n=40")
    assert noisy.noise == 0.3 and noisy.X != flat.X


def test_the_link_round_trips():
    playground = Playground("circles", sizes=[3, 2], activation="relu", lr=0.1234567,
                            batch_size=9, seed=11, optimizer="sgd", n=50)
    query = playground.to_query()
    assert query == ("train=circles&sizes=3,2&activation=relu&lr=0.1234567&batch=9&seed=11"
                     "&optimizer=sgd&n=50&noise=0.05")
    again = Playground.from_query("?" + query)
    assert again.settings() == playground.settings()
    assert Playground.from_query({"train": "xor", "sizes": ""}).sizes == []
    assert Playground.from_query("").settings() == Playground().settings()


@pytest.mark.parametrize("query, names", [
    ("train=mnist", "train='mnist'"),
    ("train=moons&lr=nan", "lr='nan'"),
    ("lr=-1", "lr=-1.0"),
    ("lr=0", "lr=0.0"),
    ("lr=11", "lr=11.0"),
    ("lr=1e400", "lr='1e400'"),
    ("sizes=8,,8", "sizes='8,,8'"),
    ("sizes=0", "sizes=0"),
    ("sizes=1000000000000", "sizes=33"),
    ("batch=0", "batch=0"),
    ("batch=500", "batch=500"),
    ("seed=-1", "seed='-1'"),
    ("n=3", "n=3"),
    ("activation=softmax", "activation='softmax'"),
    ("optimizer=lbfgs", "optimizer='lbfgs'"),
    ("train=moons&train=xor", "train='xor'"),
    ("colour=red", "colour='red'"),
    ("noise=2", "noise=2.0"),
    ("noise=-0.1", "noise=-0.1"),
    ("noise=inf", "noise='inf'"),
    ("c" * 5000 + "=1", "c" * 20 + "='1' is not a setting"),
])
def test_a_bad_link_names_the_parameter_in_one_line(query, names):
    with pytest.raises(PlaygroundError) as caught:
        Playground.from_query(query)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("playground: " + names), message


TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
VALUE = st.one_of(TEXT, st.sampled_from(["moons", "8,8", "tanh", "0.05", "16", "0", "adam",
                                         "100", "", "1e-3", "32,32,32,32,32,32,32", " 4 "]))


@given(st.dictionaries(st.sampled_from(list(QUERY_KEYS) + ["x", ""]), VALUE, max_size=4))
def test_any_link_builds_a_playground_or_says_why_in_one_line(query):
    try:
        playground = Playground.from_query(query)
    except PlaygroundError as error:
        message = str(error)
        assert message.startswith("playground: ") and "\n" not in message and len(message) < 300
        assert any(f"{key}=" in message for key in query), (query, message)
        return
    assert Playground.from_query(playground.to_query()).settings() == playground.settings()


@given(st.one_of(st.none(), st.integers(), st.lists(st.integers()),
                 st.dictionaries(st.sampled_from(list(QUERY_KEYS)),
                                 st.one_of(st.integers(), st.none(), st.floats()),
                                 min_size=1)))
def test_a_query_that_is_not_text_is_refused_in_one_line(query):
    with pytest.raises(PlaygroundError) as caught:
        Playground.from_query(query)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("call", [
    lambda p: p.step(0), lambda p: p.step(1.5), lambda p: p.step(10**9),
    lambda p: p.boundary_svg(cells=1), lambda p: p.boundary_svg(cells="9"),
])
def test_bad_calls_give_one_line(call):
    with pytest.raises(PlaygroundError) as caught:
        call(Playground(n=20, sizes=[2]))
    assert "\n" not in str(caught.value)


BROWSERLESS = """
import importlib.abc, json, sys, threading

class NotInTheBrowser(importlib.abc.MetaPathFinder):
    # Pyodide offline has none of these: the lessons must not need them
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "matplotlib", "sklearn", "torch", "scipy"):
            raise ImportError(f"{name} is not in the browser")

sys.meta_path.insert(0, NotInTheBrowser())
from visualize.digit_pad import activations_svg, classify, probabilities_svg, to_digits_8x8
from visualize.playground import Playground

playground = Playground("spiral", sizes=[6, 6], lr=0.05, n=60, seed=1)
state = playground.step(12)
pictures = [playground.boundary_svg(cells=8), playground.loss_svg(), playground.gradient_svg()]
result = classify(to_digits_8x8([[(50, 10), (50, 90)]]))
pictures += [probabilities_svg(result["probabilities"]), activations_svg(result)]
print(json.dumps({"state": state, "digit": result["digit"],
                  "probabilities": result["probabilities"],
                  "pictures": [len(p) for p in pictures],
                  "threads": threading.active_count()}))
"""


def test_the_lessons_run_without_numpy_and_give_the_same_numbers():
    """What the browser has (no numpy, matplotlib or threads): the same states and
    probabilities, to the bit, as here where numpy is present."""
    import json
    import subprocess
    import sys

    from visualize.digit_pad import classify, to_digits_8x8

    done = subprocess.run([sys.executable, "-c", BROWSERLESS], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    playground = Playground("spiral", sizes=[6, 6], lr=0.05, n=60, seed=1)
    assert seen["state"] == json.loads(json.dumps(playground.step(12)))
    result = classify(to_digits_8x8([[(50, 10), (50, 90)]]))
    assert (seen["digit"], seen["probabilities"]) == (result["digit"], result["probabilities"])
    assert all(size > 200 for size in seen["pictures"]) and seen["threads"] == 1
