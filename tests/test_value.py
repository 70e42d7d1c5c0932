"""The Value engine: operators, repr, graph shape, accumulation, depth and memory."""

import gc
import math

import pytest

from autograd import OPS, SCALAR_MATH, Value, local_derivatives, topological_order


def test_operators_with_numbers_on_either_side():
    x = Value(3.0)
    cases = {
        "x + 2": (x + 2, 5.0), "2 + x": (2 + x, 5.0),
        "x - 2": (x - 2, 1.0), "2 - x": (2 - x, -1.0),
        "x * 2": (x * 2, 6.0), "2 * x": (2 * x, 6.0),
        "x / 2": (x / 2, 1.5), "2 / x": (2 / x, 2 / 3),
        "-x": (-x, -3.0), "x ** 2": (x ** 2, 9.0), "2 ** x": (2 ** x, 8.0),
        "x ** Value(2)": (x ** Value(2.0), 9.0),
    }
    for text, (v, expected) in cases.items():
        assert isinstance(v, Value), text
        assert v.data == pytest.approx(expected, rel=1e-15), text


def test_micrograd_style_repr_and_attributes():
    a = Value(2, "a")
    assert repr(a) == "Value(data=2.0, grad=0.0)"
    assert a.label == "a" and a._prev == () and a._op == "" and a.grad == 0.0
    b = a * 3
    assert b._op == "mul" and isinstance(b._prev, tuple) and b._prev[0] is a
    assert b._prev[1].data == 3.0


def test_prev_keeps_operand_order():
    a, b = Value(1.0), Value(2.0)
    assert (a - b)._prev == (a, b)
    assert (b - a)._prev == (b, a)
    assert (a * a)._prev == (a, a)


def test_reused_node_accumulates_both_paths():
    a = Value(-2.0)
    b = Value(3.0)
    d = a * b
    e = a + b
    f = d * e          # df/da = b*e + d = 3*1 + (-6) = -3 ; df/db = a*e + d = -2 - 6 = -8
    f.backward()
    assert a.grad == -3.0 and b.grad == -8.0
    x = Value(3.0)
    y = x + x
    y.backward()
    assert x.grad == 2.0


def test_backward_seeds_one_and_accumulates_across_calls():
    x = Value(2.0)
    y = x * x
    y.backward()
    assert y.grad == 1.0 and x.grad == 4.0
    y.backward()
    assert x.grad == 8.0  # like PyTorch: grads add up until zeroed


def test_chain_100000_deep_has_no_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
    assert len(topological_order(y)) == 1 + 4 * 100_000


def test_graph_makes_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5)
        y = x
        for _ in range(200):
            y = (y * 2.0 + 1.0).tanh().sigmoid() ** 2 / 3.0 - 0.1
        y.backward()
        del x, y
        # Everything above was freed by reference counting; nothing is left for the collector.
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_backward_restores_the_garbage_collector_state():
    x = Value(2.0)
    (x * x).backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * x).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_fast_paths_agree_with_the_table():
    """+ and * skip the table for speed; their forward and derivatives must be the table's."""
    for a, b in [(2.0, -3.0), (0.1, 0.2), (-1e300, 1e-300), (7.5, 0.0)]:
        x, y = Value(a), Value(b)
        for name, out in (("add", x + y), ("mul", x * y)):
            op = OPS[name]
            assert out.data == op.forward(SCALAR_MATH, a, b)
            x.grad = y.grad = 0.0
            out.grad = 0.0
            out.backward()
            expected = [d(SCALAR_MATH, out.data, a, b) for d in op.derivatives]
            assert [x.grad, y.grad] == expected
            assert local_derivatives(out) == expected


def test_methods():
    x = Value(0.5)
    assert x.exp().data == math.exp(0.5)
    assert x.log().data == math.log(0.5)
    assert x.tanh().data == math.tanh(0.5)
    assert x.sigmoid().data == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    assert Value(-2.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0


def test_sigmoid_is_stable_at_extremes():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0
    assert Value(-40.0).sigmoid().data == pytest.approx(math.exp(-40.0), rel=1e-12)


def test_no_grad_records_no_graph_and_restores():
    from autograd import is_grad_enabled, no_grad

    x = Value(3.0)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * x + 1.0).tanh() - x / 2
        assert y._prev == () and y._op == ""
        assert y.data == pytest.approx(math.tanh(10.0) - 1.5)
    assert is_grad_enabled()
    z = x * x
    assert z._prev == (x, x)
    try:
        with no_grad():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert is_grad_enabled()


def test_gc_paused_restores_state_and_promotes_only_when_asked():
    from autograd import gc_paused

    assert gc.isenabled()
    with gc_paused(promote=True):
        assert not gc.isenabled()
        kept = [Value(1.0) * 2.0 for _ in range(2000)]
    assert gc.isenabled()
    assert gc.get_count()[0] < 100  # the new nodes were filed as long-lived, not left young
    assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        with gc_paused(promote=True):
            pass
        assert not gc.isenabled()  # it was off before, so it stays off
    finally:
        gc.enable()
    # A program that froze objects itself keeps them frozen.
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused(promote=True):
            kept.append(Value(2.0) * 3.0)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
