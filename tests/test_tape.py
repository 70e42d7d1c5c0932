"""The compiled tape against the scalar engine (and PyTorch float64).

Property: for every model and expression hypothesis can build, and every batch,
replaying the traced per-example graph over the batch gives the same per-row
outputs and the same parameter gradients (summed over the batch) as running
the scalar engine row by row, to 1e-12 relative (both are float64 with the same
rules; only the order of additions differs).  The scalar engine shares no code
with the numpy replay apart from the ops table's formulas, and PyTorch shares
nothing, so both are independent oracles.  Speed is not tested here: see
benchmarks/tape_step.py.
"""

import math
import random

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import OPS, OpDomainError, OpError, OpOverflowError, Value
from autograd.ops import activation_ops
from autograd.strategies import expressions
from autograd.tape import TapeMismatchError, TapeTraceError, compile
from autograd.tape.plan import GroupedPlan
from nn import MLP
from nn.losses import hinge_example, l2_penalty, mse_example
from nn.strategies import mlps

TOLERANCE = 1e-12
MODES = [pytest.param(True, id="grouped"), pytest.param(False, id="interpreter")]


def assert_close(got, want, what):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = np.maximum(1.0, np.abs(want))
    error = np.max(np.abs(got - want) / scale) if got.size else 0.0
    assert error <= TOLERANCE, f"{what}: relative error {error:.3g}\n{got}\n{want}"


def scalar_engine(fn, rows, params):
    """Per-row outputs and batch-summed param grads (and input grads), row by row."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    outputs, input_grads = [], []
    for row in rows:
        leaves = [[Value(v) for v in arg] if isinstance(arg, list) else Value(arg)
                  for arg in row]
        out = fn(*leaves)
        out.backward()
        outputs.append(out.data)
        input_grads.append([[v.grad for v in leaf] if isinstance(leaf, list) else leaf.grad
                            for leaf in leaves])
    grads = [p.grad for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return np.array(outputs), np.array(grads), input_grads


def moons_batch(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.where(rng.random(n) > 0.5, 1.0, -1.0)
    return X, y


# --- the property tests -----------------------------------------------------------------


@given(case=mlps(activations=["relu", "tanh", "sigmoid", "linear"], max_hidden_layers=3,
                 max_width=5, smooth=False),
       batch=st.integers(1, 7), seed=st.integers(0, 2**16), loss=st.sampled_from(["hinge", "mse"]),
       grouped=st.booleans())
@settings(max_examples=40)
def test_mlp_gradients_equal_the_scalar_engines(case, batch, seed, loss, grouped):
    model, params = case.model, case.model.parameters()
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(batch, len(case.inputs)))
    y = rng.choice([-1.0, 1.0], size=batch)
    example = hinge_example if loss == "hinge" else mse_example

    def fn(x, t):
        return example(model(x), t)

    tape = compile(fn, (X[0].tolist(), y[0]), params, grouped=grouped)
    out = tape.forward(X, y)
    grads = tape.gradients()
    want_out, want_grads, want_inputs = scalar_engine(
        fn, [(x, t) for x, t in zip(X.tolist(), y.tolist())], params)
    assert_close(out, want_out, "outputs")
    assert_close(grads, want_grads, "parameter gradients")
    grad_x, grad_y = tape.input_gradients()
    assert_close(grad_x, [g[0] for g in want_inputs], "input gradients")
    assert_close(grad_y, [g[1] for g in want_inputs], "target gradients")


@given(case=expressions(max_ops=10, max_variables=3), n_params=st.integers(0, 3),
       offsets=st.lists(st.floats(-1e-3, 1e-3), min_size=0, max_size=5),
       mode=st.sampled_from(["grouped", "interpreter", "grouped without fusion"]))
@settings(max_examples=60)
def test_expression_gradients_equal_the_scalar_engines(case, n_params, offsets, mode):
    """Every op of the table, shared subexpressions, constants; params broadcast."""
    expression, point = case
    n_params = min(n_params, len(point))
    params = [Value(x, f"p{i}") for i, x in enumerate(point[:n_params])]
    inputs = list(point[n_params:])

    def fn(*xs):
        return expression(*params, *xs)

    # rows near the drawn point, kept only where the scalar engine can compute them
    rows = [tuple(inputs)]
    for offset in offsets:
        row = tuple(x + offset * (i + 1) for i, x in enumerate(inputs))
        try:
            value = fn(*(Value(x) for x in row)).data
        except (OpError, ArithmeticError):
            continue
        if math.isfinite(value) and abs(value) < 1e6:
            rows.append(row)
    if not inputs:  # a function of the parameters alone is one row
        rows = rows[:1]
    try:
        want_out, want_grads, want_inputs = scalar_engine(fn, rows, params)
    except (OpError, ArithmeticError):
        assume(False)
    tape = compile(fn, rows[0], params, grouped=mode != "interpreter")
    if mode == "grouped without fusion":
        tape.engine = GroupedPlan(tape.graph, fuse=False)
    batch = [np.array([row[i] for row in rows]) for i in range(len(inputs))]
    out = tape.forward(*batch)
    assert_close(out, want_out, f"outputs of {expression.formula()}")
    assert_close(tape.gradients(), want_grads, f"parameter gradients of {expression.formula()}")
    for i, got in enumerate(tape.input_gradients()):
        assert_close(got, [g[i] for g in want_inputs], f"input {i} of {expression.formula()}")


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("grouped", MODES)
def test_every_op_of_the_table_replays(name, grouped):
    """Each op, read from the table (including ops added later), on a batch inside
    every op's domain: operands in [0.5, 1.5]; an operand without a derivative is
    a constant (the n of x ** n)."""
    op = OPS[name]
    w = Value(0.75, "w")

    def fn(x, y):
        a, b = w * x + 0.5, y * 0.5 + w  # in [0.5, 1.5] for x, y in [0, 1]
        operands = [Value(1.25) if rule is None else v
                    for rule, v in zip(op.derivatives, (a, b, a + b))]
        return Value._apply(operands[0], name, tuple(operands[:op.arity])) * x

    rng = np.random.default_rng(7)
    rows = [tuple(r) for r in rng.uniform(0.0, 1.0, size=(9, 2)).tolist()]
    want_out, want_grads, want_inputs = scalar_engine(fn, rows, [w])
    tape = compile(fn, rows[0], [w], grouped=grouped)
    assert_close(tape.forward(*np.array(rows).T), want_out, f"{name} outputs")
    assert_close(tape.gradients(), want_grads, f"{name} gradients")


# --- the demo training step ------------------------------------------------------------


def test_demo_steps_match_the_scalar_engine_and_torch():
    """Three SGD steps of micrograd's demo (hinge mean + 1e-4 L2): the tape (per-example
    tape with weights 1/N, plus a parameter-only tape for L2) against the scalar engine's
    whole-batch graph, and the first step's gradients against PyTorch float64."""
    X, y = moons_batch(40, seed=3)
    random.seed(1337)
    model_tape, model_ref = MLP(2, [8, 8, 1]), None
    random.seed(1337)
    model_ref = MLP(2, [8, 8, 1])
    params, ref_params = model_tape.parameters(), model_ref.parameters()
    tape = compile(lambda x, t: hinge_example(model_tape(x), t), (X[0].tolist(), y[0]), params)
    reg = compile(lambda: l2_penalty(params, 1e-4), (), params)
    first_grads = None
    for k in range(3):
        for p in params:
            p.grad = 0.0
        losses = tape.forward(X, y)
        tape.backward(weights=1.0 / len(X))
        total = losses.mean() + reg.forward()[0]
        reg.backward()

        scores = [model_ref([Value(a) for a in row]) for row in X.tolist()]
        data_loss = sum((1 + -t * s).relu() for t, s in zip(y.tolist(), scores)) * (1.0 / len(X))
        ref_total = data_loss + l2_penalty(ref_params, 1e-4)
        model_ref.zero_grad()
        ref_total.backward()
        assert_close(total, ref_total.data, f"loss at step {k}")
        assert_close([p.grad for p in params], [p.grad for p in ref_params], f"grads at step {k}")
        if first_grads is None:
            first_grads = [p.grad for p in params]
        lr = 1.0 - 0.9 * k / 100
        for p, q in zip(params, ref_params):
            p.data -= lr * p.grad
            q.data -= lr * q.grad

    torch = pytest.importorskip("torch")
    random.seed(1337)
    model = MLP(2, [8, 8, 1])
    weights = [torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                            requires_grad=True) for layer in model.layers]
    biases = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                           requires_grad=True) for layer in model.layers]
    h = torch.tensor(X)
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W.T + b
        if i < len(weights) - 1:
            h = torch.relu(h)
    loss = torch.relu(1 - torch.tensor(y) * h[:, 0]).mean()
    loss = loss + 1e-4 * sum((W * W).sum() + (b * b).sum() for W, b in zip(weights, biases))
    loss.backward()
    torch_grads = [g for W, b in zip(weights, biases)
                   for row, bias in zip(W.grad.tolist(), b.grad.tolist()) for g in row + [bias]]
    np.testing.assert_allclose(first_grads, torch_grads, rtol=1e-12, atol=1e-14)


def test_parameters_are_read_afresh_and_batches_may_change_size():
    X, y = moons_batch(12, seed=1)
    random.seed(0)
    model = MLP(2, [4, 1], activation="tanh")
    params = model.parameters()

    def fn(x, t):
        return mse_example(model(x), t)

    tape = compile(fn, (X[0].tolist(), y[0]), params)
    for size in (12, 5, 12, 1):
        for p in params:
            p.data += 0.01
        got_out, got = tape.forward(X[:size], y[:size]), tape.gradients()
        want_out, want, _ = scalar_engine(fn, list(zip(X[:size].tolist(), y[:size].tolist())),
                                          params)
        assert_close(got_out, want_out, f"outputs, batch of {size}")
        assert_close(got, want, f"gradients, batch of {size}")


def test_backward_accumulates_weighted_gradients_into_grad():
    w = Value(2.0, "w")
    tape = compile(lambda x: w * x * x, (1.0,), [w])
    tape.forward([1.0, 2.0, 3.0])
    tape.backward()                       # sum of x**2 = 14
    tape.backward(weights=1.0 / 3)        # mean, added on top
    tape.backward(weights=[1.0, 0.0, -1.0])
    assert w.grad == pytest.approx(14 + 14 / 3 - 8)


def test_several_outputs_take_weights_per_row_and_output():
    w = Value(3.0, "w")
    tape = compile(lambda x: [w * x, (w * x).tanh()], (0.5,), [w])
    out = tape.forward([0.5, -1.0])
    assert out.shape == (2, 2)
    assert_close(out[:, 1], np.tanh(out[:, 0]), "second output")
    grads = tape.gradients(weights=[[1.0, 0.0], [1.0, 0.0]])   # only the first output
    assert_close(grads, [0.5 - 1.0], "gradient of the first output")


def test_a_function_of_the_parameters_alone_is_one_row():
    params = [Value(v) for v in (0.5, -2.0, 3.0)]
    tape = compile(lambda: l2_penalty(params, 0.1), (), params)
    assert_close(tape.forward(), [0.1 * (0.25 + 4 + 9)], "L2 penalty")
    assert_close(tape.gradients(), [0.1, -0.4, 0.6], "L2 gradients")


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("grouped", MODES)
def test_log_of_a_non_positive_row_names_op_value_and_row(grouped):
    tape = compile(lambda x: (x - 1.0).log(), (2.0,), grouped=grouped)
    with pytest.raises(OpDomainError, match=r"log\(\) of -0\.5 .*batch row 2"):
        tape.forward([2.0, 3.0, 0.5, 4.0])


@pytest.mark.parametrize("grouped", MODES)
def test_division_by_zero_and_overflow_are_reported_per_row(grouped):
    w = Value(1.0, "w")
    tape = compile(lambda x: w / (x - 1.0), (2.0,), [w], grouped=grouped)
    with pytest.raises(ZeroDivisionError, match=r"divisor is zero.*batch row 1"):
        tape.forward([2.0, 1.0])
    tape = compile(lambda x: (x * w).exp(), (2.0,), [w], grouped=grouped)
    with pytest.raises(OpOverflowError, match=r"exp\(\) of 800\.0 overflows.*batch row 1"):
        tape.forward([2.0, 800.0])


@pytest.mark.parametrize("grouped", MODES)
def test_a_derivative_that_is_infinite_is_reported_by_backward(grouped):
    w = Value(1.0, "w")
    tape = compile(lambda x: (x * w) ** 0.5, (4.0,), [w], grouped=grouped)
    assert_close(tape.forward([4.0, 0.0]), [2.0, 0.0], "square roots")
    with pytest.raises(OpError, match=r"derivative .* is inf at batch row 1"):
        tape.gradients()


def test_bad_batches_and_inputs_are_explained():
    tape = compile(lambda x, y: x[0] * y, ([1.0, 2.0], 3.0))
    with pytest.raises(ValueError, match="batch argument 0 has shape"):
        tape.forward([[1.0, 2.0, 3.0]], [1.0])
    with pytest.raises(TypeError, match="takes 2 batch arrays"):
        tape.forward([[1.0, 2.0]])
    with pytest.raises(OpDomainError, match=r"input arg0\[1\] is nan at batch row 1"):
        tape.forward([[1.0, 2.0], [1.0, float("nan")]], [1.0, 2.0])
    with pytest.raises(RuntimeError, match="call tape.forward"):
        compile(lambda x: x * 2, (1.0,)).gradients()
    with pytest.raises(TypeError, match="example input arg0 is 'a'"):
        compile(lambda x: x, ("a",))
    with pytest.raises(TypeError, match="not a Value"):
        compile(lambda x: 3.0, (1.0,))


# --- what tracing cannot see --------------------------------------------------------------


def leaky(x):
    return x if x.data > 0 else x * 0.01  # a Python branch on .data


def test_a_branch_on_data_is_refused_with_the_line():
    w = Value(0.5)
    with pytest.raises(TapeTraceError, match=r"reads \.data .*test_tape\.py:\d+ in leaky\(\)"):
        compile(lambda x: leaky(w * x), (1.0,), [w])


def test_allowed_reads_are_verified_against_the_scalar_engine():
    w = Value(0.5)
    tape = compile(lambda x: leaky(w * x), (1.0,), [w], allow_data_reads=True)
    with pytest.raises(TapeMismatchError, match="leaky"):
        tape.forward([1.0, -2.0, 3.0])
    # a read that cannot change the path (a shift for stability) passes the check
    shifted = compile(lambda x: (w * x - (w * x).data).exp() * math.exp((w * x).data),
                      (1.0,), [w], allow_data_reads=True)
    assert_close(shifted.forward([1.0, -2.0]), np.exp([0.5, -1.0]), "shifted exp")


@pytest.mark.parametrize("seed", range(20))
def test_dropout_is_refused_whatever_the_draws(seed):
    # p = 0.01 keeps every unit on most draws, so two traces usually agree: a check
    # that compared traces would let it through; counting the draws never does.
    model = MLP(2, [8, 1], dropout=0.01, seed=seed)
    with pytest.raises(TapeTraceError, match=r"draws random numbers \(at .*modules\.py"):
        compile(lambda x: model(x), ([1.0, 2.0],), model.parameters())
    model.eval()
    compile(lambda x: model(x), ([1.0, 2.0],), model.parameters())


def test_tracing_leaves_pythons_random_as_it_was_and_other_threads_alone():
    import threading

    method, function = random.Random.__dict__.get("random"), random.random
    drawn_elsewhere = []
    started, finish = threading.Event(), threading.Event()

    def other_thread():
        started.set()
        finish.wait(5)
        drawn_elsewhere.append(random.random())

    def fn(x):  # another thread draws while this one traces: not this fn's draw
        finish.set()
        worker.join(5)
        return x * 2.0

    worker = threading.Thread(target=other_thread)
    worker.start()
    started.wait(5)
    compile(fn, (1.0,))
    assert drawn_elsewhere and 0.0 <= drawn_elsewhere[0] < 1.0
    assert random.Random.__dict__.get("random") is method and random.random is function
    random.seed(3)
    first = random.random()
    random.seed(3)
    assert random.Random(3).random() == first == random.random()



def test_tracing_changes_nothing_class_wide_or_process_wide():
    """While one thread traces, every other thread (and this one, outside the traced
    values) sees the class Value, Python's random and the profile hook as they were:
    the trace records through its own values (TracedValue, for the trace's length)
    and this thread's profile function, not by patching classes or modules."""
    import sys
    import threading

    before = (Value.__dict__["data"], random.random, random.Random.__dict__.get("random"),
              sys.getprofile())
    seen = {}

    def look(key):  # (compile traces twice: the first trace is the one that records)
        if key not in seen:
            product = Value(1.5) * 2.0
            seen[key] = (Value.__dict__["data"], random.random,
                         random.Random.__dict__.get("random"), sys.getprofile(), type(product))

    w = Value(0.5, "w")

    def fn(x):
        worker = threading.Thread(target=look, args=("other thread",))
        worker.start()
        worker.join(5)
        look("tracing thread")
        seen.setdefault("traced", (type(x), type(w), type(w * x), type(Value(2.0) * 3.0)))
        return w * x

    tape = compile(fn, (1.0,), [w])
    other_data, other_random, other_method, other_profile, other_type = seen["other thread"]
    assert (other_data, other_random, other_method, other_profile) == before
    assert other_type is Value
    assert seen["tracing thread"][:3] == before[:3] and seen["tracing thread"][4] is Value
    # the traced values are the only ones that record, and only while tracing
    *traced, untraced = seen["traced"]  # x, w and w * x record; a constant's product not
    assert all(issubclass(kind, Value) and kind is not Value for kind in traced)
    assert untraced is Value
    assert type(w) is Value and all(type(node) is Value for node in tape.graph.nodes)
    assert sys.getprofile() is before[3]


def test_another_threads_reads_and_draws_during_a_trace_are_not_the_traced_fns():
    import threading

    from autograd import grad

    w = Value(0.5, "w")
    read = []

    def other_thread():  # reads the parameter being traced, draws, takes a gradient
        v = Value(3.0)
        read.append((w * 2.0).data + w.data + random.random() + grad(v * v, [v])[0].data)

    def fn(x):
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join(5)
        return w * x

    tape = compile(fn, (1.0,), [w])  # neither the read nor the draw is fn's
    assert read and tape.data_reads == []


def test_a_draw_is_placed_at_the_line_that_asked_for_it():
    rng = random.Random(0)
    with pytest.raises(TapeTraceError, match=r"draws random numbers \(at .*test_tape\.py:\d+ "
                                             r"in noisy\(\)"):
        def noisy(x):
            return x * rng.uniform(0.9, 1.1)  # uniform() draws inside random.py

        compile(noisy, (1.0,))


def test_under_a_profiler_draws_are_still_refused_and_the_profiler_kept():
    import cProfile
    import sys

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        with pytest.raises(TapeTraceError, match="draws random numbers .*a profiler was running"):
            compile(lambda x: x * random.random(), (1.0,))
        kept = sys.getprofile()
        compile(lambda x: x * 2.0, (1.0,))  # and no draw, no refusal
    finally:
        profiler.disable()
    assert kept is profiler


def test_complex_text_none_and_bool_batches_are_refused_not_cast():
    w = Value(1.5, "w")
    tape = compile(lambda x: w * x, (1.0,), [w])
    for batch in ([1 + 2j, 2.0], np.array([1.0 + 0j, 2.0]), np.array([1, 2], dtype=object) * 1j):
        with pytest.raises(TypeError, match="complex numbers.*real part"):
            tape.forward(batch)
    with pytest.raises(TypeError, match="text, not a number"):
        tape.forward(["1.0", "x"])
    with pytest.raises(TypeError, match="complex"):
        compile(lambda x: w * x, (1 + 1j,), [w])
    for batch in (np.array([True, False]), np.array([None, 1.0], dtype=object),
                  [1.0, None], np.array([1.0, True], dtype=object)):
        with pytest.raises(TypeError, match="not numbers; drop or impute"):
            tape.forward(batch)
    with pytest.raises(ValueError, match=r"shape \(2, 1\); expected shape \(2,\), one number"):
        tape.forward(np.ones((2, 1)))
    pair = compile(lambda x: w * x[0] + x[1], ([1.0, 2.0],), [w])
    with pytest.raises(ValueError, match=r"shape \(3,\); expected shape \(3, 2\), 2 numbers"):
        pair.forward(np.ones(3))
    with pytest.raises(OpDomainError, match="input arg0 is nan at batch row 1"):
        tape.forward([1.0, float("nan")])
    with pytest.raises(OpDomainError, match="input arg0 is inf at batch row 0"):
        tape.forward(np.array([np.inf, 1.0]))


def test_an_overflowing_weighted_sum_is_reported_with_its_row():
    w = Value(1e300, "w")
    tape = compile(lambda x: w * x[0] + w * x[1], ([1.0, 1.0],), [w])
    with pytest.raises(OpOverflowError, match="batch row 1"):
        tape.forward([[1.0, 1.0], [1e10, 1e10]])


# --- fit(..., compile=True) ---------------------------------------------------------------


@pytest.mark.parametrize("loss, optimizer, classes", [("hinge", "sgd", 2),
                                                       ("cross_entropy", "adam", 3),
                                                       ("mse", "momentum", 0)])
def test_fit_on_the_tape_follows_the_scalar_engine(loss, optimizer, classes):
    """Same seed, same batches: the compiled fit's losses and final weights are the
    scalar fit's, to rounding (which Adam may amplify a little over 12 steps)."""
    from nn import fit
    from nn.data import make_moons

    X, labels = make_moons(36, noise=0.2, seed=4)
    if classes == 3:
        labels = [(i % 3) for i in range(len(X))]
    y = labels if classes else [x[0] - 0.5 * x[1] for x in X]
    n_out = 3 if classes == 3 else 1
    runs = []
    for compiled in (False, True):
        model = MLP(2, [6, 6, n_out], init="he", seed=2)
        history = fit(model, X, y, loss=loss, optimizer=optimizer, epochs=3, batch_size=10,
                      l2=1e-3, seed=5, progress=False, compile=compiled)
        runs.append((history.train_loss, [p.data for p in model.parameters()]))
    (loss_a, params_a), (loss_b, params_b) = runs
    np.testing.assert_allclose(loss_b, loss_a, rtol=1e-9)
    np.testing.assert_allclose(params_b, params_a, rtol=1e-9, atol=1e-12)


KNOBS = {  # every training knob that the compiled run has an array form of
    "nesterov+l1+clip_norm": dict(optimizer="nesterov", lr=0.05, l1=1e-3, clip_norm=0.5),
    "adamw+l2+clip_value+step_lr": dict(optimizer="adamw", lr=0.01, weight_decay=0.05, l2=1e-3,
                                        clip_value=0.2, scheduler="step"),
    "adam+wd+l1+l2+cosine": dict(optimizer="adam", lr=0.02, weight_decay=0.01, l1=1e-3,
                                 l2=1e-3, scheduler="cosine"),
    "sgd+wd": dict(optimizer="sgd", lr=0.1, weight_decay=0.01),
}


@pytest.mark.parametrize("loss", ["cross_entropy", "multi_margin", "bce_or_hinge"])
@pytest.mark.parametrize("knobs", sorted(KNOBS))
def test_compiled_fit_on_a_parameter_vector_follows_the_scalar_fit(knobs, loss):
    """Optimizers, weight decay, L1/L2, clipping and schedules in their array forms:
    the same losses per epoch and the same final weights as the scalar engine."""
    from nn import fit
    from nn.data import make_moons
    from nn.optim import CosineAnnealingLR, StepLR

    X, labels = make_moons(40, noise=0.2, seed=4)
    n_out = 1 if loss == "bce_or_hinge" else 3
    if loss == "bce_or_hinge":
        loss = "bce"  # BCE with logits: softplus, a table op, so it compiles
    else:
        labels = [(i % 3) for i in range(len(X))]
    settings = dict(KNOBS[knobs])
    schedule = settings.pop("scheduler", None)
    if schedule:
        settings["scheduler"] = ((lambda o: StepLR(o, 1, 0.5)) if schedule == "step"
                                 else (lambda o: CosineAnnealingLR(o, 3)))
    runs = []
    for compiled in (False, True):
        model = MLP(2, [6, 6, n_out], init="he", seed=2)
        seen = []
        history = fit(model, X, labels, loss=loss, epochs=3, batch_size=8, seed=5,
                      progress=False, compile=compiled,
                      on_epoch=lambda r, m=model, s=seen: s.append([p.data for p in
                                                                     m.parameters()]),
                      **settings)
        runs.append((history, seen, [p.data for p in model.parameters()]))
    (h_a, seen_a, params_a), (h_b, seen_b, params_b) = runs
    np.testing.assert_allclose(h_b.train_loss, h_a.train_loss, rtol=1e-9)
    np.testing.assert_allclose(h_b.grad_norms, h_a.grad_norms, rtol=1e-9)
    assert h_b.train_accuracy == h_a.train_accuracy and h_b.lr == h_a.lr
    np.testing.assert_allclose(seen_b, seen_a, rtol=1e-9, atol=1e-12)  # synced for on_epoch
    np.testing.assert_allclose(params_b, params_a, rtol=1e-9, atol=1e-12)
    assert max(abs(a - b) for a, b in zip(params_a, seen_a[0])) > 1e-3  # training moved


@pytest.mark.parametrize("activation", ["linear", *activation_ops()])  # every activation row
@pytest.mark.parametrize("loss", ["cross_entropy", "multi_margin", "bce", "hinge", "mse"])
def test_every_loss_and_activation_of_nn_compiles_and_follows_the_scalar_fit(loss, activation):
    from nn import ACTIVATIONS, fit
    from nn.data import make_moons
    from nn.losses import LOSSES

    assert {"cross_entropy", "multi_margin", "bce", "hinge", "mse"} >= set(LOSSES), (
        "a loss was added to nn: add it to this test")
    assert set(ACTIVATIONS) == {"linear", *activation_ops()}
    X, y = make_moons(24, noise=0.2, seed=1)
    n_out = 2 if LOSSES[loss].multi_output else 1
    y = [float(t) for t in y] if loss == "mse" else y
    runs = []
    for compiled in (False, True):
        model = MLP(2, [5, n_out], activation=activation, output_activation="linear",
                    init="he", seed=3)
        history = fit(model, X, y, loss=loss, epochs=2, batch_size=8, seed=1, l1=1e-3,
                      progress=False, compile=compiled)
        runs.append((history.train_loss, [p.data for p in model.parameters()]))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-9)
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-9, atol=1e-12)


def test_compiled_divergence_and_early_stopping_keep_what_the_scalar_fit_keeps():
    """The parameter vector is written back on divergence and on early-stopping
    restore: the model ends with the scalar fit's parameters, at the same epoch/batch."""
    from nn import TrainingDivergedError, fit
    from nn.data import make_moons
    from nn.optim import SGD

    X, y = make_moons(40, seed=0)
    kept = []
    for compiled in (False, True):
        model = MLP(2, [8, 8, 2], init="he", seed=0)
        with pytest.raises(TrainingDivergedError) as info:
            fit(model, X, y, optimizer=SGD(model.parameters(), lr=1e140), epochs=5,
                batch_size=8, loss="mse", progress=False, compile=compiled)
        kept.append(((info.value.epoch, info.value.batch),
                     [p.data for p in model.parameters()]))
    assert kept[0][0] == kept[1][0] and kept[0][0] > (1, 1)
    np.testing.assert_allclose(kept[1][1], kept[0][1], rtol=1e-9)

    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(80)]
    y = [rng.randrange(2) for _ in X]
    runs = []
    for compiled in (False, True):
        model = MLP(2, [16, 2], init="he", seed=0)
        history = fit(model, X[:60], y[:60], lr=0.05, epochs=40, batch_size=10,
                      validation_data=(X[60:], y[60:]), early_stopping=3, progress=False,
                      compile=compiled)
        runs.append((history.best_epoch, len(history.epochs),
                     [p.data for p in model.parameters()]))
    assert runs[0][:2] == runs[1][:2] and runs[0][1] < 40  # it did stop early
    np.testing.assert_allclose(runs[1][2], runs[0][2], rtol=1e-9, atol=1e-12)


def _parameter_touches(model, run) -> int:
    """How many times ``run()`` reads or writes .data or .grad of a model parameter."""
    params = {id(p) for p in model.parameters()}
    touched = [0]
    slots = {name: Value.__dict__[name] for name in ("data", "grad")}

    class Counting:
        def __init__(self, slot):
            self.slot = slot

        def __get__(self, obj, owner=None):
            if obj is not None and id(obj) in params:
                touched[0] += 1
            return self.slot.__get__(obj, owner)

        def __set__(self, obj, value):
            if id(obj) in params:
                touched[0] += 1
            self.slot.__set__(obj, value)

    try:
        for name, slot in slots.items():
            setattr(Value, name, Counting(slot))
        run()
    finally:
        for name, slot in slots.items():
            setattr(Value, name, slot)
    return touched[0]


def test_the_compiled_batch_loop_touches_no_parameter_value():
    """Reads and writes of a parameter's .data or .grad happen per epoch (to sync),
    never per batch: 4x the batches, the same count."""
    from nn import fit
    from nn.data import make_moons

    counts = []
    for n_rows in (40, 160):
        X, y = make_moons(n_rows, noise=0.2, seed=4)
        model = MLP(2, [8, 2], init="he", seed=2)
        counts.append(_parameter_touches(model, lambda m=model, X=X, y=y: fit(
            m, X, y, loss="cross_entropy", epochs=2, batch_size=8, progress=False,
            compile=True)))
    assert counts[0] == counts[1] > 0, counts


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("loss", ["cross_entropy", "multi_margin", "mse"])
def test_compiled_fit_with_training_dropout_follows_the_scalar_fit(loss, seed):
    """Dropout in training mode compiles: its masks are tape inputs drawn from fit's
    seeded source, and the scalar engine draws the same ones, so the two engines end
    with the same losses and weights (the oracle is the scalar engine)."""
    from nn import fit
    from nn.data import make_moons
    from nn.optim import SGD

    X, y = make_moons(30, noise=0.2, seed=seed)
    y = [float(t) for t in y] if loss == "mse" else y
    n_out = 1 if loss == "mse" else 2
    runs = {}
    # adam takes the array path (ArrayStep); an SGD object steps the Values (CompiledStep)
    for optimizer in ("adam", "sgd object"):
        for compiled in (False, True):
            model = MLP(2, [6, 5, n_out], init="he", dropout=0.3, seed=3)
            chosen = SGD(model.parameters(), lr=0.05) if optimizer == "sgd object" else "adam"
            history = fit(model, X, y, loss=loss, optimizer=chosen, epochs=3, batch_size=8,
                          seed=seed, progress=False, compile=compiled)
            assert model.dropout.masks is None  # fit leaves the module as it found it
            runs[optimizer, compiled] = (history.train_loss,
                                         [p.data for p in model.parameters()])
        scalar, tape = runs[optimizer, False], runs[optimizer, True]
        np.testing.assert_allclose(tape[0], scalar[0], rtol=1e-9)
        np.testing.assert_allclose(tape[1], scalar[1], rtol=1e-9, atol=1e-12)
    without = MLP(2, [6, 5, n_out], init="he", seed=3)
    history = fit(without, X, y, loss=loss, epochs=3, batch_size=8, seed=seed,
                  progress=False, compile=True)
    assert history.train_loss != runs["adam", True][0]  # the masks did drop something


def test_both_engines_draw_the_same_masks_new_for_every_batch_and_seed(monkeypatch):
    from nn import fit
    from nn.data import make_moons
    from nn.masks import DropoutMasks

    taken, drawn = [], []
    take, draw = DropoutMasks.take, DropoutMasks.draw

    def recording_take(self, p, n):
        factors = take(self, p, n)
        if self._fed is None and not self._counting:  # a draw, not a tape's input
            taken.extend(factors)
        return factors

    def recording_draw(self, rows):
        masks = draw(self, rows)
        drawn.append(masks)
        return masks

    monkeypatch.setattr(DropoutMasks, "take", recording_take)
    monkeypatch.setattr(DropoutMasks, "draw", recording_draw)
    X, y = make_moons(64, noise=0.2, seed=0)
    p = 0.25
    seen, first = {}, None
    for seed in (0, 1, 0):
        if first is None and (0, False) in seen:
            first = seen[0, False]
        for compiled in (False, True):
            taken.clear(), drawn.clear()
            model = MLP(2, [8, 8, 2], init="he", dropout=p, seed=5)
            fit(model, X, y, epochs=2, batch_size=16, seed=seed, progress=False,
                compile=compiled)
            seen[seed, compiled] = list(taken) if not compiled else [m.copy() for m in drawn]
        scalar, batches = seen[seed, False], seen[seed, True]
        assert len(batches) == 2 * 4 and all(m.shape == (16, 16) for m in batches)
        # the tape's masks, row after row, are the scalar engine's, draw for draw
        assert np.concatenate([m.ravel() for m in batches]).tolist() == scalar
        assert set(scalar) == {0.0, 1.0 / (1.0 - p)}
        assert abs(scalar.count(0.0) / len(scalar) - p) < 0.05
        # a new mask for every batch (and every row within it)
        assert all(not np.array_equal(a, b) for i, a in enumerate(batches)
                   for b in batches[i + 1:])
        assert len({tuple(row) for m in batches for row in m.tolist()}) > 100
    assert seen[0, False] != seen[1, False]  # another seed, other masks
    assert seen[0, False] == first  # the same seed, the same masks


def test_training_dropout_outside_fit_and_other_randomness_are_still_refused():
    from nn import Module, fit
    from nn.compiled import CompiledLoss
    from nn.losses import LOSSES

    for p in (0.5, 0.001):  # decided by the module's state, not by its draws
        model = MLP(2, [4, 1], dropout=p, seed=0)
        with pytest.raises(TapeTraceError, match=rf"Dropout\(p={p}\) in training mode"):
            CompiledLoss(model, LOSSES["hinge"], [0.0, 1.0], 1.0)

    class Noisy(Module):  # randomness that is not fit's masks: refused inside fit too
        def __init__(self):
            self.net = MLP(2, [4, 1], seed=0)

        def __call__(self, x):
            return self.net(x) * (1.0 + 0.01 * random.random())

        def parameters(self):
            return self.net.parameters()

    model = Noisy()
    before = [v.data for v in model.parameters()]
    with pytest.raises(TapeTraceError, match=r"draws random numbers \(at .*test_tape\.py"):
        fit(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], loss="hinge", epochs=1,
            progress=False, compile=True)
    assert [v.data for v in model.parameters()] == before


W = [Value(v, f"w{i}") for i, v in enumerate((0.3, -1.2, 0.7, 2.0, -0.4))]
SHAPES = {
    # rows of a dense group read different values: einsum instead of a matrix product
    "different rows": lambda x: ((W[0] * x[0] + W[1] * x[1]).tanh()
                                 + (W[2] * x[1] + W[3] * x[2]).sigmoid()),
    # one weight twice in a row: its gradient is scattered with np.add.at
    "shared weight": lambda x: (W[0] * x[0] + W[0] * x[1] + W[4]) * (W[0] * x[2] + W[1] * x[0]),
    # constant coefficients, a value times itself, subtraction and division
    "constants": lambda x: (0.5 * x[0] + 2.0 * x[1] - x[2] * x[2]) / (W[2] * W[2] + 1.0),
    # an output that is also used inside, and a parameter that is an output
    "outputs": lambda x: [W[0] * x[0], (W[0] * x[0]).exp() + W[1], W[3]],
    # an input that is used by nothing, and a parameter that is used by nothing
    "unused": lambda x: W[2] * x[1],
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("grouped", MODES)
def test_graph_shapes_that_exercise_each_path_of_the_plan(shape, grouped):
    fn = SHAPES[shape]
    rng = np.random.default_rng(11)
    X = rng.uniform(-1.5, 1.5, size=(6, 3))
    tape = compile(fn, (X[0].tolist(),), W, grouped=grouped)
    out = tape.forward(X).reshape(len(X), -1)
    grads = tape.gradients()
    (grad_x,) = tape.input_gradients()

    saved = [w.grad for w in W]
    for w in W:
        w.grad = 0.0
    want_out, want_x = [], []
    for row in X.tolist():
        leaves = [Value(v) for v in row]
        outputs = fn(leaves)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        root = sum(outputs[1:], outputs[0])
        root.backward()
        want_out.append([o.data for o in outputs])
        want_x.append([v.grad for v in leaves])
    want_grads = [w.grad for w in W]
    for w, g in zip(W, saved):
        w.grad = g
    assert_close(out, want_out, f"{shape}: outputs")
    assert_close(grads, want_grads, f"{shape}: parameter gradients")
    assert_close(grad_x, want_x, f"{shape}: input gradients")


@pytest.mark.parametrize("grouped", MODES)
def test_the_tape_refuses_what_the_scalar_engine_refuses_even_when_finite(grouped):
    """0 ** y with both operands Values is 0, a finite number, but the scalar engine
    refuses it (the exponent's derivative needs log 0); so does the tape, per row."""
    y = Value(2.0, "y")
    tape = compile(lambda x: (x - 1.0) ** y, (2.0,), [y], grouped=grouped)
    with pytest.raises(OpDomainError) as tape_error:
        tape.forward([2.0, 1.0])
    with pytest.raises(OpDomainError) as scalar_error:
        (Value(1.0) - 1.0) ** y
    assert str(scalar_error.value) in str(tape_error.value)
    assert "batch row 1" in str(tape_error.value)


def test_the_docstring_examples_run():
    import doctest
    import importlib

    names = ["autograd.tape", "nn.compiled", "nn.steps"] + [
        f"autograd.tape.{room}" for room in ("tracing", "compiler", "replay", "interpreter",
                                             "plan", "groups", "readers")]
    for module in map(importlib.import_module, names):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, f"{module.__name__}: {result.failed} doctest(s) failed"
        assert result.attempted > 0


def test_chainrule_train_compile_gives_the_same_metrics(tmp_path):
    import json

    from chainrule.cli import main

    metrics = []
    for flag in ([], ["--compile"]):
        out = tmp_path / ("compiled" if flag else "scalar")
        code = main(["train", "--dataset", "moons", "--samples", "80", "--loss", "hinge",
                     "--epochs", "2", "--no-progress", "--no-plots", "--out", str(out), *flag])
        assert code in (0, None)
        metrics.append(json.loads((out / "metrics.json").read_text()))
    scalar, compiled = metrics
    assert compiled["accuracy"] == scalar["accuracy"]
    for split in ("train", "val", "test"):
        np.testing.assert_allclose(compiled["loss"][split], scalar["loss"][split], rtol=1e-9)
    np.testing.assert_allclose(compiled["history"]["train_loss"],
                               scalar["history"]["train_loss"], rtol=1e-9)


@pytest.mark.parametrize("grouped", MODES)
def test_an_op_added_to_the_table_later_replays_with_no_change_to_the_tape(grouped):
    from autograd import Op, register_op, unregister_op

    register_op(Op(name="softplus_test", symbol="softplus", arity=1,
                   forward=lambda m, a: m.log(1.0 + m.exp(a)),
                   derivatives=(lambda m, out, a: 1.0 / (1.0 + m.exp(-a)),),
                   formulas=("sigmoid(a)",)))
    try:
        w = Value(0.8, "w")

        def fn(x):
            return Value._apply(w * x, "softplus_test", (w * x,)) * x

        rows = [(-1.5,), (0.0,), (0.7,), (2.5,)]
        want_out, want_grads, _ = scalar_engine(fn, rows, [w])
        tape = compile(fn, rows[0], [w], grouped=grouped)
        assert_close(tape.forward([r[0] for r in rows]), want_out, "softplus outputs")
        assert_close(tape.gradients(), want_grads, "softplus gradients")
    finally:
        unregister_op("softplus_test")


def test_a_row_registered_after_import_is_traced_like_the_tables_own():
    """A traced value's ops give traced values, so a branch on .data after them is
    seen; a row registered later (its method made then) must do the same."""
    from autograd.ops import Op, register_op, unregister_op
    register_op(Op(name="cube_late", symbol="cube_late", arity=1,
                   forward=lambda m, a: a * a * a,
                   derivatives=(lambda m, out, a: 3.0 * a * a,), formulas=("3*a**2",)))
    try:
        w = Value(0.5, "w")

        def branchy(x):
            y = (x * w).cube_late()
            return y if y.data > 0 else -y

        with pytest.raises(TapeTraceError, match="reads .data"):
            compile(branchy, (1.0,), params=[w])
        tape = compile(lambda x: (x * w).cube_late(), (1.0,), params=[w])
        assert float(np.ravel(tape.forward([2.0]))[0]) == pytest.approx(1.0)
    finally:
        unregister_op("cube_late")
    from autograd.tape.tracing import TracedValue
    assert "cube_late" not in vars(TracedValue) and not hasattr(Value, "cube_late")
