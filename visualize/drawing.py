"""Draw a computation graph with Graphviz: record nodes ``{ label | data | grad }``.

>>> from autograd import Value
>>> a = Value(2.0, "a"); b = Value(-3.0, "b")
>>> c = a * b; c.label = "c"; c.backward()
>>> dot = draw_graph(c)
>>> print(dot.source.splitlines()[4].strip())
v0 [label="{ a | data 2.0000 | grad -3.0000 }" id="node-1" shape=record]

``render(c, "graph.svg")`` writes the picture.  It runs the system ``dot`` when
there is one, and otherwise the ``graphviz-pure`` program that chainrule installs
from PyPI, so no system Graphviz is needed.  :func:`set_renderer` picks another
layout program, or a function of your own from DOT text to SVG text (a web page
running chainrule in Pyodide passes Graphviz compiled to WebAssembly):

>>> previous = set_renderer(lambda dot_text: "<svg><!-- laid out elsewhere --></svg>")
>>> to_svg(c)
'<svg><!-- laid out elsewhere --></svg>'
>>> _ = set_renderer(previous)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Callable, Optional, Union

import graphviz

from autograd import Value, topological_order
from autograd.trace import node_names
from nn.model_file import write_atomically

from .dot import build_graph, record_label
from .summary import DEFAULT_MAX_NODES, summarize, too_big

__all__ = ["draw_graph", "render", "to_svg", "to_png", "find_dot", "RendererNotFound",
           "LayoutTimeout", "set_renderer", "get_renderer", "Renderer",
           "node_label", "LAYOUT_TIMEOUT"]

FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}


class RendererNotFound(RuntimeError):
    """Neither a system ``dot`` nor ``graphviz-pure`` could be found."""


class LayoutTimeout(RuntimeError):
    """The layout program ran longer than ``LAYOUT_TIMEOUT`` seconds and was stopped."""


LAYOUT_TIMEOUT = 60.0  # seconds; the size guard keeps our own drawings far below this


def node_label(v: Value, name: str = "") -> str:
    """The record label of a node: ``{ label | data 2.0000 | grad -3.0000 }``."""
    return str(record_label(v.label or name, v.data, v.grad))


def draw_graph(root: Value, rankdir: str = "LR", format: str = "svg",
               max_nodes: int = DEFAULT_MAX_NODES) -> graphviz.Digraph:
    """The graph of everything ``root`` depends on, as a ``graphviz.Digraph``.

    Node names come from the topological position, not ``id()``, so the same
    graph always gives the same DOT text.  A graph too big to lay out in seconds
    is summarized (the nodes nearest the output) with a ``GraphTooLargeWarning``.
    """
    nodes = topological_order(root)
    names = node_names(nodes)
    if too_big(nodes, max_nodes):
        dot = summarize(nodes, names, None, max_nodes, rankdir)
    else:
        dot = build_graph(nodes, names, rankdir=rankdir)
    dot.format = format
    return dot


def find_dot() -> Optional[str]:
    """The layout program to run: ``$CHAINRULE_DOT``, then ``dot``, then ``graphviz-pure``."""
    chosen = os.environ.get("CHAINRULE_DOT")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).is_file() else None)
    return shutil.which("dot") or shutil.which("graphviz-pure") or _beside_python("graphviz-pure")


# What lays the pictures out: None (find_dot's search, the default), a program's path,
# or a function from DOT text to SVG text.  A choice for the whole process, like
# matplotlib's backend; set_renderer returns the previous one so a caller can restore it.
Renderer = Union[None, str, Callable[[str], str]]
_renderer: Renderer = None


def get_renderer() -> Renderer:
    """The renderer :func:`set_renderer` chose: None (the default search), a program's
    path, or a function from DOT text to SVG text."""
    return _renderer


def set_renderer(renderer: Renderer = None) -> Renderer:
    """Choose what lays out every picture; returns the previous choice.

    - ``None``: the default, ``$CHAINRULE_DOT``, then ``dot``, then ``graphviz-pure``
      (:func:`find_dot`);
    - ``"dot"``, ``"graphviz-pure"`` or a path: that program, run once per picture;
    - a function taking DOT text and returning SVG text: no process at all, as in a
      browser (Pyodide), where the page passes Graphviz compiled to WebAssembly.  It
      draws SVG only, so :func:`to_png` and ``.png`` files are refused.

    >>> previous = set_renderer("graphviz-pure")
    >>> get_renderer().endswith("graphviz-pure")
    True
    >>> set_renderer(previous) is not None
    True
    """
    global _renderer
    if renderer is None or callable(renderer):
        chosen = renderer
    elif isinstance(renderer, (str, os.PathLike)):
        name = os.fspath(renderer)
        chosen = shutil.which(name) or _beside_python(name) or (
            name if Path(name).is_file() else None)
        if chosen is None:
            raise RendererNotFound(
                f"set_renderer({name!r}): no such layout program: install it, give its "
                "full path, or set_renderer(None) for the default search")
    else:
        raise TypeError(f"set_renderer({renderer!r}): give None, a program's name or path, "
                        "or a function from DOT text to SVG text")
    previous, _renderer = _renderer, chosen
    return previous


def _beside_python(name: str) -> Optional[str]:
    """``name`` in this interpreter's scripts folder (graphviz-pure lives there even
    when the venv is not activated)."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / (f"{name}.exe" if os.name == "nt" else name)
        if candidate.is_file():
            return str(candidate)
    return None


def _call_renderer(function: Callable[[str], str], source: str, fmt: str) -> bytes:
    name = getattr(function, "__name__", type(function).__name__)
    if fmt != "svg":
        raise RendererNotFound(f"the renderer {name} draws SVG only, not {fmt}: write an "
                               ".svg file, or set_renderer(None) to lay out with Graphviz")
    try:
        svg = function(source)
    except Exception as error:  # noqa: BLE001 - whatever the page's function raised
        raise RuntimeError(f"the renderer {name} failed on the graph: {error}") from error
    if not isinstance(svg, str):
        raise RuntimeError(f"the renderer {name} returned {type(svg).__name__}, not SVG text: "
                           "it must return the SVG as a str")
    return svg.encode("utf-8")


def _run_dot(source: str, fmt: str) -> bytes:
    if callable(_renderer):
        return _call_renderer(_renderer, source, fmt)
    program = _renderer or find_dot()
    if program is None:
        raise RendererNotFound(
            "no Graphviz layout program found: install the 'graphviz-pure' wheel "
            "(pip install graphviz-pure) or a system Graphviz that provides 'dot'")
    try:
        result = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"),
                                capture_output=True, timeout=LAYOUT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise LayoutTimeout(
            f"{Path(program).name} -T{fmt} was still laying out the graph after "
            f"{LAYOUT_TIMEOUT:g} s and was stopped: draw a smaller graph (draw_annotated "
            "summarizes big ones) or raise visualize.drawing.LAYOUT_TIMEOUT") from None
    if result.returncode != 0:
        raise RuntimeError(f"{program} -T{fmt} failed: "
                           f"{result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


def _source_of(graph) -> str:
    return graph.source if isinstance(graph, graphviz.Digraph) else draw_graph(graph).source


def to_svg(graph: Union[Value, graphviz.Digraph]) -> str:
    """The SVG text of a Value's graph (or of a Digraph you built)."""
    return _run_dot(_source_of(graph), "svg").decode("utf-8")


def to_png(graph: Union[Value, graphviz.Digraph]) -> bytes:
    """The picture as PNG bytes, at twice the screen's resolution (sharp when scaled)."""
    source = _source_of(graph)
    return _run_dot(source.replace("{", "{\n\tdpi=144", 1), "png")


def render(graph: Union[Value, graphviz.Digraph], path: Union[str, os.PathLike]) -> Path:
    """Write the graph to ``path``; the suffix (.svg, .png, .dot) picks the format.

    If no layout program exists, the DOT source is still written next to ``path``
    (with a ``.dot`` suffix) before :class:`RendererNotFound` is raised.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"render: cannot tell the format of {str(path)!r}; "
                         f"end the name with one of {', '.join(sorted(FORMATS))}")
    source = _source_of(graph)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        write_atomically(path, source.encode("utf-8"))
        return path
    try:
        data = _run_dot(source, fmt)
    except RendererNotFound as error:
        dot_path = path.with_suffix(".dot")
        write_atomically(dot_path, source.encode("utf-8"))
        raise RendererNotFound(f"{error}; the graph source was written to {dot_path}") from None
    write_atomically(path, data)
    return path
