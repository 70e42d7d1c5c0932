"""Text height of the steppers' graph labels as drawn in headless Chromium.

    .venv/bin/python docs/bench/label_heights.py

For three expressions, two networks and a convolution (a 3x3 kernel on a 5x5 image), at
1280x800 and 1024x768, prints the median and smallest height (CSS px) of the labels
inside the picture at the page's opening view, and the smallest at any step.
tests/test_projector.py holds the opening view to a median of at least 12 px and a
smallest of at least 9.
"""

import statistics
import sys
import tempfile
import warnings
from pathlib import Path

from playwright.sync_api import sync_playwright

from autograd import parse
from nn import MLP
from nn.layers import Conv2d, Flatten, Linear, Sequential
from visualize import network_stepper_html, stepper_html

# the tests' own measure, so the numbers printed here are the ones tests/test_projector.py holds
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from chromium import CHROMIUM, CHROMIUM_ARGS, LABEL_HEIGHTS  # noqa: E402

EXPRESSIONS = {
    "tanh(x*w + b)": {"x": 2.0, "w": -3.0, "b": 6.88},
    "sigmoid(w1*x1 + w2*x2 + b)": {"w1": 1.0, "x1": 2.0, "w2": -1.0, "x2": 0.5, "b": 0.1},
    "log(1 + exp(a*b)) - a/b": {"a": 1.5, "b": 2.0},
}
NETWORKS = {"network 2-3-1": [3, 1], "network 2-9-1": [9, 1]}
IMAGE = [0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0]


def pages(folder: Path) -> dict:
    found = {}
    for k, (text, values) in enumerate(EXPRESSIONS.items()):
        found[text] = folder / f"expression-{k}.html"
        found[text].write_text(stepper_html(parse(text).build(values), title=text), "utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # 2-9-1 is summarized, and says so
        for k, (name, layers) in enumerate(NETWORKS.items()):
            found[name] = folder / f"network-{k}.html"
            found[name].write_text(network_stepper_html(
                MLP(2, layers, activation="tanh", seed=0), [1.0, -2.0], target=1.0), "utf-8")
    found["conv 3x3 on 5x5"] = folder / "conv.html"
    conv_net = Sequential(Conv2d(1, 1, 3, seed=0), Flatten(), Linear(9, 1, seed=1),
                          input_shape=(1, 5, 5))
    found["conv 3x3 on 5x5"].write_text(network_stepper_html(conv_net, IMAGE, target=1.0),
                                        "utf-8")
    return found


def main() -> None:
    chosen = pages(Path(tempfile.mkdtemp(prefix="chainrule-labels-")))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"{'page':30} {'screen':9} {'median':>6} {'smallest':>8} {'any step':>8}")
        for width, height in [(1280, 800), (1024, 768)]:
            for name, path in chosen.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(path.as_uri())
                heights = page.evaluate(LABEL_HEIGHTS)
                total = int(page.text_content("#counter").split("/")[1])
                smallest_at_any_step = min(heights)
                for _ in range(total):
                    smallest_at_any_step = min([smallest_at_any_step,
                                                *page.evaluate(LABEL_HEIGHTS)])
                    page.keyboard.press("ArrowRight")
                print(f"{name:30} {width}x{height:<4} {statistics.median(heights):6.1f} "
                      f"{min(heights):8.1f} {smallest_at_any_step:8.1f}")
                page.close()
        browser.close()


if __name__ == "__main__":
    main()
