"""Save and load: versioned JSON, atomic writes, clear errors for bad files.

Properties: a saved-then-loaded model computes bit-identical outputs (oracle: the
original model); a failed write leaves the previous file intact and no temp file;
every kind of damaged file raises ModelFileError naming the file and the problem.
Hostile files (issue 10) and the fuzz of mutated files are in test_nn_model_files.py.
"""

import json
import os

import pytest

import nn
from nn import MLP, ModelFileError

SCALER = {"kind": "standard", "offset": [0.5, -1.0, 2.0], "scale": [1.0, 2.0, 0.5]}


@pytest.fixture
def model():
    return MLP(3, [5, 4, 2], activation=["tanh", "leaky_relu", "linear"], init="xavier",
               dropout=0.2, seed=7)


def test_round_trip_is_exact(tmp_path, model):
    path = tmp_path / "sub" / "model.json"
    model.save(path, metadata={"scaler": SCALER, "classes": [0, 1]})
    loaded = nn.load(path)
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    for x in ([0.1, -2.0, 3.5], [1e-3, 7.0, -0.25]):
        assert loaded.forward_data(x) == model.forward_data(x)
    assert loaded.architecture() == model.architecture()
    assert loaded.metadata == {"scaler": SCALER, "classes": [0, 1]}
    document = json.loads(path.read_text())
    assert document["format"] == "chainrule.model" and document["version"] == 2


def test_the_file_names_parameters_as_the_model_does(tmp_path, model):
    path = tmp_path / "model.json"
    model.save(path)
    stored = json.loads(path.read_text())["parameters"]
    assert list(stored) == [name for name, _ in model.named_parameters()]
    assert stored["L2.N4.w5"] == model.layers[1].neurons[3].w[4].data
    assert stored["L3.N1.b"] == model.layers[2].neurons[0].b.data


def _version_1(model) -> dict:
    """The layout chainrule wrote before parameters had names (format version 1)."""
    return {"format": "chainrule.model", "version": 1, "architecture": model.architecture(),
            "parameters": {"layers": [
                {"weights": [[w.data for w in n.w] for n in layer.neurons],
                 "biases": [n.b.data for n in layer.neurons]} for layer in model.layers]},
            "metadata": {"classes": [0, 1]}}


def test_version_1_files_still_load(tmp_path, model):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_version_1(model), indent=1))
    loaded = nn.load(path)
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert loaded.architecture() == model.architecture()
    assert loaded.metadata == {"classes": [0, 1]}


def test_file_is_never_pickle(tmp_path, model):
    path = tmp_path / "model.json"
    nn.save(model, path)
    assert path.read_bytes().startswith(b"{")


def test_failed_write_keeps_previous_file_and_leaves_no_temp(tmp_path, model, monkeypatch):
    path = tmp_path / "model.json"
    model.save(path)
    before = path.read_bytes()
    other = MLP(3, [5, 4, 2], seed=8)

    def crash(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        other.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_non_finite_parameters_are_refused_before_writing(tmp_path, model):
    path = tmp_path / "model.json"
    model.save(path)
    before = path.read_bytes()
    model.parameters()[0].data = float("inf")
    with pytest.raises(ValueError, match="parameter L1.N1.w1 is inf"):
        model.save(path)
    assert path.read_bytes() == before


def test_nan_in_metadata_is_not_blamed_on_a_parameter(tmp_path, model):
    path = tmp_path / "model.json"
    with pytest.raises(ValueError, match="metadata holds a NaN") as info:
        model.save(path, metadata={"test_accuracy": float("nan")})
    assert "parameter" not in str(info.value)
    assert not path.exists()


def _damage(path, edit):
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def _as_version_1(path, edit):
    document = _version_1(nn.load(path))
    edit(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("damage,message", [
    (lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]), "not valid JSON"),
    (lambda p: p.write_bytes(b"\x80\x81garbage"), "not UTF-8"),
    (lambda p: p.write_text("[1, 2, 3]"), "not a chainrule model"),
    (lambda p: _damage(p, lambda d: d.update(version=3)), "format version 3.*reads versions 1, 2"),
    (lambda p: _damage(p, lambda d: d.pop("architecture")), "has no architecture"),
    (lambda p: _damage(p, lambda d: d["parameters"].pop("L2.N1.b")),
     "declares 54 parameters in its architecture but holds 53"),
    (lambda p: _damage(p, lambda d: d["parameters"].update({"L1.N1.b": None})),
     "parameter 'L1.N1.b' holds None, not a finite number"),
    (lambda p: _damage(p, lambda d: d["parameters"].update({"L9.N1.b": d["parameters"].pop(
        "L1.N1.b")})), "has no parameter L1.N1.b"),
    (lambda p: _as_version_1(p, lambda d: d["parameters"]["layers"].pop()),
     "2 layers of parameters"),
    (lambda p: _as_version_1(p, lambda d: d["parameters"]["layers"][0]["weights"][0].pop()),
     "layer 1 parameters do not have the shape 5 neurons x 3 inputs"),
    (lambda p: _as_version_1(p, lambda d: d["parameters"]["layers"][1]["biases"].__setitem__(
        0, "x")), "layer 2 holds 'x'"),
    (lambda p: _damage(p, lambda d: d["architecture"].update(activations=["gelu"] * 3)),
     "architecture.activations\\[0\\] is 'gelu', not one of"),
])
def test_damaged_files_give_clear_errors(tmp_path, model, damage, message):
    path = tmp_path / "model.json"
    model.save(path)
    damage(path)
    with pytest.raises(ModelFileError, match=message) as info:
        nn.load(path)
    assert str(path) in str(info.value)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.json")
