"""goose3: Python port of Goose article extractor."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import Requirement
from ._html import xml_chars

KIND = "text"
REQUIRES = (Requirement("goose3"),)


@lru_cache(maxsize=1)
def _goose() -> Any:
    from goose3 import Goose

    return Goose({"enable_image_fetching": False, "http_timeout": 1})


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return _goose().extract(raw_html=xml_chars(html)).cleaned_text or ""
