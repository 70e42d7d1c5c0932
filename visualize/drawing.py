"""Draw a computation graph with Graphviz: record nodes ``{ label | data | grad }``.

>>> from autograd import Value
>>> a = Value(2.0, "a"); b = Value(-3.0, "b")
>>> c = a * b; c.label = "c"; c.backward()
>>> dot = draw_graph(c)
>>> print(dot.source.splitlines()[4].strip())
v0 [label="{ a | data 2.0000 | grad -3.0000 }" id="node-1" shape=record]

``render(c, "graph.svg")`` writes the picture.  It runs the system ``dot`` when
there is one, and otherwise the ``graphviz-pure`` program that chainrule installs
from PyPI, so no system Graphviz is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Optional, Union

import graphviz

from autograd import Value, topological_order
from autograd.trace import node_names
from nn.model_file import write_atomically

from .dot import build_graph, record_label
from .summary import DEFAULT_MAX_NODES, summarize, too_big

__all__ = ["draw_graph", "render", "to_svg", "to_png", "find_dot", "RendererNotFound",
           "LayoutTimeout",
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
    found = shutil.which("dot") or shutil.which("graphviz-pure")
    if found:
        return found
    # graphviz-pure lives beside this interpreter even when the venv is not activated.
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / ("graphviz-pure.exe" if os.name == "nt" else "graphviz-pure")
        if candidate.is_file():
            return str(candidate)
    return None


def _run_dot(source: str, fmt: str) -> bytes:
    program = find_dot()
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
