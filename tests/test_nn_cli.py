"""``chainrule train``, ``chainrule predict`` and the demo's plots, end to end.

Oracles: the files the command writes, read back independently (json, nn.load,
nn.predict), and the one-line error contract of the command line.
"""

import json

import pytest

import nn
from chainrule import demo
from chainrule.cli import main
from nn.data import scaler_from_dict


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["train", "--dataset", "xor", "--samples", "120", "--hidden", "8,8",
                 "--epochs", "6", "--batch-size", "16", "--seed", "3", "--no-progress",
                 "--out", str(out)])
    assert code == 0
    return out


def test_train_writes_metrics_model_and_plots(trained):
    metrics = json.loads((trained / "metrics.json").read_text())
    assert set(metrics["accuracy"]) == {"train", "val", "test"}
    assert metrics["settings"]["hidden_sizes"] == [8, 8]
    assert metrics["settings"]["init"] == "he"
    assert len(metrics["history"]["train_loss"]) == metrics["epochs_run"] == 6
    assert sum(map(sum, metrics["confusion_matrix_test"])) == 24
    model = nn.load(trained / "model.json")
    assert model.nouts == [8, 8, 2]
    # the model file reproduces the reported test accuracy on the rebuilt split
    from chainrule.train_cmd import load_splits

    _, _, X_test, _, _, y_test = load_splits(model.metadata["settings"])
    scaler = scaler_from_dict(model.metadata["scaler"])
    assert nn.accuracy(y_test, nn.predict(model, scaler.transform(X_test))) == \
        metrics["accuracy"]["test"]
    if pytest.importorskip("matplotlib"):
        for name in ("loss.png", "gradient_flow.png", "decision_boundary.png"):
            assert (trained / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predict_points_and_evaluate(trained, capsys):
    capsys.readouterr()
    assert main(["predict", str(trained / "model.json"), "--point", "0.8,0.7",
                 "--point=-0.8,0.7", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    model = nn.load(trained / "model.json")
    scaler = scaler_from_dict(model.metadata["scaler"])
    expected = nn.predict(model, scaler.transform([[0.8, 0.7], [-0.8, 0.7]]))
    assert [r["class"] for r in rows] == expected
    assert all(sum(r["probabilities"]) == pytest.approx(1.0) for r in rows)
    assert main(["predict", str(trained / "model.json"), "--evaluate"]) == 0
    metrics = json.loads((trained / "metrics.json").read_text())
    assert f"accuracy {metrics['accuracy']['test']:.1%}" in capsys.readouterr().out


def test_predict_reads_csv_with_header(trained, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text("x0,x1\n0.8,0.7\n-0.8,0.7\n")
    capsys.readouterr()
    assert main(["predict", str(trained / "model.json"), "--csv", str(rows)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


@pytest.mark.parametrize("argv,message", [
    (["train", "--hidden", "8,x"], "--hidden '8,x': give layer sizes as ints"),
    (["train", "--epochs", "0"], "argument --epochs: 0 is out of range"),
    (["train", "--dataset", "spiral", "--loss", "bce"], "--loss bce is for two classes"),
    (["predict", "missing.json", "--point", "1,2"], "missing.json"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys, tmp_path):
    assert main(argv + (["--out", str(tmp_path)] if argv[0] == "train" else [])) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_predict_explains_wrong_width_and_corrupt_file(trained, tmp_path, capsys):
    assert main(["predict", str(trained / "model.json"), "--point", "1,2,3"]) == 2
    assert "has 3 numbers but the model takes 2" in capsys.readouterr().err
    broken = tmp_path / "model.json"
    broken.write_text((trained / "model.json").read_text()[:200])
    assert main(["predict", str(broken), "--point", "1,2"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_digits_without_scikit_learn_names_the_extra(monkeypatch, capsys, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert main(["train", "--dataset", "digits", "--out", str(tmp_path)]) == 2
    assert "'.[digits]'" in capsys.readouterr().err


def test_demo_without_matplotlib_skips_plots_with_one_note(monkeypatch, capsys, tmp_path):
    import visualize.plots

    monkeypatch.setattr(visualize.plots, "plotting_available", lambda: False)
    demo._demo_plots(tmp_path, None, [], [], [], [])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "plots skipped: matplotlib is not installed" in out
    assert list(tmp_path.iterdir()) == []


def test_diverging_run_exits_1_writes_its_record_and_no_model(tmp_path, capsys):
    code = main(["train", "--dataset", "moons", "--loss", "mse",
                 "--optimizer", "sgd", "--lr", "100", "--epochs", "2", "--no-progress",
                 "--no-plots", "--out", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "training stopped at epoch 1, batch" in err
    assert "no model.json is written" in err and "metrics.diverged.json" in err
    metrics = json.loads((tmp_path / "metrics.diverged.json").read_text())
    assert metrics["stopped"].startswith("training stopped at epoch 1")
    assert not (tmp_path / "model.json").exists()
    # the last finite parameters, loadable, and marked as diverged
    diverged = nn.load(tmp_path / "model.diverged.json")
    assert diverged.nouts == [16, 16, 2] and diverged.metadata["diverged"] == metrics["stopped"]


def test_train_with_dropout_compiles_and_follows_the_scalar_run(tmp_path):
    """``--dropout P --compile`` trains on the tape with the masks that the scalar
    engine draws for the same seed: the same history and the same weights."""
    runs = []
    for flags in ([], ["--compile"]):
        out = tmp_path / ("compiled" if flags else "scalar")
        code = main(["train", "--dataset", "moons", "--samples", "80", "--hidden", "8,8",
                     "--dropout", "0.2", "--epochs", "2", "--seed", "1", "--no-progress",
                     "--no-plots", "--out", str(out), *flags])
        assert code == 0
        metrics = json.loads((out / "metrics.json").read_text())
        runs.append((metrics["history"]["train_loss"],
                     [p.data for p in nn.load(out / "model.json").parameters()]))
    assert runs[1][0] == pytest.approx(runs[0][0], rel=1e-9)
    assert runs[1][1] == pytest.approx(runs[0][1], rel=1e-9, abs=1e-12)
