"""news-please (Hamborg et al., 2017): its main-text extraction (newspaper + readability heuristics)."""

from __future__ import annotations

from newsplease import NewsPlease

PACKAGE = "news-please"


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    article = NewsPlease.from_html(html, url=url or None, fetch_images=False)
    return (article.maintext or "") if article is not None else ""
