"""C4's line filter (Raffel et al., 2020, §2.2) as a baseline: heuristics on text lines only.

The page is rendered as text lines (one per block line, as a crawl's text dump); a line is kept when
it ends in terminal punctuation, has at least 5 words, and contains neither "javascript" nor a
curly bracket; a page left with fewer than 3 sentences keeps nothing. C4 drops a whole *page*
with a curly bracket or "lorem ipsum"; as a boilerplate baseline we drop only the line, since a
page-level filter decides nothing about blocks.
"""

from __future__ import annotations

import re

from ...core.segment import segment_html

KIND = "text"
REQUIRES = ()  # this project's own code
_END_RE = re.compile(r"[.!?\"'”’]$")
_SENT_RE = re.compile(r"[.!?]+(\s|$)")


def keep_line(line: str) -> bool:
    return bool(_END_RE.search(line)) and len(line.split()) >= 5 and "javascript" not in line.lower() and "{" not in line


def extract(html: str, url: str | None = None, language: str | None = None) -> str:
    lines = [line for b in segment_html(html, structure=False) for line in b.text.split("\n")]
    kept = [line for line in lines if keep_line(line)]
    if sum(len(_SENT_RE.findall(line)) for line in kept) < 3:
        return ""
    return "\n".join(kept)
