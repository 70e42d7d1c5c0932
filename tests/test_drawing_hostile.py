"""Hostile input to every drawing: escaped text, refused NUL bytes, bounded size and time."""

from __future__ import annotations

import stat
import time
import warnings
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import visualize.drawing as drawing
from autograd import Value
from autograd.expr import build
from nn import MLP
from visualize import (
    GraphTooLargeWarning,
    draw_annotated,
    draw_graph,
    draw_network,
    draw_network_diagram,
    draw_step,
    network_stepper_html,
    render,
    stepper_html,
    to_svg,
)
from visualize.dot import UnsafeLabelError

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg.encode()).iter(f"{SVG}text")]


def _no_links(svg: str) -> None:
    root = ET.fromstring(svg.encode())
    assert not list(root.iter(f"{SVG}a"))
    assert "javascript:" not in "".join(
        v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href"))


def _graph(label: str) -> Value:
    x = Value(2.0, label)
    y = (x * Value(3.0, "w")).tanh()
    y.label = "y"
    y.backward()
    return y


# printable text with every DOT- and HTML-special character, plus control characters
hostile_text = st.lists(st.sampled_from(list('ab <>{}|"\\&;#:/=\n\t\r\x07\x7f]é→')
                                       + ["&lt;", "&amp;", "<b>", "\\n", "\\l"]),
                       min_size=1, max_size=8).map("".join)


@settings(max_examples=25, deadline=None)
@given(hostile_text)
def test_any_label_and_title_is_drawn_as_the_characters_it_is(text):
    y = _graph(text)
    for dot in (draw_graph(y), draw_annotated(y, title=text), draw_step(y, 2)):
        svg = to_svg(dot)                       # Graphviz accepts it ...
        _no_links(svg)                          # ... it makes no link ...
        shown = "\n".join(_texts(svg))          # ... and shows the text literally
        visible = text.replace("\r", "\\x0d").replace("\x07", "\\x07").replace("\x7f", "\\x7f")
        for line in visible.replace("\t", " ").split("\n"):
            if line.strip():
                assert line.strip() in shown, (line, shown)


def test_a_javascript_title_stays_text():
    title = '<<a href="javascript:alert(1)">click</a>>'
    svg = to_svg(draw_annotated(_graph("x"), title=title))
    _no_links(svg)
    assert title in _texts(svg)


def test_an_entity_shows_literally():
    svg = to_svg(draw_graph(_graph("&lt;")))
    assert "&lt;" in _texts(svg) and "<" not in _texts(svg)


@pytest.mark.parametrize("draw", [
    lambda y: draw_graph(y), lambda y: draw_annotated(y), lambda y: draw_step(y, 1),
    lambda y: draw_annotated(_graph("x"), title="a\x00b"), lambda y: stepper_html(y),
    lambda y: stepper_html(_graph("x"), title="a\x00b")])
def test_a_nul_byte_is_refused_with_the_reason(draw):
    with pytest.raises(UnsafeLabelError, match="NUL byte"):
        draw(_graph("x\x00y"))


def test_a_lone_surrogate_is_shown_as_its_escape():
    svg = to_svg(draw_graph(_graph("a\ud800b")))
    assert "a\\ud800b" in _texts(svg)


def _chain(n: int) -> Value:
    """A chain where one leaf feeds every stage: hundreds of nodes, very long edges."""
    x = Value(0.5, "x")
    y = x
    for _ in range(n):
        y = (y * x).tanh()
    y.backward()
    return y


@pytest.mark.parametrize("name, draw", [
    ("draw_graph", lambda y, tmp: to_svg(draw_graph(y))),
    ("to_svg", lambda y, tmp: to_svg(y)),
    ("render", lambda y, tmp: render(y, tmp / "g.svg").read_text()),
    ("draw_annotated", lambda y, tmp: to_svg(draw_annotated(y))),
    ("draw_step", lambda y, tmp: to_svg(draw_step(y, 3)))])
def test_every_entry_point_summarizes_a_graph_too_big_to_lay_out(name, draw, tmp_path):
    y = _chain(400)                           # 1,200 nodes: minutes of layout unguarded
    start = time.monotonic()
    with pytest.warns(GraphTooLargeWarning, match="nodes"):
        svg = draw(y, tmp_path)
    assert time.monotonic() - start < 30, name
    assert any("nodes nearest the output" in t for t in _texts(svg))


def test_the_steppers_refuse_or_bound_big_graphs():
    with pytest.raises(ValueError, match="stops at 300"):
        stepper_html(_chain(400))
    with pytest.warns(GraphTooLargeWarning):
        page = network_stepper_html(MLP(4, [30, 1], seed=0), [0.1] * 4, target=0.0)
    assert page.count("<svg") == 1 and len(page) < 2_000_000


def test_draw_network_of_a_big_model_is_summarized():
    with pytest.warns(GraphTooLargeWarning, match="one box per neuron"):
        dot = draw_network(MLP(10, [40, 1], seed=0), [0.1] * 10)
    assert "module-1" in dot.source


def test_a_hung_layout_program_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CHAINRULE_DOT", str(slow))
    monkeypatch.setattr(drawing, "LAYOUT_TIMEOUT", 0.5)
    start = time.monotonic()
    with pytest.raises(drawing.LayoutTimeout, match="after 0.5 s"):
        to_svg(_graph("x"))
    assert time.monotonic() - start < 10


def test_small_drawings_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = build("tanh(x*w + b)", x=1.0, w=2.0, b=0.5)
        y.backward()
        for dot in (draw_graph(y), draw_annotated(y), draw_step(y, 1)):
            to_svg(dot)
        draw_network_diagram(MLP(2, [3, 1], seed=0), [1.0, 2.0], target=1.0).svg()
