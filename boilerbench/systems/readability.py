"""readability-lxml: a Python port of Arc90's Readability."""

from __future__ import annotations

from readability import Document

from ._html import html_to_text

PACKAGE = "readability-lxml"


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return html_to_text(Document(html, url=url).summary(html_partial=True))
