"""Names that a higher layer provides to autograd, so old import paths keep working.

autograd never imports ``nn`` (imports run one way: autograd < nn < visualize <
chainrule).  Where a name moved up into ``nn`` -- ``neuron_table`` needs nn's
classes, ``mlps`` builds nn's MLPs -- ``nn`` registers it here when it is imported,
and autograd's old name looks it up.  A model object only exists once ``nn`` is
imported, so the lookup finds it whenever it can be used.

>>> provide("answer", lambda: 42)
>>> provided("answer", "nowhere")
42
>>> provided("question", "the book")
Traceback (most recent call last):
...
AttributeError: question now lives in the book: import it from there (import the book) \
-- autograd does not import higher layers
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["provide", "provided"]

_loaders: dict[str, Callable[[], Any]] = {}


def provide(name: str, loader: Callable[[], Any]) -> None:
    """Register ``loader()`` as the object behind autograd's old name ``name``."""
    _loaders[name] = loader


def provided(name: str, new_home: str) -> Any:
    """The object registered for ``name``, or an AttributeError naming its ``new_home``."""
    loader = _loaders.get(name)
    if loader is None:
        raise AttributeError(f"{name} now lives in {new_home}: import it from there "
                             f"(import {new_home}) -- autograd does not import higher layers")
    return loader()
