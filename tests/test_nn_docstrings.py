"""The examples in nn's docstrings are true: each module's doctests run and pass.

(The property is the docstring's own claim; the oracle is the printed result in it.)
"""

import doctest
import importlib

import pytest

MODULES = ["nn", "nn.modules", "nn.masks", "nn.losses", "nn.serialize", "nn.model_file", "nn.data"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} doctest(s) failed"
    assert result.attempted > 0, f"{name} has no example in its docstrings"
