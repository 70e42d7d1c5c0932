"""The PyTorch bridge for :class:`nn.layers.Sequential`: every layer to its torch module
and back (kept apart from :mod:`nn.torch_bridge`'s MLP conversion, which it extends).

>>> from nn.layers import Sequential, Conv2d, Flatten, Linear, ReLU
>>> model = Sequential(Conv2d(1, 2, 3, seed=0), ReLU(), Flatten(), Linear(8, 2, seed=0),
...                    input_shape=(1, 4, 4))
>>> net = sequential_to_torch(model)
>>> [type(m).__name__ for m in net]
['Conv2d', 'ReLU', 'Flatten', 'Linear']
>>> back = sequential_from_torch(net, input_shape=(1, 4, 4))
>>> back.forward_data([0.5] * 16) == model.forward_data([0.5] * 16)
True
"""

from __future__ import annotations

from typing import Any, Sequence

from autograd.ops import LEAKY_SLOPE

from .layers import (
    ACTIVATION_LAYERS,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
)
from .modules import Dropout
from .validate import check_weights

__all__ = ["sequential_to_torch", "sequential_from_torch", "SEQUENTIAL_TORCH_LAYERS"]

SEQUENTIAL_TORCH_LAYERS = ("Linear", "Conv2d", "MaxPool2d", "Flatten", "Dropout",
                           *sorted(ACTIVATION_LAYERS))


def _copy(torch, tensor, values, shape) -> None:
    with torch.no_grad():
        tensor.copy_(torch.tensor([v.data for v in values], dtype=torch.float64).reshape(shape))


def sequential_to_torch(model: Sequential) -> Any:
    """A float64 ``torch.nn.Sequential`` with the model's layers and weights."""
    import torch

    modules = []
    for layer in model.modules:
        if isinstance(layer, Linear):
            module = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        elif isinstance(layer, Conv2d):
            module = torch.nn.Conv2d(layer.cin, layer.cout, layer.k, stride=layer.stride,
                                     padding=layer.padding, dtype=torch.float64)
        elif isinstance(layer, MaxPool2d):
            module = torch.nn.MaxPool2d(layer.k, stride=layer.stride)
        elif isinstance(layer, Flatten):
            module = torch.nn.Flatten()
        elif isinstance(layer, Dropout):
            module = torch.nn.Dropout(layer.p)
        elif type(layer).__name__ == "LeakyReLU":
            module = torch.nn.LeakyReLU(LEAKY_SLOPE)
        else:
            module = getattr(torch.nn, type(layer).__name__)()
        if isinstance(layer, (Linear, Conv2d)):
            _copy(torch, module.weight, layer.weight, layer.weight_shape())
            _copy(torch, module.bias, layer.bias, (len(layer.bias),))
        modules.append(module)
    return torch.nn.Sequential(*modules).train(model.training)


def _pair(value, what: str, index: int, layer) -> int:
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ValueError(f"from_torch: layer {index} ({layer}) has {what} {value}; "
                             f"chainrule's layers take one {what} for both directions")
        value = value[0]
    return int(value)


def _layer_from_torch(torch, index: int, layer) -> Any:
    kind = type(layer).__name__
    nn = torch.nn
    if isinstance(layer, (nn.Linear, nn.Conv2d)) and layer.bias is None:
        raise ValueError(f"from_torch: layer {index} ({layer}) has no bias; build it with "
                         "bias=True")
    if isinstance(layer, nn.Linear):
        ours = Linear(layer.in_features, layer.out_features, seed=0)
    elif isinstance(layer, nn.Conv2d):
        if layer.groups != 1 or _pair(layer.dilation, "dilation", index, layer) != 1 \
                or layer.padding_mode != "zeros" or isinstance(layer.padding, str):
            raise ValueError(f"from_torch: layer {index} ({layer}) uses groups, dilation, "
                             "string padding or a padding mode chainrule's Conv2d lacks")
        ours = Conv2d(layer.in_channels, layer.out_channels,
                      _pair(layer.kernel_size, "kernel_size", index, layer),
                      stride=_pair(layer.stride, "stride", index, layer),
                      padding=_pair(layer.padding, "padding", index, layer), seed=0)
    elif isinstance(layer, nn.MaxPool2d):
        if layer.padding or layer.dilation != 1 or layer.ceil_mode:
            raise ValueError(f"from_torch: layer {index} ({layer}) uses padding, dilation "
                             "or ceil_mode, which chainrule's MaxPool2d lacks")
        ours = MaxPool2d(_pair(layer.kernel_size, "kernel_size", index, layer),
                         stride=_pair(layer.stride, "stride", index, layer))
    elif isinstance(layer, nn.Flatten):
        ours = Flatten()
    elif isinstance(layer, nn.Dropout):
        ours = Dropout(float(layer.p))
    elif kind in ACTIVATION_LAYERS:
        if kind == "LeakyReLU" and layer.negative_slope != LEAKY_SLOPE:
            raise ValueError(f"from_torch: layer {index} ({layer}) has slope "
                             f"{layer.negative_slope}; chainrule's LeakyReLU has {LEAKY_SLOPE}")
        if kind == "Softplus" and (layer.beta != 1 or layer.threshold != 20):
            raise ValueError(f"from_torch: layer {index} ({layer}) is not the plain "
                             "softplus (beta 1, threshold 20)")
        ours = ACTIVATION_LAYERS[kind]()
    else:
        raise ValueError(f"from_torch: layer {index} ({layer}) is not supported; a "
                         f"Sequential is built from {', '.join(SEQUENTIAL_TORCH_LAYERS)}")
    if isinstance(ours, (Linear, Conv2d)):
        for name, values, tensor in (("weight", ours.weight, layer.weight),
                                     ("bias", ours.bias, layer.bias)):
            numbers = tensor.detach().to(torch.float64).flatten().tolist()
            _check_tensor(numbers, tuple(tensor.shape), f"{index}.{name}")
            for value, number in zip(values, numbers):
                value.data = number
    return ours


def _check_tensor(numbers: list, shape: tuple, name: str) -> None:
    """The shared weight check (:func:`nn.validate.check_weights`) on each last-axis row
    of a tensor, so a bad number is named by its full index, as for an MLP's weights."""
    width = shape[-1] if shape else 1
    for start in range(0, len(numbers), width):
        row, flat, index = numbers[start:start + width], start // width, []
        for size in reversed(shape[:-1]):
            flat, at = divmod(flat, size)
            index.insert(0, str(at))
        where = f"[{','.join(index)}]" if index else ""
        check_weights(row, "from_torch", f"the {name.split('.')[1]} {name}{where}")


def sequential_from_torch(module: Any, input_shape: Sequence[int]) -> Sequential:
    """A :class:`~nn.layers.Sequential` with the layers and weights of a
    ``torch.nn.Sequential``, for examples of ``input_shape`` (C, H, W) or (N,)."""
    import torch

    if not isinstance(module, torch.nn.Sequential):
        module = torch.nn.Sequential(module)
    layers = [_layer_from_torch(torch, index, layer) for index, layer in enumerate(module)]
    return Sequential(*layers, input_shape=input_shape).train(module.training)
