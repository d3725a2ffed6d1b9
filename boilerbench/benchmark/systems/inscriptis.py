"""inscriptis: layout-aware HTML to text of the whole page (no boilerplate removal)."""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("inscriptis"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    import inscriptis

    return inscriptis.get_text(html) or ""
