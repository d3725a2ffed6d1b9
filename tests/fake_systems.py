"""Misbehaving extractors for the runner tests (registered by monkeypatching `systems.REGISTRY`).

Each `extract_*` behaves like a plain whole-page text extractor, except on a *marked* page — one
whose URL or HTML contains the marker — where it fails in its own way: raises, hangs, kills its own
worker process (at once, or after closing its pipes), or returns a non-string. The marker is read from the environment at call time, so a
test sets it (monkeypatch.setenv) before the runner forks its workers, and the workers inherit it.

Importable as `tests.fake_systems` (tests/ is a package, found first when the repo root is on sys.path,
as it is under `python -m pytest`; test modules add the root themselves otherwise).
"""

from __future__ import annotations

import os
import time

from lxml import html as lxml_html

KIND = "text"  # the system contract (`boilerbench.benchmark.systems.SystemModule`): whole-page text extractors
REQUIRES = ()  # nothing to install
MARKER_ENV = "BOILERBENCH_FAKE_MARKER"
_PARSER = lxml_html.HTMLParser(encoding="utf-8")


def _marked(html: str, url: str | None) -> bool:
    marker = os.environ.get(MARKER_ENV)
    if not marker:
        return False
    return marker in (url or "") or marker in html


def visible_text(html: str) -> str:
    """The page's text without scripts and styles: a cheap 'keep everything' extractor."""
    if not html or not html.strip():
        return ""
    try:
        # bytes with a declared encoding: lxml refuses str input that carries an XML declaration
        root = lxml_html.fromstring(html.encode("utf-8"), parser=_PARSER)
    except Exception:  # lxml refuses some inputs (e.g. only a comment)
        return ""
    for el in root.xpath("//script|//style|//noscript|//template"):
        el.drop_tree()
    return "\n".join(t.strip() for t in root.itertext() if t.strip())


def failure_message(url: str | None) -> str:
    return f"fake failure on {url}"


def extract_raise(html: str, url: str | None = None, language: str | None = None) -> str:
    if _marked(html, url):
        raise RuntimeError(failure_message(url))
    return visible_text(html)


def extract_hang(html: str, url: str | None = None, language: str | None = None) -> str:
    if _marked(html, url):
        time.sleep(3600)
    return visible_text(html)


def extract_exit(html: str, url: str | None = None, language: str | None = None) -> str:
    if _marked(html, url):
        os._exit(3)
    return visible_text(html)


def extract_bytes(html: str, url: str | None = None, language: str | None = None) -> str:
    if _marked(html, url):
        return visible_text(html).encode("utf-8")  # type: ignore[return-value]  # the bug under test
    return visible_text(html)


def extract_exit_slowly(html: str, url: str | None = None, language: str | None = None) -> str:
    """On a marked page: close every inherited descriptor past stderr (the parent's pipe sees EOF at
    once), then exit with code 3 only after a pause (the parent must wait to learn the code)."""
    if _marked(html, url):
        os.closerange(3, 65536)
        time.sleep(0.5)
        os._exit(3)
    return visible_text(html)


def goose3_as_is(html: str, url: str | None = None, language: str | None = None) -> str:
    """goose3 on the page as given: without the characters `boilerbench.benchmark.systems.goose3` drops first,
    lxml refuses a control character in goose3's cleaner, which logs and raises (a real failure of
    the library, for the runner's tests)."""
    from goose3 import Goose

    return Goose({"enable_image_fetching": False}).extract(raw_html=html).cleaned_text or ""


def structured_raise(html: str, url: str | None = None, language: str | None = None) -> str:
    """A structured mode: the page itself as its "article HTML"; raises on a marked page too."""
    if _marked(html, url):
        raise RuntimeError(failure_message(url))
    return html
