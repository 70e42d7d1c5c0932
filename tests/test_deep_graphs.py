"""Copying, pickling and freeing graphs far deeper than Python's recursion limit.

Python's defaults follow ``_prev`` recursively: ``copy.deepcopy`` and ``pickle`` of a
50,000-deep chain raised RecursionError.  The oracle is the original graph: the copy
must hold the same numbers, labels and ops, and backward() through it must give the
same gradients.
"""

from __future__ import annotations

import copy
import pickle
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from autograd.graph import topological_order
from nn import MLP

DEPTH = 50_000


def deep_chain(depth: int = DEPTH) -> tuple[Value, Value]:
    x = Value(0.5, "x")
    y = x
    for i in range(depth):
        y = y * 1.0000001 if i % 2 else y + 0.25
    return x, y


def same_graph(a: Value, b: Value) -> None:
    left, right = topological_order(a), topological_order(b)
    assert len(left) == len(right)
    for p, q in zip(left, right):
        assert (p.data, p.grad, p.label, p._op, len(p._prev)) == \
               (q.data, q.grad, q.label, q._op, len(q._prev))
        assert p is not q


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_graph_deeper_than_the_recursion_limit_copies(how):
    assert DEPTH > 20 * sys.getrecursionlimit()
    x, y = deep_chain()
    y.grad = 0.0
    copied = copy.deepcopy(y) if how == "deepcopy" else pickle.loads(pickle.dumps(y))
    same_graph(y, copied)
    y.backward()
    copied.backward()
    leaf = topological_order(copied)[0]
    assert leaf.label == "x" and leaf is not x
    assert leaf.grad == x.grad


def test_deepcopy_keeps_what_is_shared_shared():
    x = Value(2.0, "x")
    a = x * x
    b = a + x
    x2, a2, b2 = copy.deepcopy([x, a, b])
    assert a2._prev == (x2, x2) and b2._prev == (a2, x2)
    assert x2 is not x and a2 is not a


def test_pickle_keeps_the_leaves_shared():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    out = (x * w).tanh()
    x2, w2, out2 = pickle.loads(pickle.dumps((x, w, out)))
    out2.backward()
    assert (x2.grad, w2.grad) != (0.0, 0.0)
    out.backward()
    assert (x2.grad, w2.grad) == (x.grad, w.grad)


def test_copy_is_shallow_over_the_same_parents():
    x = Value(2.0, "x")
    y = x * 3.0
    z = copy.copy(y)
    assert z is not y and z._prev == y._prev and z.data == y.data and z._op == y._op


@given(st.integers(0, 3), st.booleans())
def test_a_copied_model_trains_like_the_original(seed, through_pickle):
    model = MLP(2, [3, 1], seed=seed)
    twin = pickle.loads(pickle.dumps(model)) if through_pickle else copy.deepcopy(model)
    for m in (model, twin):
        ((m([0.5, -1.0]) - 1.0) ** 2).backward()
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]
    assert all(p is not q for p, q in zip(model.parameters(), twin.parameters()))


def test_a_deep_graph_frees_in_a_thread_with_a_small_stack():
    import threading

    done = []

    def build_and_free():
        _, y = deep_chain(100_000)
        del y
        done.append(True)

    old = threading.stack_size(512 * 1024)
    try:
        thread = threading.Thread(target=build_and_free)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    assert done == [True]
