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

The file is written to a temporary file in the same folder and moved into place
with ``os.replace``, so a crash mid-write never leaves a half-written model.json.
Floats are written with ``repr`` precision, so a loaded model computes exactly the
same numbers.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Optional, Union

from .modules import MLP, Module

__all__ = ["save", "load", "ModelFileError", "FORMAT", "VERSION"]

FORMAT = "chainrule.model"
VERSION = 1

PathLike = Union[str, os.PathLike]


class ModelFileError(ValueError):
    """A model file that cannot be read: corrupt, truncated, of another version."""


def save(model: Module, path: PathLike, metadata: Optional[dict] = None) -> None:
    """Write ``model`` (an MLP) to ``path`` atomically.  ``metadata`` is any JSON-able
    dict kept alongside (a data scaler, class names, training settings)."""
    if not hasattr(model, "architecture"):
        raise TypeError(f"save: {type(model).__name__} has no architecture() to save; "
                        "save an MLP")
    layers = [{"weights": [[w.data for w in n.w] for n in layer.neurons],
               "biases": [n.b.data for n in layer.neurons]} for layer in model.layers]
    document = {"format": FORMAT, "version": VERSION, "architecture": model.architecture(),
                "parameters": {"layers": layers}, "metadata": metadata or {}}
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError(f"save: the model has a parameter that is NaN or infinite, so "
                         f"{path} would not be valid JSON; train with a smaller learning "
                         "rate or gradient clipping") from None
    except TypeError as error:
        raise TypeError(f"save: metadata is not JSON-serializable ({error}); keep it to "
                        "dicts, lists, strings and numbers") from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise


def _fail(path, problem: str) -> ModelFileError:
    return ModelFileError(f"model file {path}: {problem}; re-create it with model.save() "
                          "or `chainrule train`")


def load(path: PathLike) -> MLP:
    """Rebuild the model saved at ``path``; its metadata is ``model.metadata``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(path, "is not UTF-8 text (is it a model.json?)") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _fail(path, f"is not valid JSON (truncated or corrupt? {error.msg} at line "
                          f"{error.lineno}, column {error.colno})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _fail(path, f"is not a chainrule model (expected \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if version != VERSION:
        raise ModelFileError(f"model file {path} has format version {version!r}, but this "
                             f"chainrule reads version {VERSION}; re-save the model with "
                             "the chainrule that trained it, or upgrade chainrule")
    try:
        arch = document["architecture"]
        layers = document["parameters"]["layers"]
        metadata = document.get("metadata", {})
        if arch["type"] != "MLP":
            raise _fail(path, f"has architecture type {arch['type']!r}; only MLP is known")
        model = MLP(arch["nin"], arch["nouts"], activation=arch["activations"],
                    init=arch.get("init", "uniform"), dropout=arch.get("dropout", 0.0),
                    seed=0)
        if len(layers) != len(model.layers):
            raise _fail(path, f"lists {len(layers)} layers of parameters but the "
                              f"architecture has {len(model.layers)}")
        for index, (stored, layer) in enumerate(zip(layers, model.layers)):
            weights, biases = stored["weights"], stored["biases"]
            shape = (len(layer.neurons), len(layer.neurons[0].w))
            if (len(weights) != shape[0] or len(biases) != shape[0]
                    or any(len(row) != shape[1] for row in weights)):
                raise _fail(path, f"layer {index} parameters do not have the shape "
                                  f"{shape[0]} neurons x {shape[1]} inputs of its architecture")
            for neuron, row, bias in zip(layer.neurons, weights, biases):
                for w, number in zip(neuron.w + [neuron.b], list(row) + [bias]):
                    if (not isinstance(number, (int, float)) or isinstance(number, bool)
                            or not math.isfinite(number)):
                        raise _fail(path, f"layer {index} holds {number!r}, not a finite "
                                          "number")
                    w.data = float(number)
    except (KeyError, TypeError, IndexError) as error:
        raise _fail(path, f"is missing or has a malformed field ({type(error).__name__}: "
                          f"{error})") from None
    except ModelFileError:
        raise
    except ValueError as error:  # e.g. an unknown activation name
        raise _fail(path, f"has an invalid architecture ({error})") from None
    model.metadata = metadata
    return model
