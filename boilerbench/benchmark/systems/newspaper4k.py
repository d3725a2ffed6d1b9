"""newspaper4k: the maintained fork of newspaper3k (article body only, no title)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import Requirement
from ._html import xml_chars

# newspaper4k warns when it is imported without nltk, which serves only its keyword and summary
# features; extraction does not use them, so the warning would only be noise in every run's output.
warnings.filterwarnings("ignore", message="nltk is not installed", category=UserWarning, module="newspaper")

KIND = "text"
# The tokenizers newspaper imports for the language a page declares, beyond its own requirements:
# nltk (Korean, Arabic) and tinysegmenter (Japanese), installed by the extra; not required here, so
# that newspaper4k still runs on every other page where they are absent.
REQUIRES = (Requirement("newspaper", pip="newspaper4k"),)

_NLTK_DATA_RE = re.compile(r"Resource '?([\w.-]+)'? not found")


@contextmanager
def nltk_data_named() -> Iterator[None]:
    """nltk's data (its Korean tokenizer's `punkt_tab`) is not a package: nltk.download fetches it
    at run time, and without it nltk raises a 20-line banner. Say it in one line, the same on every
    machine that lacks the data."""
    try:
        yield
    except LookupError as e:  # KeyError and IndexError are LookupErrors too: only nltk's is renamed
        m = _NLTK_DATA_RE.search(str(e))
        if m is None:
            raise
        raise LookupError(
            f"nltk data {m.group(1)!r} is not installed (newspaper tokenizes the page's language with it;"
            f" no package installs it, nltk.download({m.group(1)!r}) fetches it)"
        ) from None


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return _article(html, url).text or ""


def extract_html(html: str, url: str | None = None, language: str | None = None) -> str:
    """The article body's HTML (`keep_article_html`; the same extraction as `extract`'s text)."""
    return _article(html, url, keep_article_html=True).article_html or ""


def _article(html: str, url: str | None, keep_article_html: bool = False) -> Any:
    from newspaper import Article

    article = Article(url or "https://example.com/", fetch_images=False, keep_article_html=keep_article_html)
    article.download(input_html=xml_chars(html))
    with nltk_data_named():
        article.parse()
    return article
