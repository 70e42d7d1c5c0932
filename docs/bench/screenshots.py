"""The docs' screenshots of the classroom pages, at the two screens a lecture hall has.

    .venv/bin/python docs/bench/screenshots.py [OUT_DIR]     (default docs/images)

Drives /usr/bin/chromium headless (Playwright for Python; never `playwright install`)
and writes, at 1280x800 and 1024x768:

* ``stepper-WxH.png``: the expression stepper on a neuron, at a backward step;
* ``quiz-WxH.png``: the same page in quiz mode after a check, one field right;
* ``frame-WxH.png``: a ``--frames`` slide (the SVG), as a browser shows it;
* ``network-stepper-WxH.png``: the network stepper at a weights' gradient step;
* ``conv-stepper-WxH.png``: the conv net's stepper at a kernel weight's gradient step.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from autograd import parse
from nn import MLP
from nn.layers import Conv2d, Flatten, Linear, Sequential
from visualize import network_stepper_html, step_frames, stepper_html

SIZES = [(1280, 800), (1024, 768)]
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
NEURON = ("sigmoid(w1*x1 + w2*x2 + b)", {"w1": 1.0, "x1": 2.0, "w2": -1.0, "x2": 0.5, "b": 0.1})


def _steps(page) -> list:
    return json.loads(page.text_content("#steps-data"))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="chainrule-shots-"))
    text, values = NEURON
    expression = work / "neuron.html"
    expression.write_text(stepper_html(parse(text).build(values), title=text), "utf-8")
    network = work / "network.html"
    network.write_text(network_stepper_html(MLP(2, [3, 1], activation="tanh", seed=0),
                                            [1.0, -2.0], target=1.0), "utf-8")
    conv = work / "conv.html"
    image = [0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0]
    conv.write_text(network_stepper_html(
        Sequential(Conv2d(1, 1, 3, seed=0), Flatten(), Linear(9, 1, seed=1),
                   input_shape=(1, 5, 5)), image, target=1.0), "utf-8")
    frame = work / "frame.svg"
    frame.write_text(step_frames(parse(text).build(values))[4], "utf-8")
    frame_page = work / "frame.html"
    frame_page.write_text('<body style="margin:0;background:white"><img src="frame.svg" '
                          'style="width:100vw;height:100vh;object-fit:contain"></body>', "utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width, height in SIZES:
            size = f"{width}x{height}"
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(expression.as_uri())
            k = next(k for k, s in enumerate(_steps(page), 1) if len(s.get("quiz", [])) >= 4)
            page.goto(expression.as_uri() + f"#step-{k}")
            page.reload()
            page.screenshot(path=out / f"stepper-{size}.png")
            page.click("#quiz-toggle")
            quiz = _steps(page)[k - 1]["quiz"]
            for i, q in enumerate(quiz):
                page.fill(f"#quiz-answer-{i}", f"{q['answer']:.4f}" if i == 0 else "0.5")
            page.click("#quiz-check")
            page.screenshot(path=out / f"quiz-{size}.png")
            page.goto(network.as_uri())
            k = next(k for k, s in enumerate(_steps(page), 1)
                     if s["title"].endswith("weights' gradients"))
            page.goto(network.as_uri() + f"#step-{k}")
            page.reload()
            page.screenshot(path=out / f"network-stepper-{size}.png")
            page.goto(conv.as_uri())
            k = next(k for k, s in enumerate(_steps(page), 1) if s["title"].startswith("w[0,2]"))
            page.goto(conv.as_uri() + f"#step-{k}")
            page.reload()
            page.screenshot(path=out / f"conv-stepper-{size}.png")
            page.goto(frame_page.as_uri())      # the slide, fitted to the screen
            page.screenshot(path=out / f"frame-{size}.png")
            page.close()
        browser.close()
    for path in sorted(out.glob("*.png")):
        print("wrote", path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/images"))
