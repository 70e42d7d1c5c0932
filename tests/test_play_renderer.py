"""visualize's renderer interface: a layout program (system ``dot``, ``graphviz-pure``) or a
function from DOT text to SVG text, as the browser classroom passes Graphviz in WebAssembly.

The oracle of a function renderer is what it was given: the DOT text must be exactly
``draw_graph(root).source`` and no process may start; the oracle of a program is the node
labels of the graph, read back from the SVG it drew."""

from __future__ import annotations

import doctest
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import visualize
import visualize.drawing
from autograd import Value
from visualize import (
    RendererNotFound,
    draw_graph,
    get_renderer,
    render,
    set_renderer,
    to_png,
    to_svg,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def default_renderer():
    previous = set_renderer(None)
    yield
    set_renderer(previous)


def small_graph() -> Value:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b + a
    c.label = "c"
    c.backward()
    return c


def no_processes(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started: {args[0] if args else kwargs}")
    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


def test_a_function_renderer_gets_the_dot_text_and_its_svg_is_the_picture(monkeypatch, tmp_path):
    no_processes(monkeypatch)
    given = []

    def page_renderer(dot_text):
        given.append(dot_text)
        return f"<svg><!-- {len(dot_text)} --></svg>"

    root = small_graph()
    source = draw_graph(root).source
    assert set_renderer(page_renderer) is None          # the default before it
    assert get_renderer() is page_renderer
    assert to_svg(root) == f"<svg><!-- {len(source)} --></svg>"
    path = render(root, tmp_path / "graph.svg")
    assert path.read_text() == f"<svg><!-- {len(source)} --></svg>"
    assert given == [source, source]


def test_the_steppers_through_a_function_renderer_are_the_pages_graphviz_gives():
    """The page's renderer (a function) wrapping the same program gives the same pages."""
    program = visualize.find_dot()
    calls = []

    def through_a_function(dot_text):
        calls.append(dot_text)
        return subprocess.run([program, "-Tsvg"], input=dot_text.encode(), check=True,
                              capture_output=True).stdout.decode()

    from nn import MLP
    root = small_graph()
    pages = {"expression": lambda: visualize.stepper_html(root, title="a*b + a"),
             "network": lambda: visualize.network_stepper_html(
                 MLP(2, [3, 1], seed=0), [1.0, -2.0], target=0.5)}
    for name, page in pages.items():
        by_program = page()
        set_renderer(through_a_function)
        before = len(calls)
        assert page() == by_program, name
        assert len(calls) > before, f"the {name} stepper did not use the renderer"
        set_renderer(None)


def test_a_function_renderer_refuses_png_in_one_line_and_render_keeps_the_dot(tmp_path):
    set_renderer(lambda dot_text: "<svg/>")
    with pytest.raises(RendererNotFound, match=r"draws SVG only, not png.*\.svg") as error:
        to_png(small_graph())
    assert "\n" not in str(error.value)
    with pytest.raises(RendererNotFound, match="graph source was written"):
        render(small_graph(), tmp_path / "graph.png")
    assert (tmp_path / "graph.dot").read_text() == draw_graph(small_graph()).source


def test_a_failing_or_wrong_function_renderer_is_named_in_one_line():
    def broken(dot_text):
        raise ValueError("syntax error in line 3")

    set_renderer(broken)
    with pytest.raises(RuntimeError, match=r"renderer broken failed on the graph: syntax error"):
        to_svg(small_graph())

    def gives_bytes(dot_text):
        return b"<svg/>"

    set_renderer(gives_bytes)
    with pytest.raises(RuntimeError, match=r"renderer gives_bytes returned bytes, not SVG text"):
        to_svg(small_graph())


def test_bad_choices_are_refused_in_one_line_and_leave_the_renderer_as_it_was():
    with pytest.raises(RendererNotFound, match=r"set_renderer\('no-such-dot'\): no such layout"):
        set_renderer("no-such-dot")
    with pytest.raises(TypeError, match=r"set_renderer\(3\): give None"):
        set_renderer(3)
    assert get_renderer() is None


def svg_labels(svg: str) -> list[str]:
    return sorted(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)
                  if t.strip())


def test_graphviz_pure_by_name_and_by_path_draws_every_label():
    root = small_graph()
    program = set_renderer("graphviz-pure")
    assert program is None and Path(get_renderer()).name.startswith("graphviz-pure")
    by_name = to_svg(root)
    set_renderer(Path(get_renderer()))
    by_path = to_svg(root)
    for label in ("a", "b", "c", "data 2.0000", "grad -2.0000", "data -4.0000"):
        assert label in svg_labels(by_name), label
    assert svg_labels(by_name) == svg_labels(by_path)


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="no system Graphviz `dot` on PATH (apt-get install graphviz)")
def test_the_system_dot_draws_the_same_labels_as_graphviz_pure():
    root = small_graph()
    set_renderer("dot")
    system = svg_labels(to_svg(root))
    set_renderer("graphviz-pure")
    assert system == svg_labels(to_svg(root))


def test_the_drawing_docstring_examples_hold():
    result = doctest.testmod(visualize.drawing)
    assert result.attempted >= 5 and result.failed == 0


def test_graphviz_pure_is_required_everywhere_but_in_a_browser():
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pure = [Requirement(r) for r in project["dependencies"] if r.startswith("graphviz-pure")]
    assert len(pure) == 1 and pure[0].marker is not None
    here = default_environment()
    assert pure[0].marker.evaluate(here)                       # this machine: installed
    pyodide = dict(here, sys_platform="emscripten", platform_system="Emscripten",
                   platform_machine="wasm32")
    assert not pure[0].marker.evaluate(pyodide)                # Pyodide: no wheel exists
    assert sys.platform != "emscripten"
