"""The way out to PyTorch: an MLP as a ``torch.nn.Sequential``, and back.

>>> from nn import MLP
>>> model = MLP(2, [4, 1], init="he", seed=0)
>>> net = to_torch(model)
>>> net
Sequential(
  (0): Linear(in_features=2, out_features=4, bias=True)
  (1): ReLU()
  (2): Linear(in_features=4, out_features=1, bias=True)
)
>>> from_torch(net).forward_data([0.5, -1.0]) == model.forward_data([0.5, -1.0])
True

:func:`to_torch` gives a float64 module that computes the same outputs and the same
gradients as the model (tests/test_torch_bridge.py checks both); :func:`from_torch`
reads a Sequential of ``Linear`` layers and the activations chainrule has (float32
models too: their weights are widened to float64).  PyTorch is optional: install the
extra: ``pip install '.[torch]'`` in a chainrule checkout.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from autograd.install_check import install_command
from autograd.ops import LEAKY_SLOPE

from .layers import Sequential
from .layers_torch import sequential_from_torch, sequential_to_torch
from .modules import MLP
from .validate import check_weights

__all__ = ["to_torch", "from_torch"]

# chainrule activation name <-> torch module class name
_TO_TORCH = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU"}
_FROM_TORCH = {name: act for act, name in _TO_TORCH.items()}
_SUPPORTED = "Linear, ReLU, Tanh, Sigmoid, LeakyReLU(0.01), Identity and Dropout"


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("nn.to_torch and nn.from_torch need PyTorch, which is optional: "
                          + install_command("torch")) from None
    return torch


def to_torch(model: MLP) -> Any:
    """A ``torch.nn.Sequential`` in float64 with the model's weights: Linear layers,
    each followed by its activation module (none for a linear layer), and Dropout
    after each hidden layer when the model has it.  Training mode is copied.
    An :class:`nn.Sequential` becomes the same layers (:mod:`nn.layers_torch`)."""
    torch = _torch()
    if isinstance(model, Sequential):
        return sequential_to_torch(model)
    if not isinstance(model, MLP):
        raise ValueError(f"to_torch: {type(model).__name__} is not an nn.MLP; only MLPs "
                         "convert (a Sequential of Linear layers and activations)")
    modules, last = [], len(model.layers) - 1
    for i, layer in enumerate(model.layers):
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                                             dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons],
                                           dtype=torch.float64))
        modules.append(linear)
        if layer.activation == "leaky_relu":
            modules.append(torch.nn.LeakyReLU(LEAKY_SLOPE))
        elif layer.activation != "linear":
            modules.append(getattr(torch.nn, _TO_TORCH[layer.activation])())
        if model.dropout is not None and i != last:
            modules.append(torch.nn.Dropout(model.dropout.p))
    net = torch.nn.Sequential(*modules)
    return net.train(model.training)


def from_torch(module: Any, input_shape: Optional[Sequence[int]] = None) -> MLP:
    """An :class:`~nn.MLP` with the weights of a ``torch.nn.Sequential`` of ``Linear``
    layers and supported activations; anything else is a ValueError naming the layer.
    With ``input_shape`` (needed for a convolution), or with a Conv2d, MaxPool2d or
    Flatten inside, an :class:`nn.Sequential` of the same layers instead.

    Dropout is rebuilt where chainrule's MLP has it, after every hidden layer's
    activation with one ``p``, and in the mode its modules were in (``train()`` or
    ``eval()``); any other placement (after only some hidden layers, after the output,
    before an activation) is refused, naming it.  ``Dropout(p=0)`` is the identity
    and goes anywhere.  A NaN or infinite weight is refused, naming the tensor and index.
    """
    torch = _torch()
    if input_shape is not None or _has_image_layers(torch, module):
        if input_shape is None:
            raise ValueError("from_torch: a model with Conv2d, MaxPool2d or Flatten needs "
                             "input_shape=(C, H, W), the shape of one example")
        return sequential_from_torch(module, input_shape)
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if not isinstance(module, torch.nn.Sequential):
        raise ValueError(f"from_torch: {type(module).__name__} is not a torch.nn.Sequential; "
                         f"pass a Sequential of {_SUPPORTED}")
    linears, activations, indices, dropouts = [], [], [], {}  # dropouts: Linear -> Dropout
    for index, layer in enumerate(module):
        kind = type(layer).__name__
        if isinstance(layer, torch.nn.Linear):
            if layer.bias is None:
                raise ValueError(f"from_torch: layer {index} ({layer}) has no bias; chainrule "
                                 "neurons always have one (build it with bias=True)")
            if linears and layer.in_features != linears[-1].out_features:
                raise ValueError(f"from_torch: layer {index} ({layer}) takes "
                                 f"{layer.in_features} inputs after a layer of "
                                 f"{linears[-1].out_features} outputs")
            linears.append(layer)
            indices.append(index)
            activations.append("linear")
            continue
        if not linears:
            raise ValueError(f"from_torch: layer {index} ({layer}) comes before any Linear "
                             "layer; the model must start with a Linear layer")
        if kind == "Dropout":
            if float(layer.p) == 0.0:
                continue  # the identity, in either mode
            if len(linears) - 1 in dropouts:
                raise ValueError(f"from_torch: layer {index} ({layer}) is a second Dropout "
                                 f"after layer {indices[-1]}; chainrule's MLP has one")
            dropouts[len(linears) - 1] = (index, layer)
        elif kind == "Identity":
            pass
        elif kind in _FROM_TORCH and activations[-1] == "linear":
            if len(linears) - 1 in dropouts:
                at = dropouts[len(linears) - 1][0]
                raise ValueError(f"from_torch: the Dropout at layer {at} comes before the "
                                 f"activation at layer {index} ({layer}); chainrule's MLP "
                                 "drops out after a layer's activation: move it there")
            if kind == "LeakyReLU" and layer.negative_slope != LEAKY_SLOPE:
                raise ValueError(f"from_torch: layer {index} ({layer}) has slope "
                                 f"{layer.negative_slope}; chainrule's leaky_relu has slope "
                                 f"{LEAKY_SLOPE}")
            activations[-1] = _FROM_TORCH[kind]
        else:
            raise ValueError(f"from_torch: layer {index} ({layer}) is not supported; "
                             f"chainrule's MLP is built from {_SUPPORTED}, one activation "
                             "after each Linear")
    if not linears:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    p, training = _dropout_of(dropouts, len(linears), indices)
    model = MLP(linears[0].in_features, [layer.out_features for layer in linears],
                activation=activations, dropout=p, seed=0)
    for index, layer, ours in zip(indices, linears, model.layers):
        weights = layer.weight.detach().to(torch.float64).tolist()
        biases = layer.bias.detach().to(torch.float64).tolist()
        for r, row in enumerate(weights):  # the shared check: nn.validate
            check_weights(row, "from_torch", f"the weight {index}.weight[{r}]")
        check_weights(biases, "from_torch", f"the bias {index}.bias")
        for neuron, row, bias in zip(ours.neurons, weights, biases):
            for w, value in zip(neuron.w, row):
                w.data = value
            neuron.b.data = bias
    return model.train(module.training if training is None else training)


def _dropout_of(dropouts: dict, n_linears: int, indices: list) -> tuple:
    """``(p, training)`` of the Dropout after every hidden layer (``(0.0, None)`` for
    none), or a ValueError naming a placement chainrule's MLP cannot represent."""
    if not dropouts:
        return 0.0, None
    if n_linears - 1 in dropouts:
        at, layer = dropouts[n_linears - 1]
        raise ValueError(f"from_torch: layer {at} ({layer}) is a Dropout after the output "
                         f"layer {indices[-1]}; chainrule's MLP drops out after hidden layers "
                         "only: remove it (or give it p=0)")
    missing = [indices[i] for i in range(n_linears - 1) if i not in dropouts]
    if missing:
        placed = ", ".join(str(at) for at, _ in dropouts.values())
        raise ValueError(f"from_torch: Dropout at layer {placed} but none after the hidden "
                         f"layer {', '.join(map(str, missing))}; chainrule's MLP has one "
                         "Dropout after every hidden layer, or none")
    ps = sorted({float(layer.p) for _, layer in dropouts.values()})
    if len(ps) > 1:
        raise ValueError(f"from_torch: Dropout layers with different p {ps}; "
                         "chainrule's MLP uses one p after every hidden layer")
    modes = {bool(layer.training) for _, layer in dropouts.values()}
    if len(modes) > 1:
        raise ValueError("from_torch: some Dropout layers are in training mode and some in "
                         "eval mode; call .train() or .eval() on the whole Sequential first")
    return ps[0], modes.pop()


def _has_image_layers(torch, module: Any) -> bool:
    layers = module if isinstance(module, torch.nn.Sequential) else [module]
    return any(isinstance(layer, (torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.Flatten))
               for layer in layers)
