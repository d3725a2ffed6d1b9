"""readability-lxml: a Python port of Arc90's Readability."""

from __future__ import annotations

from . import Requirement
from ._html import html_to_text

KIND = "text"
REQUIRES = (Requirement("readability", pip="readability-lxml"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from readability import Document

    return html_to_text(Document(html, url=url).summary(html_partial=True))
