"""jusText (Pomikálek, 2011): paragraph classification with a stop-word list per language.

The page's language (metadata) picks the stop list; English when jusText has none for it.
"""

from __future__ import annotations

from . import Requirement

KIND = "text"
REQUIRES = (Requirement("justext"),)

_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "cs": "Czech",
    "sv": "Swedish",
    "da": "Danish",
    "fi": "Finnish",
    "no": "Norwegian_Bokmal",
    "id": "Indonesian",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "hu": "Hungarian",
    "ro": "Romanian",
    "el": "Greek",
    "vi": "Vietnamese",
    "ja": "Japanese",
}


def _stoplist(language: str | None) -> frozenset[str]:
    import justext

    name = _NAMES.get(language or "", "English")
    try:
        return justext.get_stoplist(name)
    except ValueError:
        return justext.get_stoplist("English")


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    import justext

    paragraphs = justext.justext(html.encode("utf-8"), _stoplist(language), encoding="utf-8")
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)
