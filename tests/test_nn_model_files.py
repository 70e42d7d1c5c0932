"""Hostile model files (issue 10 §3, §4): every one ends in ModelFileError naming the file.

Properties:
- a file that declares a huge architecture is refused before anything is built
  (oracle: tracemalloc's peak, far below what the declared model would need);
- files nested too deep, holding integer literals thousands of digits long, NaN or
  infinity, or metadata blocks of the wrong type are refused, each with its reason;
- a fuzz of mutated model.json files (truncation, type swaps, nesting, inflated numbers,
  removed and extra keys): each either loads to the model its text describes (oracle:
  the document read back by the json module) or raises ModelFileError naming the file.
"""

import json
import math
import os
import stat
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from nn import MLP, ModelFileError
from nn.model_file import MAX_DEPTH, MAX_FILE_BYTES, MAX_INT_DIGITS, MAX_PARAMETERS

METADATA = {"dataset": "moons", "loss": "cross_entropy", "n_classes": 2,
            "scaler": {"kind": "standard", "offset": [0.25, -0.5], "scale": [1.5, 0.75]},
            "settings": {"dataset": "moons", "samples": 300, "seed": 0}, "test_accuracy": 0.95}


def _model() -> MLP:
    return MLP(2, [3, 2], activation=["tanh", "linear"], seed=3)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.json"
    _model().save(path, metadata=METADATA)
    return path


def _refused(path, *needles):
    with pytest.raises(ModelFileError) as info:
        nn.load(path)
    message = str(info.value)
    assert f"model file {path}" in message, message
    for needle in needles:
        assert needle in message, message
    assert "\n" not in message and len(message) < 400, message
    return message


def _edit(path, change):
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


# --- resource bombs -----------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_a_small_file_declaring_1e8_inputs_allocates_nothing(tmp_path, version):
    parameters = ({"layers": [{"weights": [[0.5, 0.5]], "biases": [0.0]}]} if version == 1
                  else {"L1.N1.w1": 0.5, "L1.N1.w2": 0.5, "L1.N1.b": 0.0})
    document = {"format": "chainrule.model", "version": version,
                "architecture": {"type": "MLP", "nin": 10**8, "nouts": [1],
                                 "activations": ["linear"], "init": "uniform", "dropout": 0.0},
                "parameters": parameters, "metadata": {}}
    path = tmp_path / "bomb.json"
    path.write_text(json.dumps(document))
    assert path.stat().st_size < 600
    tracemalloc.start()
    try:
        _refused(path, f"above the {MAX_PARAMETERS:,}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # 1e8 Values would be gigabytes


def test_an_architecture_that_disagrees_with_the_parameters_present_is_refused(saved):
    _edit(saved, lambda d: d["architecture"].update(nouts=[30, 2]))
    _refused(saved, "declares 152 parameters in its architecture but holds 17")


def test_a_file_above_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk, no time
    _refused(path, f"{MAX_FILE_BYTES + 1:,} bytes", "limit")


def test_json_nested_100000_deep_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    _refused(path, "nested too deeply")


def test_metadata_nested_past_the_limit_is_refused_by_its_place(saved):
    deep: list = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    _edit(saved, lambda d: d["metadata"].update(notes=deep))
    _refused(saved, f"nested more than {MAX_DEPTH} levels", "metadata.notes[0]")


@pytest.mark.parametrize("where", ["version", "weight", "nin", "metadata"])
def test_integer_literals_thousands_of_digits_long_are_refused(saved, where):
    text = saved.read_text()
    huge = "7" * 5000
    replaced = {"version": text.replace('"version": 2', f'"version": {huge}'),
                "weight": text.replace('"L1.N1.b": 0.0', f'"L1.N1.b": {huge}'),
                "nin": text.replace('"nin": 2', f'"nin": {huge}'),
                "metadata": text.replace('"n_classes": 2', f'"n_classes": {huge}')}[where]
    assert replaced != text
    saved.write_text(replaced)
    _refused(saved, "integer literal 5000 digits long", f"at most {MAX_INT_DIGITS}")


def test_an_integer_weight_within_the_limit_still_loads(saved):
    _edit(saved, lambda d: d["parameters"].update({"L1.N1.b": 10**200}))
    assert nn.load(saved).layers[0].neurons[0].b.data == 1e200


# --- wrong numbers and wrong types --------------------------------------------------


@pytest.mark.parametrize("change,needles", [
    (lambda d: d["metadata"]["scaler"]["offset"].__setitem__(0, math.nan),
     ["nan at metadata.scaler.offset[0]"]),
    (lambda d: d["metadata"].update(test_accuracy=math.inf), ["inf at metadata.test_accuracy"]),
    (lambda d: d["parameters"].update({"L2.N2.w3": -math.inf}), ["-inf at parameters.L2.N2.w3"]),
])
def test_nan_and_infinity_are_refused_where_they_are(saved, change, needles):
    _edit(saved, change)
    message = _refused(saved, *needles)
    if "metadata" in needles[0]:
        assert "parameter" not in message  # NaN in metadata is not blamed on a parameter


@pytest.mark.parametrize("change,needle", [
    (lambda d: d.update(metadata=[1, 2]), "metadata is a list, not an object"),
    (lambda d: d["metadata"].update(loss="hack"), "metadata.loss is 'hack'"),
    (lambda d: d["metadata"].update(loss=["cross_entropy"]), "metadata.loss is a list of 1"),
    (lambda d: d["metadata"].update(scaler="standard"), "metadata.scaler is not a saved scaler"),
    (lambda d: d["metadata"]["scaler"].pop("offset"), "metadata.scaler is not a saved scaler"),
    (lambda d: d["metadata"]["scaler"].update(scale=[0.0, 1.0]), "no zero scale"),
    (lambda d: d["metadata"]["scaler"].update(offset=[1.0], scale=[1.0]),
     "metadata.scaler is fitted on 1 features but the model takes 2"),
    (lambda d: d["metadata"].update(settings=[1]), "metadata.settings is a list of 1"),
    (lambda d: d["metadata"].update(n_classes="2"), "metadata.n_classes is '2'"),
    (lambda d: d["metadata"].update(test_accuracy=7), "metadata.test_accuracy is 7"),
    (lambda d: d["architecture"].update(nin=True), "architecture.nin is True"),
    (lambda d: d["architecture"].update(nouts=[3, 0]), "architecture.nouts is a list of 2"),
    (lambda d: d["architecture"].update(dropout="0.1"), "architecture.dropout is '0.1'"),
    (lambda d: d["architecture"].update(init={"x": 1}), "architecture.init is a dict of 1"),
    (lambda d: d["architecture"].update(type=None), "architecture type None"),
    (lambda d: d.update(version="2"), "format version '2'"),
    (lambda d: d.update(version=True), "format version True"),
])
def test_blocks_of_the_wrong_type_or_missing_keys_are_refused_by_name(saved, change, needle):
    _edit(saved, change)
    _refused(saved, needle)


# --- what a save leaves on disk -----------------------------------------------------


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_model_file_gets_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        _model().save(tmp_path / "model.json")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "model.json").stat().st_mode) == mode


def test_replacing_a_model_file_keeps_its_mode(saved):
    os.chmod(saved, 0o640)
    _model().save(saved)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o640


# --- the fuzz -----------------------------------------------------------------------

NEST, HUGE = "\x00nest\x00", "\x00huge\x00"  # stand-ins json.dumps cannot write itself

swapped_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.sampled_from(["kind", "offset", "L1.N1.b", "type"]), st.integers(0, 2),
                    max_size=2),
    st.just(NEST), st.just(HUGE))


def _places(node, path=()):
    """Every (container, key) of a document, the top level's keys included."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield node, key
            yield from _places(child, path + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield node, index
            yield from _places(child, path + (index,))


def _mutate(document, data):
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        places = list(_places(document))
        container, key = data.draw(st.sampled_from(places), label="place")
        action = data.draw(st.sampled_from(["swap", "remove", "extra", "inflate"]),
                           label="action")
        if action == "swap":
            container[key] = data.draw(swapped_values, label="value")
        elif action == "remove":
            container.pop(key)
        elif action == "extra":
            target = container[key] if isinstance(container[key], (dict, list)) else container
            if isinstance(target, dict):
                target[data.draw(st.text(max_size=6), label="new key")] = data.draw(
                    swapped_values, label="new value")
            else:
                target.append(data.draw(swapped_values, label="new item"))
        elif isinstance(container[key], (int, float)) and not isinstance(container[key], bool):
            container[key] = data.draw(st.sampled_from([1e308, -1e308, 10**300, 5e-324]),
                                       label="inflated")


def _as_version_1(document: dict) -> dict:
    """The same model in format version 1: per-layer weight rows and biases."""
    sizes = [document["architecture"]["nin"]] + document["architecture"]["nouts"]
    named = document["parameters"]
    layers = [{"weights": [[named[f"L{k}.N{j}.w{i}"] for i in range(1, sizes[k - 1] + 1)]
                           for j in range(1, sizes[k] + 1)],
               "biases": [named[f"L{k}.N{j}.b"] for j in range(1, sizes[k] + 1)]}
              for k in range(1, len(sizes))]
    return {**document, "version": 1, "parameters": {"layers": layers}}


def _text(document, data) -> str:
    text = json.dumps(document, indent=1)
    depth = data.draw(st.sampled_from([MAX_DEPTH, 5_000, 200_000]), label="nesting")
    text = text.replace(json.dumps(NEST), "[" * depth + "0" + "]" * depth)
    digits = data.draw(st.integers(10, 20_000), label="digits")
    text = text.replace(json.dumps(HUGE), "9" * digits)
    if data.draw(st.booleans(), label="truncate"):
        text = text[:data.draw(st.integers(0, len(text)), label="length")]
    return text


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_model_file_loads_faithfully_or_names_itself(tmp_path, data):
    original = tmp_path / "original.json"
    _model().save(original, metadata=METADATA)
    document = json.loads(original.read_text())
    if data.draw(st.booleans(), label="version 1"):  # the old layout has its own reader
        document = _as_version_1(document)
    _mutate(document, data)
    path = tmp_path / "mutated.json"
    path.write_text(_text(document, data))
    try:
        model = nn.load(path)
    except ModelFileError as error:
        assert f"model file {path}" in str(error)
        return
    # it loaded: it must be exactly what the text says (the json module is the oracle)
    described = json.loads(path.read_text())
    arch = described["architecture"]
    assert [model.nin] + model.nouts == [arch["nin"]] + arch["nouts"]
    assert [layer.activation for layer in model.layers] == arch["activations"]
    if described["version"] == 1:
        stored = [number for layer in described["parameters"]["layers"]
                  for row, bias in zip(layer["weights"], layer["biases"])
                  for number in row + [bias]]
        assert [p.data for p in model.parameters()] == [float(n) for n in stored]
    else:
        for name, parameter in model.named_parameters():
            assert parameter.data == float(described["parameters"][name])
    assert model.metadata == described.get("metadata", {})
