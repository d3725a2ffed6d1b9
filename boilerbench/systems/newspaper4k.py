"""newspaper4k: the maintained fork of newspaper3k (article body only, no title)."""

from __future__ import annotations

import warnings

from . import Requirement

# newspaper4k warns when it is imported without nltk, which serves only its keyword and summary
# features; extraction does not use them, so the warning would only be noise in every run's output.
warnings.filterwarnings("ignore", message="nltk is not installed", category=UserWarning, module="newspaper")

KIND = "text"
REQUIRES = (Requirement("newspaper", pip="newspaper4k"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from newspaper import Article

    article = Article(url or "https://example.com/", fetch_images=False)
    article.download(input_html=html)
    article.parse()
    return article.text or ""
