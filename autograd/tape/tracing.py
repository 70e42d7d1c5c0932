"""Tracing: run ``fn`` once on Values, and read the graph it built as numbers.

:func:`trace` lifts one example's numbers into input leaves, runs ``fn`` on them
and notes every read of ``.data`` made outside the engine (a Python branch on a
value would be frozen by the replay).  :class:`TracedGraph` is the result as
plain lists: for each node in topological order its kind ("param", "input",
"const" or an :class:`~autograd.ops.Op`) and its operand indexes.

>>> from autograd import Value
>>> w = Value(2.0, "w")
>>> outputs, inputs, reads, draws = trace(lambda x: w * x + 1.0, (3.0,), record_reads=True)
>>> graph = TracedGraph(outputs, inputs, [w])
>>> [k if isinstance(k, str) else k.name for k in graph.kind]
['param', 'input', 'mul', 'const', 'add']
"""

from __future__ import annotations

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

_ENGINE_FILES = frozenset(
    name
    for module in (_value_module, _ops_module, _graph_module)
    for name in (module.__file__, os.path.realpath(module.__file__))
)
_MAX_RECORDED_READS = 10_000
_trace_lock = threading.RLock()  # one patched Value.data at a time; fn may compile too


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


@contextmanager
def _recording_random_draws(draws: list):
    """Note each draw from Python's ``random`` made by this thread while tracing:
    a draw (Dropout's mask, noise) would be frozen into the tape as a constant.
    Both ``random.Random`` instances and the module's functions are covered;
    other generators (numpy's) are caught by :func:`compile`'s second trace."""
    tracer = threading.get_ident()
    draw = random.Random.random  # the C method, whatever is patched below
    own_method = random.Random.__dict__.get("random")
    module_random = random.random

    def note():
        if threading.get_ident() == tracer and len(draws) < _MAX_RECORDED_READS:
            code = sys._getframe(2).f_code
            draws.append(f"{code.co_filename}:{sys._getframe(2).f_lineno} in {code.co_name}()")

    def recorded_method(self):
        note()
        return draw(self)

    def recorded_function():
        note()
        return module_random()

    random.Random.random, random.random = recorded_method, recorded_function
    try:
        yield draws
    finally:
        random.random = module_random
        if own_method is None:
            del random.Random.random
        else:
            random.Random.random = own_method


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


def trace(fn: Callable, example: Sequence, record_reads: bool):
    """Run ``fn`` on Values made from ``example``; return (outputs, inputs, reads,
    draws): with ``record_reads``, the reads of ``.data`` outside the engine and the
    draws from ``random``, each with its place in the code."""
    inputs: list = []
    args = [_lift(arg, f"arg{i}", inputs) for i, arg in enumerate(example)]
    recorder, draws = None, []
    with _trace_lock:
        if record_reads and not isinstance(Value.__dict__["data"], _DataReadRecorder):
            recorder = _DataReadRecorder(Value.__dict__["data"])
            Value.data = recorder
        try:
            if recorder is not None:
                with _recording_random_draws(draws):
                    result = fn(*args)
            else:
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
    return outputs, inputs, recorder.reads if recorder is not None else [], draws


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
