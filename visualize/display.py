"""How a ``Value`` shows itself in Jupyter, registered by visualize (autograd stays below).

autograd offers ``register_display_hook(kind, fn)`` (kinds ``"svg"``, ``"html"`` and
``"stepper"``); importing :mod:`visualize` fills the three in, so ``autograd`` never
imports ``visualize``:

* ``svg``: the annotated graph, summarized when large (``Value._repr_svg_``);
* ``html``: the same picture, inline (``Value._repr_html_``);
* ``stepper``: ``value.stepper(title=...)``, a stepper page shown inline.

>>> from autograd.expr import build
>>> y = build("tanh(x*w)", x=1.0, w=0.5)
>>> value_svg(y).lstrip().startswith("<?xml")
True
>>> "<iframe" in value_stepper(y)._repr_html_()
True
>>> y._repr_svg_() == value_svg(y) and "steps-data" in str(y.stepper(title="a neuron"))
True
"""

from __future__ import annotations

from typing import Optional

from autograd import Value
from autograd.display import register_display_hook

from .annotated import draw_annotated
from .drawing import to_png, to_svg
from .page import StepperPage, inline_svg
from .picture import Picture
from .stepper import expression_stepper

__all__ = ["value_svg", "value_html", "value_png", "value_stepper", "register_display_hooks",
           "Picture"]



def value_svg(value: Value) -> Optional[str]:
    """The annotated graph of ``value`` as SVG; None (Jupyter falls back to repr) on failure."""
    try:
        return to_svg(draw_annotated(value))
    except Exception:  # a display must never raise inside the notebook
        return None


def value_html(value: Value) -> Optional[str]:
    """The same picture as an HTML fragment, scaled down to the cell's width if wider."""
    svg = value_svg(value)
    return None if svg is None else f'<div style="max-width:100%;overflow-x:auto">' \
        f'{_fit_width(inline_svg(svg))}</div>'


def _fit_width(svg: str) -> str:
    return svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def value_png(value: Value) -> Optional[bytes]:
    """The annotated graph as PNG (shown where SVG is not trusted); None on failure."""
    try:
        return to_png(draw_annotated(value))
    except Exception:  # a display must never raise inside the notebook
        return None


def value_stepper(value: Value, title: str = "") -> StepperPage:
    """The stepper of ``value``'s graph; it displays inline in Jupyter."""
    return expression_stepper(value, title=title)


def register_display_hooks() -> None:
    """Hand the three displays to autograd (``import visualize`` does this once)."""
    register_display_hook("svg", value_svg)
    register_display_hook("html", value_html)
    register_display_hook("png", value_png)
    register_display_hook("stepper", value_stepper)
