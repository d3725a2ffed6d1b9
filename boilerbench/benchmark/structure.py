"""A system's structured output (issue 27), read as the page's blocks are: Markdown or HTML parsed into
elements, each a `types.Structure` and its text, then projected onto the page's blocks by the aligner
that projects text outputs, so that each block gets the structure of the element that covers it.

Pure: no extractor is imported here; the scores of what this makes are `scoring.structure_counts`.

* Markdown is read by markdown-it-py's CommonMark parser with GFM tables: ATX and setext headings
  (level = the number of `#`), list items (depth = the lists around them, 1 = top level; every
  paragraph of an item is the item's), table cells (row and column in their table, the header row
  being row 0), fenced and indented code (language = the fence's first word), block quotes, and
  links (href resolved against the page URL). Raw HTML blocks are read by the HTML parser.
  Links are kept and left out as the gold's are (`core.structure`: none whose text has no letter or
  digit, none with an empty or `javascript:` href).
* HTML is read by the segmenter itself (`segment_html` with the page URL): its blocks and the
  structure `core.structure`'s rules give them are the elements, so an output's HTML is cut and
  read by the very rules that made the gold.
* Projection: the elements' texts are aligned as one text (`align.align_pieces`); a block the
  output covers (`align.COVER_THRESHOLD`) gets the structure of the element with the most tokens
  matched in it, and the links of that element whose anchor text it holds (all of them when the
  element covers no other block); a block the output does not cover gets None.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from ..core.align import TokenizedPage, align_pieces
from ..core.segment import SegmentError, segment_html
from ..core.structure import STRUCTURE_VERSION as RULES_VERSION
from ..core.structure import resolve_href
from ..core.text import has_word, normalize_space
from ..core.types import STRUCTURED_FORMATS, Block, Link, Structure, check_choice, decode_bits, encode_bits

# Bump on any change to what the Markdown parser or the projection make; the segmenter's structure
# rules (which read HTML outputs) have their version too: cached projections are keyed by both.
STRUCTURE_VERSION = f"4+rules.{RULES_VERSION}"  # 4: HTML read by the segmenter


@dataclass(frozen=True)
class Element:
    """One piece of a structured output: what kind of element it is, and its text."""

    structure: Structure
    text: str


def parse(fmt: str, markup: str, url: str | None = None) -> list[Element]:
    """The elements of a structured output in `fmt` (one of `STRUCTURED_FORMATS`), links resolved
    against `url`."""
    if check_choice("structured format", fmt, STRUCTURED_FORMATS) == "markdown":
        return parse_markdown(markup, url)
    return parse_html_elements(markup, url)


def _text(pieces: Sequence[str], keep_newlines: bool = False) -> str:
    """An element's text as the segmenter makes a block's: white space collapsed, NFC-normalised."""
    return unicodedata.normalize("NFC", normalize_space("".join(pieces), keep_newlines=keep_newlines))


def _link(url: str | None, href: str, pieces: Sequence[str]) -> Link | None:
    """A link as the gold's are made: its href absolute against the page URL (as written where it
    cannot be resolved), its anchor text normalised; None for one the gold leaves out (no letter
    or digit in its text, as an image link; an empty or `javascript:` href)."""
    text = _text(pieces)
    absolute = resolve_href(href, url) if has_word(text) else ""
    return Link(absolute, text) if absolute else None


# ---------------------------------------------------------------------------------------------
# Markdown


@cache
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def parse_markdown(markdown: str, url: str | None = None) -> list[Element]:
    """Markdown → elements (see the module docstring)."""
    elements: list[Element] = []
    lists: list[bool] = []  # the open lists, innermost last: ordered or not
    containers: list[str] = []  # the open list items and block quotes, innermost last
    tables: list[list[int]] = []  # per open table: [row, col] of the cell in progress
    current: Structure | None = None  # what the next inline token is
    for token in _markdown_parser().parse(markdown):
        t = token.type
        if t in ("bullet_list_open", "ordered_list_open"):
            lists.append(t == "ordered_list_open")
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t == "list_item_open":
            containers.append("list_item")
        elif t == "blockquote_open":
            containers.append("quote")
        elif t in ("list_item_close", "blockquote_close"):
            containers.pop()
        elif t == "heading_open":
            current = Structure(kind="heading", level=int(token.tag[1]))
        elif t == "paragraph_open":
            current = _container_structure(containers, lists)
        elif t == "table_open":
            tables.append([-1, -1])
        elif t == "table_close":
            tables.pop()
        elif t == "tr_open":
            tables[-1][0] += 1
            tables[-1][1] = -1
        elif t in ("th_open", "td_open"):
            tables[-1][1] += 1
            row, col = tables[-1]
            current = Structure(kind="table_cell", row=row, col=col, header=t == "th_open")
        elif t == "inline" and current is not None:
            text, links = _inline(token.children or [], url)
            if has_word(text):
                elements.append(Element(replace(current, links=links), text))
            current = None
        elif t in ("fence", "code_block"):
            language = token.info.split()[0].lower() if t == "fence" and token.info.strip() else ""
            code = _text([token.content], keep_newlines=True)
            if has_word(code):
                elements.append(Element(Structure(kind="code", language=language), code))
        elif t == "html_block":
            elements.extend(parse_html_elements(token.content, url))
    return elements


def _container_structure(containers: list[str], lists: list[bool]) -> Structure:
    """The kind of a paragraph: its innermost list item's or block quote's, else a paragraph."""
    if containers and containers[-1] == "list_item":
        return Structure(kind="list_item", level=len(lists), ordered=lists[-1])
    if containers:
        return Structure(kind="quote")
    return Structure()


def _inline(children: Sequence[Any], url: str | None) -> tuple[str, tuple[Link, ...]]:
    """The text of an inline run and its links (href, anchor text)."""
    pieces: list[str] = []
    links: list[Link] = []
    href: str | None = None
    anchor_from = 0
    for child in children:
        t = child.type
        if t in ("text", "code_inline"):
            pieces.append(child.content)
        elif t in ("softbreak", "hardbreak"):
            pieces.append("\n")
        elif t == "link_open":
            href, anchor_from = str(child.attrs.get("href", "")), len(pieces)
        elif t == "link_close" and href is not None:
            link = _link(url, href, pieces[anchor_from:])
            if link is not None:
                links.append(link)
            href = None
    return _text(pieces), tuple(links)


# ---------------------------------------------------------------------------------------------
# HTML


def parse_html_elements(html: str, url: str | None = None) -> list[Element]:
    """HTML (a fragment or a page) → elements: the blocks the segmenter cuts from it, each with the
    structure it reads (`core.structure`'s rules, the gold's), links resolved against `url`."""
    if not html or not html.strip():
        return []
    try:
        blocks = segment_html(html, url=url)
    except SegmentError:
        return []
    return [Element(b.known_structure, b.text) for b in blocks]


# ---------------------------------------------------------------------------------------------
# Projection


def assign(blocks: Sequence[Block] | TokenizedPage, elements: Sequence[Element]) -> list[Structure | None]:
    """Per block, the structure of the output element that covers it, or None (the module docstring)."""
    page = blocks if isinstance(blocks, TokenizedPage) else TokenizedPage(blocks)
    alignment, per_element = align_pieces(page, [e.text for e in elements])
    covered = alignment.covered
    best: dict[int, tuple[int, int]] = {}  # block → (tokens matched, element)
    for k, counts in enumerate(per_element):
        for b, n in counts.items():
            if covered[b] and n > best.get(b, (0, -1))[0]:
                best[b] = (n, k)
    owned: dict[int, list[int]] = {}  # element → the blocks it gives its structure to
    for b, (_, k) in sorted(best.items()):
        owned.setdefault(k, []).append(b)
    out: list[Structure | None] = [None] * len(page.sizes)
    for k, bs in owned.items():
        structure = elements[k].structure
        if len(bs) == 1 or not structure.links:
            for b in bs:
                out[b] = structure
            continue
        held: dict[int, list[Link]] = {b: [] for b in bs}
        for link in structure.links:
            held[_holder(page, bs, link.text)].append(link)
        for b in bs:
            out[b] = replace(structure, links=tuple(held[b]))
    return out


def _holder(page: TokenizedPage, blocks: list[int], anchor: str) -> int:
    """Which of an element's blocks holds a link: the first whose tokens hold its anchor text's."""
    wanted = set(page.encode(anchor))
    if wanted and -1 not in wanted:
        for b in blocks:
            start = page.starts[b]
            if wanted <= set(page.ids[start : start + page.sizes[b]]):
                return b
    return blocks[0]


# ---------------------------------------------------------------------------------------------
# The cached form of a projection: which blocks are covered, and their structures (`Structure.to_json`)


def projection_to_json(structures: Sequence[Structure | None]) -> dict[str, Any]:
    return {
        "covered": encode_bits([s is not None for s in structures]),
        "structures": [s.to_json() for s in structures if s is not None],
    }


def projection_from_json(d: dict[str, Any]) -> tuple[Structure | None, ...]:
    made = iter(d["structures"])
    return tuple(Structure.from_json(next(made)) if covered else None for covered in decode_bits(d["covered"]))
