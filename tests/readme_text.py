"""The README or a page of the site, one ``## `` section, for tests that hold the docs to
the code.  The long material lives in docs/*.md (the site); the README keeps the tour."""

from pathlib import Path

from docs_pages import DOCS, README, section


def readme_section(heading: str) -> str:
    """The README's text from the ``## heading...`` line up to the next ``## `` heading."""
    return section(README, heading)


def page_section(page: str, heading: str) -> str:
    """The same for the site page ``docs/<page>``."""
    path = DOCS / page
    if not path.is_file():
        raise FileNotFoundError(f"no page {path}")
    return section(path, heading)


__all__ = ["README", "DOCS", "Path", "readme_section", "page_section"]
