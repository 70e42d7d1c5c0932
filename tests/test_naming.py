"""Names in every drawing, table and page: never a serial like ``#12``, every node named."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings

from autograd import Value, topological_order
from autograd.strategies import expressions
from autograd.trace import backward_steps, forward_table, node_names
from nn import MLP, neuron_table
from visualize import (
    draw_annotated,
    draw_graph,
    draw_network,
    draw_network_diagram,
    draw_step,
    network_stepper_html,
    stepper_html,
    to_svg,
)

SERIAL = re.compile(r"#\d")


def mlp_loss():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    out = model([1.0, -2.0])
    return model, (out - 1.0) ** 2 + 0.5 * (out - 1.0)


def _svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode())
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def _page_texts(page: str) -> str:
    """What a page shows: its picture's texts, its steps, its tables (not its CSS colours)."""
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    steps = re.search(r'id="steps-data"[^>]*>(.*?)</script>', page, re.S).group(1)
    tables = "".join(re.findall(r"<pre>(.*?)</pre>", page, re.S))
    return "\n".join(_svg_texts(svg)) + steps + tables


def test_no_drawing_table_or_page_of_a_model_shows_a_serial():
    model, loss = mlp_loss()
    loss.backward()
    texts = {
        "draw_graph": "\n".join(_svg_texts(to_svg(draw_graph(loss)))),
        "draw_annotated": "\n".join(_svg_texts(to_svg(draw_annotated(loss)))),
        "draw_step": "\n".join(_svg_texts(to_svg(draw_step(loss, 5)))),
        "draw_network": "\n".join(_svg_texts(to_svg(draw_network(model, [1.0, -2.0])))),
        "diagram": "\n".join(_svg_texts(draw_network_diagram(model, [1.0, -2.0], 1.0).svg())),
        "forward_table": str(forward_table(loss)),
        "backward_table": str(backward_steps(loss)),
        "neuron_table": str(neuron_table(model, [1.0, -2.0])),
        "stepper": _page_texts(stepper_html(loss)),
        "network_stepper": _page_texts(network_stepper_html(model, [1.0, -2.0], target=1.0)),
    }
    for where, text in texts.items():
        assert not SERIAL.search(text), f"{where} shows {SERIAL.search(text).group(0)!r}"
    assert "L1.N2.w1" in texts["draw_graph"] and "L1.N2 tanh" in texts["stepper"]


def test_every_node_of_a_model_graph_has_a_unique_nonempty_name():
    model, loss = mlp_loss()
    nodes = topological_order(loss)
    names = node_names(nodes)
    assert all(names[v].strip() for v in nodes)
    assert len(set(names.values())) == len(nodes)
    made_by_model = topological_order(model([1.0, -2.0]))
    assert all(v.label for v in made_by_model if v._prev or v in model.parameters())


def test_long_and_repeated_unlabelled_nodes_are_named_from_their_expression():
    x = Value(0.5, "x")
    y = x
    for _ in range(6):
        y = (y * x + 1.0).tanh()
    names = list(node_names(topological_order(y)).values())
    assert not any(SERIAL.search(n) for n in names)
    assert names[-1].startswith("tanh(") and "1.0 (2nd)" in names


@settings(max_examples=40, deadline=None)
@given(expressions(max_ops=10))
def test_random_expressions_never_show_a_serial(case):
    expression, point = case
    root = expression(*[Value(v) for v in point])   # unlabelled inputs too
    for text in (str(forward_table(root)), str(backward_steps(root))):
        assert not SERIAL.search(text)
    names = node_names(topological_order(root))
    assert len(set(names.values())) == len(names)
