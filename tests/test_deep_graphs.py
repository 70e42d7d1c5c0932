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


# Under WebAssembly (Pyodide) CPython's own freeing of a chain overflows the stack at
# about 3,000 nodes, so there Value.__del__ is autograd.value._let_go_iteratively.  The
# page's test (tests/test_play_browser.py) frees 50,000 there; these check natively,
# with the same __del__ installed, that it frees everything and breaks nothing.

@pytest.fixture
def iterative_free(monkeypatch):
    from autograd import value
    monkeypatch.setattr(Value, "__del__", value._let_go_iteratively, raising=False)
    return value._let_go_iteratively


def _live_values() -> int:
    import gc
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def test_iterative_freeing_frees_a_deep_chain_whole(iterative_free):
    before = _live_values()
    x, y = deep_chain(100_000)
    y.backward()
    assert _live_values() >= before + 100_000
    del y
    assert _live_values() == before + 1  # only x, still held here
    assert x.grad > 0


def test_the_installed_free_is_this_platforms():
    from autograd import value
    installed = Value.__dict__.get("__del__")
    if sys.platform == "emscripten":
        assert installed is value._let_go_iteratively
    else:
        assert installed is None  # natively CPython's trashcan bounds the depth: no cost


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from("+*t")),
                min_size=1, max_size=40),
       st.sets(st.integers(0, 50), max_size=6))
def test_iterative_freeing_leaves_every_held_node_its_whole_graph(steps, held):
    """Build a random graph, keep some inner nodes by name, drop the root: each kept
    node's graph is whole (its backward gives the gradients it gave before)."""
    from autograd import value
    saved = Value.__dict__.get("__del__")
    Value.__del__ = value._let_go_iteratively
    try:
        leaves = [Value(0.5 + 0.1 * k, f"x{k}") for k in range(3)]
        nodes = list(leaves)
        for a, b, op in steps:
            u, v = nodes[a % len(nodes)], nodes[b % len(nodes)]
            nodes.append(u + v if op == "+" else u * v if op == "*" else (u * 0.1).tanh())
        kept = [nodes[len(leaves) + k % len(steps)] for k in held]
        expected = []
        for node in kept:
            for leaf in leaves:
                leaf.grad = 0.0
            node.backward()
            expected.append(([leaf.grad for leaf in leaves], len(topological_order(node))))
        nodes = node = u = v = None  # the root and every node not kept go here
        for node, (grads, size) in zip(kept, expected):
            for leaf in leaves:
                leaf.grad = 0.0
            node.backward()
            assert [leaf.grad for leaf in leaves] == grads
            assert len(topological_order(node)) == size
    finally:
        if saved is None:
            del Value.__del__
        else:
            Value.__del__ = saved
