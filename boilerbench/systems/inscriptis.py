"""inscriptis: layout-aware HTML to text of the whole page (no boilerplate removal)."""

from __future__ import annotations

import inscriptis

PACKAGE = "inscriptis"


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return inscriptis.get_text(html) or ""
