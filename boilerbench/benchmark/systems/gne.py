"""GNE (GeneralNewsExtractor): text-density and punctuation-density scoring of nodes, written for
Chinese news pages. Its plain-text `content` is the main text (title, author and date are fields
of their own); a page where it finds no body is an empty answer."""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("gne"),)


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    from gne import GeneralNewsExtractor
    from gne.exceptions import NoContentException

    try:
        return str(GeneralNewsExtractor().extract(html)["content"])
    except NoContentException:
        return ""
