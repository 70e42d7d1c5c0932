"""Keeping Python's cyclic garbage collector out of graph building, without harm.

chainrule's graphs hold no reference cycles (no per-node closures), so reference
counting frees them; the cyclic collector scanning them while they are alive only
costs time (it is most of micrograd's training step).  :func:`gc_paused` turns the
collector off for a block and, with ``promote=True``, files the objects made inside
as long-lived so the next young-generation pass does not rescan the graph.

What it does to the rest of the program, and why that is safe:

* the collector's on/off state is restored on exit, even after an exception;
* promotion uses ``gc.freeze(); gc.unfreeze()``, which moves *every* tracked object
  to the oldest generation.  To keep that to our own objects, the block first runs
  ``gc.collect(1)``: the program's young objects are examined as they would have been
  soon anyway (its cyclic garbage is freed, its survivors are filed as old with the
  collector's usual accounting), so what gets promoted on exit is only what the block
  made.  Without that first pass, a program that makes cyclic garbage between model
  calls would see it promoted before any young pass found it, and it would pile up
  (tests/test_engine_semantics.py checks it stays bounded);
* a program that uses ``gc.freeze()`` itself is left alone: no promotion.

>>> import gc
>>> with gc_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused(promote: bool = False) -> Iterator[None]:
    """Run the block with the cyclic collector off; restore it after.

    ``promote=True`` also files the objects made inside the block as long-lived,
    so they are not rescanned by young-generation passes while they stay alive.
    If the collector was already off, or the program froze objects itself, the
    block runs unchanged.
    """
    if not gc.isenabled():
        yield
        return
    promote = promote and not gc.get_freeze_count()
    if promote:
        gc.collect(1)  # the program's own young objects: collected or filed as old now
    gc.disable()
    try:
        yield
    finally:
        if promote:
            gc.freeze()
            gc.unfreeze()
        gc.enable()
