"""chainrule's command line; ``chainrule --help`` lists the subcommands registered in cli.py."""

from nn.engine_check import require_chainrule_engine as _require_chainrule_engine

_require_chainrule_engine()  # first: is `autograd` chainrule's engine? One line if not

from .version import __version__

__all__ = ["main", "__version__"]


def main(argv=None) -> int:
    from .cli import main as _main

    return _main(argv)
