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
"""

from __future__ import annotations

from typing import Optional

from autograd import Value

from .annotated import draw_annotated
from .drawing import to_svg
from .page import StepperPage, inline_svg
from .stepper import expression_stepper

__all__ = ["value_svg", "value_html", "value_stepper", "register_display_hooks"]


def value_svg(value: Value) -> Optional[str]:
    """The annotated graph of ``value`` as SVG; None (Jupyter falls back to repr) on failure."""
    try:
        return to_svg(draw_annotated(value))
    except Exception:  # a display must never raise inside the notebook
        return None


def value_html(value: Value) -> Optional[str]:
    """The same picture as an HTML fragment."""
    svg = value_svg(value)
    return None if svg is None else f"<div>{inline_svg(svg)}</div>"


def value_stepper(value: Value, title: str = "") -> StepperPage:
    """The stepper of ``value``'s graph; it displays inline in Jupyter."""
    return expression_stepper(value, title=title)


def register_display_hooks() -> bool:
    """Hand the three displays to autograd; False if this autograd has no hook to fill."""
    from autograd import value as value_module
    register = getattr(value_module, "register_display_hook", None)
    if register is None:
        return False
    register("svg", value_svg)
    register("html", value_html)
    register("stepper", value_stepper)
    return True
