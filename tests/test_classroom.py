"""The classroom steppers in headless Chromium at 1280x800: fit, zoom, quiz, deep links.

Driven on the stepper of an MLP's loss (the expression stepper on a real network's
graph) and on the network stepper (the circles-in-layers diagram).
"""

from __future__ import annotations

import pytest

from nn import MLP
from visualize import network_stepper_html, stepper_html

VIEWPORT = {"width": 1280, "height": 800}


def mlp_loss():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    out = model([1.0, -2.0])
    loss = (out - 1.0) ** 2
    return loss


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    expression = folder / "mlp_loss.html"
    expression.write_text(stepper_html(mlp_loss(), title="(MLP(x) - 1)**2"), encoding="utf-8")
    network = folder / "network.html"
    network.write_text(network_stepper_html(MLP(2, [3, 1], activation="tanh", seed=0),
                                            [1.0, -2.0], target=1.0), encoding="utf-8")
    return {"expression": expression, "network": network}


def _open(browser, path, fragment=""):
    page = browser.new_page(viewport=VIEWPORT)
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri() + fragment)
    return page, errors, requests


_GEOMETRY = """() => {
    const pic = document.getElementById('picture').getBoundingClientRect();
    const svg = document.querySelector('#picture svg').getBoundingClientRect();
    // the node a step explains is its first focus (zoomed in for a projector, the
    // step's far edges and the other inputs may lie outside the view)
    const steps = JSON.parse(document.getElementById('steps-data').textContent);
    const k = parseInt(document.getElementById('counter').textContent.split(' ')[1]) - 1;
    const cur = Array.from(document.querySelectorAll('#picture .current'))
                     .filter(e => e.id === steps[k].focus[0])
                     .map(e => e.getBoundingClientRect())
                     .map(r => [r.left, r.top, r.right, r.bottom]);
    return {pic: [pic.left, pic.top, pic.right, pic.bottom],
            svg: [svg.left, svg.top, svg.right, svg.bottom],
            current: cur, counter: document.getElementById('counter').textContent,
            scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight,
                     window.innerWidth, window.innerHeight],
            viewBox: document.querySelector('#picture svg').getAttribute('viewBox'),
            graph: (b => [b.left, b.top, b.right, b.bottom])(
                document.querySelector('#picture svg g.graph').getBoundingClientRect()),
            hash: location.hash};
}"""


def _inside(inner, outer, slack=1.0):
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _steps(page) -> int:
    return int(page.text_content("#counter").split("/")[1])


@pytest.mark.browser
@pytest.mark.parametrize("which", ["expression", "network"])
def test_every_step_fits_the_window_and_keeps_the_current_node_in_view(browser, pages, which):
    page, errors, requests = _open(browser, pages[which])
    total = _steps(page)
    assert total > 10
    for k in range(1, total + 1):
        g = page.evaluate(_GEOMETRY)
        assert g["counter"] == f"step {k} / {total}"
        assert g["scroll"][0] <= g["scroll"][2] and g["scroll"][1] <= g["scroll"][3], \
            f"step {k}: the page scrolls ({g['scroll']})"
        assert _inside(g["pic"], [0, 0, 1280, 800]) and _inside(g["svg"], g["pic"])
        assert g["current"], f"step {k}: nothing is highlighted"
        for rect in g["current"]:
            assert _inside(rect, g["pic"]), f"step {k}: the current node is off screen"
        assert g["hash"] == f"#step-{k}"
        page.keyboard.press("ArrowRight")
    assert errors == [] and requests == [pages[which].as_uri()]
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("which", ["expression", "network"])
def test_zoom_in_keeps_the_current_node_in_view_and_0_fits_again(browser, pages, which):
    # A graph too big to read when fitted whole opens at a readable scale, following the
    # current node; "0" (or the fit button) shows all of it.
    page, errors, _ = _open(browser, pages[which], "#step-5")
    before = page.evaluate(_GEOMETRY)
    assert before["counter"].startswith("step 5 /")      # the deep link opened step 5
    width = float(before["viewBox"].split()[2])
    for _ in range(3):
        page.keyboard.press("+")
    page.click("#next")
    zoomed = page.evaluate(_GEOMETRY)
    assert float(zoomed["viewBox"].split()[2]) < width / 1.9   # magnified about 2x
    for rect in zoomed["current"]:
        assert _inside(rect, zoomed["pic"], slack=2)           # followed to the next node
    page.click("#zoom-out")
    page.keyboard.press("0")
    fitted = page.evaluate(_GEOMETRY)
    assert _inside(fitted["graph"], fitted["pic"], slack=2)    # 0 shows the whole graph
    fit_width = float(fitted["viewBox"].split()[2])
    assert fit_width >= width                                  # (a big graph opens zoomed in)
    page.mouse.move(400, 400)
    page.mouse.wheel(0, -300)
    assert float(page.evaluate(_GEOMETRY)["viewBox"].split()[2]) < fit_width
    assert errors == []
    page.close()


def _first_quiz_step(page) -> int:
    steps = page.evaluate("() => JSON.parse(document.getElementById('steps-data').textContent)")
    return next(k for k, s in enumerate(steps, 1) if s.get("quiz")), steps


@pytest.mark.browser
@pytest.mark.parametrize("which", ["expression", "network"])
def test_the_quiz_accepts_a_right_answer_flags_a_wrong_one_and_keeps_score(browser, pages,
                                                                           which):
    page, errors, _ = _open(browser, pages[which])
    first, steps = _first_quiz_step(page)
    page.check("#quiz-toggle")
    page.goto(pages[which].as_uri() + f"#step-{first}")
    page.reload()
    page.check("#quiz-toggle")
    quiz = steps[first - 1]["quiz"]
    assert page.is_visible("#quiz")
    # the answer is not on show before it is checked
    assert steps[first - 1]["title"] != page.text_content("#step-title")
    for i, q in enumerate(quiz):
        page.fill(f"#quiz-answer-{i}", f"{q['answer']:.5f}")
    page.click("#quiz-check")
    assert page.get_attribute("#quiz-result", "class") == "right"
    assert page.text_content("#score") == f"score {len(quiz)} / {len(quiz)}"   # per field
    second = next(k for k, s in enumerate(steps, 1) if s.get("quiz") and k > first)
    while int(page.text_content("#counter").split()[1]) < second:
        page.click("#next")
    later = steps[second - 1]["quiz"]
    for i, q in enumerate(later):     # the first field right, every other one wrong
        page.fill(f"#quiz-answer-{i}",
                  f"{q['answer']:.5f}" if i == 0 else str(q["answer"] + 1.0 + abs(q["answer"])))
    page.keyboard.press("Enter")
    assert page.get_attribute("#quiz-result", "class") == "wrong"
    assert page.text_content("#quiz-result").startswith(f"1 of {len(later)} right")
    assert page.text_content("#score") == f"score {len(quiz) + 1} / {len(quiz) + len(later)}"
    assert page.get_attribute("#quiz-mark-0", "class") == "mark right"
    for i, q in enumerate(later[1:], 1):      # marked beside the field, with the answer
        assert page.get_attribute(f"#quiz-mark-{i}", "class") == "mark wrong"
        assert q["answer_text"] in page.text_content(f"#quiz-mark-{i}")
    # the worked answer shows calmly: not bold, not red
    style = page.evaluate("() => { const s = getComputedStyle(document.getElementById("
                          "'quiz-result')); return [s.fontWeight, s.color]; }")
    assert int(style[0]) < 600 and style[1] != "rgb(183, 28, 28)"
    assert page.text_content("#step-title") == steps[second - 1]["title"]
    assert errors == []
    page.close()


@pytest.mark.browser
def test_a_big_graph_opens_readable_and_follows_the_current_node(browser, tmp_path):
    from autograd import parse
    from visualize import write_stepper

    expression = " + ".join(f"tanh(v{k}*v{k} + 1)" for k in range(25))
    root = parse(expression).build({f"v{k}": k / 10 for k in range(25)})
    path = write_stepper(root, tmp_path / "big.html")
    page, errors, _ = _open(browser, path, "#step-40")
    g = page.evaluate(_GEOMETRY)
    graph_width = g["graph"][2] - g["graph"][0]
    picture_width = g["pic"][2] - g["pic"][0]
    assert graph_width > 2 * picture_width          # zoomed in, not the whole graph shrunk
    for rect in g["current"]:
        assert _inside(rect, g["pic"], slack=2)
    page.keyboard.press("0")
    fitted = page.evaluate(_GEOMETRY)
    assert _inside(fitted["graph"], fitted["pic"], slack=2)
    assert errors == []
    page.close()
