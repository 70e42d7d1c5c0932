"""How a tape runs: the one-node-at-a-time interpreter and the grouped plan.

:mod:`autograd.tape` traces a function into a graph; this module replays that
graph over a batch (one column per example) in two ways:

* :class:`Interpreter` -- one numpy call per node, in topological order, with the
  table's forward and derivative rules.  Twenty lines: the reference.
* :class:`GroupedPlan` -- one numpy call per group of same-op, same-depth nodes,
  with sums fused and dense layers turned into matrix products.  The speed.

Both expose ``bind(batch_size)``, ``load(params, input_columns)``,
``forward(where) -> outputs``, ``backward(seeds, where)``, ``param_grads()`` and
``input_grads()``; ``where(row)`` describes a batch row for error messages.

>>> from autograd import Value
>>> from autograd.tape import compile
>>> w = Value(2.0)
>>> compile(lambda x: (w * x + 1.0).relu(), (1.0,), [w]).engine.groups[0].kind
'dense'
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Optional, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .ops import OPS, Op, OpDomainError, OpOverflowError

__all__ = ["Interpreter", "GroupedPlan"]


# --- errors on a batch ----------------------------------------------------------------


def _describe_row(op: Op, values: Sequence[float]) -> str:
    return op.describe(*(repr(float(v)) for v in values))


def _forward_error(op: Op, values: Sequence[float], result: float, row: int, where: str):
    """The exception for op ``op`` on ``values`` (one batch row) giving ``result``."""
    problem = op.check(*values) if op.check is not None else None
    if problem is not None:
        return problem[0](f"{problem[1]} (batch row {row}{where})")
    if result != result:
        return OpDomainError(f"{op.name}: {_describe_row(op, values)} is not a number (NaN) "
                             f"at batch row {row}{where}; an operand is infinite or outside "
                             "the op's domain")
    return OpOverflowError(f"{op.name}: {_describe_row(op, values)} = {result} overflows a "
                           f"float at batch row {row}{where}; scale the inputs down")


def _screen(op: Op, out: np.ndarray, args: list, where: Callable[[int], str]) -> None:
    """The op's domain check, run only on the entries where the value or a local
    derivative is not finite, so that the tape refuses exactly what the scalar engine
    refuses (``0 ** y`` with both Values is finite, but its derivative needs log 0).

    The table's checks are scalar functions; every domain error they catch shows up
    as a non-finite value or slope, so screening with numpy first keeps them cheap.
    """
    suspicious = ~np.isfinite(out)
    for rule in op.derivatives:
        if rule is not None:
            suspicious |= ~np.isfinite(rule(np, out, *args))
    if not suspicious.any():
        return
    for entry in np.argwhere(suspicious):
        entry = tuple(int(i) for i in entry)
        values = [float(np.broadcast_to(a, out.shape)[entry]) for a in args]
        problem = op.check(*values)
        if problem is not None:
            row = entry[-1]
            raise problem[0](f"{problem[1]} (batch row {row}{where(row)})")


def _backward_error(op: Op, operand: int, values, local: float, upstream: float, row: int,
                    where: str):
    problem = op.check(*values) if op.check is not None else None
    if problem is not None:
        return problem[0](f"{problem[1]} (batch row {row}{where})")
    if upstream != upstream or abs(upstream) == float("inf"):
        return OpOverflowError(f"{op.name}: the gradient flowing into {_describe_row(op, values)} "
                               f"is {upstream} at batch row {row}{where}; the loss is too steep "
                               "-- scale the inputs or the loss down")
    return OpDomainError(f"{op.name}: the derivative {op.formulas[operand]} of "
                         f"{_describe_row(op, values)} with respect to operand {operand + 1} is "
                         f"{local} at batch row {row}{where} -- the op is not differentiable "
                         "there; move the input away from that point")


# --- the simple interpreter: one numpy call per node ----------------------------------


class Interpreter:
    """Replays the topological order node by node; slot ``i`` is node ``i``.

    This is the whole idea in twenty lines, and the reference for the grouped plan.
    """

    def __init__(self, graph):
        self.graph = graph
        self.n_slots = len(graph.nodes)
        self.param_slots = np.array(sorted(graph.param_of, key=graph.param_of.get), dtype=np.intp)
        self.input_slots = np.array(sorted(graph.input_of, key=graph.input_of.get), dtype=np.intp)
        self.const_slots = np.array([i for i, k in enumerate(graph.kind) if k == "const"],
                                    dtype=np.intp)
        self.const_values = np.array([graph.nodes[i].data for i in self.const_slots])
        self.output_slots = np.array(graph.outputs, dtype=np.intp)
        self.program = [(i, kind, graph.operands[i]) for i, kind in enumerate(graph.kind)
                        if isinstance(kind, Op)]

    def bind(self, batch_size: int) -> None:
        self.values = np.zeros((self.n_slots, batch_size))
        self.grads = np.zeros((self.n_slots, batch_size))

    def load(self, param_values: np.ndarray, input_columns: np.ndarray) -> None:
        self.values[self.const_slots] = self.const_values[:, None]
        self.values[self.param_slots] = param_values[:, None]
        self.values[self.input_slots] = input_columns

    def forward(self, where: Callable[[int], str]) -> np.ndarray:
        V = self.values
        for out, op, operands in self.program:
            args = [V[j] for j in operands]
            V[out] = op.forward(np, *args)
            if op.check is not None:
                _screen(op, V[out], args, where)
            if not np.isfinite(V[out]).all():
                row = int(np.flatnonzero(~np.isfinite(V[out]))[0])
                raise _forward_error(op, [a[row] for a in args], V[out, row], row, where(row))
        return V[self.output_slots]

    def backward(self, seeds: np.ndarray, where: Callable[[int], str]) -> None:
        V, G = self.values, self.grads
        G.fill(0.0)
        np.add.at(G, self.output_slots, seeds)
        for out, op, operands in reversed(self.program):
            args = [V[j] for j in operands]
            for position, (j, rule) in enumerate(zip(operands, op.derivatives)):
                if rule is None:
                    continue
                local = np.broadcast_to(rule(np, V[out], *args), G[out].shape)
                contribution = local * G[out]
                if not np.isfinite(contribution).all():
                    row = int(np.flatnonzero(~np.isfinite(contribution))[0])
                    raise _backward_error(op, position, [a[row] for a in args], local[row],
                                          G[out, row], row, where(row))
                G[j] += contribution

    def param_grads(self) -> np.ndarray:
        return self.grads[self.param_slots].sum(axis=1)

    def input_grads(self) -> np.ndarray:
        return self.grads[self.input_slots]


# --- the grouped plan: one numpy call per (depth, op) -----------------------------------


def _affine(index: np.ndarray) -> Optional[tuple]:
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


class _Reader:
    """Reads rows ``array[index]`` of a 2-D buffer: a strided view when the index is
    affine (no copy, and reading it later sees new contents), else a gathered copy."""

    def __init__(self, index: np.ndarray):
        self.index = np.asarray(index, dtype=np.intp)
        self.affine = _affine(self.index) if self.index.size else None

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


class _SumReader:
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
            while stop > start and _affine(index[:, start:stop]) is None:
                stop -= 1
            if stop == start:
                break
            blocks.append(_Reader(index[:, start:stop]))
            start = stop
        if start < index.shape[1] or len(blocks) > 4:
            blocks = [_Reader(index)]
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


class _Group:
    """Nodes of one kind at one depth, a contiguous block of slots.  ``kind`` is
    "op" (a table op), "sum" (a fused chain of the table's add) or "dense" (a sum
    of coefficient * value products plus other terms: a matrix product)."""

    def __init__(self, kind: str, op: Optional[Op], members: list):
        self.kind, self.op, self.members = kind, op, members


def _constant_local(rule: Callable, arity: int) -> Optional[float]:
    """The value of a derivative rule that ignores its operands (add's 1.0), else None."""
    probe = np.array([0.25, 0.75])
    with np.errstate(all="ignore"):
        try:
            local = rule(np, probe, *[probe] * arity)
        except (TypeError, ValueError, ArithmeticError):
            return None
    return float(local) if np.ndim(local) == 0 else None


def _add_fuses() -> bool:
    """Chains of "add" may become one sum only if the table's add is a + b with slopes 1."""
    add = OPS.get("add")
    return (add is not None and add.arity == 2 and None not in add.derivatives
            and all(_constant_local(rule, 2) == 1.0 for rule in add.derivatives)
            and add.forward(np, 2.0, 3.0) == 5.0)


def _mul_is_product() -> bool:
    """Products may become matrix products only if the table's mul is a * b, d/da = b."""
    mul = OPS.get("mul")
    if mul is None or mul.arity != 2 or None in mul.derivatives:
        return False
    a, b = np.array([2.0, -3.0]), np.array([5.0, 7.0])
    da, db = (rule(np, a * b, a, b) for rule in mul.derivatives)
    return (np.array_equal(mul.forward(np, a, b), a * b) and np.array_equal(da, b)
            and np.array_equal(db, a))


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
        kind, operands = graph.kind, graph.operands
        n = len(graph.nodes)
        uses = defaultdict(list)  # node -> [(consumer node, operand position)]
        for i, ops in enumerate(operands):
            for position, j in enumerate(ops):
                uses[j].append((i, position))
        outputs = set(graph.outputs)

        # 1. fuse chains of + whose inner links have one use into n-ary sums ...
        add, mul = OPS.get("add"), OPS.get("mul")
        fusing = fuse and _add_fuses()
        absorbed = set()
        if fusing:
            absorbed = {j for j in range(n) if kind[j] is add and j not in outputs
                        and len(uses[j]) == 1 and kind[uses[j][0][0]] is add}
        terms: dict = {}  # op node -> its operands (a sum: all its terms)
        for i in range(n):
            if isinstance(kind[i], Op) and i not in absorbed:
                if fusing and kind[i] is add:
                    found, stack = [], list(reversed(operands[i]))
                    while stack:
                        j = stack.pop()
                        if j in absorbed:
                            stack.extend(reversed(operands[j]))
                        else:
                            found.append(j)
                    terms[i] = tuple(found)
                else:
                    terms[i] = operands[i]
        # ... and sums of (parameter or constant) * value into dense rows
        static = {i for i in range(n) if kind[i] in ("param", "const")}
        dense: dict = {}  # sum node -> (coefficients, values, other terms)
        if fusing and _mul_is_product():
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
                    dense[i] = ([c for c, _ in products], [v for _, v in products], others)
        reads = {i: (dense[i][1] + dense[i][2] if i in dense else list(ts))
                 for i, ts in terms.items()}  # what each node reads from values
        fused_uses = defaultdict(list)
        for i, ops in reads.items():
            for position, j in enumerate(ops):
                fused_uses[j].append((i, position))

        # 2. depth and groups
        depth = [0] * n
        groups_by_key: dict = {}
        for i in range(n):
            if i not in terms:
                continue
            depth[i] = 1 + max([depth[j] for j in reads[i]] or [0])
            if i in dense:
                key = (depth[i], "dense", len(dense[i][0]), len(dense[i][2]))
                group_kind, op = "dense", None
            elif fusing and kind[i] is add:
                key, group_kind, op = (depth[i], "sum", len(terms[i])), "sum", None
            else:
                key, group_kind, op = (depth[i], "op", kind[i].name), "op", kind[i]
            if key not in groups_by_key:
                groups_by_key[key] = _Group(group_kind, op, [])
            groups_by_key[key].members.append(i)
        groups = [groups_by_key[key] for key in sorted(groups_by_key, key=lambda k: k[0])]

        # 3. slots: parameters in the given order, inputs in example order, constants,
        #    then a block per group; within a group, members are ordered by where they
        #    are used, deciding from the last group back, so that reads line up.
        params = sorted(graph.param_of, key=graph.param_of.get)
        inputs = sorted(graph.input_of, key=graph.input_of.get)
        consts = [i for i in range(n) if kind[i] == "const"]
        slot = {i: s for s, i in enumerate(params + inputs + consts)}
        self.n_params, self.n_inputs = len(params), len(inputs)
        self.const_start = len(params) + len(inputs)
        self.op_start = offset = len(slot)
        starts = []
        for group in groups:
            starts.append(offset)
            offset += len(group.members)
        self.n_slots = offset
        output_rank = {j: k for k, j in enumerate(graph.outputs)}

        def use_key(i):
            keys = [(slot[c], p) for c, p in fused_uses[i]]
            if i in output_rank:
                keys.append((-1, output_rank[i]))
            return min(keys) if keys else (-1, 0)

        for group, start in zip(reversed(groups), reversed(starts)):
            group.members.sort(key=use_key)
            for k, i in enumerate(group.members):
                slot[i] = start + k
            group.out = slice(start, start + len(group.members))
        self.groups = groups
        self.leaf_values = np.zeros(self.op_start)
        self.leaf_values[self.const_start:] = [graph.nodes[i].data for i in consts]

        # 4. edges: grad rows for (consumer, operand) pairs whose local derivative is not 1
        n_rows = self.n_slots
        sources = defaultdict(list)  # node -> rows of the grad buffer to sum

        def edge_block(size):
            nonlocal n_rows
            n_rows += size
            return slice(n_rows - size, n_rows)

        for group in groups:
            members = group.members
            if group.kind == "dense":
                coefs = np.array([[slot[c] for c in dense[i][0]] for i in members])
                values = np.array([[slot[v] for v in dense[i][1]] for i in members])
                others = [[slot[t] for t in dense[i][2]] for i in members]
                group.coef_index = coefs
                group.coef_unique = len(np.unique(coefs)) == coefs.size
                group.shared = bool((values == values[:1]).all())  # one matrix product
                rows = edge_block(values.shape[1] if group.shared else values.size)
                group.edges = rows
                for k, i in enumerate(members):
                    for position, v in enumerate(dense[i][1]):
                        if not group.shared:
                            sources[v].append(rows.start + k * values.shape[1] + position)
                        elif k == 0:  # one row holds the whole group's W.T @ upstream
                            sources[v].append(rows.start + position)
                    for t in dense[i][2]:
                        sources[t].append(slot[i])
                group.value_reader = _Reader(values[0] if group.shared else values)
                group.other_reader = (_SumReader(np.array(others)) if others[0] else None)
                continue
            index = [np.array([slot[terms[i][p]] for i in members])
                     for p in range(len(terms[members[0]]))]
            group.operand_index = index
            if group.kind == "sum":
                for i in members:
                    for j in terms[i]:
                        sources[j].append(slot[i])  # slope 1: read the consumer's grad
                group.term_reader = _SumReader(np.stack(index, axis=1))
                continue
            group.operand_readers = [_Reader(ix) for ix in index]
            group.locals = []  # (operand position, rule, constant slope, edge rows)
            for position, rule in enumerate(group.op.derivatives):
                if rule is None:
                    continue
                constant = _constant_local(rule, group.op.arity)
                if constant == 1.0:
                    for i in members:
                        sources[terms[i][position]].append(slot[i])
                    continue
                rows = edge_block(len(members))
                group.locals.append((position, rule, constant, rows))
                for k, i in enumerate(members):
                    sources[terms[i][position]].append(rows.start + k)
        self.seed_rows = edge_block(len(graph.outputs))
        for k, j in enumerate(graph.outputs):
            sources[j].append(self.seed_rows.start + k)
        self.zero_row = n_rows
        self.n_rows = n_rows + 1

        def use_matrix(members):
            width = max([1] + [len(sources[i]) for i in members])
            matrix = np.full((len(members), width), self.zero_row, dtype=np.intp)
            for k, i in enumerate(members):
                matrix[k, :len(sources[i])] = sorted(sources[i])
            return matrix

        for group in groups:
            group.grad_reader = _SumReader(use_matrix(group.members))
        # parameters that are only coefficients of dense groups need no row of values
        # and no gradient rows: their gradient comes from the matrix products
        self.broadcast_params = np.array([k for k, j in enumerate(params)
                                          if fused_uses[j] or j in output_rank], dtype=np.intp)
        self.summed_params = np.array([k for k, j in enumerate(params) if sources[j]],
                                      dtype=np.intp)
        self.param_grad_reader = _SumReader(use_matrix([params[k] for k in self.summed_params]))
        self.input_grad_reader = _SumReader(use_matrix(inputs))
        self.output_reader = _Reader(np.array([slot[j] for j in graph.outputs]))

    def bind(self, batch_size: int) -> None:
        self.values = V = np.zeros((self.n_slots, batch_size))
        self.grads = G = np.zeros((self.n_rows, batch_size))
        V[self.const_start:self.op_start] = self.leaf_values[self.const_start:, None]
        for group in self.groups:
            group.out_view = V[group.out]
            group.grad_view = G[group.out]
            group.grad_reader.bind(G)
            if group.kind == "dense":
                group.value_reader.bind(V)
                group.edge_view = G[group.edges]
                if not group.shared:
                    group.edge_view = group.edge_view.reshape(group.coef_index.shape
                                                              + (batch_size,))
                if group.other_reader is not None:
                    group.other_reader.bind(V)
                    group.other_scratch = np.empty_like(group.out_view)
            elif group.kind == "sum":
                group.term_reader.bind(V)
            else:
                for reader in group.operand_readers:
                    reader.bind(V)
                group.edge_views = [G[rows] for _, _, _, rows in group.locals]
        self.param_grad_reader.bind(G)
        self.input_grad_reader.bind(G)
        self.output_reader.bind(V)
        self.param_scratch = np.empty((len(self.summed_params), batch_size))
        self.input_scratch = np.empty((self.n_inputs, batch_size))
        self.leaf_grads = np.zeros(self.op_start)

    def load(self, param_values: np.ndarray, input_columns: np.ndarray) -> None:
        V = self.values
        self.leaf_values[:self.n_params] = param_values
        V[self.broadcast_params] = param_values[self.broadcast_params, None]
        V[self.n_params:self.const_start] = input_columns

    def forward(self, where: Callable[[int], str]) -> np.ndarray:
        for group in self.groups:
            if group.kind == "dense":
                group.coefs = self.leaf_values.take(group.coef_index)
                group.args = group.value_reader.read()
                if group.shared:
                    np.matmul(group.coefs, group.args, out=group.out_view)
                else:
                    np.einsum("kn,knb->kb", group.coefs, group.args, out=group.out_view)
                if group.other_reader is not None:
                    group.other_reader.sum_into(group.other_scratch)
                    group.out_view += group.other_scratch
            elif group.kind == "sum":
                group.term_reader.sum_into(group.out_view)
            else:
                group.args = [reader.read() for reader in group.operand_readers]
                group.out_view[...] = group.op.forward(np, *group.args)
                if group.op.check is not None:
                    _screen(group.op, group.out_view, group.args, where)
        if not np.isfinite(self.values[self.op_start:].sum()):
            self._raise_forward(where)
        return self.output_reader.read()

    def _raise_forward(self, where) -> None:
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
                                      f"{result} at batch row {row}{where(row)}; the values "
                                      "are too large -- scale the inputs or weights down")
            args = [np.broadcast_to(a, group.out_view.shape)[k, row] for a in group.args]
            raise _forward_error(group.op, args, result, row, where(row))

    def backward(self, seeds: np.ndarray, where: Callable[[int], str]) -> None:
        G = self.grads
        G[self.seed_rows] = seeds
        self.leaf_grads.fill(0.0)
        for group in reversed(self.groups):
            upstream = group.grad_view
            group.grad_reader.sum_into(upstream)
            if group.kind == "dense":
                coefs, args = group.coefs, group.args
                if group.shared:
                    np.matmul(coefs.T, upstream, out=group.edge_view)
                    coef_grads = upstream @ args.T
                else:
                    np.multiply(coefs[:, :, None], upstream[:, None, :], out=group.edge_view)
                    coef_grads = np.einsum("kb,knb->kn", upstream, args)
                if group.coef_unique:
                    self.leaf_grads[group.coef_index] += coef_grads
                else:
                    np.add.at(self.leaf_grads, group.coef_index, coef_grads)
            elif group.kind == "op":
                for (_, rule, constant, _), edge in zip(group.locals, group.edge_views):
                    if constant is not None:
                        np.multiply(upstream, constant, out=edge)
                    else:
                        np.multiply(rule(np, group.out_view, *group.args), upstream, out=edge)
        self.where = where

    def param_grads(self) -> np.ndarray:
        self.param_grad_reader.sum_into(self.param_scratch)
        grads = self.leaf_grads[:self.n_params].copy()
        grads[self.summed_params] += self.param_scratch.sum(axis=1)
        if not np.isfinite(grads).all():
            self._raise_backward()
        return grads

    def input_grads(self) -> np.ndarray:
        self.input_grad_reader.sum_into(self.input_scratch)
        if not np.isfinite(self.input_scratch).all():
            self._raise_backward()
        return self.input_scratch.copy()

    def _raise_backward(self) -> None:
        """Find the first edge (in backward order) that became non-finite, and say why."""
        G = self.grads
        for group in reversed(self.groups):
            if group.kind != "op":
                continue
            for position, rule, _, rows in group.locals:
                bad = ~np.isfinite(G[rows])
                if bad.any():
                    k, row = (int(a[0]) for a in np.nonzero(bad))
                    shape = group.out_view.shape
                    args = [np.broadcast_to(a, shape)[k, row] for a in group.args]
                    with np.errstate(all="ignore"):
                        slope = np.broadcast_to(rule(np, group.out_view, *group.args), shape)
                    raise _backward_error(group.op, position, args, slope[k, row],
                                          group.grad_view[k, row], row, self.where(row))
        raise OpOverflowError("a gradient overflowed while summing over the batch; "
                              "scale the loss or the inputs down")
