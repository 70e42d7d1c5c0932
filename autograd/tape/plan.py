"""The grouped replay: the traced graph scheduled as groups, one numpy call each.

The plan is built by five passes, each a function that reads the one before:

1. :func:`fuse_sums` -- chains of ``+`` whose inner links have one use become one
   n-ary sum;
2. :func:`find_dense_rows` -- a sum of ``(parameter or constant) * value`` products
   becomes a :class:`~.groups.DenseRow` (a row of a matrix product);
3. :func:`group_by_depth` -- nodes of the same kind at the same depth form a group
   (:mod:`.groups`: op, sum, dense);
4. :func:`assign_slots` -- parameters, inputs, constants, then a block per group,
   each block ordered by where its members are used, so that reads line up as
   strided views;
5. wiring (each group's ``wire``) -- which rows of the gradient buffer hold each
   node's gradient contributions.

The fusions apply only when the table's ``add`` and ``mul`` are the plain sum
and product (checked here, :func:`add_fuses` and :func:`mul_is_product`); every
other op runs its own rules, so an op added to the table later replays unchanged.

>>> from autograd import Value
>>> from autograd.tape import compile
>>> w = Value(2.0)
>>> compile(lambda x: (w * x + 1.0).relu(), (1.0,), [w]).engine.groups[0].kind
'dense'
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Optional

import numpy as np

from ..ops import OPS, Op, OpOverflowError
from .errors import all_finite, backward_error, forward_error
from .groups import DenseGroup, DenseRow, GradientRows, OpGroup, SumGroup, constant_slope
from .readers import Reader, SumReader, as_slice

__all__ = ["GroupedPlan", "fuse_sums", "find_dense_rows", "group_by_depth", "assign_slots"]


def add_fuses() -> bool:
    """Chains of "add" may become one sum only if the table's add is a + b with slopes 1."""
    add = OPS.get("add")
    return (add is not None and add.arity == 2 and None not in add.derivatives
            and all(constant_slope(rule, 2) == 1.0 for rule in add.derivatives)
            and add.forward(np, 2.0, 3.0) == 5.0)


def mul_is_product() -> bool:
    """Products may become matrix products only if the table's mul is a * b, d/da = b."""
    mul = OPS.get("mul")
    if mul is None or mul.arity != 2 or None in mul.derivatives:
        return False
    a, b = np.array([2.0, -3.0]), np.array([5.0, 7.0])
    da, db = (rule(np, a * b, a, b) for rule in mul.derivatives)
    return (np.array_equal(mul.forward(np, a, b), a * b) and np.array_equal(da, b)
            and np.array_equal(db, a))


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
        group.members.sort(key=use_key)
        for k, i in enumerate(group.members):
            slot[i] = start + k
        group.out = slice(start, start + len(group.members))
    return slot


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
        fusing = fuse and add_fuses()
        uses = uses_of(dict(enumerate(graph.operands)))
        terms, dense = fuse_sums(graph, uses, fusing), {}
        if fusing and mul_is_product():
            terms, dense = find_dense_rows(graph, terms, uses)
        reads = {i: dense[i].reads if i in dense else list(ts) for i, ts in terms.items()}
        self.groups = groups = group_by_depth(graph, terms, reads, dense, fusing)
        read_by = uses_of(reads)
        slot = assign_slots(graph, groups, reads, read_by)

        params = sorted(graph.param_of, key=graph.param_of.get)
        inputs = sorted(graph.input_of, key=graph.input_of.get)
        self.n_params, self.n_inputs = len(params), len(inputs)
        self.const_start = len(params) + len(inputs)
        self.op_start = min([g.out.start for g in groups] or [len(slot)])
        self.n_slots = max([g.out.stop for g in groups] or [len(slot)])
        self.leaf_values = np.zeros(self.op_start)
        self.leaf_values[self.const_start:] = [graph.nodes[i].data for i in graph.consts]

        # 5. wiring: which rows of the gradient buffer sum into each node's gradient
        rows = GradientRows(self.n_slots)
        for group in groups:
            group.wire(slot, dense if group.kind == "dense" else terms, rows)
        self.seed_rows = rows.block(len(graph.outputs))
        for k, j in enumerate(graph.outputs):
            rows.sources[j].append(self.seed_rows.start + k)
        self.zero_row = rows.n_rows
        self.n_rows = rows.n_rows + 1
        # a node whose gradient is a single row (a relu's local * upstream, a layer's
        # W.T @ upstream) is never copied into a row of its own: its readers read that row
        for group in groups:
            for i in group.members:
                if len(rows.sources[i]) == 1:
                    rows.alias[slot[i]] = rows.sources[i][0]
        read_rows = {rows.resolve(r) for sources in rows.sources.values() for r in sources}
        for group in groups:
            group.grad_reader = SumReader(rows.use_matrix(group.members, self.zero_row))
            parts = group.grad_reader.parts
            if (len(parts) == 1 and len(parts[0][1]) == 1
                    and parts[0][1][0].affine is not None and parts[0][1][0].index.shape[1] == 1
                    and read_rows.isdisjoint(range(group.out.start, group.out.stop))):
                group.upstream_in_place = True
        # parameters that are only coefficients of dense groups need no row of values
        # and no gradient rows: their gradient comes from the matrix products
        output_set = set(graph.outputs)
        # (as slices when they are runs of parameters: copies, not gathers and scatters)
        self.broadcast_params = as_slice([k for k, j in enumerate(params)
                                          if read_by[j] or j in output_set])
        summed = [k for k, j in enumerate(params) if rows.sources[j]]
        self.n_summed = len(summed)
        self.summed_params = as_slice(summed)
        self.summed_all = summed == list(range(len(params)))
        self.param_grad_reader = SumReader(
            rows.use_matrix([params[k] for k in summed], self.zero_row))
        self.input_grad_reader = SumReader(rows.use_matrix(inputs, self.zero_row))
        self.output_reader = Reader(np.array([slot[j] for j in graph.outputs]))

        # a layer's weights that no other group reads get their gradient written whole
        # by the layer's matrix product; only the other leaves are zeroed per backward
        dense_groups = [g for g in groups if g.kind == "dense"]
        self.has_dense = bool(dense_groups)
        uses = np.bincount(np.concatenate([g.coef_index.ravel() for g in dense_groups]
                                          or [np.zeros(0, dtype=np.intp)]),
                           minlength=self.op_start)
        owned = np.zeros(self.op_start, dtype=bool)
        for g in dense_groups:
            g.coef_owned = (g.shared and g.coef_affine is not None
                            and bool((uses[g.coef_index] == 1).all()))
            if g.coef_owned:
                owned[g.coef_index] = True
        self.zeroed_leaves = as_slice(np.flatnonzero(~owned))

        # a layer that reads only inputs writes W.T @ upstream for input_grads() alone:
        # it runs when someone asks (training never does), not in every backward
        input_set = set(inputs)
        self.input_edge_groups = [g for g in dense_groups
                                  if all(set(dense[i].values) <= input_set for i in g.members)]
        for g in self.input_edge_groups:
            g.edges_on_demand = True
        # parameters whose gradient is one row (a layer's biases: the layer's own
        # gradient rows) are summed over the batch straight from that row
        parts = self.param_grad_reader.parts
        self.single_row_parts = (parts if parts and all(len(blocks) == 1
                                                        and blocks[0].index.shape[1] == 1
                                                        and blocks[0].affine is not None
                                                        for _, blocks in parts) else None)

    def bind(self, batch_size: int) -> None:
        self.values = V = np.zeros((self.n_slots, batch_size))
        self.grads = G = np.zeros((self.n_rows, batch_size))
        V[self.const_start:self.op_start] = self.leaf_values[self.const_start:, None]
        for group in self.groups:
            group.bind(V, G)
        self.param_grad_reader.bind(G)
        self.input_grad_reader.bind(G)
        self.output_reader.bind(V)
        self.param_scratch = np.empty((self.n_summed, batch_size))
        self.param_sums = np.empty(self.n_summed)
        self.single_rows = ([(rows, blocks[0].read()[:, 0]) for rows, blocks
                             in self.single_row_parts] if self.single_row_parts else None)
        self.input_scratch = np.empty((self.n_inputs, batch_size))
        self.leaf_grads = np.zeros(self.op_start)

    def load(self, param_values: np.ndarray, input_columns: np.ndarray) -> None:
        V = self.values
        if self.has_dense:  # the only readers of leaf values
            self.leaf_values[:self.n_params] = param_values
        V[self.broadcast_params] = param_values[self.broadcast_params, None]
        V[self.n_params:self.const_start] = input_columns

    def forward(self, describe_row: Callable[[int], str]) -> np.ndarray:
        for group in self.groups:
            group.forward(self.leaf_values, describe_row)
        if not np.isfinite(self.values[self.op_start:].sum()):
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
        if self.single_rows is not None:  # no gather: sum each row over the batch
            summed = self.param_sums
            for rows, view in self.single_rows:
                np.add.reduce(view, axis=1, out=summed[rows])
        else:
            self.param_grad_reader.sum_into(self.param_scratch)
            scratch = self.param_scratch
            summed = scratch[:, 0] if scratch.shape[1] == 1 else scratch.sum(axis=1)
        if self.has_dense:
            grads = self.leaf_grads[:self.n_params].copy()
            grads[self.summed_params] += summed
        elif self.summed_all:  # every parameter's gradient is such a sum
            grads = summed.copy()
        else:  # no matrix product wrote any parameter's gradient
            grads = np.zeros(self.n_params)
            grads[self.summed_params] = summed
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
