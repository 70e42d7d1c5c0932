"""A drawing for notebooks: SVG for viewers that trust it, PNG for every other one."""

from __future__ import annotations

from .drawing import to_png, to_svg

__all__ = ["Picture"]


class Picture:
    """A drawing that shows itself in every notebook viewer: SVG where SVG is trusted, and
    PNG beside it for the rest (GitHub, untrusted JupyterLab, nbconvert, the docs site).

    >>> from autograd.expr import build
    >>> from visualize import draw_graph
    >>> picture = Picture(draw_graph(build("a*b", a=2.0, b=3.0)))
    >>> picture._repr_png_()[:4], picture._repr_svg_().lstrip()[:5]
    (b'\\x89PNG', '<?xml')
    """

    def __init__(self, graph):
        self.graph = graph

    def _repr_svg_(self) -> str:
        return to_svg(self.graph)

    def _repr_png_(self) -> bytes:
        return to_png(self.graph)
