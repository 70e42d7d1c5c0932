"""Draw the committed pictures of the pages from the examples the pages run.

    .venv/bin/python docs/pictures.py            # rewrites docs/*.svg, docs/step.png
    .venv/bin/python docs/pictures.py FOLDER     # writes them into FOLDER instead

The examples on the pages write their files under out/ (git-ignored); the pictures the
pages show come from here, and tests/test_docs.py checks that what this script draws is
what is committed.  (The demo's and the training pages' plots come from `chainrule demo`,
docs/bench/train_all.py and docs/bench/gradient_flow.py; the stepper screenshots from
Chromium.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograd import Value, grad, parse
from visualize import draw_annotated, draw_step, render

DOCS = Path(__file__).resolve().parent
CONV_IMAGE = "0,0,1,0,0,0,1,1,0,0,0,0,1,0,0,0,0,1,0,0,0,1,1,1,0"   # a 1, as in docs/layers.md


def tour_graph():
    """The README's tour: L = (a*b + c) * f, after backward()."""
    a, b, c = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, "f")
    L = d * f
    L.label = "L"
    L.backward()
    return L


def backward_graph():
    """The gradients page: dy/dx of y = tanh(x*w) as a graph, differentiated again."""
    x, w = Value(0.5, "x"), Value(-1.5, "w")
    y = (x * w).tanh()
    y.label = "y"
    (dydx,) = grad(y, [x], create_graph=True)
    dydx.label = "dy/dx"
    dydx.backward()
    return draw_annotated(dydx, rankdir="TB")


def draw_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = parse("tanh(x*w + b)").build(x=2.0, w=-3.0, b=6.88)
    out.backward()
    written = [render(tour_graph(), folder / "graph.svg"),
               render(draw_step(out, 4), folder / "step.svg"),
               render(draw_step(out, 4), folder / "step.png"),
               render(backward_graph(), folder / "grad-graph.svg")]
    network = folder / "network.svg"
    subprocess.run([sys.executable, "-m", "chainrule", "network", "--sizes", "2,3,1",
                    "--activation", "tanh", "--input", "1,-2", "--target", "1", "--loss", "mse",
                    "--seed", "0", "--svg", str(network)], check=True, stdout=subprocess.DEVNULL)
    conv = folder / "conv-network.svg"
    subprocess.run([sys.executable, "-m", "chainrule", "network", "--conv", "5x5,3x3",
                    "--input", CONV_IMAGE, "--target", "1", "--activation", "linear", "--seed", "0",
                    "--svg", str(conv)],
                   check=True, stdout=subprocess.DEVNULL)
    return [*written, network, conv]


if __name__ == "__main__":
    for path in draw_all(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS):
        print(f"wrote {path}")
