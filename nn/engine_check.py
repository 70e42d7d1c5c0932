"""Is the ``autograd`` that Python finds chainrule's engine?  One line if it is not.

chainrule's engine is the import package ``autograd``, a name that HIPS autograd (PyPI
``autograd``) uses too.  When both are installed in one environment, only one of them
is what ``import autograd`` finds.  ``nn``, ``visualize`` and the command line check
it first thing, so a clash ends in one line that names the other project and the way
out, not in ``ImportError: cannot import name 'OpError' from 'autograd'`` deep inside.

>>> engine_problem() is None        # here autograd is chainrule's own
True

This module uses only the standard library: when the check fails, chainrule's engine
is exactly what cannot be imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

__all__ = ["AutogradClashError", "engine_problem", "require_chainrule_engine"]

WAY_OUT = ("install chainrule in a virtual environment of its own: python3 -m venv .venv "
           "&& .venv/bin/pip install . (from a chainrule checkout; `make demo` does it), "
           "and keep the other project's autograd in another environment")


class AutogradClashError(ImportError):
    """``import autograd`` finds another project's package, not chainrule's engine."""


def _owner_of(path: Path) -> str | None:
    """The installed distribution (``name version``) whose files include ``path``."""
    from importlib import metadata

    target = path.resolve()
    for dist in metadata.distributions():
        for entry in dist.files or ():
            if entry.name == target.name and Path(dist.locate_file(entry)).resolve() == target:
                return f"{dist.metadata['Name']} {dist.version}"
    return None


def engine_problem() -> str | None:
    """None when ``import autograd`` gives chainrule's engine, else the one-line reason."""
    try:
        spec = importlib.util.find_spec("autograd")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return ("chainrule's engine (the package 'autograd') is not installed; "
                "reinstall chainrule: pip install --force-reinstall . from a chainrule checkout")
    try:
        engine = importlib.import_module("autograd")
        if getattr(engine, "__engine__", None) == "chainrule":
            return None
        failure = ""
    except Exception as error:  # another project's __init__ may fail to import (no numpy)
        failure = f" (importing it failed: {type(error).__name__}: {error})"
    where = Path(spec.origin) if spec.origin else None
    owner = _owner_of(where) if where is not None else None
    whose = f"belongs to {owner}" if owner else "is another project's"
    if owner and owner.lower().startswith("autograd "):
        whose += " (HIPS autograd)"
    return (f"chainrule cannot run: the package 'autograd' that Python finds ({where}) "
            f"{whose}, not chainrule's engine{failure}; both projects install a package "
            f"named 'autograd'. Way out: {WAY_OUT}")


def _one_line_excepthook(previous):
    def hook(kind, error, traceback):
        if issubclass(kind, AutogradClashError):
            print(error, file=sys.stderr)
        else:
            previous(kind, error, traceback)

    return hook


def require_chainrule_engine() -> None:
    """Raise :class:`AutogradClashError` unless ``import autograd`` is chainrule's engine.

    Only then, and only for that error, the interpreter's last-chance handler prints the
    error's one line instead of a traceback (a program that catches it sees an ordinary
    ``ImportError``).
    """
    problem = engine_problem()
    if problem is None:
        return
    if not getattr(sys.excepthook, "chainrule_clash_hook", False):
        sys.excepthook = _one_line_excepthook(sys.excepthook)
        sys.excepthook.chainrule_clash_hook = True
    raise AutogradClashError(problem)
