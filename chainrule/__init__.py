"""chainrule's command line: ``chainrule demo``, and more subcommands as they land."""

__all__ = ["main"]


def main(argv=None) -> int:
    from .cli import main as _main

    return _main(argv)
