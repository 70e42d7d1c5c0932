"""compile's second trace: a function that builds another graph when traced again on
the same example (numpy's random numbers, a counter, any hidden state) is refused,
whatever part of the graph changed -- a constant, the wiring or the ops -- and a
deterministic function is not."""

import itertools

import numpy as np
import pytest

from autograd import Value
from autograd.tape import TapeTraceError, compile

w = Value(0.5, "w")


def _refused(fn, example=(1.0, 2.0)):
    with pytest.raises(TapeTraceError, match="different graph when traced twice"):
        compile(fn, example, [w])


def test_numpy_noise_in_a_constant_is_refused():
    rng = np.random.default_rng(0)
    _refused(lambda x, y: w * x + float(rng.normal()) * y)


def test_a_counter_that_changes_the_wiring_is_refused():
    calls = itertools.count()

    def fn(x, y):  # x - y on one call, y - x on the next: same ops, other operands
        a, b = (x, y) if next(calls) % 2 == 0 else (y, x)
        return w * (a - b)

    _refused(fn)


def test_a_counter_that_changes_an_op_is_refused():
    calls = itertools.count()
    _refused(lambda x, y: (w * x).tanh() + y if next(calls) % 2 == 0 else (w * x).exp() + y)


def test_a_counter_that_swaps_a_parameter_for_an_input_is_refused():
    calls = itertools.count()
    v = Value(2.0, "v")

    def fn(x, y):
        return w * x + (v if next(calls) % 2 == 0 else y)

    with pytest.raises(TapeTraceError, match="different graph when traced twice"):
        compile(fn, (1.0, 2.0), [w, v])


def test_a_deterministic_function_compiles_and_replays():
    tape = compile(lambda x, y: (w * x - y).relu() + 0.25 * y, (1.0, 2.0), [w])
    assert tape.forward([4.0, 1.0], [1.0, 2.0]).tolist() == [1.0 + 0.25, 0.5]
