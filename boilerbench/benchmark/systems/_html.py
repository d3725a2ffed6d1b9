"""Helpers the system modules share: the text of an extractor's HTML output, and a page made fit
for extractors that edit it with lxml."""

from __future__ import annotations

import re

from ...core.segment import segment_html

# What lxml refuses in the text it is given (XML 1.0's excluded characters): the C0 controls but tab
# and the line breaks, and U+FFFE/U+FFFF. trafilatura's load_html drops the same before parsing.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def html_to_text(html: str) -> str:
    """Block breaks become line breaks, by the project's own segmenter (lxml's text_content would
    glue "end.Next" together)."""
    return "\n".join(b.text for b in segment_html(html, structure=False)) if html and html.strip() else ""


def xml_chars(html: str) -> str:
    """The page without the characters lxml refuses: goose3 and newspaper parse it, then move text
    between elements, and one such character (a NUL, a stray U+001D) fails the whole page with
    lxml's "All strings must be XML compatible"."""
    return _NOT_XML_RE.sub("", html)
