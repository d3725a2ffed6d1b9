"""The systems registry: name → "module:function", imported only when a system is used.

Adding a baseline is one module in this package and one line here. Two kinds of function:

* `extract(html, url, language) -> str`: a text extractor; its output is projected onto blocks by
  the same aligner that labels the gold;
* `predict(html) -> list[bool]` (module attribute `KIND = "blocks"`): a block classifier deciding
  directly for each block of `segment.segment_html(html)`.

A module may define `version()` when its package version does not say what its output depends on
(the classifier: the hash of its model files). Reference rows (`all-text`, `nothing`, `oracle`)
are computed from the labels by the evaluator.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

REGISTRY: dict[str, str] = {
    "trafilatura": "trafilatura:extract",
    "trafilatura-precision": "trafilatura:extract_precision",
    "trafilatura-recall": "trafilatura:extract_recall",
    "readability-lxml": "readability:extract",
    "justext": "justext:extract",
    "boilerpy3": "boilerpy3:extract",
    "resiliparse": "resiliparse:extract",
    "goose3": "goose3:extract",
    "newspaper4k": "newspaper4k:extract",
    "inscriptis": "inscriptis:extract",
    "html-text": "html_text:extract",
    "news-please": "news_please:extract",
    "c4-lines": "c4_lines:extract",
    "boilerbench": "boilerbench:predict_html",
    "boilerbench-text": "boilerbench:predict_text",
}
REFERENCE = ("all-text", "nothing", "oracle")


class MissingSystem(RuntimeError):
    """The system's package is not installed (a one-line skip, not a crash)."""


@dataclass(frozen=True)
class System:
    name: str
    kind: str  # "text" or "blocks"
    package: str | None
    version: str
    fn: Callable[..., Any]


def available() -> list[str]:
    return [*REGISTRY, *REFERENCE]


def _version(package: str | None) -> str:
    if package is None:
        from .. import __version__

        return __version__
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def load(name: str) -> System:
    """Import a registered system; MissingSystem if its package is absent."""
    if name in REFERENCE:
        return System(name, "reference", None, _version(None), lambda *a: None)
    if name not in REGISTRY:
        raise KeyError(f"unknown system {name!r}; registered: {', '.join(available())}")
    module_name, attr = REGISTRY[name].split(":")
    qualified = module_name if "." in module_name else f"{__name__}.{module_name}"
    try:
        module = importlib.import_module(qualified)
    except ImportError as e:
        raise MissingSystem(
            f"{name}: not installed (no module {e.name or e!s}); pip install 'boilerbench[{name}]' or 'boilerbench[all]'"
        ) from e
    missing = module.missing() if callable(getattr(module, "missing", None)) else None
    if missing:
        raise MissingSystem(f"{name}: {missing}")
    package = getattr(module, "PACKAGE", None)
    version = module.version() if callable(getattr(module, "version", None)) else _version(package)
    return System(name, getattr(module, "KIND", "text"), package, version, getattr(module, attr))
