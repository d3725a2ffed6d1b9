"""newspaper4k: the maintained fork of newspaper3k (article body only, no title)."""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("newspaper", pip="newspaper4k"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from newspaper import Article

    article = Article(url or "https://example.com/", fetch_images=False)
    article.download(input_html=html)
    article.parse()
    return article.text or ""
