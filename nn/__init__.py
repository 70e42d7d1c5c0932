"""chainrule's neural-net library, shaped like micrograd's and PyTorch's.

>>> import random; random.seed(0)
>>> from nn import MLP
>>> model = MLP(3, [4, 1])
>>> model([1.0, 2.0, 3.0]).data == model([1.0, 2.0, 3.0]).data
True
"""

from .modules import ACTIVATIONS, MLP, Layer, Module, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]
