"""Tracing: run ``fn`` once on Values, and read the graph it built as numbers.

:func:`trace` lifts one example's numbers into input leaves, runs ``fn`` on them
and (``record_reads``) notes what a replay would freeze: each read of ``.data``
made outside the engine (a Python branch on a value), and each draw from Python's
``random``.  :class:`TracedGraph` is the result as plain lists: for each node in
topological order its kind ("param", "input", "const" or an
:class:`~autograd.ops.Op`) and its operand indexes.

>>> from autograd import Value
>>> w = Value(2.0, "w")
>>> outputs, inputs, reads, draws = trace(lambda x: w * x + 1.0, (3.0,), record_reads=True)
>>> graph = TracedGraph(outputs, inputs, [w])
>>> [k if isinstance(k, str) else k.name for k in graph.kind]
['param', 'input', 'mul', 'const', 'add']

Nothing class-wide or process-wide changes while tracing.  The inputs, the
parameters and every value computed from them are :class:`TracedValue` objects
for the trace's length (their ``.data`` notes who reads it; then they are plain
Values again), and draws are seen by this thread's profile function:

>>> _, _, reads, _ = trace(lambda x: x if x.data > 0 else -x, (3.0,), record_reads=True)
>>> [place.rsplit(" in ", 1)[1] for value, place in reads]
['<lambda>()']
>>> type(inputs[0]).__name__
'Value'
"""

from __future__ import annotations

import inspect
import numbers
import os
import random
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Sequence

import numpy as np

from .. import graph as _graph_module
from .. import ops as _ops_module
from .. import value as _value_module
from ..graph import topological_order
from ..ops import OPS, Op
from ..value import Value
from .errors import TapeTraceError

__all__ = ["trace", "TracedGraph", "nodes_of", "signature", "structure", "unflatten", "count"]

_DATA = Value.__dict__["data"]  # the engine's own storage of a Value's number
_MAX_RECORDED_READS = 10_000
# the draws of Python's random generators (every other method of random.Random calls one)
_DRAWS = frozenset({"random", "getrandbits"})
_RANDOM_FILE = random.__file__
# the binary operators, whose reflected form Python tries first on a TracedValue
_REFLECTED = {"__radd__": "__add__", "__rsub__": "__sub__", "__rmul__": "__mul__",
              "__rtruediv__": "__truediv__", "__rpow__": "__pow__"}
_OPERATORS = frozenset(_REFLECTED) | frozenset(_REFLECTED.values()) | {"__neg__", "__pos__",
                                                                      "__abs__"}
_trace_lock = threading.RLock()  # one recording trace at a time; fn may compile too


def _engine_files() -> frozenset:
    """The files of the engine's own code, whose reads of ``.data`` are its arithmetic:
    the modules of Value's methods (wherever they are defined), the table, the graph."""
    files = {module.__file__ for module in (_value_module, _ops_module, _graph_module)}
    files |= {f.__code__.co_filename for f in vars(Value).values() if inspect.isfunction(f)}
    return frozenset(files | {os.path.realpath(name) for name in files})


_ENGINE_FILES = _engine_files()


class _Recording:
    """What one trace notes: reads of ``.data`` of traced values by code outside the
    engine (a Python branch on one would be frozen by the replay), and draws from
    Python's ``random`` (a tape would freeze one draw for every row)."""

    def __init__(self):
        self.reads: list = []  # (value, "file:line in function()")
        self.draws: list = []  # "file:line in function()"
        self.retagged: list = []  # the Values that are TracedValues until the trace ends

    def note_read(self, value: Value, frame) -> None:
        if len(self.reads) < _MAX_RECORDED_READS:
            self.reads.append((value, _place(frame)))

    def note_draw(self, frame) -> None:
        while frame is not None and frame.f_code.co_filename == _RANDOM_FILE:
            frame = frame.f_back  # random.uniform(...) -> self.random(): the caller's place
        if frame is not None and len(self.draws) < _MAX_RECORDED_READS:
            self.draws.append(_place(frame))

    def retag(self, value: Value) -> None:
        value.__class__ = TracedValue
        self.retagged.append(value)


def _place(frame) -> str:
    code = frame.f_code
    return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}()"


class _Recordings(threading.local):
    """Per thread: the recordings of the traces in progress (innermost last).  Another
    thread, tracing or not, sees none of them."""

    def __init__(self):
        self.stack: list = []


_recordings = _Recordings()


def _read_data(value: Value) -> float:
    data = _DATA.__get__(value, Value)
    stack = _recordings.stack
    if stack:
        frame = sys._getframe(1)
        if frame.f_code.co_filename not in _ENGINE_FILES:
            stack[-1].note_read(value, frame)
    return data


class TracedValue(Value):
    """A Value of the graph that a trace is recording: the example's input leaves, the
    parameters, and every node computed from them, until the trace ends (then they
    are plain Values again).  Reading its ``.data`` outside the engine is noted; its
    ops give TracedValues.  Only these objects record: the class Value, other Values
    and other threads are left as they are."""

    __slots__ = ()
    data = property(_read_data, _DATA.__set__, doc="The number (reads are noted).")
    traced_by_tape = True  # (autograd.functional.grad refuses to run inside a trace)


def _traced_method(name: str, method: Callable) -> Callable:
    base = _REFLECTED.get(name)

    def traced(self, *args, **kwargs):
        if base is not None and args and isinstance(args[0], Value):
            # Python tried a TracedValue's reflected operator first (w + x with x
            # traced): build what w + x builds, not x + w
            out = getattr(Value, base)(args[0], self)
        else:
            out = method(self, *args, **kwargs)
        if type(out) is Value and out._prev and _recordings.stack:
            _recordings.stack[-1].retag(out)
        return out

    traced.__name__ = traced.__qualname__ = name
    traced.__doc__ = method.__doc__
    return traced


for _name, _method in list(vars(Value).items()):
    if inspect.isfunction(_method) and (_name in _OPERATORS or _name == "_apply"
                                        or not _name.startswith("_")):
        setattr(TracedValue, _name, _traced_method(_name, _method))


def _follow_row(op: Op, registered: bool) -> None:
    """A row registered after this import gives Value a method (autograd.value watches
    the table too): give TracedValue its traced form, and take it back with the row."""
    method = Value.__dict__.get(op.name)
    if registered and inspect.isfunction(method) and op.name not in TracedValue.__dict__:
        setattr(TracedValue, op.name, _traced_method(op.name, method))
    elif not registered and op.name in TracedValue.__dict__ and op.name not in vars(Value):
        delattr(TracedValue, op.name)


_ops_module.watch_rows(_follow_row)


def _profile(frame, event, arg):
    """This thread's profile function while it traces: notes each draw of a
    ``random.Random`` (the ``random`` module's functions draw from one too)."""
    if (event == "c_call" and getattr(arg, "__name__", None) in _DRAWS
            and isinstance(getattr(arg, "__self__", None), random.Random)
            and _recordings.stack):
        _recordings.stack[-1].note_draw(frame)


@contextmanager
def _recording(params: Sequence[Value], inputs: list):
    """Record reads of ``.data`` and random draws made by this thread while tracing.

    The inputs and the parameters are TracedValues for the trace's length, and so is
    every node computed from them; draws are seen by a profile function of this
    thread (``sys.setprofile``).  Where a profiler already runs, it is left alone
    and draws from the ``random`` module's generator are found by comparing its
    state before and after (without a place).  Other generators (numpy's) are
    caught by :func:`~.compiler.compile`'s second trace."""
    recording = _Recording()
    with _trace_lock:
        _recordings.stack.append(recording)
        for value in [*params, *inputs]:
            if type(value) is Value:
                recording.retag(value)
        previous = sys.getprofile()  # None, ours (fn compiles too), or a profiler's
        state = random.getstate() if previous not in (None, _profile) else None
        if previous is None:
            sys.setprofile(_profile)
        try:
            yield recording
        finally:
            if previous is None:
                sys.setprofile(None)
            elif state is not None and random.getstate() != state:
                recording.draws.append("an unknown place (a profiler was running)")
            _recordings.stack.pop()
            for value in recording.retagged:
                value.__class__ = Value


def _lift(arg: Any, path: str, inputs: list) -> Any:
    """The example's numbers as input leaves, in the same nesting."""
    if isinstance(arg, np.ndarray):
        arg = arg.tolist()
    if isinstance(arg, (list, tuple)):
        lifted = [_lift(item, f"{path}[{i}]", inputs) for i, item in enumerate(arg)]
        return tuple(lifted) if isinstance(arg, tuple) else lifted
    if isinstance(arg, bool) or not isinstance(arg, numbers.Real):
        raise TypeError(f"compile: example input {path} is {arg!r} of type "
                        f"{type(arg).__name__}; an example holds real numbers or (nested) "
                        "lists of them, one leaf per number -- close over anything else in fn")
    leaf = Value(float(arg), path)
    inputs.append(leaf)
    return leaf


def trace(fn: Callable, example: Sequence, record_reads: bool, params: Sequence[Value] = ()):
    """Run ``fn`` on Values made from ``example``; return (outputs, inputs, reads,
    draws): with ``record_reads``, the reads of ``.data`` outside the engine of the
    inputs, ``params`` and the values computed from them, and the draws from
    ``random``, each with its place in the code."""
    inputs: list = []
    args = [_lift(arg, f"arg{i}", inputs) for i, arg in enumerate(example)]
    reads, draws = [], []
    if record_reads:
        with _recording(params, inputs) as recording:
            result = fn(*args)
        reads, draws = recording.reads, recording.draws
    else:
        result = fn(*args)
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    for i, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"compile: fn returned {out!r} (output {i}), not a Value; "
                            "a tape replays a graph, so fn must compute its outputs from "
                            "its inputs or the params with Value operations")
    if not outputs:
        raise TypeError("compile: fn returned no outputs; return a Value (e.g. the loss)")
    return outputs, inputs, reads, draws


class TracedGraph:
    """The traced graph as numbers: node kinds, operand indexes and outputs."""

    def __init__(self, outputs: list, inputs: list, params: list):
        nodes = nodes_of(outputs)
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
        self.consts: list = []  # the indexes of constant leaves
        # does a node depend on an input or a parameter?
        self.varies = varies = []
        add_kind, add_operands, add_varies = self.kind.append, self.operands.append, varies.append
        for i, node in enumerate(nodes):
            key = id(node)
            if key in param_position:
                if node._prev:
                    raise TypeError(f"compile: parameter {node!r} was computed by {node._op!r}; "
                                    "parameters are leaves (Values made directly from numbers)")
                add_kind("param")
                self.param_of[i] = param_position[key]
                add_operands(())
                add_varies(True)
            elif key in input_position:
                add_kind("input")
                self.input_of[i] = input_position[key]
                add_operands(())
                add_varies(True)
            elif not node._prev:
                add_kind("const")
                self.consts.append(i)
                add_operands(())
                add_varies(False)
            else:
                op = OPS.get(node._op)
                if op is None:
                    raise TapeTraceError(f"compile: node {node!r} was made by op {node._op!r}, "
                                         "which is not in the ops table")
                add_kind(op)
                indexes = tuple([position[id(p)] for p in node._prev])
                add_operands(indexes)
                add_varies(True in [varies[j] for j in indexes])

    def shape(self) -> tuple:
        """The graph's ops and wiring, without any numbers."""
        return tuple((kind.name if isinstance(kind, Op) else kind, self.operands[i])
                     for i, kind in enumerate(self.kind))

    def signature(self) -> tuple:
        """The graph's shape and constants, as one tuple."""
        return tuple(
            (kind.name, self.operands[i]) if isinstance(kind, Op) else
            (kind, self.operands[i], self.nodes[i].data if kind == "const"
             else self.param_of.get(i, self.input_of.get(i)))
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


def nodes_of(outputs: list) -> list:
    """Every node that the outputs reach, in topological order."""
    root = Value(0.0)  # a handle on all outputs; not a node
    root._prev = tuple(outputs)
    return topological_order(root)[:-1]


def signature(nodes: list, inputs: list, params: list) -> tuple:
    """What two traces must share, from a topological order of ``nodes``: each node's
    op, its operands' positions, and each leaf's parameter or input position or, for
    a constant, its number.  A handful of flat lists, so that :func:`~.compiler.compile`'s
    second trace costs a walk, not a second :class:`TracedGraph`."""
    position = {id(node): i for i, node in enumerate(nodes)}
    leaf_of = {id(x): ("input", i) for i, x in enumerate(inputs)}
    leaf_of.update((id(p), ("param", i)) for i, p in enumerate(params))
    return ([node._op for node in nodes],
            [len(node._prev) for node in nodes],
            [position[id(parent)] for node in nodes for parent in node._prev],
            [leaf_of.get(id(node)) or node.data for node in nodes if not node._prev])


def structure(arg: Any) -> Any:
    """The nesting of an example argument: None for a number, else a list of those."""
    if isinstance(arg, np.ndarray):
        arg = arg.tolist()
    if isinstance(arg, (list, tuple)):
        return [structure(item) for item in arg]
    return None


def unflatten(nesting: Any, flat: list) -> Any:
    """``flat`` numbers put back into the nesting that :func:`structure` described."""
    iterator = iter(flat)

    def build(node):
        if node is None:
            return next(iterator)
        return [build(child) for child in node]

    return build(nesting)


def count(nesting: Any) -> int:
    """How many numbers a nesting holds."""
    return 1 if nesting is None else sum(count(child) for child in nesting)
