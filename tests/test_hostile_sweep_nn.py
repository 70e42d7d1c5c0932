"""Hostile sweep, nn: sizes, names and settings of the wrong kind, data with holes,
numpy arrays where lists were expected.

The contract: a clear error before any work, naming the argument (or the row and
column of the data) and what to give instead; never a hang, an AttributeError from
deep inside, a prediction computed from NaN, or a model saved that cannot be loaded.
"""

import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn import MLP, Layer, Neuron, evaluate, fit, load, predict
from nn.data import make_moons
from nn.model_file import MAX_PARAMETERS
from nn.train import predict_proba

BAD_SIZES = [0, -1, 2.0, 2.5, True, False, "2", None, float("nan"), np.float64(3.0)]


@pytest.mark.parametrize("size", BAD_SIZES)
def test_a_size_that_is_not_a_positive_int_is_named(size):
    with pytest.raises(ValueError, match=r"Neuron\(nin=.*\): nin must be a positive int"):
        MLP(size, [2])
    with pytest.raises(ValueError, match=r"Layer\(nin=3, nout=.*\): nout must be a positive int"):
        MLP(2, [3, size])
    with pytest.raises(ValueError, match=r"Layer\(nin=.*\): nout must be a positive int"):
        Layer(2, size)


def test_numpy_integers_are_sizes_and_build_the_same_model():
    plain = MLP(3, [4, 2], seed=0)
    numpy_sized = MLP(np.int64(3), [np.int32(4), np.int64(2)], seed=0)
    assert [p.data for p in plain.parameters()] == [p.data for p in numpy_sized.parameters()]


@pytest.mark.parametrize("nouts", [5, None, "4", 2.0])
def test_layer_sizes_that_are_not_a_list_say_so(nouts):
    with pytest.raises(TypeError, match=r"the second argument is the list of layer sizes, "
                                        r"e\.g\. MLP\(2, \[16, 1\]\)"):
        MLP(2, nouts)


@pytest.mark.parametrize("build", [lambda: MLP(2, [10**9]), lambda: MLP(10**9, [1]),
                                   lambda: Layer(2, 10**9), lambda: Neuron(10**9),
                                   lambda: MLP(10**400, [1]), lambda: MLP(784, [512, 10])])
def test_a_model_past_the_parameter_limit_is_refused_at_once(build):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=rf"would have [\d,]+ parameters; a chainrule model "
                                         rf"holds at most {MAX_PARAMETERS:,}"):
        build()
    assert time.perf_counter() - start < 1.0


def test_the_largest_model_one_can_build_saves_and_loads_back(tmp_path):
    # before the limit, MLP(784, [400, 10]) saved a file that load() refused
    model = MLP(780, [300, 50, 10], seed=0)
    assert MAX_PARAMETERS - 1000 < len(model.parameters()) <= MAX_PARAMETERS
    model.save(tmp_path / "big.json")
    again = load(tmp_path / "big.json")
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]


@pytest.mark.parametrize("activation", ["bogus", "ReLU ", 1, ""])
def test_an_unknown_activation_is_refused_even_without_a_hidden_layer(activation):
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, [2], activation=activation)
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, [3, 2], activation=activation)


@pytest.mark.parametrize("x", [1.0, None, (v for v in [1.0, 2.0])])
def test_calling_a_model_with_something_other_than_a_list_names_what_it_takes(x):
    with pytest.raises(TypeError, match=r"Neuron\(2\) takes a list of 2 numbers \(one example\)"):
        MLP(2, [3, 1], seed=0)(x)


X, Y = make_moons(30, seed=0)


@given(row=st.integers(0, len(X) - 1), column=st.integers(0, 1),
       bad=st.sampled_from([math.nan, math.inf, -math.inf, np.float64("nan")]),
       who=st.sampled_from(["predict", "predict_proba", "evaluate", "fit"]))
def test_a_non_finite_number_in_the_data_is_named_by_row_and_column(row, column, bad, who):
    data = [list(x) for x in X]
    data[row][column] = bad
    model = MLP(2, [4, 2], seed=0)
    before = [p.data for p in model.parameters()]
    call = {"predict": lambda: predict(model, data),
            "predict_proba": lambda: predict_proba(model, data),
            "evaluate": lambda: evaluate(model, data, Y),
            "fit": lambda: fit(model, data, Y, epochs=1, progress=False)}[who]
    with pytest.raises(ValueError, match=rf"^{who}: the data contains {bad} at row {row}, "
                                         rf"column {column}; drop or impute that row"):
        call()
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("hole, message", [
    ("a", r"holds 'a' at row 3, column 1, which is not a number"),
    (None, r"holds None at row 3, column 1, which is not a number"),
    ([1.0], r"holds \[1\.0\] at row 3, column 1, which is not a number"),
])
def test_a_non_number_in_the_data_is_named_by_row_and_column(hole, message):
    data = [list(x) for x in X]
    data[3][1] = hole
    for call in (lambda: predict(MLP(2, [2], seed=0), data),
                 lambda: fit(MLP(2, [2], seed=0), data, Y, epochs=1, progress=False)):
        with pytest.raises(TypeError, match=message):
            call()


def test_numpy_arrays_train_exactly_like_lists():
    as_lists = fit(MLP(2, [4, 2], seed=0), X, Y, epochs=2, progress=False)
    as_arrays = fit(MLP(2, [4, 2], seed=0), np.array(X), np.array(Y), epochs=2, progress=False)
    assert as_arrays.train_loss == as_lists.train_loss


@pytest.mark.parametrize("setting, error, message", [
    ({"optimizer": None}, TypeError, r"fit\(optimizer=None\): give a name such as 'adam'"),
    ({"optimizer": 5}, TypeError, r"fit\(optimizer=5\)"),
    ({"lr": "0.1"}, TypeError, r"fit\(lr='0\.1'\): the learning rate is a number"),
    ({"l1": -1.0}, ValueError, r"fit\(l1=-1\.0\): a penalty's strength is a finite number >= 0"),
    ({"l2": math.nan}, ValueError, r"fit\(l2=nan\): a penalty's strength"),
    ({"l2": math.inf}, ValueError, r"fit\(l2=inf\): a penalty's strength"),
    ({"l1": "a"}, ValueError, r"fit\(l1='a'\): a penalty's strength"),
    ({"scheduler": 5}, TypeError, r"fit\(scheduler=5\): give an LR schedule"),
])
def test_a_setting_of_the_wrong_kind_is_refused_before_training(setting, error, message):
    model = MLP(2, [4, 2], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=message):
        fit(model, X, Y, epochs=1, progress=False, **setting)
    assert [p.data for p in model.parameters()] == before
