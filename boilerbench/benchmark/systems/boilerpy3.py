"""boilerpy3: Python port of Boilerpipe (Kohlschütter et al., 2010), ArticleExtractor."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("boilerpy3"),)


@lru_cache(maxsize=1)
def _extractor() -> Any:
    from boilerpy3 import extractors

    return extractors.ArticleExtractor(raise_on_failure=False)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return _extractor().get_content(html) or ""
