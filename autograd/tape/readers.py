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

__all__ = ["affine", "Reader", "SumReader"]


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
    the index as a few column blocks that are each affine, or as one gather."""

    def __init__(self, index: np.ndarray):
        index = np.asarray(index, dtype=np.intp)
        blocks, start = [], 0
        if index.size == 0:  # no rows (no parameters, say): nothing to sum
            self.blocks = []
            return
        while start < index.shape[1]:
            stop = index.shape[1]
            while stop > start and affine(index[:, start:stop]) is None:
                stop -= 1
            if stop == start:
                break
            blocks.append(Reader(index[:, start:stop]))
            start = stop
        if start < index.shape[1] or len(blocks) > 4:
            blocks = [Reader(index)]
        self.blocks = blocks

    def bind(self, array: np.ndarray) -> None:
        for block in self.blocks:
            block.bind(array)

    def sum_into(self, out: np.ndarray) -> None:
        if not self.blocks:
            return
        first, *rest = self.blocks
        np.add.reduce(first.read(), axis=1, out=out)
        for block in rest:
            out += np.add.reduce(block.read(), axis=1)
