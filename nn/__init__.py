"""chainrule's neural-net library, shaped like micrograd's and PyTorch's.

>>> import random; random.seed(0)
>>> from nn import MLP
>>> model = MLP(3, [4, 1])
>>> model([1.0, 2.0, 3.0]).data == model([1.0, 2.0, 3.0]).data
True

The whole recipe -- init, loss, optimizer, mini-batches, validation, early stopping --
is :func:`nn.fit`:

>>> from nn.data import make_moons
>>> X, y = make_moons(60, seed=0)
>>> history = fit(MLP(2, [8, 2], init="he", seed=0), X, y, epochs=2, progress=False)
>>> len(history.train_loss)
2
"""

from .engine_check import require_chainrule_engine as _require_chainrule_engine

_require_chainrule_engine()  # first: is `autograd` chainrule's engine? One line if not

from .layers import (
    ACTIVATION_LAYERS,
    Conv2d,
    Flatten,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
)
from .modules import ACTIVATIONS, INITIALIZERS, MLP, Dropout, Layer, Module, Neuron
from .serialize import ModelFileError, load, save
from .tables import NeuronRow, NeuronTable, neuron_table
from .torch_bridge import from_torch, to_torch  # torch itself is imported on first call
from .train import (
    History,
    TrainingDivergedError,
    accuracy,
    confusion_matrix,
    evaluate,
    fit,
    predict,
)

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "Dropout",
    "Sequential",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "Flatten",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "LeakyReLU",
    "Softplus",
    "ACTIVATION_LAYERS",
    "ACTIVATIONS",
    "INITIALIZERS",
    "save",
    "load",
    "ModelFileError",
    "fit",
    "evaluate",
    "predict",
    "accuracy",
    "confusion_matrix",
    "History",
    "TrainingDivergedError",
    "neuron_table",
    "NeuronRow",
    "NeuronTable",
    "to_torch",
    "from_torch",
]
