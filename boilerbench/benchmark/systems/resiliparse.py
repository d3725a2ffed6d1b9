"""Resiliparse (Bevendorff et al., 2018): HTML to text in main-content mode."""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("resiliparse"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True) or ""


def extract_html(html: str, url: str | None = None, language: str | None = None) -> str:
    """Its main content as "minimal HTML" (headings, paragraphs, lists, pre, links; no tables). That
    format is its formatted text with tags: a line break outside a tag is a block break there, so it
    is made a `<br>`, which an HTML parser reads as one (it would read a bare one as a space)."""
    from resiliparse.extract.html2text import extract_plain_text

    markup = extract_plain_text(html, main_content=True, preserve_formatting="minimal_html", links=True) or ""
    return "<br>\n".join(markup.split("\n"))
