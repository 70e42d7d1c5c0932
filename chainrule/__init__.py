"""chainrule's command line; ``chainrule --help`` lists the subcommands registered in cli.py."""

__all__ = ["main"]


def main(argv=None) -> int:
    from .cli import main as _main

    return _main(argv)
