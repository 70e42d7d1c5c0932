"""A griffe extension for the API pages: the docstrings here are written for ``help()``
and doctest (``>>>`` blocks, reST roles such as :func:`grad` and ``code``), so before
mkdocstrings renders one as Markdown, each doctest block is fenced as ``pycon`` code and
the reST markup becomes Markdown code spans."""

from __future__ import annotations

import re

from griffe import Extension

ROLE = re.compile(r":(?:func|class|meth|data|attr|mod|exc|obj):`~?([^`]+)`")
LITERAL = re.compile(r"``([^`]+)``")


def fence_doctests(text: str) -> str:
    out, block = [], []

    def flush():
        if block:
            while block and not block[-1].strip():
                block.pop()
            out.extend(["```pycon", *block, "```", ""])
            block.clear()

    for line in text.splitlines():
        if line.lstrip().startswith(">>>") or (block and line.strip()):
            if not block:
                indent = len(line) - len(line.lstrip())
            block.append(line[indent:] if line[:indent].strip() == "" else line)
            continue
        flush()
        out.append(line)
    flush()
    text = "\n".join(out)
    parts = re.split(r"(```pycon\n.*?\n```)", text, flags=re.S)
    for k in range(0, len(parts), 2):   # outside the fences only
        parts[k] = LITERAL.sub(r"`\1`", ROLE.sub(r"`\1`", parts[k]))
    return "".join(parts)


class DoctestFences(Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
