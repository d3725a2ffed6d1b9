"""rs-trafilatura: a Rust rewrite of trafilatura with a page-type classifier; default and
precision-favouring settings (as for trafilatura). Its wheels are for CPython 3.12 only."""

from __future__ import annotations

from typing import Any

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("rs_trafilatura", pip="rs-trafilatura", python=(3, 12)),)


def extract(html: str, url: str | None = None, language: str | None = None, **options: Any) -> str:
    import rs_trafilatura

    # main_content is the article body as plain text: the title and the comments are fields of their own
    return rs_trafilatura.extract(html, url=url or None, **options).main_content or ""


def extract_markdown(html: str, url: str | None = None, language: str | None = None) -> str:
    """Its GitHub-flavoured Markdown (headings, lists, tables, code, links), a field of the same result."""
    import rs_trafilatura

    return rs_trafilatura.extract(html, url=url or None, output_markdown=True, include_links=True).content_markdown or ""


def extract_precision(html: str, url: str | None = None, language: str | None = None) -> str:
    return extract(html, url, language, favor_precision=True)
