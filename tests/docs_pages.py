"""Reading the documentation's examples: fenced blocks, ``$`` commands and their output.

Used by tests/test_docs.py (which runs them) and by the tests that hold one page's
section to the code (tests/readme_text.py).  A page is README.md or any docs/*.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """README.md and every page of the site, in a fixed order."""
    return [README, *sorted(DOCS.glob("*.md"))]


# A fence may be indented (inside a list item); its closing fence has the same indent.
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```",
                   re.S | re.M)


@dataclass
class Block:
    lang: str
    text: str   # dedented body
    line: int   # 1-based line of the opening fence


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        indent = len(match.group("indent"))
        body = "".join(line[indent:] if line[:indent].strip() == "" else line
                       for line in match.group("body").splitlines(keepends=True))
        found.append(Block(match.group("lang"), body, text.count("\n", 0, match.start()) + 1))
    return found


def is_doctest(block: Block) -> bool:
    return any(line.startswith(">>> ") for line in block.text.splitlines())


def commands(block: Block) -> list[tuple[str, str]]:
    """``(command, expected output)`` for every ``$ `` line of a console block."""
    runs: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            runs.append((line[2:], []))
        elif runs:
            runs[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"line {block.line}: a console block must start with a '$ ' line")
    return [(command, "\n".join(output)) for command, output in runs]


# What changes from run to run and is masked on both sides before comparing.
_MASKS = [
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s)\b"), "<time>"),       # 7.5 s, 75 ms, 4.00s
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "0x<address>"),
    (re.compile(r"/tmp/[^\s'\")]+"), "<temp path>"),
]


def mask(text: str, temp: str | None = None) -> str:
    if temp:
        text = text.replace(temp, "<temp path>")
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(expected: str, actual: str) -> bool:
    """``actual`` is ``expected`` with each ``...`` standing for any text (lines too)."""
    parts = [re.escape(part) for part in expected.split("...")]
    return re.fullmatch("(?s:.*?)".join(parts), actual, flags=re.S) is not None


def section(path: Path, heading: str) -> str:
    """The text from the heading that starts with ``heading`` (any level, outside code
    blocks) up to the next heading of the same or a higher level."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = level = None
    fence = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fence = not fence
        match = None if fence else re.match(r"(#+) (.*)", line)
        if not match:
            continue
        if start is None and match.group(2).startswith(heading):
            start, level = number, len(match.group(1))
        elif start is not None and len(match.group(1)) <= level:
            return "".join(lines[start:number])
    if start is None:
        raise ValueError(f"{path.name} has no heading starting with {heading!r}")
    return "".join(lines[start:])
