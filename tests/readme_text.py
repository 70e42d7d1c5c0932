"""The README, whole or one ``## `` section, for tests that hold the docs to the code."""

from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_section(heading: str) -> str:
    """The text from the ``## heading...`` line up to the next ``## `` heading."""
    text = README.read_text()
    start = text.index("\n## " + heading)
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]
