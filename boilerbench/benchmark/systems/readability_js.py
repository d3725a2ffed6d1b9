"""Mozilla's Readability.js (Firefox's Reader View) on jsdom, run by Node.js: the reference
implementation readability-lxml ports. Its article HTML is rendered to text as readability-lxml's is.

Not a pip package: it needs `node` and the Node folder installed (`_node.install_command()`), which `missing`
checks; its version is the installed @mozilla/readability's, with jsdom's (the DOM it reads).
"""

from __future__ import annotations

from . import _node
from ._html import html_to_text

KIND = "text"
REQUIRES = ()  # no Python package: `missing` checks node and the Node folder
PACKAGE = "@mozilla/readability"

_NODE = _node.NodeProcess()


def missing() -> str | None:
    return _node.missing(PACKAGE)


def version() -> str:
    """What its outputs depend on: Readability.js, and the jsdom that parses the page for it (outputs
    cached under jsdom 28 would otherwise have been read back under 26, which parses differently)."""
    return f"{_node.package_version(PACKAGE)}+jsdom.{_node.package_version('jsdom')}"


def warm_up() -> None:
    """Start this worker's node and wait for its first answer (node loads jsdom and Readability.js
    only then) before the clock starts: pages/s is about pages, not start-up."""
    extract("<html><body><p>warm-up</p></body></html>")


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    return html_to_text(extract_html(html, url, language))


def extract_html(html: str, url: str | None = None, language: str | None = None) -> str:
    """The article's `content`, the HTML Readability.js returns (what `extract` renders to text)."""
    answer = _NODE.call({"html": html, "url": url or ""})
    if answer.get("error"):
        raise RuntimeError(f"Readability.js: {answer['error']}")
    return str(answer["content"])
