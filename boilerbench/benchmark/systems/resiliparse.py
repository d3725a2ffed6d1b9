"""Resiliparse (Bevendorff et al., 2018): HTML to text in main-content mode."""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("resiliparse"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True) or ""
