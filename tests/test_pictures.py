"""Annotated pictures: edge labels, highlighted steps, module boxes, big graphs, Jupyter."""

from __future__ import annotations

import doctest
import random
import re
import warnings
import xml.etree.ElementTree as ET

import pytest
from expr_cases import expressions, used, values
from hypothesis import assume, given, settings

import visualize.annotated
from autograd import OpError, Value, topological_order
from autograd.expr import build, parse
from autograd.trace import backward_steps
from nn import MLP, Layer, Neuron
from visualize import (
    GraphTooLargeWarning,
    draw_annotated,
    draw_network,
    draw_step,
    to_svg,
)
from visualize.annotated import LAYOUT_BUDGET, layout_cost, network_clusters
from visualize.stepper import stepper_html

SVG = "{http://www.w3.org/2000/svg}"
EDGE = re.compile(r'(v\d+) -> (v\d+)_op \[(?:[^\]]*?)label="local (\S+)\\nflows (\S+)"')
NODE = re.compile(r'^\s*(v\d+) \[label="\{ (.*?) \| data (\S+) \| grad (\S+) \}"(.*)\]$', re.M)


def _graph(text, env):
    expression = parse(text)
    try:
        out = expression.build(used(text, env, expression.variables))
        out.backward()
    except OpError:
        assume(False)
    return out


def test_docstring_examples_run():
    assert doctest.testmod(visualize.annotated).failed == 0


@given(expressions, values)
def test_edge_flows_sum_to_each_parents_grad(text, env):
    out = _graph(text, env)
    nodes = topological_order(out)
    source = draw_annotated(out).source
    flows: dict = {}
    for parent, _child, local, flow in EDGE.findall(source):
        flows.setdefault(int(parent[1:]), []).append(float(flow))
        assert local != "None"
    for index, node in enumerate(nodes):
        if index in flows:  # every parent that received something
            assert sum(flows[index]) == pytest.approx(node.grad, rel=1e-4, abs=1e-5)


def test_edge_labels_carry_the_local_derivative_and_the_flow():
    out = build("a*b + a", a=2.0, b=-3.0)
    out.backward()
    edges = {(p, c): (float(local), float(flow))
             for p, c, local, flow in EDGE.findall(draw_annotated(out).source)}
    # nodes in topological order: a=v0, b=v1, a*b=v2, a*b + a=v3
    assert edges[("v0", "v2")] == (-3.0, -3.0)    # d(a*b)/da = b, times upstream 1
    assert edges[("v1", "v2")] == (2.0, 2.0)      # d(a*b)/db = a
    assert edges[("v0", "v3")] == (1.0, 1.0)      # the second path into a
    assert "constant" in draw_annotated(build("x**2", x=3.0)).source
    assert "local" not in draw_annotated(out, edge_labels=False).source


def test_annotated_svg_renders_with_labels():
    out = build("tanh(x*w + b)", x=2.0, w=-3.0, b=6.88)
    out.backward()
    root = ET.fromstring(to_svg(draw_annotated(out)))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "local -3.0" in texts and any(t and t.startswith("flows") for t in texts)


def _states(source):
    return {name: (label, float(data), float(grad), re.search(r"class=(\w+)", rest).group(1))
            for name, label, data, grad, rest in NODE.findall(source)}


@given(expressions, values)
@settings(max_examples=30)
def test_each_step_highlights_its_node_and_styles_the_rest_by_progress(text, env):
    out = _graph(text, env)
    trace = backward_steps(out)
    final_before = set()
    for step in trace:
        states = _states(draw_step(trace, step.step).source)
        assert len(states) == len(trace.nodes)
        current = [n for n, s in states.items() if s[3] == "current"]
        assert current == [f"v{step.index - 1}"]
        final = {n for n, s in states.items() if s[3] == "final"}
        assert final == final_before  # exactly the nodes visited before this step
        grads = trace.grads_after(step.step)
        for name, (_label, _data, grad, state) in states.items():
            assert grad == pytest.approx(grads[int(name[1:])], rel=1e-3, abs=1e-4)
            if state == "waiting":
                assert grads[int(name[1:])] == 0.0
        final_before = final | set(current)


def test_step_picture_renders_and_marks_the_flowing_edges():
    out = build("a*b + a", a=2.0, b=-3.0)
    svg = to_svg(draw_step(out, 2))
    root = ET.fromstring(svg)
    groups = {g.get("id"): g.get("class") for g in root.iter(f"{SVG}g")}
    assert groups["node-3"] == "node current"          # a*b, third in topological order
    assert groups["node-4"] == "node final"            # the output was visited at step 1
    assert groups["node-1"] == "node reached"          # a: one of its two grads arrived
    assert sum(1 for c in groups.values() if c and "flowing" in c) == 2
    assert "step 2 of 4" in svg
    with pytest.raises(ValueError, match="steps 1 to 4"):
        draw_step(out, 5)


def test_network_clusters_put_every_made_node_in_its_neurons_box():
    random.seed(5)
    model = MLP(2, [3, 2])
    outputs, clusters, table = network_clusters(model, [0.5, -1.0])
    inputs = [v for v in topological_order(outputs[0]) if v.label in ("x1", "x2")]
    assert len(inputs) == 2 and not any(v in clusters for v in inputs)
    for l_index, layer in enumerate(model.layers, 1):
        for n_index, neuron in enumerate(layer.neurons, 1):
            for p in neuron.parameters():
                assert clusters[p] == (f"layer {l_index}", f"neuron {l_index}.{n_index}")
    every = {v for out in outputs for v in topological_order(out)}
    assert every - set(clusters) == set(inputs)
    svg = to_svg(draw_network(model, [0.5, -1.0]))
    root = ET.fromstring(svg)
    clusters_drawn = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert len(clusters_drawn) == 2 + 5
    labels = {t.text for g in clusters_drawn for t in g.iter(f"{SVG}text")}
    assert {"layer 1", "layer 2", "neuron 1.1", "neuron 2.2"} <= labels


@pytest.mark.parametrize("make, boxes", [(lambda: Neuron(3, activation="tanh"), 1),
                                         (lambda: Layer(3, 2), 2)])
def test_neurons_and_layers_are_boxed_too(make, boxes):
    random.seed(2)
    dot = draw_network(make(), [1.0, 2.0, 3.0])
    assert dot.source.count("subgraph cluster_") == boxes
    assert "grad 1.0000" in dot.source  # backward ran from the output


def test_a_network_too_big_to_draw_is_summarized_with_a_message():
    random.seed(1)
    model = MLP(2, [16, 16, 1])
    with pytest.warns(GraphTooLargeWarning, match=r"979 nodes, more than max_nodes=600"):
        dot = draw_network(model, [0.5, -0.2])
    svg = to_svg(dot)
    assert "one box per neuron" in svg
    ids = [g.get("id") for g in ET.fromstring(svg).iter(f"{SVG}g")]
    assert sum(1 for i in ids if i and i.startswith("module-")) == 33
    with pytest.warns(GraphTooLargeWarning, match="one box per layer"):
        dot = draw_network(model, [0.5, -0.2], max_nodes=20)
    assert dot.source.count('id="module-') == 3


def test_a_huge_plain_graph_is_summarized_near_its_output():
    x = Value(0.5, "x")
    total = x
    for _ in range(3000):
        total = total * 0.999 + x
    with pytest.warns(GraphTooLargeWarning, match=r"more than max_nodes=600.*nearest the output"):
        dot = draw_annotated(total)
    svg = to_svg(dot)
    assert "earlier nodes" in svg
    kept = dot.source.count("shape=record")
    assert 50 <= kept <= 600
    assert f"drawing the {kept} nodes nearest the output" in svg


def test_a_small_but_tangled_graph_is_summarized_instead_of_hanging():
    # 50 stages all fed by x: only ~250 nodes, but graphviz needs minutes for it.
    x = Value(0.5, "x")
    total = x
    for _ in range(50):
        total = total * 0.999 + x
    total.backward()
    assert layout_cost(topological_order(total)) > LAYOUT_BUDGET
    with pytest.warns(GraphTooLargeWarning, match="too tangled"):
        svg = to_svg(draw_annotated(total))
    assert "earlier nodes" in svg
    with pytest.raises(ValueError, match="layout cost"):
        stepper_html(total)


def test_small_graphs_do_not_warn():
    out = build("tanh(x*w + b)", x=2.0, w=-3.0, b=6.88)
    out.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_annotated(out)


def test_value_shows_itself_as_svg_in_jupyter():
    out = build("tanh(x*w + b)", x=2.0, w=-3.0, b=6.88)
    out.backward()
    svg = out._repr_svg_()
    assert svg is not None
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"x", "w", "b", "tanh(x*w + b)", "grad 1.0000"} <= texts


def test_the_readme_picture_is_a_highlighted_step_of_the_readme_example():
    from pathlib import Path
    picture = Path(__file__).parent.parent / "docs" / "step.svg"
    root = ET.fromstring(picture.read_text())
    current = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node current"]
    assert len(current) == 1
    assert [t.text for t in current[0].iter(f"{SVG}text")][0] == "x*w"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "step 4 of 6: x*w, upstream grad 0.500972" in texts
    assert "flows -1.50292" in texts and "flows 1.00194" in texts  # what x and w receive


def test_a_large_value_shows_a_summary_in_jupyter_instead_of_hanging():
    x = Value(0.5, "x")
    y = x
    for _ in range(3000):  # 6,000 nodes: far past what a layout should be asked to do
        y = (y * 0.999 + x).tanh()
    y.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svg = y._repr_svg_()
    assert svg is not None and "<svg" in svg
    assert svg.count("<g id=\"node") < 700  # summarized, not all 6,000 nodes
