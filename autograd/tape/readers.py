"""Reading rows of a buffer without copying: strided views where the slots line up.

The grouped plan lays out its slots so that a group's operands usually sit at
evenly spaced rows of the values buffer; then ``values[index]`` is a strided view
(no copy, and it sees the buffer's new contents on every replay).  Where they do
not line up, a gather (``take``) is the fallback.

>>> import numpy as np
>>> affine(np.array([[2, 3], [5, 6]]))    # rows 2 + 3*i + j: a view
(2, [3, 1])
>>> affine(np.array([4, 1])) is None      # going backwards: a gather
True
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["affine", "as_slice", "strided", "Reader", "SumReader"]


def affine(index: np.ndarray) -> Optional[tuple]:
    """``(start, strides)`` if ``index[i, j, ...] == start + i*s0 + j*s1 + ...`` with every
    stride >= 0 (then ``array[index]`` is a strided view of ``array``), else None."""
    start = int(index.flat[0])
    strides = []
    for axis in range(index.ndim):
        step = (int(np.take(index, 1, axis=axis).flat[0]) - start
                if index.shape[axis] > 1 else 0)
        if step < 0:
            return None
        strides.append(step)
    grid = start + sum(s * np.arange(n).reshape([-1 if a == axis else 1
                                                  for a in range(index.ndim)])
                       for axis, (s, n) in enumerate(zip(strides, index.shape)))
    return (start, strides) if np.array_equal(grid, index) else None


def as_slice(index: np.ndarray):
    """``index`` as a ``slice`` when it is a run of consecutive rows (then
    ``array[index]`` is a view and ``array[index] = x`` a plain copy, no gather or
    scatter), else the index array unchanged."""
    index = np.asarray(index, dtype=np.intp)
    if index.ndim == 1 and index.size and (index.size == 1
                                           or affine(index) == (int(index[0]), [1])):
        return slice(int(index[0]), int(index[0]) + index.size)
    return index


def strided(array: np.ndarray, start: int, strides: list, shape: tuple,
            writeable: bool = False) -> np.ndarray:
    """The view ``array[index]`` of a 1-D ``array`` for an affine ``index`` of ``shape``
    (``start``, ``strides`` from :func:`affine`); writeable only if no entry repeats."""
    step = array.strides[0]
    return as_strided(array[start:], shape=shape, strides=tuple(s * step for s in strides),
                      writeable=writeable)


class Reader:
    """Reads rows ``array[index]`` of a 2-D buffer: a strided view when the index is
    affine (no copy, and reading it later sees new contents), else a gathered copy."""

    def __init__(self, index: np.ndarray):
        self.index = np.asarray(index, dtype=np.intp)
        self.affine = affine(self.index) if self.index.size else None

    def bind(self, array: np.ndarray) -> None:
        self.array = array
        if self.affine is not None:
            start, strides = self.affine
            row = array.strides[0]
            self.view = as_strided(array[start:], shape=self.index.shape + array.shape[1:],
                                   strides=tuple(s * row for s in strides) + array.strides[1:],
                                   writeable=False)

    def read(self) -> np.ndarray:
        if self.affine is not None:
            return self.view
        return self.array.take(self.index, axis=0)  # (take with out= is slower)


class SumReader:
    """Sums ``array[index]`` over axis 1 (index of shape (k, n)) into ``out``, reading
    the index as a few column blocks that are each affine; failing that, as a few runs
    of rows that each are (the biases of several layers: one run per layer); else as
    one gather."""

    def __init__(self, index: np.ndarray):
        index = np.asarray(index, dtype=np.intp)
        self.parts: list = []  # (rows of out, [Reader per column block])
        if index.size == 0:  # no rows (no parameters, say): nothing to sum
            return
        blocks = column_blocks(index)
        if blocks is None:
            runs = row_runs(index)
            parts = [(slice(a, b), column_blocks(index[a:b])) for a, b in runs or []]
            if parts and all(blocks is not None for _, blocks in parts):
                self.parts = parts
                return
        self.parts = [(slice(None), blocks or [Reader(index)])]

    def bind(self, array: np.ndarray) -> None:
        for _, blocks in self.parts:
            for block in blocks:
                block.bind(array)

    def sum_into(self, out: np.ndarray) -> None:
        for rows, (first, *rest) in self.parts:
            target = out[rows]
            terms = first.read()
            if terms.shape[1] <= 4:  # a few terms: chained adds beat a strided reduce
                if terms.shape[1] == 1:
                    np.copyto(target, terms[:, 0])
                else:
                    np.add(terms[:, 0], terms[:, 1], out=target)
                for j in range(2, terms.shape[1]):
                    target += terms[:, j]
            else:
                np.add.reduce(terms, axis=1, out=target)
            for block in rest:
                target += np.add.reduce(block.read(), axis=1)


def column_blocks(index: np.ndarray, most: int = 4) -> Optional[list]:
    """Readers for up to ``most`` blocks of columns of ``index``, each affine, or None."""
    blocks, start = [], 0
    while start < index.shape[1]:
        stop = index.shape[1]
        while stop > start and affine(index[:, start:stop]) is None:
            stop -= 1
        if stop == start or len(blocks) == most:
            return None
        blocks.append(Reader(index[:, start:stop]))
        start = stop
    return blocks


def row_runs(index: np.ndarray, most: int = 8) -> Optional[list]:
    """Up to ``most`` runs ``(start, stop)`` of rows of ``index`` that step evenly from row
    to row, or None."""
    n, runs, a = index.shape[0], [], 0
    steps = np.diff(index, axis=0)
    while a < n:
        if len(runs) == most:
            return None
        if a == n - 1:
            runs.append((a, n))
            break
        same = (steps[a:] == steps[a]).all(axis=1)
        b = n if same.all() else a + 1 + int(np.argmin(same))
        runs.append((a, b))
        a = b
    return runs
