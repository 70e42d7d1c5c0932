"""``compile``: trace ``fn`` once, refuse what a replay could not reproduce, build a Tape.

A replay reproduces the one path that the traced example took.  Two things can
make another example take another path, and both are refused here, before any
batch runs:

* a read of ``.data`` of a value that depends on the inputs or parameters (a
  Python branch on it would be frozen): refused with the file and line, unless
  the caller says the read cannot change the path (``allow_data_reads=True``);
* a draw from Python's ``random`` while tracing (a Dropout in training mode
  called outside ``fit`` draws its mask so): refused with the file and line, every
  time, whatever was drawn.  ``fit`` compiles Dropout by making its masks inputs of
  the tape (``nn.masks``), so nothing is drawn while tracing; without that, ``nn``
  refuses a Dropout in training mode from the module's state before it calls
  ``compile``.  A second trace of the same example is the backstop for other
  random or stateful code (numpy's generators, a counter).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, Union

from ..value import Value
from .errors import TapeTraceError
from .replay import Tape
from .tracing import TracedGraph, nodes_of, signature, structure, trace

__all__ = ["compile"]


def compile(fn: Callable[..., Union[Value, Sequence[Value]]], example: Sequence[Any] = (),
            params: Sequence[Value] = (), *, grouped: bool = True,
            allow_data_reads: bool = False) -> Tape:
    """Trace ``fn(*example)`` once and return a :class:`Tape` that replays it on batches.

    ``example`` holds one example's arguments (numbers or nested lists of numbers;
    each number becomes an input leaf).  ``params`` are the Values that the tape
    reads afresh on each forward and whose gradients it returns; other leaves that
    ``fn`` touches are frozen as constants.

    >>> import random
    >>> from autograd.tape import compile
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
    outputs, inputs, reads, draws = trace(fn, example, record_reads=True, params=params)
    if draws:
        places = sorted(set(draws))
        raise TapeTraceError(
            f"compile: fn draws random numbers (at {', '.join(places[:3])}"
            f"{' ...' if len(places) > 3 else ''}); a tape would freeze one draw for every "
            "row and every batch. Dropout in training mode draws a new mask each call: "
            "call model.eval() before compiling, or train it with fit(compile=True), "
            "which feeds the masks to the tape as inputs.")
    graph = TracedGraph(outputs, inputs, params)

    cache: dict = {}
    hazards = [(value, place) for value, place in reads if graph.depends(value, cache)]
    if hazards and not allow_data_reads:
        places = sorted({place for _, place in hazards})
        raise TapeTraceError(
            f"compile: fn reads .data of a value that depends on the inputs or parameters "
            f"(at {', '.join(places[:5])}{' ...' if len(places) > 5 else ''}). A tape "
            "records the one path that the traced example took and replays it for every "
            "row and every later parameter value, so a branch on .data would be frozen. "
            "Write the branch with a table op (relu, sigmoid, abs, ...), or, if the read "
            "cannot change the path, pass allow_data_reads=True: the tape then checks "
            "itself against the scalar engine on the first batch.")

    again, again_inputs, _, _ = trace(fn, example, record_reads=False)
    if (signature(nodes_of(again), again_inputs, params)
            != signature(graph.nodes, inputs, params)):
        raise TapeTraceError(
            "compile: fn built a different graph when traced twice on the same example, so "
            "it is random or stateful (Dropout in training mode draws a new mask each "
            "call; use model.eval()). A tape would freeze one draw for every row.")

    return Tape(fn, example, params, graph, inputs, [structure(arg) for arg in example],
                grouped=grouped, data_reads=hazards)


compile_tape = compile
