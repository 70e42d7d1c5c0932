"""Projector-grade steppers, measured in headless Chromium at 1280x800 and 1024x768.

The text height of the graph's labels as drawn (their boxes on screen, the ones inside
the picture) at the page's opening view: median at least 12 px, smallest at least 9.
At every step the node the step explains lies inside the picture, and no page raises
a JavaScript error.  Quiz mode keeps the keys for the class: after the checkbox is
clicked, ArrowRight steps and Space plays.
"""

from __future__ import annotations

import re
import statistics
import warnings

import pytest
from chromium import LABEL_HEIGHTS

from autograd import parse
from nn import MLP
from visualize import network_stepper_html, stepper_html

pytestmark = pytest.mark.browser

SIZES = [(1280, 800), (1024, 768)]
EXPRESSIONS = {
    "tanh": ("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.88}),
    "neuron": ("sigmoid(w1*x1 + w2*x2 + b)",
               {"w1": 1.0, "x1": 2.0, "w2": -1.0, "x2": 0.5, "b": 0.1}),
    "softplus": ("log(1 + exp(a*b)) - a/b", {"a": 1.5, "b": 2.0}),
}
NETWORKS = {"2-3-1": [3, 1], "2-9-1": [9, 1], "2-4-4-1": [4, 4, 1]}
CONV = "conv 3x3 on 5x5"
IMAGE = [0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0]


def conv_net():
    from nn.layers import Conv2d, Flatten, Linear, Sequential
    return Sequential(Conv2d(1, 1, 3, seed=0), Flatten(), Linear(9, 1, seed=1),
                      input_shape=(1, 5, 5))

_CURRENT = """() => {
    const pic = document.getElementById('picture').getBoundingClientRect();
    const steps = JSON.parse(document.getElementById('steps-data').textContent);
    const k = parseInt(document.getElementById('counter').textContent.split(' ')[1]) - 1;
    const el = document.querySelector('#picture [id="' + steps[k].focus[0] + '"]');
    const r = el.getBoundingClientRect();
    return {k: k, pic: [pic.left, pic.top, pic.right, pic.bottom],
            node: [r.left, r.top, r.right, r.bottom], total: steps.length};
}"""

_NEURONS = """() => {
    const pic = document.getElementById('picture').getBoundingClientRect();
    const neurons = Array.from(document.querySelectorAll('#picture g.node'))
        .map(e => e.getBoundingClientRect()).map(r => [r.left, r.top, r.right, r.bottom]);
    return {pic: [pic.left, pic.top, pic.right, pic.bottom], neurons: neurons};
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("projector")
    paths = {}
    for name, (text, values) in EXPRESSIONS.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(stepper_html(parse(text).build(values), title=text),
                               encoding="utf-8")
    for name, layers in NETWORKS.items():
        paths[name] = folder / f"net-{name}.html"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # 2-9-1 is summarized: it says so
            page = network_stepper_html(MLP(2, layers, activation="tanh", seed=0),
                                        [1.0, -2.0], target=[1.0])
        paths[name].write_text(page, encoding="utf-8")
    paths[CONV] = folder / "conv.html"
    paths[CONV].write_text(network_stepper_html(conv_net(), IMAGE, target=1.0),
                           encoding="utf-8")
    return paths


def _open(browser, path, size):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    return page, errors


def _inside(inner, outer, slack=1.0):
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(EXPRESSIONS) + list(NETWORKS) + [CONV])
def test_labels_are_readable_and_every_step_shows_its_node(browser, pages, name,
                                                           size):
    page, errors = _open(browser, pages[name], size)
    heights = page.evaluate(LABEL_HEIGHTS)
    assert len(heights) >= 5, f"{name}: only {len(heights)} labels on screen"
    # (to a tenth of a pixel: a box's height carries float noise, 11.99998 for 12)
    median, smallest = round(statistics.median(heights), 1), round(min(heights), 1)
    assert median >= 12 and smallest >= 9, \
        f"{name} at {size}: labels {median:.1f} px (median), {smallest:.1f} px (smallest)"
    if name in ("2-3-1", CONV):    # a small network fits whole: every layer on screen at first
        boxes = page.evaluate(_NEURONS)
        assert boxes["neurons"] and all(_inside(b, boxes["pic"]) for b in boxes["neurons"]), \
            f"{name} at {size}: a layer opens off screen"
    total = page.evaluate(_CURRENT)["total"]
    for k in range(total):
        where = page.evaluate(_CURRENT)
        assert where["k"] == k
        assert _inside(where["node"], where["pic"]), \
            f"{name} at {size}, step {k + 1}: the current node {where['node']} lies outside " \
            f"the picture {where['pic']}"
        shown = page.evaluate(LABEL_HEIGHTS)       # following the steps keeps labels readable
        assert round(min(shown), 1) >= 9, \
            f"{name} at {size}, step {k + 1}: {min(shown):.1f} px labels"
        page.keyboard.press("ArrowRight")
    assert errors == [], errors
    page.close()


@pytest.mark.parametrize("name", ["neuron", "2-3-1"])
def test_after_clicking_the_quiz_checkbox_the_keys_still_step_and_play(browser, pages,
                                                                       name):
    page, errors = _open(browser, pages[name], SIZES[1])
    page.click("#quiz-toggle")
    assert page.is_checked("#quiz-toggle")
    page.keyboard.press("ArrowRight")
    assert page.text_content("#counter").startswith("step 2 /")
    page.keyboard.press("ArrowLeft")
    assert page.text_content("#counter").startswith("step 1 /")
    page.keyboard.press(" ")                              # plays, and keeps quiz mode on
    assert page.is_checked("#quiz-toggle")
    assert "Pause" in page.text_content("#play")
    page.keyboard.press(" ")
    assert "Play" in page.text_content("#play")
    # in an answer field the arrows move the caret, and Enter checks
    steps = page.evaluate("() => JSON.parse(document.getElementById('steps-data')"
                          ".textContent)")
    first = next(k for k, s in enumerate(steps, 1) if s.get("quiz"))
    while int(page.text_content("#counter").split()[1]) < first:
        page.keyboard.press("ArrowRight")
    page.click("#quiz-answer-0")
    page.keyboard.type("1")
    page.keyboard.press("ArrowRight")
    assert page.text_content("#counter").startswith(f"step {first} /")
    page.keyboard.press("Enter")
    assert page.text_content("#score").startswith("score ")
    assert errors == []
    page.close()


def test_the_weights_step_colours_the_edges_themselves(browser, pages):
    # The edges carry a tooltip, so their lines sit inside <g><a>: only the label used to
    # turn orange.  Each label is in its edge's colour and tied to it by a line.
    page, errors = _open(browser, pages["2-3-1"], SIZES[0])
    steps = page.evaluate("() => JSON.parse(document.getElementById('steps-data')"
                          ".textContent)")
    k = next(k for k, s in enumerate(steps, 1) if s["title"].endswith("weights' gradients"))
    page.goto(pages["2-3-1"].as_uri() + f"#step-{k}")
    page.reload()
    strokes = page.evaluate("""(ids) => ids.map(id => getComputedStyle(
        document.querySelector('[id="' + id + '"] path')).stroke)""",
                            [f for f in steps[k - 1]["focus"] if f.startswith("w-")])
    assert strokes and set(strokes) == {"rgb(230, 81, 0)"}, strokes
    assert errors == []
    page.close()
    from visualize.network import draw_network_diagram
    source = draw_network_diagram(MLP(2, [3, 1], activation="tanh", seed=0), [1.0, -2.0],
                                  target=1.0).source
    edges = [line for line in source.splitlines() if "-> \"n-" in line and "invis" not in line]
    assert edges and all("decorate=true" in e for e in edges)
    for edge in edges:
        assert re.search(r'color="(#\w+)"', edge).group(1) == \
            re.search(r'fontcolor="(#\w+)"', edge).group(1)


def test_the_conv_steps_fill_the_current_cells_yellow(browser, pages):
    # a grid cell is <g id="a_..."><a><polygon>, which the page's node style does not reach
    page, errors = _open(browser, pages[CONV], SIZES[0])
    page.goto(pages[CONV].as_uri() + "#step-6")          # z[1,1]: its patch and the kernel
    page.reload()
    fills = page.evaluate("""() => ['a_z-1-1', 'a_x-1-1', 'a_k-0-0', 'a_z-0-0'].map(id =>
        getComputedStyle(document.querySelector('#picture [id="' + id + '"] polygon')).fill)""")
    assert fills[:3] == ["rgb(255, 213, 79)"] * 3 and fills[3] != fills[0], fills
    assert errors == []
    page.close()
