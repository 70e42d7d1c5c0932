"""Small SVG pieces for the classroom's live pictures, as plain strings (no matplotlib,
no Graphviz): the page redraws them every few training steps, in Pyodide as natively.

>>> picture = svg_document(120, 40, [rect(0, 0, 10, 10, "#ff0000"), text(5, 30, "a < b")],
...                        title="demo")
>>> picture.startswith("<svg ") and "a &lt; b" in picture
True
>>> mix("#000000", "#ffffff", 0.5)
'#808080'
"""

from __future__ import annotations

import html
from typing import Sequence

__all__ = ["svg_document", "rect", "circle", "line", "text", "polyline", "mix", "number",
           "POSITIVE", "NEGATIVE"]

FONT = "font-family=\"Helvetica, Arial, sans-serif\""
# a weight's or contribution's sign, as TensorFlow Playground colours it
POSITIVE, NEGATIVE = "#0877bd", "#f59322"


def number(value: float) -> str:
    """A coordinate short enough to keep a picture small: two decimals, no trailing zeros."""
    text_form = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text_form in ("-0", "") else text_form


def svg_document(width: float, height: float, parts: Sequence[str], title: str = "",
                 kind: str = "") -> str:
    """An ``<svg>`` element (no XML prolog: it goes straight into a page) of that size.
    ``kind`` becomes ``data-picture`` so a page or a test can find it."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{number(width)}" '
            f'height="{number(height)}" viewBox="0 0 {number(width)} {number(height)}"'
            + (f' data-picture="{html.escape(kind)}"' if kind else "") + ">")
    label = f"<title>{html.escape(title)}</title>" if title else ""
    return head + label + "".join(parts) + "</svg>"


def rect(x: float, y: float, width: float, height: float, fill: str, extra: str = "") -> str:
    return (f'<rect x="{number(x)}" y="{number(y)}" width="{number(width)}" '
            f'height="{number(height)}" fill="{fill}"{" " + extra if extra else ""}/>')


def circle(x: float, y: float, r: float, fill: str, extra: str = "") -> str:
    return (f'<circle cx="{number(x)}" cy="{number(y)}" r="{number(r)}" fill="{fill}"'
            f'{" " + extra if extra else ""}/>')


def line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float,
         extra: str = "") -> str:
    return (f'<line x1="{number(x1)}" y1="{number(y1)}" x2="{number(x2)}" y2="{number(y2)}" '
            f'stroke="{stroke}" stroke-width="{number(width)}"{" " + extra if extra else ""}/>')


def text(x: float, y: float, content: str, size: float = 11, anchor: str = "start",
         extra: str = "") -> str:
    return (f'<text x="{number(x)}" y="{number(y)}" font-size="{number(size)}" {FONT} '
            f'text-anchor="{anchor}"{" " + extra if extra else ""}>{html.escape(content)}</text>')


def polyline(points: Sequence[tuple[float, float]], stroke: str, width: float = 1.5) -> str:
    joined = " ".join(f"{number(x)},{number(y)}" for x, y in points)
    return (f'<polyline points="{joined}" fill="none" stroke="{stroke}" '
            f'stroke-width="{number(width)}"/>')


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mix(a: str, b: str, share_of_b: float) -> str:
    """The colour ``share_of_b`` of the way from ``a`` to ``b`` (both ``#rrggbb``)."""
    t = min(1.0, max(0.0, share_of_b))
    return "#" + "".join(f"{round(ca + (cb - ca) * t):02x}"
                         for ca, cb in zip(_channels(a), _channels(b)))
