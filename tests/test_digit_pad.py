"""The digits lesson (visualize.digit_pad): ink becomes the digits set's 8x8 counts, the
shipped model scores on the held-out digits, classify is nn's predict, pictures are SVG,
and hostile input gives one clear line.

Oracles: numpy's block sums for the 4x4 counts, the digits set itself (its images
upscaled to 32x32 and counted back; the same images re-normalized still classified),
nn.predict / nn.predict_proba on the loaded model, and xml.etree for the pictures.
"""

from __future__ import annotations

import doctest
import math
import random
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import visualize.digit_pad
from nn import accuracy, predict
from nn.data import scaler_from_dict, train_val_test_split
from nn.train import predict_proba
from visualize.digit_pad import (
    MODEL_PATH,
    DigitPadError,
    activations_svg,
    classify,
    digit_to_grid,
    load_model,
    pixels_svg,
    probabilities_svg,
    strokes_to_grid,
    to_digits_8x8,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def digits():
    """``(X, y, X_test, y_test)``: the digits and the test rows of chainrule train's split."""
    pytest.importorskip("sklearn", reason="the digits set ships with scikit-learn "
                                          "(the 'digits' extra)")
    from nn.data import load_digits

    X, y = load_digits()
    _, _, X_test, _, _, y_test = train_val_test_split(X, y, 0.2, 0.2, seed=0)
    return X, y, X_test, y_test


def test_the_docstring_examples_hold():
    result = doctest.testmod(visualize.digit_pad)
    assert result.failed == 0 and result.attempted > 0


def test_the_model_ships_beside_the_module_and_is_small():
    assert MODEL_PATH.exists(), f"{MODEL_PATH} is missing from the installed package"
    assert MODEL_PATH.stat().st_size < 100_000
    model = load_model()
    assert (model.nin, model.nouts) == (64, [32, 10])
    assert model.metadata["scaler"]["kind"] == "pixels"


def test_the_shipped_model_scores_at_least_95_percent_on_the_test_digits(digits):
    _, _, X_test, y_test = digits
    predicted = [classify(x)["digit"] for x in X_test]
    assert accuracy(y_test, predicted) >= 0.95


def test_classify_is_nns_predict_with_the_models_scaler(digits):
    _, _, X_test, _ = digits
    model = load_model()
    scaled = scaler_from_dict(model.metadata["scaler"]).transform(X_test)
    expected_classes = predict(model, scaled)
    expected_probabilities = predict_proba(model, scaled)
    for x, cls, probabilities in zip(X_test, expected_classes, expected_probabilities):
        result = classify(x)
        assert result["digit"] == cls
        assert result["probabilities"] == pytest.approx(probabilities, rel=1e-12, abs=1e-15)
        hidden, logits = result["activations"][1], result["activations"][2]
        assert len(hidden) == 32 and min(hidden) >= 0.0  # ReLU
        assert logits == pytest.approx(model.forward_data(result["activations"][0]),
                                       rel=1e-12, abs=1e-12)


def test_a_digits_image_upscaled_to_32x32_counts_back_to_itself(digits):
    X, _, _, _ = digits
    for x in X:
        grid = digit_to_grid(x)
        assert len(grid) == 32 and all(len(row) == 32 for row in grid)
        assert to_digits_8x8(grid, fit=False) == [round(v) for v in x]


@given(st.lists(st.integers(0, 2**32 - 1), min_size=32, max_size=32))
def test_the_block_counts_are_numpys_4x4_sums(rows):
    grid = [[(row >> bit) & 1 for bit in range(32)] for row in rows]
    expected = np.array(grid).reshape(8, 4, 8, 4).sum(axis=(1, 3)).ravel().tolist()
    assert to_digits_8x8(grid, fit=False) == expected


def test_re_normalized_test_digits_are_still_recognized(digits):
    """The size normalization is the data set's: its own images, put through it, stay
    what they were for the model (most already fill their frame and come back unchanged)."""
    _, _, X_test, y_test = digits
    again = [to_digits_8x8(digit_to_grid(x)) for x in X_test]
    unchanged = sum(a == [round(v) for v in x] for a, x in zip(again, X_test)) / len(X_test)
    assert unchanged > 0.5
    assert accuracy(y_test, [classify(a)["digit"] for a in again]) >= 0.95


def _embed(grid, size, top, left, factor=1):
    canvas = [[0] * size for _ in range(size)]
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            for a in range(factor):
                for b in range(factor):
                    canvas[top + factor * r + a][left + factor * c + b] = value
    return canvas


def test_fitting_ignores_where_the_digit_is_and_how_big(digits):
    X, _, _, _ = digits
    rng = random.Random(0)
    for x in X[:60]:
        grid = digit_to_grid(x)
        expected = to_digits_8x8(grid)
        moved = _embed(grid, 80, rng.randrange(0, 48), rng.randrange(0, 48))
        assert to_digits_8x8(moved) == expected
        doubled = _embed(grid, 70, rng.randrange(0, 6), rng.randrange(0, 6), factor=2)
        assert to_digits_8x8(doubled) == expected


def test_a_drawing_scaled_by_a_power_of_two_and_shifted_draws_the_same_bitmap():
    zero = [[(50 + 30 * math.sin(2 * math.pi * k / 40), 50 - 40 * math.cos(2 * math.pi * k / 40))
             for k in range(41)]]
    four = [[(60, 10), (15, 60), (85, 60)], [(60, 10), (60, 95)]]
    for strokes in (zero, four):
        moved = [[(4 * x + 128, 4 * y - 64) for x, y in stroke] for stroke in strokes]
        assert strokes_to_grid(moved) == strokes_to_grid(strokes)


def test_a_vertical_stroke_is_a_centred_bar_one_fifth_wide():
    grid = strokes_to_grid([[(7, 0), (7, 100)]])
    columns = [c for c in range(32) if any(row[c] for row in grid)]
    assert columns == list(range(columns[0], columns[-1] + 1))
    assert columns[0] + columns[-1] == 31            # centred
    assert 5 <= len(columns) <= 7                     # a fifth of 32 pixels
    assert all(row[15] for row in grid[1:-1])


@pytest.mark.parametrize("digit, strokes", [
    (0, [[(50 + 30 * math.sin(2 * math.pi * k / 40), 50 - 40 * math.cos(2 * math.pi * k / 40))
          for k in range(41)]]),
    (1, [[(50, 10), (50, 90)]]),
    (4, [[(60, 10), (15, 60), (85, 60)], [(60, 10), (60, 95)]]),
    (7, [[(20, 10), (80, 10), (40, 90)]]),
])
def test_drawn_digits_are_recognized(digit, strokes):
    result = classify(to_digits_8x8(strokes))
    assert result["digit"] == digit, result["probabilities"]


def test_the_pictures_are_svg_with_a_mark_per_number():
    result = classify(to_digits_8x8([[(50, 10), (50, 90)]]))
    bars = ET.fromstring(probabilities_svg(result["probabilities"]))
    shown = [float(r.get("data-probability")) for r in bars.iter(SVG + "rect")]
    assert shown == result["probabilities"]
    network = ET.fromstring(activations_svg(result))
    circles = list(network.iter(SVG + "circle"))
    assert len(circles) == 32 + 10
    assert [float(c.get("data-activation")) for c in circles[32:]] == result["probabilities"]
    assert [float(c.get("data-activation")) for c in circles[:32]] == result["activations"][1]
    assert len(list(network.iter(SVG + "rect"))) == 64
    model = load_model()
    contributions = [abs(w.data * a) for neuron in model.layers[-1].neurons
                     for w, a in zip(neuron.w, result["activations"][1])]
    strong = sum(c >= max(contributions) / 10 for c in contributions)
    assert len(list(network.iter(SVG + "line"))) == strong > 0
    assert len(list(ET.fromstring(pixels_svg(result["pixels"])).iter(SVG + "rect"))) == 64


@pytest.mark.parametrize("call, says", [
    (lambda: to_digits_8x8([]), "empty"),
    (lambda: to_digits_8x8([[0] * 32 for _ in range(32)]), "no ink"),
    (lambda: to_digits_8x8([[], []]), "nothing is drawn"),
    (lambda: to_digits_8x8([[[]]]), "the point []"),
    (lambda: to_digits_8x8([[(1, 2), (float("nan"), 3)]]), "nan"),
    (lambda: to_digits_8x8([[(1, 2), (1, 2, 3)]]), "(1, 2, 3)"),
    (lambda: to_digits_8x8([[0, 1], [1]]), "rectangular"),
    (lambda: to_digits_8x8([[(-1e308, 0), (1e308, 0)]]), "span inf units"),
    (lambda: to_digits_8x8([[0, float("nan")]]), "nan"),
    (lambda: to_digits_8x8([[0, 2]]), "pixel (0, 1) is 2"),
    (lambda: to_digits_8x8("ink"), "empty"),
    (lambda: to_digits_8x8(None), "empty"),
    (lambda: to_digits_8x8([[1] * 8] * 8, fit=False), "8x8"),
    (lambda: classify([]), "64 numbers"),
    (lambda: classify([0.0] * 63), "63 pixels"),
    (lambda: classify([0.0] * 63 + [float("nan")]), "pixel 63 is nan"),
    (lambda: classify([0.0] * 63 + [17]), "pixel 63 is 17"),
    (lambda: classify([[0.0] * 8] * 7 + [[0.0] * 9]), "8 in each"),
    (lambda: classify("0" * 64), "64 numbers"),
    (lambda: probabilities_svg([0.5, 0.5]), "10 probabilities"),
    (lambda: strokes_to_grid([[(0, 0), (1, 1)]], size=0), "size=0"),
    (lambda: strokes_to_grid([[(0, 0), (1, 1)]], size=10.5), "size=10.5"),
])
def test_hostile_input_gives_one_clear_line(call, says):
    with pytest.raises(DigitPadError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith("digit pad: ") and "\n" not in message and says in message, \
        message


INK = st.one_of(st.integers(-2, 2), st.floats(), st.booleans(), st.none(), st.text(max_size=2))
POINT = st.one_of(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)),
                  st.lists(st.one_of(st.floats(), st.integers()), max_size=3), INK)


@given(st.one_of(st.lists(st.lists(INK, max_size=12), max_size=12),
                 st.lists(st.lists(POINT, max_size=6), max_size=4), INK))
def test_any_ink_gives_64_counts_or_one_line(ink):
    try:
        pixels = to_digits_8x8(ink)
    except DigitPadError as error:
        assert str(error).startswith("digit pad: ") and "\n" not in str(error)
        return
    assert len(pixels) == 64 and all(isinstance(v, int) and 0 <= v <= 16 for v in pixels)
    assert sum(pixels) > 0


@given(st.lists(st.integers(0, 2**45 - 1), min_size=45, max_size=45))
def test_fitting_commutes_with_mirroring(rows):
    """Nearest-pixel scaling of an odd-sized frame samples pixel centres, so a mirrored
    drawing gives the mirrored 8x8 (sampling from the pixels' corners would not)."""
    grid = [[(row >> bit) & 1 for bit in range(45)] for row in rows]
    for r, c in ((0, 0), (0, 44), (44, 0), (44, 44)):
        grid[r][c] = 1  # the ink's box is the whole 45x45 frame
    pixels = to_digits_8x8(grid)
    flipped = to_digits_8x8([row[::-1] for row in grid])
    assert flipped == [pixels[8 * i + 7 - j] for i in range(8) for j in range(8)]
    upside_down = to_digits_8x8(grid[::-1])
    assert upside_down == [pixels[8 * (7 - i) + j] for i in range(8) for j in range(8)]


@pytest.mark.parametrize("height, width", [(4, 40), (40, 4), (10, 30), (3, 5)])
def test_a_flat_or_narrow_drawing_is_centred_in_the_frame(height, width):
    grid = _embed([[1] * width for _ in range(height)], 50, 3, 2)
    pixels = to_digits_8x8(grid)
    rows = [sum(pixels[8 * i:8 * i + 8]) for i in range(8)]
    columns = [sum(pixels[j::8]) for j in range(8)]
    assert rows == rows[::-1] and columns == columns[::-1]
    assert sum(pixels) == 2 * round(16 * min(height, width) / max(height, width)) * 32


def test_ink_counts_from_one_half():
    faint = [[0.4] * 32 for _ in range(32)]
    assert to_digits_8x8(faint + [[0.5] * 32], fit=True) == to_digits_8x8([[1] * 32])


@pytest.mark.slow
def test_the_retraining_script_makes_the_shipped_models_recipe(tmp_path, digits):
    """docs/bench/train_digit_pad_model.py still trains a model of the shipped file's
    recipe that scores >= 95% (a few seconds on the compiled tape)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("numpy", reason="the script trains with fit(compile=True)")
    script = Path(__file__).resolve().parent.parent / "docs" / "bench" / \
        "train_digit_pad_model.py"
    out = tmp_path / "model.json"
    done = subprocess.run([sys.executable, str(script), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    retrained = json.loads(out.read_text())["metadata"]
    shipped = load_model().metadata
    assert retrained["settings"] == shipped["settings"]
    assert retrained["test_accuracy"] >= 0.95
    _, _, X_test, y_test = digits
    model = load_model(out)
    assert accuracy(y_test, [classify(x, model)["digit"] for x in X_test]) >= 0.95
