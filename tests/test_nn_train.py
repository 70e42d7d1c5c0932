"""The training loop: fit against a PyTorch re-implementation, early stopping, the
non-finite guard, diagnostics and one end-to-end run.

Oracles: PyTorch float64 running the same recipe (same initial weights, same batch,
same loss, penalty, clipping and optimizer); the validation loss that evaluate()
recomputes after early stopping; the geometry of vanishing gradients.
"""

import math
import random

import pytest

from nn import MLP, TrainingDivergedError, accuracy, confusion_matrix, evaluate, fit, predict
from nn.data import StandardScaler, make_blobs, make_moons, train_val_test_split
from nn.optim import SGD, StepLR

torch = pytest.importorskip("torch")


def _torch_mlp(model):
    """The same network as a list of (weight, bias, activation) float64 tensors."""
    layers = []
    for layer in model.layers:
        w = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        layers.append((w, b, layer.activation))
    return layers


def _torch_forward(layers, X):
    h = torch.tensor(X, dtype=torch.float64)
    acts = {"relu": torch.relu, "tanh": torch.tanh, "linear": lambda t: t}
    for w, b, act in layers:
        h = acts[act](h @ w.T + b)
    return h


@pytest.mark.parametrize("loss_name", ["cross_entropy", "mse"])
def test_full_batch_fit_matches_torch_recipe(loss_name):
    X, y = make_blobs(24, centers=3, n_features=2, cluster_std=2.0, seed=3)
    model = MLP(2, [5, 3], activation="tanh", init="xavier", seed=1)
    layers = _torch_mlp(model)
    params = [t for w, b, _ in layers for t in (w, b)]
    topt = torch.optim.Adam(params, lr=0.05, foreach=False)
    for _ in range(4):
        topt.zero_grad()
        out = _torch_forward(layers, X)
        if loss_name == "cross_entropy":
            loss = torch.nn.functional.cross_entropy(out, torch.tensor(y))
        else:
            onehot = torch.nn.functional.one_hot(torch.tensor(y), 3).to(torch.float64)
            loss = torch.nn.functional.mse_loss(out, onehot)
        loss = loss + 0.01 * sum((p * p).sum() for p in params)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 0.5)
        topt.step()

    fit(model, X, y, loss=loss_name, optimizer="adam", lr=0.05, epochs=4, batch_size=len(X),
        l2=0.01, clip_norm=0.5, progress=False)
    ours = [p.data for p in model.parameters()]
    theirs = []
    for w, b, _ in layers:
        for row, bias in zip(w.detach().tolist(), b.detach().tolist()):
            theirs.extend(row + [bias])
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_history_records_every_epoch_and_layer():
    X, y = make_moons(60, seed=0)
    model = MLP(2, [6, 5, 2], init="he", seed=0)
    seen = []
    history = fit(model, X, y, epochs=3, batch_size=16, val_split=0.25, progress=False,
                  scheduler=lambda opt: StepLR(opt, step_size=1, gamma=0.5),
                  on_epoch=seen.append)
    assert history.epochs == [1, 2, 3] and [r["epoch"] for r in seen] == [1, 2, 3]
    assert history.lr == pytest.approx([0.01, 0.005, 0.0025])
    assert all(len(norms) == 3 and all(n > 0 for n in norms) for norms in history.grad_norms)
    assert all(0 <= a <= 1 for a in history.train_accuracy + history.val_accuracy)
    assert history.val_loss[-1] == pytest.approx(seen[-1]["val_loss"])


def test_early_stopping_restores_the_best_weights():
    rng = random.Random(0)
    # Random labels: nothing generalizes, so the validation loss soon rises.
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(80)]
    y = [rng.randrange(2) for _ in X]
    X_val, y_val = X[60:], y[60:]
    model = MLP(2, [24, 24, 2], init="he", seed=0)
    history = fit(model, X[:60], y[:60], optimizer="adam", lr=0.05, epochs=60, batch_size=10,
                  validation_data=(X_val, y_val), early_stopping=3, progress=False)
    assert history.stopped_early
    assert len(history.epochs) == history.best_epoch + 3 < 60
    best = min(history.val_loss)
    assert history.val_loss[history.best_epoch - 1] == best
    assert evaluate(model, X_val, y_val)["loss"] == pytest.approx(best, rel=1e-12)
    assert "restored the weights of epoch" in history.stop_reason


def test_non_finite_loss_names_epoch_and_batch_and_keeps_parameters():
    X = [[1e200, 1e200], [1e200, -1e200]] * 4
    y = [0, 1] * 4
    model = MLP(2, [4, 2], init="he", seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(TrainingDivergedError, match="epoch 1, batch 1 of 2") as info:
        fit(model, X, y, loss="mse", epochs=2, batch_size=4, progress=False)
    assert info.value.epoch == 1 and info.value.batch == 1
    assert "smaller learning rate" in str(info.value)
    assert [p.data for p in model.parameters()] == before


def test_divergence_after_some_steps_keeps_the_last_finite_parameters():
    X, y = make_moons(40, seed=0)
    model = MLP(2, [8, 8, 2], init="he", seed=0)
    with pytest.raises(TrainingDivergedError) as info:
        fit(model, X, y, optimizer=SGD(model.parameters(), lr=1e140), epochs=5, batch_size=8,
            loss="mse", progress=False)
    error = info.value
    assert (error.epoch, error.batch) > (1, 1)
    assert all(math.isfinite(p.data) for p in model.parameters())
    # kept: the parameters of the last step whose loss was finite, so they still score
    assert math.isfinite(evaluate(model, X, y, loss="mse")["loss"])
    assert error.history.stop_reason == str(error)


def test_vanishing_gradients_deep_sigmoid_versus_relu_he():
    X, y = make_moons(64, seed=0)
    deep_sigmoid = MLP(2, [16] * 8 + [2], activation="sigmoid", init="xavier", seed=0)
    relu_he = MLP(2, [16] * 8 + [2], activation="relu", init="he", seed=0)
    sig = fit(deep_sigmoid, X, y, optimizer="sgd", epochs=1, batch_size=64, progress=False)
    rel = fit(relu_he, X, y, optimizer="sgd", epochs=1, batch_size=64, progress=False)
    sig_norms, relu_norms = sig.grad_norms[0], rel.grad_norms[0]
    assert sig_norms[0] / sig_norms[-1] < 1e-3   # the first layer barely learns
    assert relu_norms[0] / relu_norms[-1] > 1e-1


def test_accuracy_confusion_matrix_and_bad_arguments():
    assert confusion_matrix([0, 2, 2, 1], [0, 2, 1, 1], n_classes=3) == \
        [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="needs one output per class, but the model has 1"):
        fit(model, [[0.0, 1.0]], [1], loss="cross_entropy", progress=False)
    with pytest.raises(ValueError, match="labels go up to 4 but the model has only 2"):
        fit(MLP(2, [3, 2], seed=0), [[0.0, 1.0]], [4], progress=False)
    with pytest.raises(ValueError, match="unknown loss 'l7'"):
        fit(model, [[0.0, 1.0]], [1], loss="l7", progress=False)
    with pytest.raises(ValueError, match="early_stopping=0"):
        fit(model, [[0.0, 1.0]], [1], loss="bce", early_stopping=0, progress=False)


def test_regression_with_mse_learns_a_line():
    rng = random.Random(1)
    X = [[rng.uniform(-1, 1)] for _ in range(40)]
    y = [3.0 * x[0] - 0.5 for x in X]
    model = MLP(1, [1], seed=0)
    history = fit(model, X, y, loss="mse", optimizer="adam", lr=0.1, epochs=60, batch_size=8,
                  progress=False)
    assert history.train_accuracy[-1] is None
    w, b = model.parameters()
    assert (w.data, b.data) == pytest.approx((3.0, -0.5), abs=0.05)


@pytest.mark.slow
def test_moons_end_to_end_reaches_98_percent_on_held_out_points():
    X, y = make_moons(300, noise=0.1, seed=0)
    Xtr, Xva, Xte, ytr, yva, yte = train_val_test_split(X, y, 0.2, 0.2, seed=0)
    scaler = StandardScaler().fit(Xtr)
    Xtr, Xva, Xte = scaler.transform(Xtr), scaler.transform(Xva), scaler.transform(Xte)
    model = MLP(2, [8, 8, 2], init="he", seed=0)
    fit(model, Xtr, ytr, lr=0.02, epochs=30, batch_size=16, validation_data=(Xva, yva),
        early_stopping=10, seed=0, progress=False)
    assert accuracy(yte, predict(model, Xte)) >= 0.98


def test_a_val_split_that_leaves_no_training_row_is_a_clear_error():
    model = MLP(2, [2], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"val_split=0.99.*leaves no row to train on"):
        fit(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], val_split=0.99, epochs=1, progress=False)
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("compile", [False, True])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_in_the_data_is_reported_by_row_and_column_not_as_divergence(bad, compile):
    X, y = make_moons(30, noise=0.1, seed=0)
    X = [list(row) for row in X]
    X[17][1] = bad
    with pytest.raises(ValueError, match=rf"data contains {bad} at row 17, column 1") as error:
        fit(MLP(2, [4, 2], seed=0), X, y, epochs=1, progress=False, compile=compile)
    assert not isinstance(error.value, TrainingDivergedError)
    assert "learning rate" not in str(error.value)
    with pytest.raises(ValueError, match=r"validation data contains nan at row 0, column 0"):
        fit(MLP(2, [4, 2], seed=0), X[:10] + X[18:], y[:10] + y[18:], epochs=1,
            progress=False, validation_data=([[math.nan, 0.0]], [0]))
    targets = [float(t) for t in y[18:]]
    targets[3] = math.nan
    with pytest.raises(ValueError, match=r"targets contain nan at row 3"):
        fit(MLP(2, [4, 1], seed=0), X[18:], targets, loss="mse", epochs=1, progress=False)


class _ValuesOnlySGD(SGD):
    """An optimizer without an array form: compiled training steps its Values."""

    supports_arrays = False


@pytest.mark.parametrize("compile, values_only, row, step_class, run_class", [
    (True, False, (True, True), "ArrayStep", "ArrayRun"),
    (True, True, (True, False), "CompiledStep", "Run"),
    (False, False, (False, False), "ScalarStep", "Run"),
    (False, True, (False, False), "ScalarStep", "Run"),
])
def test_fit_runs_the_engine_its_table_names(monkeypatch, compile, values_only, row,
                                             step_class, run_class):
    """fit's choice of engine is one table, nn.train.ENGINES: (compile, and the optimizer
    has an array form) -> the step and the run; fit uses the row for its case, once."""
    from nn import train

    used = []
    for key, (make_step, run_type) in list(train.ENGINES.items()):
        def recording(*args, key=key, make_step=make_step, run_type=run_type):
            step = make_step(*args)
            used.append((key, type(step).__name__, run_type.__name__))
            return step
        monkeypatch.setitem(train.ENGINES, key, (recording, run_type))
    model = MLP(2, [3, 1], seed=0)
    optimizer = (_ValuesOnlySGD if values_only else SGD)(model.parameters(), lr=0.1)
    fit(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], loss="hinge", optimizer=optimizer,
        epochs=1, progress=False, compile=compile)
    assert used == [(row, step_class, run_class)]
