"""Data generators, splits, scalers and mini-batches.

Oracles: geometry of each data set (radii, quadrants), counting (every row lands in
exactly one split), numpy (means and standard deviations of scaled data) and
scikit-learn's digits (when installed).
"""

import math
import sys

import numpy as np
import pytest

from nn.data import (
    DATASETS,
    MinMaxScaler,
    StandardScaler,
    batches,
    load_digits,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    scaler_from_dict,
    train_test_split,
    train_val_test_split,
)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_generators_are_seeded_and_shuffled(name):
    make = DATASETS[name]
    X1, y1 = make(90, seed=4)
    X2, y2 = make(90, seed=4)
    X3, _ = make(90, seed=5)
    assert (X1, y1) == (X2, y2) and X1 != X3
    assert len(X1) == len(y1) == 90
    assert y1 != sorted(y1)  # shuffled
    assert all(isinstance(label, int) for label in y1)


def test_moons_geometry_without_noise():
    X, y = make_moons(100, noise=0.0, seed=1)
    assert sum(y) == 50
    for (x0, x1), label in zip(X, y):
        centre = (0.0, 0.0) if label == 0 else (1.0, 0.5)
        assert math.hypot(x0 - centre[0], x1 - centre[1]) == pytest.approx(1.0)
        assert (x1 >= -1e-12) if label == 0 else (x1 <= 0.5 + 1e-12)


def test_circles_geometry():
    X, y = make_circles(200, noise=0.0, factor=0.3, seed=0)
    for (x0, x1), label in zip(X, y):
        assert math.hypot(x0, x1) == pytest.approx(0.3 if label == 1 else 1.0)
    assert y.count(0) == y.count(1) == 100


def test_xor_labels_follow_quadrants_without_noise():
    X, y = make_xor(400, noise=0.0, margin=0.1, seed=0)
    for (x0, x1), label in zip(X, y):
        assert min(abs(x0), abs(x1)) >= 0.1
        assert label == int((x0 > 0) != (x1 > 0))
    assert y.count(1) == 200


def test_spiral_classes_and_radius():
    X, y = make_spiral(301, n_classes=3, seed=0)
    assert [y.count(k) for k in range(3)] == [101, 100, 100]
    assert max(math.hypot(*x) for x in X) == pytest.approx(1.0)


def test_blobs_cluster_around_distinct_centres():
    X, y = make_blobs(300, centers=3, n_features=2, cluster_std=0.5, seed=2)
    means = [np.mean([x for x, t in zip(X, y) if t == k], axis=0) for k in range(3)]
    spreads = [np.std([x for x, t in zip(X, y) if t == k], axis=0) for k in range(3)]
    assert all(s == pytest.approx([0.5, 0.5], abs=0.15) for s in spreads)
    assert min(np.linalg.norm(a - b) for i, a in enumerate(means) for b in means[i + 1:]) > 1


def test_stratified_three_way_split_keeps_class_shares_and_covers_every_row():
    X, y = make_spiral(300, n_classes=3, seed=0)
    rows = [tuple(x) for x in X]
    Xtr, Xva, Xte, ytr, yva, yte = train_val_test_split(X, y, 0.2, 0.1, seed=3)
    assert (len(Xtr), len(Xva), len(Xte)) == (210, 60, 30)
    assert sorted(map(tuple, Xtr + Xva + Xte)) == sorted(rows)
    assert [yva.count(k) for k in range(3)] == [20, 20, 20]
    assert [yte.count(k) for k in range(3)] == [10, 10, 10]
    for part_X, part_y in ((Xtr, ytr), (Xva, yva), (Xte, yte)):
        lookup = dict(zip(rows, y))
        assert all(lookup[tuple(x)] == t for x, t in zip(part_X, part_y))


def test_two_way_split_and_bad_sizes():
    X, y = make_moons(50, seed=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=0)
    assert len(Xte) == 10 and yte.count(1) == 5
    with pytest.raises(ValueError, match="test_size=1.5"):
        train_test_split(X, y, test_size=1.5)
    with pytest.raises(ValueError, match="X has 50 rows but y has 3 labels"):
        train_test_split(X, y[:3])


def test_scalers_fit_on_training_rows_only_numpy_oracle():
    X, y = make_blobs(120, centers=2, n_features=3, seed=1)
    Xtr, Xte, _, _ = train_test_split(X, y, seed=0)
    scaler = StandardScaler().fit(Xtr)
    train_scaled, test_scaled = np.array(scaler.transform(Xtr)), np.array(scaler.transform(Xte))
    np.testing.assert_allclose(train_scaled.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(train_scaled.std(axis=0), 1, rtol=1e-12)
    expected = (np.array(Xte) - np.mean(Xtr, axis=0)) / np.std(Xtr, axis=0)
    np.testing.assert_allclose(test_scaled, expected, rtol=1e-12)

    mm = MinMaxScaler().fit(Xtr)
    scaled = np.array(mm.transform(Xtr))
    np.testing.assert_allclose(scaled.min(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(scaled.max(axis=0), 1, rtol=1e-12)
    again = scaler_from_dict(mm.to_dict())
    assert again.transform(Xte) == mm.transform(Xte)
    with pytest.raises(ValueError, match="fitted on 3"):
        mm.transform([[1.0, 2.0]])
    with pytest.raises(ValueError, match="before fit"):
        StandardScaler().transform(Xte)


def test_batches_visit_each_row_once_in_shuffled_order():
    X = [[float(i)] for i in range(23)]
    y = list(range(23))
    seen = [t for _, yb in batches(X, y, 5, seed=1) for t in yb]
    assert sorted(seen) == y and seen != y
    sizes = [len(yb) for _, yb in batches(X, y, 5, seed=1)]
    assert sizes == [5, 5, 5, 5, 3]
    for xb, yb in batches(X, y, 4, seed=2):
        assert [x[0] for x in xb] == [float(t) for t in yb]


def test_load_digits_matches_sklearn_or_names_the_extra(monkeypatch):
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert len(X) == 1797 and len(X[0]) == 64 and sorted(set(y)) == list(range(10))
    assert max(max(row) for row in X) == 16.0
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install '\.\[digits\]' in your chainrule"):
        load_digits()


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("make,keyword,value", [
    (make_moons, "noise", NAN), (make_moons, "noise", INF), (make_moons, "noise", -0.1),
    (make_circles, "noise", NAN), (make_circles, "factor", NAN),
    (make_spiral, "noise", INF), (make_spiral, "turns", NAN),
    (make_xor, "noise", -INF), (make_xor, "margin", NAN),
    (make_blobs, "cluster_std", NAN), (make_blobs, "box", (0.0, NAN)),
    (make_blobs, "centers", 2.5),
])
def test_generators_refuse_non_finite_or_negative_settings_by_name(make, keyword, value):
    # A NaN noise would otherwise fill every X with NaN, silently.
    with pytest.raises(ValueError, match=f"{make.__name__}\\({keyword}") as caught:
        make(40, **{keyword: value}, seed=0)
    assert "finite" in str(caught.value) or "in (0, 1)" in str(caught.value) \
        or "positive int" in str(caught.value)


@pytest.mark.parametrize("sizes", [
    dict(val_size=NAN), dict(test_size=NAN), dict(val_size=INF), dict(test_size=-INF),
    dict(val_size=True), dict(test_size="0.2"),
])
def test_three_way_split_refuses_nan_and_non_numbers_with_the_values(sizes):
    X, y = make_moons(50, seed=0)
    with pytest.raises(ValueError, match="need val_size >= 0, test_size > 0"):
        train_val_test_split(X, y, **sizes)


@pytest.mark.parametrize("test_size", [NAN, INF, 0.0, True, "0.2"])
def test_two_way_split_refuses_nan_and_non_numbers(test_size):
    X, y = make_moons(50, seed=0)
    with pytest.raises(ValueError, match="the test share must be a number in \\(0, 1\\)"):
        train_test_split(X, y, test_size=test_size)


@pytest.mark.parametrize("state", [
    {"kind": "standard", "offset": [NAN, 0.0], "scale": [1.0, 1.0]},
    {"kind": "standard", "offset": [0.0, 0.0], "scale": [INF, 1.0]},
    {"kind": "minmax", "offset": [0.0], "scale": [0.0]},
    {"kind": "minmax", "offset": [0.0, 1.0], "scale": [1.0]},
    {"kind": "minmax", "offset": "0.0", "scale": [1.0]},
    {"kind": "minmax", "offset": [True], "scale": [1.0]},
    {"kind": "minmax", "scale": [1.0]},
    {"kind": ["standard"], "offset": [0.0], "scale": [1.0]},
    {"kind": "robust", "offset": [0.0], "scale": [1.0]},
    ["standard"],
])
def test_a_tampered_scaler_state_is_refused_not_turned_into_nan_predictions(state):
    with pytest.raises(ValueError, match="scaler state"):
        scaler_from_dict(state)
