"""Was chainrule installed over another project's ``autograd`` folder?  Say so, once.

HIPS autograd (PyPI ``autograd``) installs a package named ``autograd`` too.  Install
it first and chainrule second, and pip writes chainrule's ``autograd/__init__.py`` over
HIPS's without a word: chainrule works, HIPS does not, and ``pip check`` is clean.
This module notices it at import: the folder holds entries that chainrule's own
install record (its ``RECORD``) does not list.  It costs two directory listings and
one small file read, and nothing at all in a source checkout, which has no record.

>>> foreign_entries(Path(__file__).parent) == []    # a checkout, or a clean install
True
"""

from __future__ import annotations

import warnings
from pathlib import Path

__all__ = ["AutogradInstalledOverWarning", "foreign_entries", "warn_if_installed_over",
           "install_command"]

_IGNORED = {"__pycache__"}


def install_command(extra: str) -> str:
    """How to install one of chainrule's extras, for the error that finds it missing.

    chainrule is not on PyPI yet, so the command installs from a checkout:

    >>> install_command("plot")
    "pip install '.[plot]' in your chainrule checkout (chainrule is not on PyPI yet)"
    """
    return f"pip install '.[{extra}]' in your chainrule checkout (chainrule is not on PyPI yet)"


class AutogradInstalledOverWarning(UserWarning):
    """chainrule's ``autograd`` shares its folder with another project's files."""


def _own_record(package: Path) -> list[str] | None:
    """Lines of chainrule's RECORD beside ``package``, or None (a checkout, an egg)."""
    try:
        infos = [p for p in package.parent.iterdir()
                 if p.name.startswith("chainrule-") and p.name.endswith(".dist-info")]
    except OSError:
        return None
    for info in infos:
        try:
            return (info / "RECORD").read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
    return None


def foreign_entries(package: Path) -> list[str]:
    """Names in the ``autograd`` folder that chainrule's install did not put there."""
    record = _own_record(package)
    if record is None:
        return []
    prefix = package.name + "/"
    ours = {line.split(",")[0][len(prefix):].split("/")[0]
            for line in record if line.startswith(prefix)}
    if not ours:  # an editable install: the record lists only the finder, not the files
        return []
    try:
        present = {p.name for p in package.iterdir()}
    except OSError:
        return []
    return sorted(present - ours - _IGNORED)


def _owner(package: Path, entries: list[str]) -> str:
    """``name version`` of the installed project that claims one of ``entries``."""
    wanted = {f"{package.name}/{name}" for name in entries}
    for info in sorted(package.parent.glob("*.dist-info")):
        if info.name.startswith("chainrule-"):
            continue
        try:
            record = (info / "RECORD").read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        if any(line.split(",")[0] in wanted or line.split(",")[0].rsplit("/", 1)[0] in wanted
               for line in record):
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            return f"{name} {version}".strip()
    return "another project"


def warn_if_installed_over(package: Path) -> None:
    """One :class:`AutogradInstalledOverWarning` if ``package`` holds others' files."""
    entries = foreign_entries(package)
    if not entries:
        return
    owner = _owner(package, entries)
    known = " (HIPS autograd)" if owner.lower().startswith("autograd ") else ""
    shown = ", ".join(entries[:4]) + (f" and {len(entries) - 4} more" if len(entries) > 4 else "")
    name = owner.split()[0]
    # warn_explicit at line 0 of the folder's __init__.py: one line, with no source line
    # under it (the importer's frame would show importlib's code)
    warnings.warn_explicit(
        f"chainrule was installed over {owner}{known}: both install a package named "
        f"'autograd', and chainrule's autograd/__init__.py replaced theirs in {package} "
        f"(their files: {shown}), so {name} no longer imports. chainrule works; to repair "
        f"{name}: pip uninstall chainrule, then pip install --force-reinstall {name}, and "
        f"give chainrule a virtual environment of its own",
        AutogradInstalledOverWarning, str(package / "__init__.py"), 0, module="autograd")
