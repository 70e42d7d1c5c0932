"""The compiled tape: trace a per-example function once, replay it over a whole batch.

The scalar engine builds a fresh graph of Values for every example.  But for a
model and its loss the graph has the same *shape* for every example: only the
numbers at its input leaves change.  So trace it once; its topological order is
a program, a flat list of (op, operand slots, output slot).  Replay that program
on numpy arrays whose columns are the examples of a batch, with the rules of the
same ops table (``m = numpy``), forward and backward:

>>> from autograd import Value
>>> w, b = Value(0.5, "w"), Value(0.1, "b")
>>> tape = compile(lambda x, y: (w * x + b - y) ** 2, (1.0, 2.0), params=[w, b])
>>> tape.forward([1.0, 2.0, 3.0], [2.0, 1.0, 0.0])     # three examples at once
array([1.96, 0.01, 2.56])
>>> tape.backward()         # adds d(sum of the three losses)/dp into each p.grad
>>> round(w.grad, 10), round(b.grad, 10)
(7.2, 0.6)

The same numbers as the scalar engine, example by example (the tests check this
to 1e-12 on random models and batches).  Leaves that are listed in ``params`` are
broadcast over the batch and their gradients are summed over it (pass
``weights=1/N`` to :meth:`Tape.backward` for a mean); leaves made from the
example's numbers take one column of the batch each; every other leaf is a
constant.

**What a trace cannot see.**  Python code that reads ``.data`` of a traced value
and branches on it (``x if x.data > 0 else 0.01 * x``) takes one path while
tracing, and the tape would replay that path for every row.  :func:`compile`
notices such reads and refuses them, naming the file and line; Dropout (or any
randomness) is caught by tracing twice and comparing.  :meth:`Tape.verify`
checks a replay against the scalar engine on sample rows.

**Where the speed is.**  The replay groups nodes of the same op at the same depth
into one numpy call (the 16 relus of a layer are one ``where``), fuses chains of
``+`` into one n-ary sum, and turns a group of sums of ``parameter * value``
products -- the 16 neurons ``b + w . h`` of a layer -- into one matrix product,
whose backward is two more (``W.T @ g`` for the values, ``g @ h.T`` for the
weights, already summed over the batch).  Operands are read through strided views
instead of copies when their slots line up, which the slot layout arranges.  The
fusions are optional fast paths that apply only when the table's ``add`` and
``mul`` are the plain sum and product (checked at compile time); every other op,
including ones added to the table later, runs its own forward and derivative
rules with ``m = numpy``.  ``grouped=False`` keeps the plain one-node-at-a-time
interpreter: the readable reference.  Both live in :mod:`autograd.tape_plan`;
this module traces and holds the public :class:`Tape`.

Domain errors are per row: ``log`` of a negative entry raises the table's
:class:`~autograd.ops.OpDomainError`, naming the op, the value and the batch row.
"""

from __future__ import annotations

import numbers
import os
import sys
import threading
from operator import attrgetter
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import graph as _graph_module
from . import ops as _ops_module
from . import value as _value_module
from .graph import topological_order
from .ops import OPS, Op, OpDomainError, OpOverflowError
from .tape_plan import GroupedPlan, Interpreter
from .value import Value

__all__ = ["Tape", "compile", "compile_tape", "TapeTraceError", "TapeMismatchError"]


class TapeTraceError(ValueError):
    """The function cannot be compiled into a tape; the message says why and what to do."""


class TapeMismatchError(TapeTraceError):
    """A replay disagrees with the scalar engine (see :meth:`Tape.verify`)."""


# --- tracing: run fn once on Values, noticing reads of .data ------------------------

_ENGINE_FILES = frozenset(
    name
    for module in (_value_module, _ops_module, _graph_module)
    for name in (module.__file__, os.path.realpath(module.__file__))
)
_MAX_RECORDED_READS = 10_000
_trace_lock = threading.RLock()  # one patched Value.data at a time; fn may compile too
_get_data = attrgetter("data")


class _DataReadRecorder:
    """Stands in for ``Value.data`` while tracing and notes each read made by code
    outside the engine (the engine's own arithmetic reads ``.data`` all the time)."""

    def __init__(self, slot):
        self.slot = slot  # the real __slots__ descriptor
        self.reads: list = []  # (value, "file:line in function()")

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.slot
        frame = sys._getframe(1)
        code = frame.f_code
        if code.co_filename not in _ENGINE_FILES and len(self.reads) < _MAX_RECORDED_READS:
            self.reads.append((obj, f"{code.co_filename}:{frame.f_lineno} in {code.co_name}()"))
        return self.slot.__get__(obj, owner)

    def __set__(self, obj, value):
        self.slot.__set__(obj, value)


def _lift(arg: Any, path: str, inputs: list) -> Any:
    """The example's numbers as input leaves, in the same nesting."""
    if isinstance(arg, np.ndarray):
        arg = arg.tolist()
    if isinstance(arg, (list, tuple)):
        lifted = [_lift(item, f"{path}[{i}]", inputs) for i, item in enumerate(arg)]
        return tuple(lifted) if isinstance(arg, tuple) else lifted
    if isinstance(arg, bool) or not isinstance(arg, numbers.Real):
        raise TypeError(f"compile: example input {path} is {arg!r} of type "
                        f"{type(arg).__name__}; an example holds numbers or (nested) lists of "
                        "numbers, one leaf per number -- close over anything else in fn")
    leaf = Value(float(arg), path)
    inputs.append(leaf)
    return leaf


def _trace(fn: Callable, example: Sequence, record_reads: bool):
    """Run ``fn`` on Values made from ``example``; return (outputs, inputs, reads)."""
    inputs: list = []
    args = [_lift(arg, f"arg{i}", inputs) for i, arg in enumerate(example)]
    recorder = None
    with _trace_lock:
        if record_reads and not isinstance(Value.__dict__["data"], _DataReadRecorder):
            recorder = _DataReadRecorder(Value.__dict__["data"])
            Value.data = recorder
        try:
            result = fn(*args)
        finally:
            if recorder is not None:
                Value.data = recorder.slot
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    for i, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"compile: fn returned {out!r} (output {i}), not a Value; "
                            "a tape replays a graph, so fn must compute its outputs from "
                            "its inputs or the params with Value operations")
    if not outputs:
        raise TypeError("compile: fn returned no outputs; return a Value (e.g. the loss)")
    return outputs, inputs, recorder.reads if recorder is not None else []


class _Graph:
    """The traced graph as numbers: node kinds, operand indexes and outputs."""

    def __init__(self, outputs: list, inputs: list, params: list):
        root = Value(0.0)  # a handle on all outputs; not a node
        root._prev = tuple(outputs)
        nodes = topological_order(root)[:-1]
        position = {id(node): i for i, node in enumerate(nodes)}
        param_position = {id(p): i for i, p in enumerate(params)}
        input_position = {id(x): i for i, x in enumerate(inputs)}
        self.nodes = nodes
        self.position = position
        self.outputs = [position[id(out)] for out in outputs]
        self.kind: list = []  # "param", "input", "const" or an Op
        self.operands: list = []  # operand node indexes (op nodes)
        self.param_of: dict = {}  # node index -> position in params
        self.input_of: dict = {}  # node index -> position in inputs
        for i, node in enumerate(nodes):
            key = id(node)
            if key in param_position:
                if node._prev:
                    raise TypeError(f"compile: parameter {node!r} was computed by {node._op!r}; "
                                    "parameters are leaves (Values made directly from numbers)")
                self.kind.append("param")
                self.param_of[i] = param_position[key]
                self.operands.append(())
            elif key in input_position:
                self.kind.append("input")
                self.input_of[i] = input_position[key]
                self.operands.append(())
            elif not node._prev:
                self.kind.append("const")
                self.operands.append(())
            else:
                if node._op not in OPS:
                    raise TapeTraceError(f"compile: node {node!r} was made by op {node._op!r}, "
                                         "which is not in the ops table")
                self.kind.append(OPS[node._op])
                self.operands.append(tuple(position[id(p)] for p in node._prev))
        # does a node depend on an input or a parameter?
        varies = [False] * len(nodes)
        for i, kind in enumerate(self.kind):
            varies[i] = kind in ("param", "input") or any(varies[j] for j in self.operands[i])
        self.varies = varies

    def shape(self) -> tuple:
        """The graph's ops and wiring, without any numbers."""
        return tuple((kind.name if isinstance(kind, Op) else kind, self.operands[i])
                     for i, kind in enumerate(self.kind))

    def signature(self) -> tuple:
        """The graph's shape and constants, to compare two traces."""
        return tuple(
            (kind.name if isinstance(kind, Op) else kind, self.operands[i],
             self.nodes[i].data if kind == "const" else self.param_of.get(i, self.input_of.get(i)))
            for i, kind in enumerate(self.kind)
        )

    def depends(self, value: Value, cache: dict) -> bool:
        """Whether a value read while tracing depends on an input or a parameter."""
        index = self.position.get(id(value))
        if index is not None:
            return self.varies[index]
        if id(value) not in cache:
            cache[id(value)] = any(
                id(leaf) in self.position and self.varies[self.position[id(leaf)]]
                for leaf in topological_order(value) if not leaf._prev)
        return cache[id(value)]


# --- the public tape -------------------------------------------------------------------


class Tape:
    """A traced per-example function, replayed over batches.  Build one with :func:`compile`.

    >>> from autograd import Value
    >>> a = Value(2.0, "a")
    >>> tape = compile(lambda x: (a * x).tanh(), (0.5,), params=[a])
    >>> tape.forward([0.5, 0.0]).round(6)     # a batch of two one-number examples
    array([0.761594, 0.      ])
    >>> tape.gradients().round(6)                  # d/da summed over the batch
    array([0.209987])
    """

    def __init__(self, fn: Callable, example: Sequence, params: Sequence[Value], graph: _Graph,
                 inputs: list, arg_structures: list, grouped: bool, data_reads: list):
        self.fn = fn
        self.example = example
        self.params = list(params)
        self.graph = graph
        self.n_inputs = len(inputs)
        self.input_labels = [leaf.label for leaf in inputs]
        self.arg_structures = arg_structures
        self.arg_sizes = [_count(structure) for structure in arg_structures]
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
            array = np.asarray(arg, dtype=float)
            rows = array.shape[0] if array.ndim else 0
            if size is None:
                size = rows
            if array.ndim == 0 or rows != size or array.size != rows * n or (scalar and
                                                                            array.ndim != 1):
                raise ValueError(f"Tape.forward: batch argument {a} has shape {array.shape}; "
                                 f"expected {size if size is not None else 'B'} rows of "
                                 f"{'one number' if scalar else f'{n} numbers'} each, like the "
                                 "traced example, with the same number of rows for every "
                                 "argument")
            columns.append(array.reshape(rows, n).T)
        if size == 0:
            raise ValueError("Tape.forward: the batch is empty; pass at least one row")
        stacked = np.concatenate(columns, axis=0) if len(columns) > 1 else columns[0]
        if not np.isfinite(stacked).all():
            leaf, row = (int(i[0]) for i in np.nonzero(~np.isfinite(stacked)))
            label = self.input_labels[leaf]
            raise OpDomainError(f"Tape.forward: input {label} is {stacked[leaf, row]} at batch "
                                f"row {row}; inputs must be finite numbers")
        return stacked

    def _where(self, row: int) -> str:
        if self._columns is None or not self.n_inputs:
            return ""
        shown = ", ".join(f"{v:.6g}" for v in self._columns[:8, row])
        more = ", ..." if self.n_inputs > 8 else ""
        return f", inputs [{shown}{more}]"

    def forward(self, *batch: Any) -> np.ndarray:
        """The outputs for every row of the batch.

        Pass one array per argument of the traced example, each with the batch as
        its first axis: ``tape.forward(X, y)`` with ``X`` of shape ``(B, 2)`` and
        ``y`` of shape ``(B,)`` for an example ``([x0, x1], y)``.  A tape traced with
        no example inputs (a function of the parameters alone) takes no arguments.
        Returns shape ``(B,)`` for one output, ``(B, n_outputs)`` for several.
        Parameters are read afresh from each ``p.data`` on every call.
        """
        columns = self._columns_of(batch)
        batch_size = columns.shape[1]
        if batch_size != self.batch_size:
            self.engine.bind(batch_size)
            self.batch_size = batch_size
        params = np.fromiter(map(_get_data, self.params), dtype=float, count=len(self.params))
        if not np.isfinite(params).all():
            bad = int(np.flatnonzero(~np.isfinite(params))[0])
            raise OpDomainError(f"Tape.forward: parameter {bad} ({self.params[bad]!r}) is not "
                                "finite; the previous update diverged")
        self._columns = columns
        self.engine.load(params if self._used_params is None else params[self._used_params],
                         columns if self._used_inputs is None else columns[self._used_inputs])
        with np.errstate(all="ignore"):
            outputs = self.engine.forward(self._where)
        self._outputs = outputs
        self._backward_done = False
        if self.verify_on_next_forward:
            self.verify_on_next_forward = False
            self.verify(*batch)
            return self.forward(*batch)
        return outputs[0].copy() if outputs.shape[0] == 1 else outputs.T.copy()

    def _seeds(self, weights) -> np.ndarray:
        n_out, batch_size = self._outputs.shape
        w = np.asarray(weights, dtype=float)
        try:
            if n_out == 1 and w.ndim == 1:
                w = w[:, None]
            seeds = np.broadcast_to(w, (batch_size, n_out)).T
        except ValueError:
            raise ValueError(f"Tape.backward: weights of shape {w.shape} do not fit outputs of "
                             f"shape ({batch_size}, {n_out}); pass a number, one weight per "
                             "row, or one per row and output") from None
        if not np.isfinite(seeds).all():
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
            self.engine.backward(seeds, self._where)
            grads = self.engine.param_grads()
        if self._used_params is not None:
            grads, used = np.zeros(len(self.params)), grads
            grads[self._used_params] = used
        if not np.isfinite(grads).all():  # the interpreter checks edge by edge
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
                    example.append(_unflatten(structure, flat))
                    start += n
                outputs, inputs, _ = _trace(self.fn, example, record_reads=False)
                graph = _Graph(outputs, inputs, self.params)
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
                where = np.unravel_index(int(np.argmax(err)), err.shape)
                row_text = f"row {rows[where[0]]}" if what == "output" else f"rows {rows}"
                raise TapeMismatchError(self._mismatch(
                    f"the tape's {what} {got[where]!r} differs from the scalar engine's "
                    f"{want[where]!r} ({row_text})"))

    def _mismatch(self, what: str) -> str:
        reads = sorted({where for _, where in self.data_reads})
        hint = (f" fn read .data of traced values at {', '.join(reads[:5])}"
                f"{' ...' if len(reads) > 5 else ''}, and a branch there is the likely cause."
                if reads else " Look for Python branches on .data, randomness, or constants "
                              "computed from the inputs.")
        return (f"Tape.verify: {what}.{hint} A tape replays the single path that the traced "
                "example took; express branches with table ops (relu, sigmoid, ...).")


def _structure(arg: Any) -> Any:
    """The nesting of an example argument: None for a number, else a list of those."""
    if isinstance(arg, np.ndarray):
        arg = arg.tolist()
    if isinstance(arg, (list, tuple)):
        return [_structure(item) for item in arg]
    return None


def _unflatten(structure: Any, flat: list) -> Any:
    iterator = iter(flat)

    def build(node):
        if node is None:
            return next(iterator)
        return [build(child) for child in node]

    return build(structure)


def compile(fn: Callable[..., Union[Value, Sequence[Value]]], example: Sequence[Any] = (),
            params: Sequence[Value] = (), *, grouped: bool = True,
            allow_data_reads: bool = False) -> Tape:
    """Trace ``fn(*example)`` once and return a :class:`Tape` that replays it on batches.

    ``example`` holds one example's arguments (numbers or nested lists of numbers;
    each number becomes an input leaf).  ``params`` are the Values that the tape
    reads afresh on each forward and whose gradients it returns; other leaves that
    ``fn`` touches are frozen as constants.

    >>> import random
    >>> from nn import MLP
    >>> from nn.losses import hinge_example
    >>> random.seed(1337); model = MLP(2, [16, 16, 1])
    >>> tape = compile(lambda x, y: hinge_example(model(x), y), ([0.5, -0.2], 1.0),
    ...                model.parameters())
    >>> tape
    Tape(644 ops in 9 groups, 337 params, 3 inputs, 1 outputs)

    ``allow_data_reads=True`` accepts an ``fn`` that reads ``.data`` of traced
    values (the read cannot change the path, e.g. a max subtracted for stability);
    the first forward then checks itself against the scalar engine on sample rows.
    ``grouped=False`` replays one node at a time (slow; the reference).
    """
    params = list(params)
    if len({id(p) for p in params}) != len(params):
        raise ValueError("compile: a parameter appears twice in params; list each once")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"compile: params[{i}] is {p!r}, not a Value")
    if isinstance(example, (str, bytes)) or not isinstance(example, (list, tuple)):
        raise TypeError("compile: example is the tuple of one example's arguments, "
                        f"e.g. (x, y) for fn(x, y); got {type(example).__name__}")
    outputs, inputs, reads = _trace(fn, example, record_reads=True)
    graph = _Graph(outputs, inputs, params)

    cache: dict = {}
    hazards = [(value, where) for value, where in reads if graph.depends(value, cache)]
    if hazards and not allow_data_reads:
        places = sorted({where for _, where in hazards})
        raise TapeTraceError(
            f"compile: fn reads .data of a value that depends on the inputs or parameters "
            f"(at {', '.join(places[:5])}{' ...' if len(places) > 5 else ''}). A tape "
            "records the one path that the traced example took and replays it for every "
            "row and every later parameter value, so a branch on .data would be frozen. "
            "Write the branch with a table op (relu, sigmoid, abs, ...), or, if the read "
            "cannot change the path, pass allow_data_reads=True: the tape then checks "
            "itself against the scalar engine on the first batch.")

    again, again_inputs, _ = _trace(fn, example, record_reads=False)
    if _Graph(again, again_inputs, params).signature() != graph.signature():
        raise TapeTraceError(
            "compile: fn built a different graph when traced twice on the same example, so "
            "it is random or stateful (Dropout in training mode draws a new mask each "
            "call; use model.eval()). A tape would freeze one draw for every row.")

    return Tape(fn, example, params, graph, inputs, [_structure(arg) for arg in example],
                grouped=grouped, data_reads=hazards)


def _count(structure: Any) -> int:
    return 1 if structure is None else sum(_count(child) for child in structure)


compile_tape = compile
