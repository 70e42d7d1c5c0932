"""The reference replay: one numpy call per node, in topological order.

This is the whole idea of the tape in twenty lines: slot ``i`` holds node ``i``
for every example of the batch (one column each), and each op runs the table's
forward and derivative rules with ``m = numpy``.  :class:`~.plan.GroupedPlan` is
the fast replay and must agree with this one (the tests run both).

Both expose ``bind(batch_size)``, ``load(params, input_columns)``,
``forward(describe_row) -> outputs``, ``backward(seeds, describe_row)``, ``param_grads()`` and
``input_grads()``; ``describe_row(row)`` describes a batch row for error messages
(its inputs: ``", inputs [0.5, -1]"``).

>>> from autograd import Value
>>> from autograd.tape import compile
>>> w = Value(3.0)
>>> tape = compile(lambda x: w * x, (1.0,), [w], grouped=False)
>>> type(tape.engine).__name__, tape.forward([1.0, 2.0]).tolist()
('Interpreter', [3.0, 6.0])
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..ops import Op
from .errors import backward_error, forward_error, screen

__all__ = ["Interpreter"]


class Interpreter:
    """Replays the topological order node by node; slot ``i`` is node ``i``."""

    def __init__(self, graph):
        self.graph = graph
        self.n_slots = len(graph.nodes)
        self.param_slots = np.array(sorted(graph.param_of, key=graph.param_of.get), dtype=np.intp)
        self.input_slots = np.array(sorted(graph.input_of, key=graph.input_of.get), dtype=np.intp)
        self.const_slots = np.array(graph.consts, dtype=np.intp)
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

    def forward(self, describe_row: Callable[[int], str]) -> np.ndarray:
        V = self.values
        for out, op, operands in self.program:
            args = [V[j] for j in operands]
            V[out] = op.forward(np, *args)
            if op.check is not None:
                screen(op, V[out], args, describe_row)
            if not np.isfinite(V[out]).all():
                row = int(np.flatnonzero(~np.isfinite(V[out]))[0])
                raise forward_error(op, [a[row] for a in args], V[out, row], row, describe_row(row))
        return V[self.output_slots]

    def backward(self, seeds: np.ndarray, describe_row: Callable[[int], str]) -> None:
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
                    raise backward_error(op, position, [a[row] for a in args], local[row],
                                         G[out, row], row, describe_row(row))
                G[j] += contribution

    def param_grads(self) -> np.ndarray:
        return self.grads[self.param_slots].sum(axis=1)

    def input_grads(self) -> np.ndarray:
        return self.grads[self.input_slots]
