"""Grad mode, per thread (as in PyTorch): :class:`no_grad` and :func:`is_grad_enabled`.

>>> from autograd import Value
>>> x = Value(2.0)
>>> with no_grad():
...     y = x * x + 1
>>> y.data, y.is_leaf
(5.0, True)

The engine asks :func:`recording` before it records a result's parents.  Its hot
paths read the one global ``open_blocks`` first: while no thread is inside a
no_grad() block (nearly always) every thread records, and only otherwise does a
thread read its own flag.
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator

__all__ = ["no_grad", "is_grad_enabled", "recording"]


class _ThreadMode(threading.local):
    enabled = True  # every new thread starts out recording

    def __init__(self):
        self.saved: list[bool] = []  # what each open no_grad() block will restore


thread_mode = _ThreadMode()
open_blocks = 0  # how many no_grad() blocks are open, in all threads together
_open_blocks_lock = threading.Lock()


class no_grad(ContextDecorator):
    """Build no graph inside the block: results are plain leaves (inference, evaluation).

    The mode belongs to the thread that enters the block: other threads keep
    recording, and each block restores what its own thread had before.  It also
    works as a decorator, ``@no_grad()``.

    >>> from autograd import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x + 1
    >>> y.data, y._prev
    (5.0, ())
    """

    def __enter__(self) -> None:
        global open_blocks
        # the state is kept per thread, not on self, so one instance can be shared
        thread_mode.saved.append(thread_mode.enabled)
        thread_mode.enabled = False
        with _open_blocks_lock:
            open_blocks += 1

    def __exit__(self, *exc_info) -> None:
        global open_blocks
        thread_mode.enabled = thread_mode.saved.pop()
        with _open_blocks_lock:
            open_blocks -= 1


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad` in this thread.

    >>> is_grad_enabled()
    True
    """
    return thread_mode.enabled


def recording() -> bool:
    """Whether a result made now in this thread records its parents (the hot paths
    in :mod:`autograd.value` inline this test)."""
    return not open_blocks or thread_mode.enabled
