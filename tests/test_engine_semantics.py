"""The engine's contract with its user, checked against PyTorch where PyTorch has one:
repeated backward(), thread-local grad mode, the + and * short paths on hostile
operands, non-finite gradients, and the collector left working for the program."""

import dataclasses
import gc
import math
import threading
import tracemalloc

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from oracles import TORCH_REFERENCE

from autograd import OPS, OpError, OpOverflowError, Value, is_grad_enabled, no_grad
from autograd.ops import register_op, unregister_op
from autograd.strategies import expressions

# --- backward() twice: PyTorch's semantics ------------------------------------------


def test_second_backward_adds_one_more_gradient_into_leaves_only():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    e = a * b
    d = e + a
    d.backward()
    assert (a.grad, b.grad, e.grad, d.grad) == (-2.0, 2.0, 1.0, 1.0)
    d.backward()
    # torch with retain_graph=True gives a.grad = -4, b.grad = 4 (not -7, 6)
    assert (a.grad, b.grad) == (-4.0, 4.0)
    assert (e.grad, d.grad) == (1.0, 1.0)  # inner nodes are recomputed, not accumulated


def _torch_grads(expression, point, calls):
    """Leaves' grads after ``calls`` backward passes, and every step's d(out)/d(step)."""
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    steps = []

    def apply(name, args):
        out = TORCH_REFERENCE[name](*args)
        out.retain_grad()
        steps.append(out)
        return out

    def constant(c):  # a leaf, as our Value(c) is
        return torch.tensor(float(c), dtype=torch.float64, requires_grad=True)

    out = expression.fold(apply, leaves, constant)
    inner = None
    for _ in range(calls):
        out.backward(retain_graph=True)
        if inner is None:  # torch accumulates retained inner grads; ours are recomputed
            inner = [0.0 if s.grad is None else s.grad.item() for s in steps]
    return [0.0 if x.grad is None else x.grad.item() for x in leaves], inner


@given(expressions(max_ops=6), st.integers(2, 3))
def test_repeated_backward_matches_torch_on_random_graphs(case, calls):
    expression, point = case
    leaves = [Value(x, n) for x, n in zip(point, expression.variables)]
    steps = []

    def apply(name, args):
        steps.append(args[0]._apply(name, args))
        return steps[-1]

    out = expression.fold(apply, leaves, Value)
    for _ in range(calls):
        out.backward()
    torch_leaves, torch_inner = _torch_grads(expression, point, calls)
    assert [v.grad for v in leaves] == pytest.approx(torch_leaves, rel=1e-9, abs=1e-12)
    assert [s.grad for s in steps] == pytest.approx(torch_inner, rel=1e-9, abs=1e-12)


def test_a_node_that_was_a_root_is_inner_in_a_larger_graph():
    """h.backward() then (h*h).backward(): h has parents, so it is inner (as in torch)."""
    x, w = Value(0.5, "x"), Value(-1.5, "w")
    h = (x * w).tanh()
    h.backward()
    loss = h * h + w
    loss.backward()
    tx = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(-1.5, dtype=torch.float64, requires_grad=True)
    th = (tx * tw).tanh()
    th.retain_grad()
    th.backward(retain_graph=True)
    (th * th + tw).backward()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)
    assert w.grad == pytest.approx(tw.grad.item(), rel=1e-12)
    assert h.grad == pytest.approx(2 * th.item(), rel=1e-12)  # d loss / d h, this call only


def test_backward_of_a_leaf_adds_one():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0  # torch: x.backward() twice on a leaf gives 2


def test_a_no_grad_result_is_a_leaf_and_accumulates():
    x = Value(2.0)
    with no_grad():
        frozen = x * 3.0
    y = frozen * x
    y.backward()
    y.backward()
    assert frozen._prev == () and frozen.grad == 4.0 and x.grad == 12.0


# --- grad mode belongs to a thread --------------------------------------------------


def _records() -> bool:
    x = Value(1.0)
    return (x * x)._prev == (x, x) and (x + 1.0)._op == "add" and (x - 1.0)._op == "sub"


def test_no_grad_in_one_thread_does_not_stop_another():
    entered, leave = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with no_grad():
            seen["worker"] = (is_grad_enabled(), _records())
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    assert entered.wait(10)
    try:
        assert is_grad_enabled() and _records()  # the worker's no_grad is its own
    finally:
        leave.set()
        thread.join(10)
    assert seen["worker"] == (False, False)


def test_overlapping_no_grad_exits_never_leave_recording_off():
    """A enters, B enters, A exits, B exits: with one process-wide flag B would
    restore A's 'off' and leave recording off for everyone."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with no_grad():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with no_grad():
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert is_grad_enabled() and _records()
    fresh = {}
    t = threading.Thread(target=lambda: fresh.update(ok=is_grad_enabled() and _records()))
    t.start()
    t.join(10)
    assert fresh["ok"]


def test_many_threads_toggling_no_grad_never_disturb_this_one():
    stop = threading.Event()
    errors = []

    def toggler():
        while not stop.is_set():
            with no_grad():
                if _records():
                    errors.append("recorded inside no_grad")

    threads = [threading.Thread(target=toggler) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(2000):
            assert _records()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors
    assert is_grad_enabled()


def test_a_thread_started_inside_no_grad_records():
    result = {}
    with no_grad():
        t = threading.Thread(target=lambda: result.update(ok=_records()))
        t.start()
        t.join(10)
        assert not _records()
    assert result["ok"]  # as in PyTorch: a new thread starts with grad mode on


def test_no_grad_as_a_decorator_and_a_shared_instance_nest_per_thread():
    @no_grad()
    def evaluate(x):
        return x * x, is_grad_enabled()

    x = Value(3.0)
    y, enabled = evaluate(x)
    assert y._prev == () and not enabled and is_grad_enabled()
    shared = no_grad()
    with shared:
        with shared:
            assert not is_grad_enabled()
        assert not is_grad_enabled()  # the inner exit restores the outer block's "off"
    assert is_grad_enabled() and _records()
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(evaluate(Value(1.0))[1]))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False] * 8 and is_grad_enabled()


# --- the + and * short paths agree with the table on hostile operands ----------------

HOSTILE = st.one_of(
    st.sampled_from([math.inf, -math.inf, math.nan, 1e308, -1e308, 1.7976931348623157e308,
                     1e200, -1e200, 1e154, 5e-324, -0.0, 0.0, 1.0]),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _outcome(make):
    try:
        return ("value", make().data)
    except Exception as error:  # the class is what is compared
        return ("error", type(error))


@given(HOSTILE, HOSTILE)
def test_fast_path_and_table_path_agree_on_hostile_operands(a, b):
    x, y = Value(1.0), Value(1.0)
    x.data, y.data = a, b  # how a non-finite number could get in: assigning .data
    for name, fast in (("add", lambda: x + y), ("mul", lambda: x * y)):
        table = _outcome(lambda name=name: x._apply(name, (x, y)))
        assert _outcome(fast) == table
        if table[0] == "value":
            assert math.isfinite(table[1])


@given(st.floats(allow_nan=True, allow_infinity=True), HOSTILE)
def test_operators_with_plain_numbers_agree_with_the_table(a, b):
    x = Value(a) if math.isfinite(a) else None
    if x is None:
        with pytest.raises(OpError, match="finite"):
            Value(a)
        return
    for name, forward, backward in (("add", lambda: x + b, lambda: b + x),
                                    ("mul", lambda: x * b, lambda: b * x)):
        if not math.isfinite(b):
            for make in (forward, backward):
                with pytest.raises(OpError, match="finite"):
                    make()
            continue
        table = _outcome(lambda name=name: x._apply(name, (x, Value(b))))
        assert _outcome(forward) == table == _outcome(backward)


@pytest.mark.parametrize("x", [1e200, -1e200, 1.5e154])
def test_square_by_mul_raises_like_square_by_pow(x):
    v = Value(x)
    with pytest.raises(OpOverflowError) as by_pow:
        v ** 2
    with pytest.raises(OpOverflowError, match=r"mul: .* overflows a float") as by_mul:
        v * v
    assert type(by_pow.value) is type(by_mul.value)


def test_the_issue_example_no_longer_backpropagates_inf():
    with pytest.raises(OpOverflowError, match="mul"):
        (Value(1e308) * 10) * 2


@pytest.fixture(scope="module")
def table_copies_of_add_and_mul():
    """add and mul under other names: backward then takes the table's general path."""
    for name in ("add", "mul"):
        register_op(dataclasses.replace(OPS[name], name=f"{name}_via_table"))
    yield
    for name in ("add", "mul"):
        unregister_op(f"{name}_via_table")


def _build(plan, values, apply):
    nodes = [Value(v, f"x{i}") for i, v in enumerate(values)]
    for name, i, j in plan:
        nodes.append(apply(name, nodes[i % len(nodes)], nodes[j % len(nodes)]))
    return nodes


@given(st.lists(st.tuples(st.sampled_from(["add", "mul"]), st.integers(0, 50),
                          st.integers(0, 50)), min_size=1, max_size=8),
       st.lists(st.builds(math.ldexp, st.floats(-1, 1), st.integers(-700, 700)),
                min_size=1, max_size=4))
def test_backward_short_path_agrees_with_the_table(table_copies_of_add_and_mul, plan, values):
    def run(apply):
        try:
            nodes = _build(plan, values, apply)
        except OpError as error:
            return ("forward error", type(error))
        try:
            nodes[-1].backward()
        except OpError as error:
            return ("backward error", type(error))
        grads = [n.grad for n in nodes]
        assert all(math.isfinite(g) for g in grads)  # never a silent inf or NaN
        return ("grads", grads)

    fast = run(lambda name, a, b: a + b if name == "add" else a * b)
    table = run(lambda name, a, b: a._apply(f"{name}_via_table", (a, b)))
    assert fast == table


# --- non-finite gradients are errors, with the op and its values ---------------------


def test_an_overflowing_gradient_names_the_op_and_values():
    a, b = Value(1e300, "a"), Value(1e-300, "b")
    loss = (a * b) * 1e300  # every value is finite; d loss / d b = a * 1e300 is not
    with pytest.raises(OpOverflowError, match=r"backward: mul: 1e\+300\*1e-300 sends b"):
        loss.backward()


def test_an_overflowing_sum_of_gradients_is_an_error_too():
    a = Value(1e-300, "a")
    loss = a * 1e308 + a * 1e308  # each path's gradient is finite, their sum is not
    with pytest.raises(OpOverflowError, match="sum of its contributions overflows"):
        loss.backward()


# --- gc_paused(promote=True) leaves the program's garbage collectable ----------------


def test_the_programs_cyclic_garbage_is_reclaimed_while_it_calls_the_model():
    from nn import MLP

    model = MLP(2, [8, 8, 1], seed=0)
    x = [Value(0.5), Value(-0.3)]
    alive = [0]

    class Cycle:  # the program's own garbage: a self-referencing object with a payload
        def __init__(self):
            self.me = self
            self.payload = bytearray(10_000)
            alive[0] += 1

        def __del__(self):
            alive[0] -= 1

    assert gc.isenabled()
    tracemalloc.start()
    try:
        for i in range(600):
            Cycle()
            model(x)  # runs gc_paused(promote=True) on every call
            if i == 100:
                base, _ = tracemalloc.get_traced_memory()
        now, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 500 leaked cycles would hold 5 MB; before the fix every one of them was kept
    assert alive[0] <= 10
    assert now - base < 1_000_000


# --- display hooks: autograd shows nothing itself, visualize registers -------------------


def test_autograd_alone_never_imports_visualize():
    import subprocess
    import sys

    code = ("import sys, autograd; v = autograd.Value(2.0) * 3; "
            "print(v._repr_svg_(), v._repr_html_(), 'visualize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["None", "None", "False"]


def test_display_hooks_are_used_and_missing_ones_say_what_to_do(monkeypatch):
    import autograd.display as display_module
    from autograd import register_display_hook

    monkeypatch.setattr(display_module, "_display_hooks", {})
    v = Value(2.0, "v")
    assert v._repr_svg_() is None and v._repr_html_() is None
    with pytest.raises(RuntimeError, match="import visualize"):
        v.stepper()
    register_display_hook("svg", lambda value: f"<svg>{value.label}</svg>")
    register_display_hook("html", lambda value: f"<p>{value.data}</p>")
    register_display_hook("stepper", lambda value, **options: (value, options))
    assert v._repr_svg_() == "<svg>v</svg>" and v._repr_html_() == "<p>2.0</p>"
    assert v.stepper(quiz=True) == (v, {"quiz": True})
    register_display_hook("html", None)
    assert v._repr_html_() is None
    assert v._repr_png_() is None
    register_display_hook("png", lambda value: b"\x89PNG" + value.label.encode())
    assert v._repr_png_() == b"\x89PNGv"
    with pytest.raises(ValueError, match="unknown kind 'gif'"):
        register_display_hook("gif", str)
    with pytest.raises(TypeError, match="must be callable"):
        register_display_hook("svg", "not a function")


def test_importing_visualize_registers_the_svg_display():
    import visualize  # noqa: F401

    x = Value(3.0, "x")
    y = x * x
    y.backward()
    svg = y._repr_svg_()
    assert svg is not None and "<svg" in svg and "grad 6.0000" in svg
