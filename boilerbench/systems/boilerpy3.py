"""boilerpy3: Python port of Boilerpipe (Kohlschütter et al., 2010), ArticleExtractor."""

from __future__ import annotations

from boilerpy3 import extractors

PACKAGE = "boilerpy3"
_EXTRACTOR = extractors.ArticleExtractor(raise_on_failure=False)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return _EXTRACTOR.get_content(html) or ""
