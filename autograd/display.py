"""Display hooks: how a higher layer (visualize) shows a Value, without autograd importing it.

autograd sits below visualize, so ``Value._repr_svg_`` cannot import the drawing code;
instead ``import visualize`` registers its functions here, and Value looks them up.
"""

from __future__ import annotations

from typing import Callable, Optional

__all__ = ["register_display_hook", "display_hook"]

_DISPLAY_KINDS = ("svg", "html", "png", "stepper")
_display_hooks: dict[str, Callable] = {}


def register_display_hook(kind: str, fn: Optional[Callable]) -> None:
    """Let a higher layer show a Value: ``kind`` is "svg", "html", "png" or "stepper".

    * ``"svg"``: ``fn(value) -> str`` is what ``Value._repr_svg_`` returns (Jupyter);
    * ``"html"``: ``fn(value) -> str`` is what ``Value._repr_html_`` returns;
    * ``"png"``: ``fn(value) -> bytes`` is what ``Value._repr_png_`` returns (the
      picture a notebook shows where SVG and HTML are not trusted: GitHub, JupyterLab);
    * ``"stepper"``: ``fn(value, **options)`` is what ``Value.stepper(**options)``
      returns, an object with ``_repr_html_``.

    ``fn=None`` removes the hook.  ``autograd`` itself imports nothing above it:
    ``import visualize`` registers these.

    >>> from autograd import Value
    >>> before = display_hook("svg")
    >>> register_display_hook("svg", lambda v: f"<svg><!-- {v.data} --></svg>")
    >>> Value(2.0)._repr_svg_()
    '<svg><!-- 2.0 --></svg>'
    >>> register_display_hook("svg", before)  # put back what was there (None removes)
    """
    if kind not in _DISPLAY_KINDS:
        raise ValueError(f"register_display_hook: unknown kind {kind!r}; "
                         f"use one of {', '.join(map(repr, _DISPLAY_KINDS))}")
    if fn is None:
        _display_hooks.pop(kind, None)
    elif not callable(fn):
        raise TypeError(f"register_display_hook({kind!r}, {repr(fn)[:40]}): the hook must be "
                        "callable (or None to remove it)")
    else:
        _display_hooks[kind] = fn


def display_hook(kind: str) -> Optional[Callable]:
    """The hook registered for ``kind``, or None."""
    return _display_hooks.get(kind)
