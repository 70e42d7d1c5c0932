"""backward() and autograd.grad() from several threads on one shared model.

The supported use (as in PyTorch): each thread builds its own graph over shared
parameters and calls backward(); every call adds its whole gradient into the shared
leaves.  The oracle is the same calls made one after another in one thread.  A tiny
switch interval makes the threads interleave inside the walk, where the gradients
came out off by up to 22 before the walks took turns.
"""

from __future__ import annotations

import sys
import threading

import pytest

from autograd import Value, grad
from nn import MLP

INPUTS = [[0.1 * i, -0.2 * i, 0.3] for i in range(8)]


@pytest.fixture
def interleaving():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def run_in_threads(calls):
    errors = []

    def guarded(call):
        try:
            call()
        except BaseException as error:  # a thread's error must fail the test, not vanish
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_backward_from_many_threads_on_one_model_adds_every_gradient(interleaving):
    model = MLP(3, [16, 16, 1], seed=0)
    for x in INPUTS:
        ((model(x) - 1.0) ** 2).backward()
    expected = [p.grad for p in model.parameters()]
    for _ in range(10):
        model.zero_grad()
        losses = [(model(x) - 1.0) ** 2 for x in INPUTS]
        run_in_threads([loss.backward for loss in losses])
        got = [p.grad for p in model.parameters()]
        worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(got, expected))
        assert worst < 1e-12, worst


def test_grad_from_many_threads_gives_each_thread_its_own_answer(interleaving):
    model = MLP(3, [8, 1], seed=1)
    params = model.parameters()
    expected = [[g.data for g in grad(model(x), params)] for x in INPUTS]
    results = [None] * len(INPUTS)

    def one(i):
        results[i] = [g.data for g in grad(model(INPUTS[i]), params)]

    for _ in range(10):
        run_in_threads([lambda i=i: one(i) for i in range(len(INPUTS))])
        assert results == expected


def test_one_shared_graph_backward_twice_at_once_is_two_backwards(interleaving):
    x = Value(0.5, "x")
    y = (x * x).tanh() * x
    y.backward()
    once = x.grad
    x.grad = 0.0
    run_in_threads([y.backward, y.backward])
    assert x.grad == pytest.approx(2 * once, rel=1e-15)
