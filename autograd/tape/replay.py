"""The public :class:`Tape`: a traced per-example function, replayed over batches.

It turns batch arguments into columns (one per example), reads the parameters
afresh on each forward, hands both to its engine (the grouped plan, or the
one-node-at-a-time interpreter) and turns the engine's arrays back into outputs
and gradients.  :meth:`Tape.verify` replays sample rows on the scalar engine and
compares.  Build a tape with :func:`autograd.tape.compile`.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from ..checks import real_array
from ..graph import topological_order
from ..ops import Op, OpDomainError, OpOverflowError
from ..value import Value
from .errors import TapeMismatchError, all_finite
from .interpreter import Interpreter
from .plan import GroupedPlan
from .tracing import TracedGraph, count, trace, unflatten

__all__ = ["Tape"]

_get_data = attrgetter("data")
_FLOAT = np.dtype(np.float64)


class Tape:
    """A traced per-example function, replayed over batches.  Build one with :func:`compile`.

    >>> from autograd import Value
    >>> from autograd.tape import compile
    >>> a = Value(2.0, "a")
    >>> tape = compile(lambda x: (a * x).tanh(), (0.5,), params=[a])
    >>> tape.forward([0.5, 0.0]).round(6)     # a batch of two one-number examples
    array([0.761594, 0.      ])
    >>> tape.gradients().round(6)                  # d/da summed over the batch
    array([0.209987])
    """

    def __init__(self, fn: Callable, example: Sequence, params: Sequence[Value], graph: TracedGraph,
                 inputs: list, arg_structures: list, grouped: bool, data_reads: list):
        self.fn = fn
        self.example = example
        self.params = list(params)
        self.graph = graph
        self.n_inputs = len(inputs)
        self.input_labels = [leaf.label for leaf in inputs]
        self.arg_structures = arg_structures
        self.arg_sizes = [count(structure) for structure in arg_structures]
        self.arg_scalar = [structure is None for structure in arg_structures]
        self.grouped = grouped
        self.data_reads = data_reads
        self.verify_on_next_forward = bool(data_reads)
        self.engine = GroupedPlan(graph) if grouped else Interpreter(graph)
        # the params and inputs that the graph reaches, in order (fn may ignore some)
        used_params = sorted(graph.param_of.values())
        used_inputs = sorted(graph.input_of.values())
        self._used_params = (None if used_params == list(range(len(self.params)))
                             else np.array(used_params, dtype=np.intp))
        self._used_inputs = (None if used_inputs == list(range(self.n_inputs))
                             else np.array(used_inputs, dtype=np.intp))
        self.batch_size: Optional[int] = None
        self._columns: Optional[np.ndarray] = None
        self._outputs: Optional[np.ndarray] = None
        self._backward_done = False

    # --- shape of the program -----------------------------------------------------

    @property
    def n_nodes(self) -> int:
        """Nodes of the traced graph (leaves included)."""
        return len(self.graph.nodes)

    @property
    def n_ops(self) -> int:
        """Op nodes, one per instruction of the flat program."""
        return sum(isinstance(k, Op) for k in self.graph.kind)

    @property
    def n_groups(self) -> int:
        """Vectorized calls per forward pass (equal to ``n_ops`` without grouping)."""
        return len(self.engine.groups) if self.grouped else self.n_ops

    def __repr__(self) -> str:
        return (f"Tape({self.n_ops} ops in {self.n_groups} "
                f"{'groups' if self.grouped else 'steps'}, {len(self.params)} params, "
                f"{self.n_inputs} inputs, {len(self.graph.outputs)} outputs)")

    # --- running ----------------------------------------------------------------------

    def _columns_of(self, batch: Sequence) -> np.ndarray:
        if len(batch) != len(self.arg_sizes):
            raise TypeError(f"Tape.forward takes {len(self.arg_sizes)} batch arrays, one per "
                            f"argument of the traced example, but got {len(batch)}")
        if not batch:
            return np.zeros((0, 1))
        columns, size = [], None
        for a, (arg, n, scalar) in enumerate(zip(batch, self.arg_sizes, self.arg_scalar)):
            array = arg if type(arg) is np.ndarray and arg.dtype == _FLOAT else _real_array(arg, a)
            rows = array.shape[0] if array.ndim else 0
            if size is None:
                size = rows
            if array.ndim == 0 or rows != size or array.size != rows * n or (scalar and
                                                                            array.ndim != 1):
                rows_wanted = size if size is not None else "B"
                wanted = (f"({rows_wanted},), one number per row, as the traced example was "
                          "one number" if scalar else f"({rows_wanted}, {n}), {n} numbers per "
                          "row like the traced example")
                raise ValueError(f"Tape.forward: batch argument {a} has shape {array.shape}; "
                                 f"expected shape {wanted}, with the same number of rows "
                                 "for every argument")
            if n or len(columns) == 0:  # (an argument of no numbers adds no rows)
                columns.append(array.reshape(rows, n).T)
        if size == 0:
            raise ValueError("Tape.forward: the batch is empty; pass at least one row")
        stacked = np.concatenate(columns, axis=0) if len(columns) > 1 else columns[0]
        if not all_finite(stacked):
            leaf, row = (int(i[0]) for i in np.nonzero(~np.isfinite(stacked)))
            label = self.input_labels[leaf]
            raise OpDomainError(f"Tape.forward: input {label} is {stacked[leaf, row]} at batch "
                                f"row {row}; inputs must be finite numbers (drop or impute "
                                "that row)")
        return stacked

    def _describe_row(self, row: int) -> str:
        """The inputs of one batch row, for error messages: ``", inputs [0.5, -1]"``."""
        if self._columns is None or not self.n_inputs:
            return ""
        shown = ", ".join(f"{v:.6g}" for v in self._columns[:8, row])
        more = ", ..." if self.n_inputs > 8 else ""
        return f", inputs [{shown}{more}]"

    def forward(self, *batch: Any, params: Optional[np.ndarray] = None) -> np.ndarray:
        """The outputs for every row of the batch.

        Pass one array per argument of the traced example, each with the batch as
        its first axis: ``tape.forward(X, y)`` with ``X`` of shape ``(B, 2)`` and
        ``y`` of shape ``(B,)`` for an example ``([x0, x1], y)``.  A tape traced with
        no example inputs (a function of the parameters alone) takes no arguments.
        Returns shape ``(B,)`` for one output, ``(B, n_outputs)`` for several.
        Parameters are read afresh from each ``p.data`` on every call, or taken from
        ``params``, an array with one value per parameter (training that keeps its
        parameters in an array then never touches a Value per batch).
        """
        columns = self._columns_of(batch)
        batch_size = columns.shape[1]
        if batch_size != self.batch_size:
            self.engine.bind(batch_size)
            self.batch_size = batch_size
        if params is None:
            params = np.fromiter(map(_get_data, self.params), dtype=float,
                                 count=len(self.params))
        elif type(params) is not np.ndarray or params.dtype != _FLOAT:
            params = real_array(params, "Tape.forward: params")  # a list, text: checked
        if np.shape(params) != (len(self.params),):
            raise ValueError(f"Tape.forward: params has shape {np.shape(params)}; pass one "
                             f"value per parameter, shape ({len(self.params)},)")
        if not all_finite(params):
            bad = int(np.flatnonzero(~np.isfinite(params))[0])
            raise OpDomainError(f"Tape.forward: parameter {bad} ({self.params[bad]!r}) is not "
                                "finite; the previous update diverged")
        self._columns = columns
        self.engine.load(params if self._used_params is None else params[self._used_params],
                         columns if self._used_inputs is None else columns[self._used_inputs])
        with np.errstate(all="ignore"):
            outputs = self.engine.forward(self._describe_row)
        self._outputs = outputs
        self._backward_done = False
        if self.verify_on_next_forward:
            self.verify_on_next_forward = False
            self.verify(*batch)
            return self.forward(*batch, params=params)
        return outputs[0].copy() if outputs.shape[0] == 1 else outputs.T.copy()

    def _seeds(self, weights) -> np.ndarray:
        n_out, batch_size = self._outputs.shape
        w = weights if type(weights) is np.ndarray else np.asarray(weights, dtype=float)
        if w.shape == (batch_size, n_out) and w.dtype == _FLOAT:  # a weight per row and output
            if not all_finite(w):
                raise ValueError("Tape.backward: the weights must be finite numbers")
            return w.T
        w = np.asarray(w, dtype=float)
        try:
            if n_out == 1 and w.ndim == 1:
                w = w[:, None]
            seeds = np.broadcast_to(w, (batch_size, n_out)).T
        except ValueError:
            raise ValueError(f"Tape.backward: weights of shape {w.shape} do not fit outputs of "
                             f"shape ({batch_size}, {n_out}); pass a number, one weight per "
                             "row, or one per row and output") from None
        if not all_finite(seeds):
            raise ValueError("Tape.backward: the weights must be finite numbers")
        return seeds

    def gradients(self, weights: Union[float, np.ndarray] = 1.0) -> np.ndarray:
        """d(sum over rows of weight * output)/d(param) for each param, as an array.

        ``weights`` is a number (1.0: the sum over the batch; ``1/B``: the mean), an
        array of one weight per row, or of shape ``(B, n_outputs)``.  Leaves
        ``p.grad`` alone; :meth:`backward` adds these into it.
        """
        if self._outputs is None:
            raise RuntimeError("Tape.gradients: call tape.forward(batch) first")
        seeds = self._seeds(weights)
        with np.errstate(all="ignore"):
            self.engine.backward(seeds, self._describe_row)
            grads = self.engine.param_grads()
        if self._used_params is not None:
            grads, used = np.zeros(len(self.params)), grads
            grads[self._used_params] = used
        # the grouped plan has checked its sum; the interpreter checks edge by edge
        if not self.grouped and not all_finite(grads):
            raise OpOverflowError("Tape.gradients: a parameter's gradient overflowed while "
                                  "summing over the batch; scale the loss or inputs down")
        self._backward_done = True
        return grads

    def backward(self, weights: Union[float, np.ndarray] = 1.0) -> None:
        """Add the gradients of the last forward into each parameter's ``.grad``.

        Like ``Value.backward`` grads accumulate (call ``zero_grad()`` between
        steps).  With the default ``weights=1.0`` each ``p.grad`` receives the sum
        over the batch; ``weights=1/B`` gives the mean.  See :meth:`gradients`.
        """
        for p, g in zip(self.params, self.gradients(weights).tolist()):
            p.grad += g

    def input_gradients(self) -> list:
        """After :meth:`backward`/:meth:`gradients`: d(weighted outputs)/d(input) per row,
        one array per example argument, shaped like the batch arguments."""
        if not self._backward_done:
            raise RuntimeError("Tape.input_gradients: call tape.backward() first")
        with np.errstate(all="ignore"):
            columns = self.engine.input_grads()
        if self._used_inputs is not None:
            columns, used = np.zeros((self.n_inputs, self.batch_size)), columns
            columns[self._used_inputs] = used
        out, start = [], 0
        for n, scalar in zip(self.arg_sizes, self.arg_scalar):
            block = columns[start:start + n].T
            out.append(block[:, 0].copy() if scalar else block.copy())
            start += n
        return out

    # --- checking against the scalar engine -----------------------------------------

    def verify(self, *batch: Any, rows: Optional[Sequence[int]] = None,
               tolerance: float = 1e-9) -> None:
        """Replay ``rows`` of the batch (default: up to 8 spread over it) with the scalar
        engine and with the tape; raise :class:`TapeMismatchError` if outputs or
        parameter gradients differ by more than ``tolerance`` (relative).

        This is how a branch on ``.data`` that tracing could not rule out is caught.
        ``p.grad`` is left as it was.
        """
        columns = self._columns_of(batch)
        size = columns.shape[1]
        if rows is None:
            rows = sorted(set(np.linspace(0, size - 1, min(size, 8)).round().astype(int)))
        rows = [int(r) for r in rows]
        saved = [p.grad for p in self.params]
        try:
            expected_out, expected_grads = [], np.zeros(len(self.params))
            for row in rows:
                example, start = [], 0
                for n, structure in zip(self.arg_sizes, self.arg_structures):
                    flat = columns[start:start + n, row].tolist()
                    example.append(unflatten(structure, flat))
                    start += n
                outputs, inputs, _, _ = trace(self.fn, example, record_reads=False)
                graph = TracedGraph(outputs, inputs, self.params)
                if graph.shape() != self.graph.shape():
                    raise TapeMismatchError(self._mismatch(
                        f"the graph of row {row} has a different shape ({len(graph.nodes)} "
                        f"nodes against the traced {len(self.graph.nodes)}): fn takes "
                        "another path through its code for this row"))
                root = outputs[0] if len(outputs) == 1 else sum(outputs[1:], outputs[0])
                for node in topological_order(root):
                    node.grad = 0.0
                root.backward()
                expected_out.append([o.data for o in outputs])
                expected_grads += [p.grad for p in self.params]
            sub = [np.asarray(arg)[rows] for arg in batch]
            got_out = np.asarray(self.forward(*sub)).reshape(len(rows), -1)
            got_grads = self.gradients(1.0)
        finally:
            for p, g in zip(self.params, saved):
                p.grad = g
        expected_out = np.array(expected_out)
        for got, want, what in ((got_out, expected_out, "output"),
                                (got_grads, expected_grads, "parameter gradient")):
            scale = np.maximum(1.0, np.abs(want))
            err = np.abs(got - want) / scale
            if not (err <= tolerance).all():
                worst = np.unravel_index(int(np.argmax(err)), err.shape)
                row_text = f"row {rows[worst[0]]}" if what == "output" else f"rows {rows}"
                raise TapeMismatchError(self._mismatch(
                    f"the tape's {what} {got[worst]!r} differs from the scalar engine's "
                    f"{want[worst]!r} ({row_text})"))

    def _mismatch(self, what: str) -> str:
        reads = sorted({place for _, place in self.data_reads})
        hint = (f" fn read .data of traced values at {', '.join(reads[:5])}"
                f"{' ...' if len(reads) > 5 else ''}, and a branch there is the likely cause."
                if reads else " Look for Python branches on .data, randomness, or constants "
                              "computed from the inputs.")
        return (f"Tape.verify: {what}.{hint} A tape replays the single path that the traced "
                "example took; express branches with table ops (relu, sigmoid, ...).")


def _real_array(arg: Any, position: int) -> np.ndarray:
    """A batch argument as float64, refusing what a cast would change silently or
    unclearly: complex numbers (numpy would drop the imaginary part) and text."""
    array = np.asarray(arg)
    entries = array.ravel().tolist() if array.dtype == object else ()
    if array.dtype.kind == "c" or any(isinstance(v, complex) for v in entries):
        raise TypeError(f"Tape.forward: batch argument {position} holds complex numbers "
                        f"(dtype {array.dtype}); the tape computes with real numbers only -- "
                        "pass the real part (x.real) or split real and imaginary parts into "
                        "two inputs")
    if array.dtype.kind == "b" or any(v is None or isinstance(v, (bool, np.bool_))
                                      for v in entries):
        # a cast would make None a NaN (then reported as a NaN input) and True a 1.0
        what = "booleans" if array.dtype.kind == "b" else "None or booleans"
        raise TypeError(f"Tape.forward: batch argument {position} holds {what}, which are "
                        "not numbers; drop or impute a missing value, and write 0.0/1.0 "
                        "(x.astype(float)) if a flag is meant as a number")
    if array.dtype.kind not in "iuf":
        # text, bytes, huge ints: the shared check (autograd.checks) names the entry
        return real_array(array, f"Tape.forward: batch argument {position}")
    return array.astype(float, copy=False)

