"""Old import paths do not live on: chainrule is unpublished, so a module that only
forwards names that moved elsewhere is a second home, and is gone."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["autograd.tape_plan"])
def test_shim_module_is_gone(name):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)
