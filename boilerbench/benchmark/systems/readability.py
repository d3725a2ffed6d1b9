"""readability-lxml: a Python port of Arc90's Readability."""

from __future__ import annotations

from . import Requirement
from ._html import html_to_text

KIND = "text"
REQUIRES = (Requirement("readability", pip="readability-lxml"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return html_to_text(extract_html(html, url, language))


def extract_html(html: str, url: str | None = None, language: str | None = None) -> str:
    """The article as readability-lxml returns it: an HTML fragment (what `extract` renders to text)."""
    from readability import Document

    return str(Document(html, url=url).summary(html_partial=True))
