"""html-text (Zyte): visible text of the whole page (no boilerplate removal)."""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("html_text", pip="html-text"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    import html_text

    return html_text.extract_text(html) or ""
