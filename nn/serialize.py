"""Save and load models as versioned JSON: architecture + parameters, never pickle.

>>> import os, tempfile
>>> from nn import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "model.json")
>>> model.save(path, metadata={"classes": [0, 1]})
>>> again = load(path)
>>> again.forward_data([0.5, -1.0]) == model.forward_data([0.5, -1.0])
True
>>> again.metadata["classes"]
[0, 1]

Parameters are stored by the names of ``model.named_parameters()`` (``"L1.N2.w1"``),
so a reader of model.json finds the weight a picture shows.  Files of version 1
(per-layer weight and bias arrays) still load.  The file is written to a temporary
file in the same folder and moved into place with ``os.replace``, so a crash
mid-write never leaves a half-written model.json.  Floats are written with ``repr``
precision, so a loaded model computes exactly the same numbers.

Loading checks everything before it builds anything: the declared architecture
against the parameters present (a small file cannot declare 1e8 inputs and make
the reader allocate them), every number finite, and the metadata that chainrule
itself reads (``loss``, ``scaler``, ``settings``, ``n_classes``, ``dataset``,
``test_accuracy``).  Every problem is a :class:`ModelFileError` naming the file.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from .data import scaler_from_dict
from .losses import LOSSES
from .model_file import (
    FORMAT,
    MAX_PARAMETERS,
    VERSION,
    ModelFileError,
    PathLike,
    fail,
    read_document,
    short,
    write_model,
)
from .modules import ACTIVATIONS, INITIALIZERS, MLP, Module

__all__ = ["save", "load", "ModelFileError", "FORMAT", "VERSION"]


def save(model: Module, path: PathLike, metadata: Optional[dict] = None) -> None:
    """Write ``model`` (an MLP) to ``path`` atomically.  ``metadata`` is any JSON-able
    dict kept alongside (a data scaler, class names, training settings)."""
    write_model(model, path, metadata)


def load(path: PathLike) -> MLP:
    """Rebuild the model saved at ``path``; its metadata is ``model.metadata``."""
    document = read_document(path)
    if isinstance(document.get("architecture"), dict) \
            and document["architecture"].get("type") == "Sequential":
        return _load_sequential(path, document)
    arch = _architecture(path, document.get("architecture"))
    sizes = [arch["nin"]] + arch["nouts"]
    shapes = [(sizes[i + 1], sizes[i]) for i in range(len(arch["nouts"]))]  # (neurons, inputs)
    count = sum(neurons * (inputs + 1) for neurons, inputs in shapes)
    if count > MAX_PARAMETERS:
        raise fail(path, f"declares {count:,} parameters, above the {MAX_PARAMETERS:,} a "
                         "model file may hold")
    stored = document.get("parameters")
    if document["version"] == 1:
        numbers = _layer_arrays(path, stored, shapes)
    elif not isinstance(stored, dict) or len(stored) != count:
        raise fail(path, f"declares {count} parameters in its architecture but holds "
                         f"{len(stored) if isinstance(stored, dict) else 'no'} named ones")
    else:
        for name, number in stored.items():
            _check_number(path, f"parameter {short(name)}", number)
    metadata = _metadata(path, document.get("metadata", {}), arch["nin"])
    model = MLP(arch["nin"], arch["nouts"], activation=arch["activations"],
                init=arch["init"], dropout=arch["dropout"], seed=0)
    if document["version"] == 1:
        for parameter, number in zip(model.parameters(), numbers):
            parameter.data = float(number)
    else:
        for name, parameter in model.named_parameters():
            if name not in stored:  # as many names as parameters, so one is misspelt
                raise fail(path, f"has no parameter {name} (its architecture needs "
                                 f"{next(iter(model.named_parameters()))[0]} ... by name)")
            parameter.data = float(stored[name])
    model.metadata = metadata
    return model


def _architecture(path, arch: Any) -> dict:
    """The declared architecture, each field checked, defaults filled in."""
    if not isinstance(arch, dict):
        raise fail(path, "has no architecture object")
    if arch.get("type") != "MLP":
        raise fail(path, f"has architecture type {short(arch.get('type'))}; only MLP is known")
    nin, nouts = arch.get("nin"), arch.get("nouts")
    if not _positive_int(nin):
        raise fail(path, f"architecture.nin is {short(nin)}, not a positive int")
    if not isinstance(nouts, list) or not nouts or not all(map(_positive_int, nouts)):
        raise fail(path, f"architecture.nouts is {short(nouts)}, not a list of positive "
                         "ints")
    activations = arch.get("activations")
    if not isinstance(activations, list) or len(activations) != len(nouts):
        raise fail(path, f"architecture.activations is {short(activations)}, not a list "
                         f"of {len(nouts)} names, one per layer")
    for index, name in enumerate(activations):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise fail(path, f"architecture.activations[{index}] is {short(name)}, not one "
                             f"of {', '.join(sorted(ACTIVATIONS))}")
    init = arch.get("init", "uniform")
    if not isinstance(init, str) or init not in INITIALIZERS:
        raise fail(path, f"architecture.init is {short(init)}, not one of "
                         f"{', '.join(sorted(INITIALIZERS))}")
    dropout = arch.get("dropout", 0.0)
    if not _real(dropout) or not 0.0 <= dropout < 1.0:
        raise fail(path, f"architecture.dropout is {short(dropout)}, not a number in [0, 1)")
    return {"nin": nin, "nouts": nouts, "activations": activations, "init": init,
            "dropout": dropout}


def _layer_arrays(path, stored: Any, shapes: list) -> list:
    """Version 1's ``{"layers": [{"weights": [[...]], "biases": [...]}]}``, flattened in
    ``parameters()`` order (each neuron's weights, then its bias)."""
    layers = stored.get("layers") if isinstance(stored, dict) else None
    if not isinstance(layers, list) or len(layers) != len(shapes):
        raise fail(path, f"lists {len(layers) if isinstance(layers, list) else 'no'} layers "
                         f"of parameters but the architecture has {len(shapes)}")
    numbers = []
    for index, (layer, (neurons, inputs)) in enumerate(zip(layers, shapes), start=1):
        weights = layer.get("weights") if isinstance(layer, dict) else None
        biases = layer.get("biases") if isinstance(layer, dict) else None
        if (not isinstance(weights, list) or not isinstance(biases, list)
                or len(weights) != neurons or len(biases) != neurons
                or not all(isinstance(row, list) and len(row) == inputs for row in weights)):
            raise fail(path, f"layer {index} parameters do not have the shape {neurons} "
                             f"neurons x {inputs} inputs of its architecture")
        for row, bias in zip(weights, biases):
            for number in row + [bias]:
                _check_number(path, f"layer {index}", number)
                numbers.append(number)
    return numbers


def _check_number(path, where: str, number: Any) -> None:
    if not _real(number):
        raise fail(path, f"{where} holds {short(number)}, not a finite number")


def _metadata(path, meta: Any, nin: int) -> dict:
    """The metadata, with the keys chainrule reads checked (others are the user's)."""
    if not isinstance(meta, dict):
        raise fail(path, f"metadata is a {type(meta).__name__}, not an object")
    loss = meta.get("loss")
    if loss is not None and not (isinstance(loss, str) and loss in LOSSES):
        raise fail(path, f"metadata.loss is {short(loss)}, not one of "
                         f"{', '.join(sorted(LOSSES))}")
    scaler = meta.get("scaler")
    if scaler is not None:
        try:
            width = len(scaler_from_dict(scaler).offset)
        except ValueError as error:
            raise fail(path, f"metadata.scaler is not a saved scaler ({error})") from None
        if width != nin:
            raise fail(path, f"metadata.scaler is fitted on {width} features but the model "
                             f"takes {nin}")
    for key, kind, test in (("settings", "an object", lambda v: isinstance(v, dict)),
                            ("dataset", "a string", lambda v: isinstance(v, str)),
                            ("n_classes", "a positive int", _positive_int),
                            ("test_accuracy", "a number in [0, 1]",
                             lambda v: _real(v) and 0 <= v <= 1)):
        value = meta.get(key)
        if value is not None and not test(value):
            raise fail(path, f"metadata.{key} is {short(value)}, not {kind}")
    return meta


def _positive_int(value: Any) -> bool:
    return type(value) is int and value >= 1


def _real(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _load_sequential(path, document: dict) -> Module:
    """A saved :class:`nn.Sequential`: its layers rebuilt, every parameter by name."""
    from .layers import sequential_from_architecture  # nn.layers imports nn.modules too

    try:
        model = sequential_from_architecture(document["architecture"])
    except (ValueError, TypeError) as error:
        raise fail(path, f"has a Sequential architecture that cannot be built: {error}") from None
    stored = document.get("parameters")
    named = model.named_parameters()
    if not isinstance(stored, dict) or len(stored) != len(named):
        raise fail(path, f"declares {len(named)} parameters in its architecture but holds "
                         f"{len(stored) if isinstance(stored, dict) else 'no'} named ones")
    for name, parameter in named:
        if name not in stored:
            raise fail(path, f"has no parameter {name} (its architecture needs it by name)")
        _check_number(path, f"parameter {short(name)}", stored[name])
        parameter.data = float(stored[name])
    model.metadata = _metadata(path, document.get("metadata", {}), model.nin)
    return model
