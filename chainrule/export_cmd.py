"""``chainrule export MODEL.json --torch MODEL.pt``: the model as a PyTorch checkpoint.

    $ chainrule export runs/digits/model.json --torch digits.pt

The file holds plain data that ``torch.load`` reads with its safe default
(``weights_only=True``): ``modules``, a list of ``[torch.nn class name, arguments]``;
``state_dict``, the float64 weights; and ``metadata``, the model file's own (the
input scaler, the loss).  Three lines rebuild the network::

    checkpoint = torch.load("digits.pt")
    net = torch.nn.Sequential(*(getattr(torch.nn, name)(*args)
                                for name, args in checkpoint["modules"])).double().eval()
    net.load_state_dict(checkpoint["state_dict"])

``.eval()`` makes the Dropout layers of a dropout model the identity, as
``chainrule predict`` runs it (a new Sequential starts in training mode, which would
drop out at random).  Inputs are scaled as ``chainrule train`` scaled them
(``metadata["scaler"]``).
Needs PyTorch: ``pip install '.[torch]'`` in a chainrule checkout.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from autograd.install_check import install_command
from chainrule.common import check_output
from nn.model_file import write_atomically

__all__ = ["add_arguments", "run", "checkpoint"]


def add_arguments(parser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a model.json written by "
                        "`chainrule train` or model.save()")
    parser.add_argument("--torch", required=True, metavar="FILE.pt",
                        help="write a PyTorch checkpoint that torch.load reads")


def checkpoint(model) -> dict:
    """``{"modules", "state_dict", "metadata"}`` for a loaded MLP or Sequential (see the
    module doc)."""
    from nn import to_torch

    net = to_torch(model)
    modules = []
    for module in net:
        name = type(module).__name__
        if name == "Linear":
            modules.append([name, [module.in_features, module.out_features]])
        elif name == "LeakyReLU":
            modules.append([name, [module.negative_slope]])
        elif name == "Dropout":
            modules.append([name, [module.p]])
        elif name == "Conv2d":  # an nn.Sequential's convolution: square kernel
            modules.append([name, [module.in_channels, module.out_channels,
                                   module.kernel_size[0], module.stride[0], module.padding[0]]])
        elif name == "MaxPool2d":
            modules.append([name, [module.kernel_size, module.stride]])
        else:
            modules.append([name, []])
    metadata = getattr(model, "metadata", None) or {}
    return {"modules": modules, "state_dict": net.state_dict(),
            # plain JSON types only, so torch.load's weights_only mode accepts them
            "metadata": json.loads(json.dumps(metadata, allow_nan=False))}


def run(args) -> int:
    try:
        import torch
    except ImportError:
        # not bad input but a missing extra: the CLI reports it as a failed run (exit 1)
        raise ImportError("export --torch needs PyTorch, which is optional: "
                          + install_command("torch")) from None
    from nn import load

    check_output("--torch", args.torch, inputs=(args.model,))
    model = load(args.model)  # a ModelFileError (ValueError) names the file: exit 2
    document = checkpoint(model)
    out = Path(args.torch)
    buffer = io.BytesIO()
    torch.save(document, buffer)
    write_atomically(out, buffer.getvalue())  # whole or not at all, mode from the umask
    layers = sum(1 for name, _ in document["modules"] if name == "Linear")
    print(f"wrote {out}: {layers} Linear layers, "
          f"{sum(p.numel() for p in document['state_dict'].values())} parameters (float64); "
          "torch.load it and rebuild as docs/training.md, \"Out to PyTorch\", shows")
    return 0
