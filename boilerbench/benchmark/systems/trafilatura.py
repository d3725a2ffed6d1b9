"""trafilatura (Barbaresi, 2021): default, precision- and recall-favouring settings."""

from __future__ import annotations

from typing import Any

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("trafilatura"),)


def extract(html: str, url: str | None = None, language: str | None = None, **options: Any) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, output_format="txt", **options) or ""


def extract_markdown(html: str, url: str | None = None, language: str | None = None) -> str:
    """Its Markdown with what structure it keeps: tables, formatting (code, quotes) and links."""
    import trafilatura

    markdown = trafilatura.extract(
        html, url=url, output_format="markdown", include_tables=True, include_formatting=True, include_links=True
    )
    return markdown or ""


def extract_precision(html: str, url: str | None = None, language: str | None = None) -> str:
    return extract(html, url, language, favor_precision=True)


def extract_recall(html: str, url: str | None = None, language: str | None = None) -> str:
    return extract(html, url, language, favor_recall=True)
