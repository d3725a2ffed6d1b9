"""magic-html (OpenDataLab): the rule-based extractor WebMainBench is scored against. It returns the
main content as HTML, rendered to text here as for readability-lxml."""

from __future__ import annotations

from . import Requirement
from ._html import html_to_text

KIND = "text"
REQUIRES = (Requirement("magic_html", pip="magic-html", python=(3, 12)),)  # the package requires Python >= 3.12


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return html_to_text(extract_html(html, url, language))


def extract_html(html: str, url: str | None = None, language: str | None = None) -> str:
    """The main content as magic-html returns it, HTML (what `extract` renders to text)."""
    from magic_html import GeneralExtractor

    return str(GeneralExtractor().extract(html, base_url=url or "")["html"])
