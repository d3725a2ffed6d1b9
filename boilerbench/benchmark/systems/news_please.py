"""news-please (Hamborg et al., 2017): its main-text extraction (newspaper + readability heuristics)."""

from __future__ import annotations

from . import Requirement
from ._html import xml_chars
from .newspaper4k import nltk_data_named

KIND = "text"
REQUIRES = (Requirement("newsplease", pip="news-please"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from newsplease import NewsPlease

    with nltk_data_named():  # it runs newspaper, with newspaper's language tokenizers
        article = NewsPlease.from_html(xml_chars(html), url=url or None, fetch_images=False)
    return (article.maintext or "") if article is not None else ""
