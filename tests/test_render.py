"""The renderer: deterministic DOT, record labels, SVG/PNG through graphviz-pure, clear failure."""

import re
import shutil

import pytest

import visualize.drawing as drawing
from autograd import Value
from visualize import RendererNotFound, draw_graph, find_dot, render


def example():
    a = Value(2.0, "a")
    b = Value(-3.0, "b")
    c = a * b
    c.label = "c"
    d = (c + a).tanh()
    d.label = "d"
    d.backward()
    return d


def test_record_nodes_and_op_nodes():
    source = draw_graph(example()).source
    assert 'label="{ a | data 2.0000 | grad ' in source
    assert re.search(r'label="\{ d \| data -0.9993 \| grad 1.0000 \}"[^\]]* shape=record',
                     source)
    for symbol in ('"*"', '"+"', "tanh"):
        assert re.search(f"label={re.escape(symbol)}[^\\]]* shape=ellipse", source)
    assert "rankdir=LR" in source
    assert "rankdir=TB" in draw_graph(example(), rankdir="TB").source


def test_edges_follow_the_graph():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    source = draw_graph(c).source
    # a -> op, b -> op, op -> c
    assert "v0 -> v2_op" in source and "v1 -> v2_op" in source and "v2_op -> v2" in source


def test_dot_text_is_deterministic():
    assert draw_graph(example()).source == draw_graph(example()).source


def test_special_characters_in_labels_are_escaped():
    v = Value(1.0, "{x|y}<z>")
    w = v * 2
    assert "\\{x\\|y\\}\\<z\\>" in draw_graph(w).source


def test_bad_rankdir():
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(example(), rankdir="sideways")


def _hide_system_dot(monkeypatch):
    real_which = shutil.which
    monkeypatch.delenv("CHAINRULE_DOT", raising=False)
    monkeypatch.setattr(drawing.shutil, "which",
                        lambda name, *a, **k: None if name == "dot" else real_which(name, *a, **k))


def test_svg_and_png_without_system_dot(tmp_path, monkeypatch):
    _hide_system_dot(monkeypatch)
    program = find_dot()
    assert program is not None and "graphviz-pure" in program
    svg = render(example(), tmp_path / "g.svg")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "data &#45;3.0000" in text and "tanh" in text and "grad" in text
    png = render(example(), tmp_path / "g.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dot_suffix_writes_source(tmp_path):
    path = render(example(), tmp_path / "g.dot")
    assert path.read_text() == draw_graph(example()).source


def test_no_renderer_raises_and_still_writes_dot(tmp_path, monkeypatch):
    monkeypatch.setattr(drawing, "find_dot", lambda: None)
    with pytest.raises(RendererNotFound, match="graphviz-pure") as info:
        render(example(), tmp_path / "out" / "g.svg")
    dot_file = tmp_path / "out" / "g.dot"
    assert str(dot_file) in str(info.value)
    assert dot_file.read_text() == draw_graph(example()).source
    assert not (tmp_path / "out" / "g.svg").exists()


def test_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="cannot tell the format"):
        render(example(), tmp_path / "g.pdfx")


def test_jupyter_svg_repr():
    svg = example()._repr_svg_()
    assert svg is not None and "<svg" in svg
