"""``chainrule train --data DIR`` (IDX folders), ``--model cnn`` and the recipe's flags
(``--scale pixels``, ``--augment shift``, ``--schedule cosine``, adamw), tiny versions
only: a few 8x8 images for one or two epochs, so the suite stays fast.  The full recipe's
accuracy is measured by benchmarks/digits_cnn.py.

Oracles: the files the tests write; an independent shift written with 2-D indexing; the
cosine formula; the scalar engine for ``fit(augment=...)`` on the compiled tape.
"""

import gzip
import json
import math
import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from chainrule.cli import main
from chainrule.train_recipe import shift_images
from nn.data import PixelScaler, scaler_from_dict


def idx(items, shape) -> bytes:
    return (struct.pack(">4B", 0, 0, 8, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
            + bytes(items))


@pytest.fixture
def idx_folder(tmp_path):
    rng = random.Random(0)
    for part, n in (("train", 30), ("t10k", 9)):
        labels = [i % 3 for i in range(n)]
        pixels = [200 if x // 3 == t else rng.randint(0, 30)
                  for t in labels for y in range(8) for x in range(8)]
        (tmp_path / f"{part}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx(pixels,
                                                                                  (n, 8, 8))))
        (tmp_path / f"{part}-labels-idx1-ubyte").write_bytes(idx(labels, (n,)))
    return tmp_path


def test_train_on_an_idx_folder_with_the_cnn_recipe(idx_folder, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_folder), "--model", "cnn", "--epochs", "2",
                 "--no-progress", "--no-plots", "--compile", "--out", str(out)]) == 0
    assert "9 test" in capsys.readouterr().out  # the t10k files are the test split
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert {k: settings[k] for k in ("optimizer", "lr", "weight_decay", "schedule", "augment",
                                     "scale", "batch_size", "model")} == {
        "optimizer": "adamw", "lr": 3e-3, "weight_decay": 0.01, "schedule": "cosine",
        "augment": "shift", "scale": "pixels", "batch_size": 32, "model": "cnn"}
    model = nn.load(out / "model.json")
    assert isinstance(model, nn.Sequential) and model.input_shape == (1, 8, 8)
    assert [type(m).__name__ for m in model.modules] == [
        "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert model.metadata["scaler"]["scale"] == [255.0] * 64


def test_every_recipe_knob_works_with_an_mlp_too(idx_folder, tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--data", str(idx_folder), "--hidden", "8", "--epochs", "3",
                 "--scale", "pixels", "--augment", "shift", "--schedule", "cosine",
                 "--optimizer", "adamw", "--weight-decay", "0.01", "--lr", "0.01",
                 "--early-stopping", "0", "--no-progress", "--no-plots",
                 "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    want = [0.01 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]
    assert metrics["history"]["lr"] == pytest.approx(want, abs=1e-15)
    assert isinstance(nn.load(out / "model.json"), nn.MLP)


@pytest.mark.parametrize("files, message", [
    ([], "no train-images-"),
    (["train-images-idx3-ubyte"], "no train-images-"),
])
def test_a_folder_without_idx_files_is_one_line(tmp_path, capsys, files, message):
    for name in files:
        (tmp_path / name).write_bytes(idx([0] * 4, (1, 2, 2)))
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_damaged_idx_file_is_one_line(idx_folder, tmp_path, capsys):
    (idx_folder / "train-labels-idx1-ubyte").write_bytes(idx([0] * 29, (30,)))
    assert main(["train", "--data", str(idx_folder), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "is truncated" in err and len(err.splitlines()) == 1


def shifted_2d(row, c, h, w, dy, dx):
    grid = [[[row[(ch * h + y) * w + x] for x in range(w)] for y in range(h)] for ch in range(c)]
    return [grid[ch][y + dy][x + dx] if 0 <= y + dy < h and 0 <= x + dx < w else 0.0
            for ch in range(c) for y in range(h) for x in range(w)]


@given(c=st.integers(1, 2), h=st.integers(1, 5), w=st.integers(1, 5),
       seed=st.integers(0, 1000), data=st.data())
def test_shift_moves_each_chosen_image_by_one_pixel(c, h, w, seed, data):
    X = data.draw(st.lists(st.lists(st.floats(1, 9), min_size=c * h * w, max_size=c * h * w),
                           min_size=1, max_size=6))
    out = shift_images(X, (c, h, w), random.Random(seed), share=1.0)
    for row, moved in zip(X, out):
        assert any(moved == shifted_2d(row, c, h, w, dy, dx)
                   for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)))
    assert shift_images(X, (c, h, w), random.Random(seed), share=0.0) == X


@pytest.mark.parametrize("compile", [False, True], ids=["scalar", "compiled"])
def test_fit_trains_on_the_augmented_rows(compile):
    X = [[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7], [2.0, 1.0]]
    y = [0, 1, 0, 1]
    seen = []

    def zeroed(rows, epoch):
        seen.append(epoch)
        return [[0.0, 0.0] for _ in rows]

    model = nn.MLP(2, [2], seed=0)
    history = nn.fit(model, X, y, epochs=2, batch_size=4, optimizer="sgd", lr=0.0,
                     progress=False, augment=zeroed, compile=compile)
    assert seen == [1, 2]
    # on all-zero rows the logits are the biases, 0: the loss is log(2) whatever X holds
    assert history.train_loss == pytest.approx([math.log(2)] * 2, abs=1e-12)


def test_pixel_scaler_divides_and_survives_a_model_file():
    scaler = PixelScaler(16).fit([[0.0, 16.0]])
    assert scaler.transform([[8.0, 4.0]]) == [[0.5, 0.25]]
    again = scaler_from_dict(json.loads(json.dumps(scaler.to_dict())))
    assert again.transform([[8.0, 4.0]]) == [[0.5, 0.25]]
