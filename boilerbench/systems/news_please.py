"""news-please (Hamborg et al., 2017): its main-text extraction (newspaper + readability heuristics)."""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("newsplease", pip="news-please"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from newsplease import NewsPlease

    article = NewsPlease.from_html(html, url=url or None, fetch_images=False)
    return (article.maintext or "") if article is not None else ""
