"""goose3: Python port of Goose article extractor."""

from __future__ import annotations

from goose3 import Goose

PACKAGE = "goose3"
_GOOSE: Goose | None = None


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    global _GOOSE
    if _GOOSE is None:
        _GOOSE = Goose({"enable_image_fetching": False, "http_timeout": 1})
    return _GOOSE.extract(raw_html=html).cleaned_text or ""
