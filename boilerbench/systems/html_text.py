"""html-text (Zyte): visible text of the whole page (no boilerplate removal)."""

from __future__ import annotations

import html_text

PACKAGE = "html-text"


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return html_text.extract_text(html) or ""
