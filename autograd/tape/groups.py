"""The three kinds of group a grouped plan runs, each one numpy call (or a few).

A group is a block of nodes at one depth that run together:

* :class:`OpGroup` -- nodes of one table op: the op's forward and derivative rules
  with ``m = numpy`` on whole rows (the 16 relus of a layer are one ``maximum``);
* :class:`SumGroup` -- fused chains of the table's ``add``: one n-ary sum, whose
  edges all have slope 1 (so they need no gradient rows of their own);
* :class:`DenseGroup` -- sums of ``coefficient * value`` products plus other terms:
  a matrix product forward, two matrix products backward.

Each group is wired once (:meth:`wire`: which rows of the gradient buffer its
operands' gradients are read from), bound to buffers once per batch size
(:meth:`bind`), then replayed (:meth:`forward`, :meth:`backward`).  The plan's
passes (:mod:`.plan`) decide the groups and the slots and hand each group what
it needs to decide its own flags (``take_block``, ``read_gradient``, and a dense
group's ``own_coefficients`` and ``defer_edges``); nothing outside a group sets them.

>>> from autograd import Value
>>> from autograd.tape import compile
>>> w = Value(2.0)
>>> [g.kind for g in compile(lambda x: (w * x + 1.0).relu(), (1.0,), [w]).engine.groups]
['dense', 'op']
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Optional

import numpy as np

from ..ops import Op
from .errors import screen
from .readers import Reader, SumReader, affine, strided

__all__ = ["GradientRows", "DenseRow", "Slope", "OpGroup", "SumGroup", "DenseGroup"]


class GradientRows:
    """Rows of the gradient buffer: a node's gradient is the sum of the rows that its
    uses write (an edge's ``local * upstream``, or a consumer's own gradient when the
    slope is 1).  ``block(n)`` allocates n edge rows; ``sources`` maps node -> rows."""

    def __init__(self, first_row: int):
        self.n_rows = first_row
        self.sources: defaultdict = defaultdict(list)
        self.alias: dict = {}  # a node's row -> the one row its gradient is (no copy)

    def resolve(self, row: int) -> int:
        while row in self.alias:
            row = self.alias[row]
        return row

    def block(self, size: int) -> slice:
        self.n_rows += size
        return slice(self.n_rows - size, self.n_rows)

    def use_matrix(self, nodes: list, zero_row: int) -> np.ndarray:
        """Rows to sum per node, padded with ``zero_row`` to a rectangle."""
        width = max([1] + [len(self.sources[i]) for i in nodes])
        matrix = np.full((len(nodes), width), zero_row, dtype=np.intp)
        for k, i in enumerate(nodes):
            matrix[k, :len(self.sources[i])] = [self.resolve(r) for r in sorted(self.sources[i])]
        return matrix


@dataclass
class DenseRow:
    """One node ``sum(c * v for c, v in zip(coefficients, values)) + sum(others)
    + sum(biases)``, where each coefficient and each bias is a parameter or a constant."""

    coefficients: list
    values: list
    others: list
    biases: list = field(default_factory=list)

    @property
    def reads(self) -> list:
        return self.values + self.others


@dataclass
class Slope:
    """A derivative rule of an op group whose slope is not the constant 1: its
    ``local * upstream`` gets rows of its own (``rows``) in the gradient buffer."""

    position: int
    rule: Callable
    constant: Optional[float]  # the slope if it ignores the operands (neg's -1), else None
    rows: slice


@dataclass(eq=False)
class _Group:
    members: list
    out: Optional[slice] = None  # the block of value slots (see take_block)
    op: ClassVar[Optional[Op]] = None

    def take_block(self, start: int, order: Callable) -> slice:
        """Order the members by ``order`` (where each is used, from the plan's slot
        pass) and take the block of value slots from ``start``, one per member."""
        self.members.sort(key=order)
        self.out = slice(start, start + len(self.members))
        return self.out

    def read_gradient(self, rows: GradientRows, zero_row: int, read_rows: set) -> None:
        """How this group sums its members' gradients (``grad_reader``), once the
        plan has wired every row.  ``read_rows``: the rows that some node reads.
        When each member's gradient is one row that lines up, and no node reads this
        group's own gradient rows, the gradient is read in place: no sum, no copy."""
        self.grad_reader = SumReader(rows.use_matrix(self.members, zero_row))
        parts = self.grad_reader.parts
        self.upstream_in_place = (
            len(parts) == 1 and len(parts[0][1]) == 1
            and parts[0][1][0].affine is not None and parts[0][1][0].index.shape[1] == 1
            and read_rows.isdisjoint(range(self.out.start, self.out.stop)))

    def bind_outputs(self, V: np.ndarray, G: np.ndarray) -> None:
        self.out_view, self.grad_view = V[self.out], G[self.out]
        self.grad_reader.bind(G)
        if self.upstream_in_place:
            (_, (block,)), = self.grad_reader.parts
            self.grad_view = block.read()[:, 0]

    def gather_upstream(self) -> np.ndarray:
        if not self.upstream_in_place:
            self.grad_reader.sum_into(self.grad_view)
        return self.grad_view


@dataclass(eq=False)
class OpGroup(_Group):
    """Members of one table op; slopes other than 1 get rows of their own."""

    kind: ClassVar[str] = "op"
    op: Op = None
    slopes: list = field(default_factory=list)

    def wire(self, slot: dict, terms: dict, rows: GradientRows) -> None:
        index = [np.array([slot[terms[i][p]] for i in self.members])
                 for p in range(len(terms[self.members[0]]))]
        self.operand_readers = [Reader(ix) for ix in index]
        # the table's array form of a rule where it has one (relu's slope: a mask)
        for position, rule in enumerate(self.op.array_derivatives or self.op.derivatives):
            if rule is None:
                continue
            constant = constant_slope(rule, self.op.arity)
            if constant == 1.0:  # the consumer's gradient is the operand's share
                for i in self.members:
                    rows.sources[terms[i][position]].append(slot[i])
                continue
            block = rows.block(len(self.members))
            self.slopes.append(Slope(position, rule, constant, block))
            for k, i in enumerate(self.members):
                rows.sources[terms[i][position]].append(block.start + k)

    def bind(self, V: np.ndarray, G: np.ndarray) -> None:
        self.bind_outputs(V, G)
        for reader in self.operand_readers:
            reader.bind(V)
        self.edge_views = [G[slope.rows] for slope in self.slopes]

    def forward(self, leaf_values: np.ndarray, describe_row: Callable[[int], str]) -> None:
        self.args = [reader.read() for reader in self.operand_readers]
        self.out_view[...] = self.op.forward(np, *self.args)
        if self.op.check is not None:
            screen(self.op, self.out_view, self.args, describe_row)

    def backward(self, leaf_grads: np.ndarray) -> None:
        upstream = self.gather_upstream()
        for slope, edge in zip(self.slopes, self.edge_views):
            if slope.constant is not None:
                np.multiply(upstream, slope.constant, out=edge)
            else:
                np.multiply(slope.rule(np, self.out_view, *self.args), upstream, out=edge)


@dataclass(eq=False)
class SumGroup(_Group):
    """Fused sums of the same number of terms; every term's slope is 1."""

    kind: ClassVar[str] = "sum"

    def wire(self, slot: dict, terms: dict, rows: GradientRows) -> None:
        for i in self.members:
            for j in terms[i]:
                rows.sources[j].append(slot[i])
        width = len(terms[self.members[0]])
        self.term_reader = SumReader(np.array([[slot[terms[i][p]] for p in range(width)]
                                               for i in self.members]))

    def bind(self, V: np.ndarray, G: np.ndarray) -> None:
        self.bind_outputs(V, G)
        self.term_reader.bind(V)

    def forward(self, leaf_values: np.ndarray, describe_row: Callable[[int], str]) -> None:
        self.term_reader.sum_into(self.out_view)

    def backward(self, leaf_grads: np.ndarray) -> None:
        self.gather_upstream()


@dataclass(eq=False)
class DenseGroup(_Group):
    """Rows ``W @ v + others``: one matrix product when every member reads the same
    values (a layer: ``shared``), else one product per member (an einsum)."""

    kind: ClassVar[str] = "dense"

    def wire(self, slot: dict, dense: dict, rows: GradientRows) -> None:
        coefs = np.array([[slot[c] for c in dense[i].coefficients] for i in self.members])
        values = np.array([[slot[v] for v in dense[i].values] for i in self.members])
        others = [[slot[t] for t in dense[i].others] for i in self.members]
        biases = np.array([[slot[t] for t in dense[i].biases] for i in self.members],
                          dtype=np.intp).reshape(len(self.members), -1)
        self.bias_index = biases if biases.size else None
        self.coef_index = coefs
        self.coef_unique = len(np.unique(coefs)) == coefs.size
        # a layer's weights sit at evenly spaced leaves: read them, and add their
        # gradients, through a strided view of the leaf arrays (no gather, no scatter)
        self.coef_affine = affine(coefs)
        self._coef_views: dict = {}  # writeable -> (leaf array, view)
        self.shared = bool((values == values[:1]).all())
        self.edges = rows.block(values.shape[1] if self.shared else values.size)
        for k, i in enumerate(self.members):
            for position, v in enumerate(dense[i].values):
                if not self.shared:
                    rows.sources[v].append(self.edges.start + k * values.shape[1] + position)
                elif k == 0:  # one row per value holds the whole group's W.T @ upstream
                    rows.sources[v].append(self.edges.start + position)
            for t in dense[i].others + dense[i].biases:
                rows.sources[t].append(slot[i])
        self.value_reader = Reader(values[0] if self.shared else values)
        self.other_reader = SumReader(np.array(others)) if others[0] else None
        self.value_nodes = {v for i in self.members for v in dense[i].values}
        self.coef_owned = self.edges_on_demand = False

    def own_coefficients(self, uses: np.ndarray) -> bool:
        """Whether this layer's matrix product writes its weights' whole gradient:
        it reads them through a strided view and no other dense group reads them
        (``uses``: how many dense-group entries read each leaf)."""
        self.coef_owned = (self.shared and self.coef_affine is not None
                           and bool((uses[self.coef_index] == 1).all()))
        return self.coef_owned

    def defer_edges(self, inputs: set) -> bool:
        """Whether the values this group reads are all inputs: then only
        ``input_grads()`` needs ``W.T @ upstream``, which runs when asked
        (:meth:`write_edges`; training never asks), not in every backward."""
        self.edges_on_demand = self.value_nodes <= inputs
        return self.edges_on_demand

    def bind(self, V: np.ndarray, G: np.ndarray) -> None:
        self.bind_outputs(V, G)
        self.value_reader.bind(V)
        self.edge_view = G[self.edges]
        if not self.shared:
            self.edge_view = self.edge_view.reshape(self.coef_index.shape + (V.shape[1],))
        if self.shared:  # W's gradient, before it is added into the leaves' gradients
            self.coef_scratch = np.empty(self.coef_index.shape)
        if self.other_reader is not None:
            self.other_reader.bind(V)
            self.other_scratch = np.empty_like(self.out_view)

    def _leaf_view(self, leaf: np.ndarray, writeable: bool) -> np.ndarray:
        """The coefficients' entries of a leaf array as a strided view, made once per array."""
        cached = self._coef_views.get(writeable)
        if cached is None or cached[0] is not leaf:
            start, strides = self.coef_affine
            cached = self._coef_views[writeable] = (
                leaf, strided(leaf, start, strides, self.coef_index.shape, writeable))
        return cached[1]

    def forward(self, leaf_values: np.ndarray, describe_row: Callable[[int], str]) -> None:
        self.coefs = (self._leaf_view(leaf_values, False) if self.coef_affine is not None
                      else leaf_values.take(self.coef_index))
        self.args = self.value_reader.read()
        if self.shared:
            np.matmul(self.coefs, self.args, out=self.out_view)
        else:
            np.einsum("kn,knb->kb", self.coefs, self.args, out=self.out_view)
        if self.other_reader is not None:
            self.other_reader.sum_into(self.other_scratch)
            self.out_view += self.other_scratch
        if self.bias_index is not None:
            biases = leaf_values.take(self.bias_index)
            self.out_view += (biases[:, 0] if biases.shape[1] == 1 else biases.sum(axis=1))[:, None]

    def backward(self, leaf_grads: np.ndarray) -> None:
        upstream = self.gather_upstream()
        if not self.edges_on_demand:
            self.write_edges()
        if self.shared:
            if self.coef_owned:  # the product is these leaves' whole gradient
                np.matmul(upstream, self.args.T, out=self._leaf_view(leaf_grads, True))
                return
            coef_grads = np.matmul(upstream, self.args.T, out=self.coef_scratch)
        else:
            coef_grads = np.einsum("kb,knb->kn", upstream, self.args)
        if self.coef_unique and self.coef_affine is not None:
            self._leaf_view(leaf_grads, True)[...] += coef_grads
        elif self.coef_unique:
            leaf_grads[self.coef_index] += coef_grads
        else:
            np.add.at(leaf_grads, self.coef_index, coef_grads)

    def write_edges(self) -> None:
        """Each value's share of the gradient, ``coefficient * upstream``, into its rows."""
        upstream = self.grad_view
        if not self.shared:
            np.multiply(self.coefs[:, :, None], upstream[:, None, :], out=self.edge_view)
        elif len(self.members) == 1:  # an outer product: twice as fast as a matmul
            np.multiply(self.coefs.T, upstream, out=self.edge_view)
        else:
            np.matmul(self.coefs.T, upstream, out=self.edge_view)


def constant_slope(rule: Callable, arity: int) -> Optional[float]:
    """The value of a derivative rule that ignores its operands (add's 1.0), else None."""
    probe = np.array([0.25, 0.75])
    with np.errstate(all="ignore"):
        try:
            local = rule(np, probe, *[probe] * arity)
        except (TypeError, ValueError, ArithmeticError):
            return None
    return float(local) if np.ndim(local) == 0 else None
