"""The grouped replay: the traced graph scheduled as groups, one numpy call each.

The plan is built by passes, each a function that returns what it decides
(the groups decide their own flags, from what a pass hands them):

1. :func:`fuse_sums` -- chains of ``+`` whose inner links have one use become one
   n-ary sum;
2. :func:`find_dense_rows` -- a sum of ``(parameter or constant) * value`` products
   becomes a :class:`~.groups.DenseRow` (a row of a matrix product);
3. :func:`group_by_depth` -- nodes of the same kind at the same depth form a group
   (:mod:`.groups`: op, sum, dense);
4. :func:`assign_slots` -- parameters, inputs, constants, then a block per group,
   each block ordered by where its members are used, so that reads line up as
   strided views (:class:`Leaves` says where each kind of leaf sits);
5. :func:`wire_gradients` -- which rows of the gradient buffer hold each node's
   gradient contributions (each group's ``wire``), and which single rows are read
   where they are;
6. each group's ``read_gradient`` -- how it sums its members' gradients, and
   whether it can read them in place;
7. :class:`ParamReading` and :func:`leaves_to_zero` -- how the parameters'
   gradients are summed, and which leaves' gradients a layer writes whole; each
   dense group's ``defer_edges`` -- whether its ``W.T @ upstream`` waits until
   someone asks for input gradients.

The fusions are the table's ``add`` and ``mul`` written as numpy's sum and matrix
product; tests/test_tape_structure.py checks once, against those two rows, that
they are the plain sum and product (the plan does not re-check on every compile).
Every other op runs its own rules, so an op added to the table later replays
unchanged.

>>> from autograd import Value
>>> from autograd.tape import compile
>>> w = Value(2.0)
>>> compile(lambda x: (w * x + 1.0).relu(), (1.0,), [w]).engine.groups[0].kind
'dense'
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..ops import OPS, Op, OpOverflowError
from .errors import all_finite, backward_error, forward_error
from .groups import DenseGroup, DenseRow, GradientRows, OpGroup, SumGroup
from .readers import Reader, SumReader, as_slice

__all__ = ["GroupedPlan", "fuse_sums", "find_dense_rows", "group_by_depth", "assign_slots"]


def uses_of(operands: dict) -> defaultdict:
    """node -> [(consumer, operand position)] for ``operands``: node -> its operands."""
    uses = defaultdict(list)
    for i, ops in operands.items():
        for position, j in enumerate(ops):
            uses[j].append((i, position))
    return uses


# --- pass 1 and 2: fusions ---------------------------------------------------------------


def fuse_sums(graph, uses: dict, fusing: bool) -> dict:
    """op node -> what it reads; a fused sum reads all the terms of its chain."""
    kind, operands, outputs = graph.kind, graph.operands, set(graph.outputs)
    add = OPS.get("add")
    absorbed = set()
    if fusing:
        absorbed = {j for j in range(len(kind)) if kind[j] is add and j not in outputs
                    and len(uses[j]) == 1 and kind[uses[j][0][0]] is add}
    terms: dict = {}
    for i, k in enumerate(kind):
        if not isinstance(k, Op) or i in absorbed:
            continue
        if not (fusing and k is add):
            terms[i] = operands[i]
            continue
        found, stack = [], list(reversed(operands[i]))
        while stack:
            j = stack.pop()
            if j in absorbed:
                stack.extend(reversed(operands[j]))
            else:
                found.append(j)
        terms[i] = tuple(found)
    return terms


def find_dense_rows(graph, terms: dict, uses: dict) -> tuple:
    """``(terms without the absorbed products, sum node -> DenseRow)``: a product is
    absorbed when one factor is a parameter or constant and it has no other use."""
    kind, operands, outputs = graph.kind, graph.operands, set(graph.outputs)
    add, mul = OPS.get("add"), OPS.get("mul")
    static = set(graph.param_of) | set(graph.consts)
    terms, dense = dict(terms), {}
    for i in list(terms):
        if kind[i] is not add:
            continue
        products, others = [], []
        for t in terms[i]:
            if kind[t] is mul and len(uses[t]) == 1 and t not in outputs:
                a, b = operands[t]
                if (a in static) != (b in static):
                    products.append((a, b) if a in static else (b, a))
                    continue
            others.append(t)
        if products:
            for t in terms[i]:
                if t not in others:
                    del terms[t]
            products.sort(key=lambda cv: cv[1])  # rows of a layer line up
            # parameters and constants added in (a layer's biases) are read from the
            # leaves, not from rows of values broadcast over the batch
            dense[i] = DenseRow([c for c, _ in products], [v for _, v in products],
                                [t for t in others if t not in static],
                                [t for t in others if t in static])
    return terms, dense


# --- pass 3 and 4: groups and slots --------------------------------------------------------


def group_by_depth(graph, terms: dict, reads: dict, dense: dict, fusing: bool) -> list:
    """Groups of same-kind nodes at the same depth, in depth order."""
    add = OPS.get("add")
    depth: dict = {}
    by_key: dict = {}
    for i in sorted(terms):
        depth[i] = 1 + max([depth.get(j, 0) for j in reads[i]] or [0])
        if i in dense:
            row = dense[i]
            key = (depth[i], "dense", len(row.coefficients), len(row.others), len(row.biases))
        elif fusing and graph.kind[i] is add:
            key = (depth[i], "sum", len(terms[i]))
        else:
            key = (depth[i], "op", graph.kind[i].name)
        if key not in by_key:
            by_key[key] = (DenseGroup([]) if key[1] == "dense" else SumGroup([])
                           if key[1] == "sum" else OpGroup([], op=graph.kind[i]))
        by_key[key].members.append(i)
    return [by_key[key] for key in sorted(by_key, key=lambda k: k[0])]


def assign_slots(graph, groups: list, reads: dict, read_by: Optional[dict] = None) -> dict:
    """node -> row of the values buffer: parameters in the given order, inputs in
    example order, constants, then a block per group.  Within a block, members are
    ordered by where they are used, deciding from the last group back, so that each
    consumer's reads are evenly spaced (strided views, not gathers)."""
    params = sorted(graph.param_of, key=graph.param_of.get)
    inputs = sorted(graph.input_of, key=graph.input_of.get)
    slot = {i: s for s, i in enumerate(params + inputs + graph.consts)}
    starts, offset = [], len(slot)
    for group in groups:
        starts.append(offset)
        offset += len(group.members)
    read_by = uses_of(reads) if read_by is None else read_by
    output_rank = {j: k for k, j in enumerate(graph.outputs)}

    def use_key(i):
        keys = [(slot[c], p) for c, p in read_by[i]]
        if i in output_rank:
            keys.append((-1, output_rank[i]))
        return min(keys) if keys else (-1, 0)

    for group, start in zip(reversed(groups), reversed(starts)):
        block = group.take_block(start, order=use_key)
        slot.update(zip(group.members, range(block.start, block.stop)))
    return slot


# --- passes 5 and 6: the leaves, and wiring the gradient rows ----------------------------


@dataclass(frozen=True)
class Leaves:
    """Where the leaves sit in the values buffer: ``params`` (node indexes, in the
    tape's order), ``inputs``, then the constants from ``const_start``; the groups'
    blocks run from ``op_start`` to ``n_slots``."""

    params: list
    inputs: list
    const_start: int
    op_start: int
    n_slots: int

    @classmethod
    def of(cls, graph, groups: list, slot: dict) -> "Leaves":
        params = sorted(graph.param_of, key=graph.param_of.get)
        inputs = sorted(graph.input_of, key=graph.input_of.get)
        return cls(params, inputs, len(params) + len(inputs),
                   min([g.out.start for g in groups] or [len(slot)]),
                   max([g.out.stop for g in groups] or [len(slot)]))


def wire_gradients(graph, groups: list, slot: dict, terms: dict, dense: dict,
                   n_slots: int) -> tuple:
    """``(rows, seed_rows)``: which rows of the gradient buffer sum into each node's
    gradient (each group wires its operands), and the rows that hold the seeds.
    A node whose gradient is a single row (a relu's ``local * upstream``, a layer's
    ``W.T @ upstream``) is never copied into a row of its own: its readers read that
    row (``rows.alias``)."""
    rows = GradientRows(n_slots)
    for group in groups:
        group.wire(slot, dense if group.kind == "dense" else terms, rows)
    seed_rows = rows.block(len(graph.outputs))
    for k, j in enumerate(graph.outputs):
        rows.sources[j].append(seed_rows.start + k)
    for group in groups:
        for i in group.members:
            if len(rows.sources[i]) == 1:
                rows.alias[slot[i]] = rows.sources[i][0]
    return rows, seed_rows


# --- pass 7: reading the leaves' gradients ------------------------------------------------


@dataclass(frozen=True)
class ParamReading:
    """How the parameters are written and their gradients read, per step.

    Parameters that only coefficients of dense groups read need no row of values and
    no gradient rows (the matrix products give their gradient); the others are
    copied over the batch (``broadcast``), and those with gradient rows are summed
    over it (``summed``), as slices where they are runs of parameters (copies, not
    gathers and scatters).  Where every such gradient is one row (a layer's biases:
    the layer's own gradient rows), ``single_row_parts`` sums each row straight
    from there."""

    broadcast: object  # slice or index array
    summed: object
    n_summed: int
    summed_all: bool
    reader: SumReader
    single_row_parts: Optional[list]

    @classmethod
    def of(cls, graph, params: list, rows: GradientRows, read_by: dict,
           zero_row: int) -> "ParamReading":
        outputs = set(graph.outputs)
        summed = [k for k, j in enumerate(params) if rows.sources[j]]
        reader = SumReader(rows.use_matrix([params[k] for k in summed], zero_row))
        one_row_each = all(len(blocks) == 1 and blocks[0].index.shape[1] == 1
                           and blocks[0].affine is not None for _, blocks in reader.parts)
        return cls(as_slice([k for k, j in enumerate(params) if read_by[j] or j in outputs]),
                   as_slice(summed), len(summed), summed == list(range(len(params))),
                   reader, reader.parts if reader.parts and one_row_each else None)


def leaves_to_zero(dense_groups: list, n_leaves: int):
    """The leaves whose gradients are zeroed before each backward: all but the
    weights that a layer owns (each group decides, from how many dense groups read
    each leaf), whose gradient the layer's matrix product writes whole."""
    uses = np.bincount(np.concatenate([g.coef_index.ravel() for g in dense_groups]
                                      or [np.zeros(0, dtype=np.intp)]), minlength=n_leaves)
    owned = np.zeros(n_leaves, dtype=bool)
    for group in dense_groups:
        if group.own_coefficients(uses):
            owned[group.coef_index] = True
    return as_slice(np.flatnonzero(~owned))


# --- the plan ----------------------------------------------------------------------------


class GroupedPlan:
    """The traced graph scheduled as groups of same-kind, same-depth nodes.

    Buffers have one column per example.  ``values``: a row per slot (parameters,
    inputs, constants, then each group's block).  ``grads``: a row per slot (each
    node's gradient), then one row per *edge* whose local derivative is not 1
    (``local * upstream``, written by the consumer), then the seeds, then a zero
    row for padding.  A node's gradient is the sum of the rows of its uses, read
    through strided views where possible: a gather, never a scatter, because every
    consumer runs before the node in the backward order.  Parameters that are
    coefficients of a dense group get their gradient from a matrix product.
    """

    def __init__(self, graph, fuse: bool = True):
        self.graph = graph
        uses = uses_of(dict(enumerate(graph.operands)))
        terms, dense = fuse_sums(graph, uses, fuse), {}  # 1
        if fuse:
            terms, dense = find_dense_rows(graph, terms, uses)  # 2
        reads = {i: dense[i].reads if i in dense else list(ts) for i, ts in terms.items()}
        self.groups = groups = group_by_depth(graph, terms, reads, dense, fuse)  # 3
        read_by = uses_of(reads)
        slot = assign_slots(graph, groups, reads, read_by)  # 4
        self.leaves = leaves = Leaves.of(graph, groups, slot)
        self.leaf_values = np.zeros(leaves.op_start)
        self.leaf_values[leaves.const_start:] = [graph.nodes[i].data for i in graph.consts]

        rows, self.seed_rows = wire_gradients(graph, groups, slot, terms, dense,
                                              leaves.n_slots)  # 5
        self.zero_row, self.n_rows = rows.n_rows, rows.n_rows + 1  # a zero row pads
        read_rows = {rows.resolve(r) for sources in rows.sources.values() for r in sources}
        for group in groups:
            group.read_gradient(rows, self.zero_row, read_rows)  # 6
        self.param_reading = ParamReading.of(graph, leaves.params, rows, read_by,
                                             self.zero_row)  # 7
        self.input_grad_reader = SumReader(rows.use_matrix(leaves.inputs, self.zero_row))
        self.output_reader = Reader(np.array([slot[j] for j in graph.outputs]))
        dense_groups = [g for g in groups if g.kind == "dense"]
        self.has_dense = bool(dense_groups)
        self.zeroed_leaves = leaves_to_zero(dense_groups, leaves.op_start)
        inputs = set(leaves.inputs)
        self.input_edge_groups = [g for g in dense_groups if g.defer_edges(inputs)]

    def bind(self, batch_size: int) -> None:
        leaves, reading = self.leaves, self.param_reading
        self.values = V = np.zeros((leaves.n_slots, batch_size))
        self.grads = G = np.zeros((self.n_rows, batch_size))
        V[leaves.const_start:leaves.op_start] = self.leaf_values[leaves.const_start:, None]
        for group in self.groups:
            group.bind(V, G)
        reading.reader.bind(G)
        self.input_grad_reader.bind(G)
        self.output_reader.bind(V)
        self.param_scratch = np.empty((reading.n_summed, batch_size))
        self.param_sums = np.empty(reading.n_summed)
        self.single_rows = ([(rows, blocks[0].read()[:, 0]) for rows, blocks
                             in reading.single_row_parts] if reading.single_row_parts else None)
        self.input_scratch = np.empty((len(leaves.inputs), batch_size))
        self.leaf_grads = np.zeros(leaves.op_start)

    def load(self, param_values: np.ndarray, input_columns: np.ndarray) -> None:
        V, n_params, broadcast = self.values, len(self.leaves.params), self.param_reading.broadcast
        if self.has_dense:  # the only readers of leaf values
            self.leaf_values[:n_params] = param_values
        V[broadcast] = param_values[broadcast, None]
        V[n_params:self.leaves.const_start] = input_columns

    def forward(self, describe_row: Callable[[int], str]) -> np.ndarray:
        for group in self.groups:
            group.forward(self.leaf_values, describe_row)
        if not np.isfinite(self.values[self.leaves.op_start:].sum()):
            self._raise_forward(describe_row)
        return self.output_reader.read()

    def backward(self, seeds: np.ndarray, describe_row: Callable[[int], str]) -> None:
        self.grads[self.seed_rows] = seeds
        if self.has_dense:
            self.leaf_grads[self.zeroed_leaves] = 0.0
        for group in reversed(self.groups):
            group.backward(self.leaf_grads)
        self.describe_row = describe_row

    def param_grads(self) -> np.ndarray:
        reading = self.param_reading
        if self.single_rows is not None:  # no gather: sum each row over the batch
            summed = self.param_sums
            for rows, view in self.single_rows:
                np.add.reduce(view, axis=1, out=summed[rows])
        else:
            reading.reader.sum_into(self.param_scratch)
            scratch = self.param_scratch
            summed = scratch[:, 0] if scratch.shape[1] == 1 else scratch.sum(axis=1)
        if self.has_dense:
            grads = self.leaf_grads[:len(self.leaves.params)].copy()
            grads[reading.summed] += summed
        elif reading.summed_all:  # every parameter's gradient is such a sum
            grads = summed.copy()
        else:  # no matrix product wrote any parameter's gradient
            grads = np.zeros(len(self.leaves.params))
            grads[reading.summed] = summed
        if not all_finite(grads):
            self._raise_backward()
        return grads

    def input_grads(self) -> np.ndarray:
        for group in self.input_edge_groups:
            group.write_edges()
        self.input_grad_reader.sum_into(self.input_scratch)
        if not all_finite(self.input_scratch):
            self._raise_backward()
        return self.input_scratch.copy()

    # --- saying what went wrong, and where ------------------------------------------

    def _raise_forward(self, describe_row) -> None:
        """Find the first group (in depth order) with a non-finite value, and say why."""
        for group in self.groups:
            bad = ~np.isfinite(group.out_view)
            if not bad.any():
                continue
            k, row = (int(a[0]) for a in np.nonzero(bad))
            result = group.out_view[k, row]
            if group.op is None:  # a fused sum (or weighted sum) of finite terms
                what = "a sum" if group.kind == "sum" else "a weighted sum w . x + b"
                raise OpOverflowError(f"add: {what} of {len(group.members)} nodes reached "
                                      f"{result} at batch row {row}{describe_row(row)}; the values "
                                      "are too large -- scale the inputs or weights down")
            args = [np.broadcast_to(a, group.out_view.shape)[k, row] for a in group.args]
            raise forward_error(group.op, args, result, row, describe_row(row))

    def _raise_backward(self) -> None:
        """Find the first edge (in backward order) that became non-finite, and say why."""
        G = self.grads
        for group in reversed(self.groups):
            if group.kind != "op":
                continue
            for slope in group.slopes:
                bad = ~np.isfinite(G[slope.rows])
                if bad.any():
                    k, row = (int(a[0]) for a in np.nonzero(bad))
                    shape = group.out_view.shape
                    args = [np.broadcast_to(a, shape)[k, row] for a in group.args]
                    with np.errstate(all="ignore"):
                        local = np.broadcast_to(slope.rule(np, group.out_view, *group.args),
                                                shape)
                    raise backward_error(group.op, slope.position, args, float(local[k, row]),
                                         group.grad_view[k, row], row, self.describe_row(row))
        raise OpOverflowError("a gradient overflowed while summing over the batch; "
                              "scale the loss or the inputs down")
