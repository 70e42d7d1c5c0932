"""Dropout masks for ``fit``: one seeded source that both engines read in one order.

A compiled tape replays one traced graph for every row, so a mask drawn while
tracing would be frozen.  Instead, during ``fit`` every :class:`~nn.modules.Dropout`
in training mode asks this source for its factors (``0`` or ``1 / (1 - p)``):

* the scalar engine gets plain floats, drawn as the model is called, example by
  example and, inside an example, in the order the Dropouts are called;
* a tape gets its masks as graph inputs (leaf Values, one per dropped unit), and
  :meth:`DropoutMasks.draw` makes a batch of them from the same generator, row by
  row and slot by slot: the very numbers the scalar engine would have drawn.

So ``fit(..., compile=True, seed=s)`` and ``fit(..., compile=False, seed=s)`` train on
the same masks and end with the same weights (tests/test_tape.py).

>>> masks = DropoutMasks(seed=0)
>>> masks.take(0.5, 4)              # the scalar engine's factors for one Dropout call
[0.0, 2.0, 0.0, 2.0]
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from .modules import Dropout, Module

__all__ = ["DropoutMasks", "training_dropouts", "feeding_masks"]


def training_dropouts(model: Any) -> list:
    """The Dropout modules of ``model`` that drop something (training mode, p > 0)."""
    found, stack, seen = [], [model] if isinstance(model, Module) else [], set()
    while stack:
        module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        if isinstance(module, Dropout) and module.training and module.p > 0.0:
            found.append(module)
        stack.extend(module.children())
    return found


class DropoutMasks:
    """The masks of one ``fit`` run, from a ``random.Random`` seeded by fit's seed.

    ``take(p, n)`` hands a Dropout call its ``n`` factors: drawn now (the scalar
    engine), or, inside :meth:`feeding`, the next ``n`` mask inputs of the traced
    example.  :meth:`count_slots` learns which ``p`` each mask input belongs to, and
    :meth:`draw` fills a ``(rows, slots)`` array in the scalar engine's order.
    """

    def __init__(self, seed: Optional[int]):
        # A stream of its own: the batches' shuffle (also seeded by ``seed``) stays as
        # it is without dropout, and the masks do not repeat the shuffle's draws.
        self.rng = random.Random(f"chainrule dropout masks {seed}" if seed is not None
                                 else None)
        self.slots: list = []  # p of each mask input, in call order
        self._fed: Optional[list] = None
        self._counting = False

    def take(self, p: float, n: int) -> list:
        if self._fed is not None:
            start = self._cursor
            self._cursor += n
            return self._fed[start:start + n]
        scale = 1.0 / (1.0 - p)
        if self._counting:
            self.slots.extend([p] * n)
            return [scale] * n
        draw = self.rng.random
        return [0.0 if draw() < p else scale for _ in range(n)]

    def count_slots(self, model: Any, x: list) -> int:
        """Call ``model(x)`` once to learn how many mask inputs an example needs
        (no draw is made)."""
        self.slots, self._counting = [], True
        try:
            model(x)
        finally:
            self._counting = False
        return len(self.slots)

    @contextmanager
    def feeding(self, mask_inputs: list) -> Iterator[None]:
        """Inside, Dropout calls take their factors from ``mask_inputs`` (a tape's
        leaf Values while tracing), in call order."""
        saved = self._fed, getattr(self, "_cursor", 0)
        self._fed, self._cursor = list(mask_inputs), 0
        try:
            yield
        finally:
            self._fed, self._cursor = saved

    def draw(self, rows: int):
        """A ``(rows, slots)`` float array of factors: what the scalar engine would draw
        for ``rows`` examples in a row."""
        import numpy as np

        draw = self.rng.random
        factors = [(0.0 if draw() < p else 1.0 / (1.0 - p))
                   for _ in range(rows) for p in self.slots]
        return np.array(factors, dtype=float).reshape(rows, len(self.slots))


@contextmanager
def feeding_masks(model: Any, seed: Optional[int]) -> Iterator[Optional[DropoutMasks]]:
    """For the length of ``fit``: every training Dropout of ``model`` takes its masks
    from one :class:`DropoutMasks` (yielded; None if nothing drops).  The modules are
    left as they were afterwards."""
    dropouts = training_dropouts(model)
    if not dropouts:
        yield None
        return
    masks = DropoutMasks(seed)
    saved = [d.masks for d in dropouts]
    for d in dropouts:
        d.masks = masks
    try:
        yield masks
    finally:
        for d, before in zip(dropouts, saved):
            d.masks = before
