"""A system's structured output (issue 27), read as the page's blocks are: Markdown or HTML parsed into
elements, each a `types.Structure` and its text, then projected onto the page's blocks by the aligner
that projects text outputs, so that each block gets the structure of the element that covers it.

Pure: no extractor is imported here; the scores of what this makes are `scoring.structure_counts`.

* Markdown is read by markdown-it-py's CommonMark parser with GFM tables: ATX and setext headings
  (level = the number of `#`), list items (depth = the lists around them, 1 = top level; every
  paragraph of an item is the item's), table cells (row and column in their table, the header row
  being row 0), fenced and indented code (language = the fence's first word), block quotes, and
  links (href resolved against the page URL). Raw HTML blocks are read by the HTML parser.
* HTML is read by lxml, cut where the segmenter cuts blocks (`segment.BLOCK_TAGS`, `<br>`, `<hr>`)
  and dropping what it drops (`segment.DROP_TAGS`); an element's kind is that of its innermost
  structural ancestor: `h1`–`h6`, `li` (depth: the `ul`/`ol`/`menu`/`dir` around it), `td`/`th` (row
  and column in its table, a cell spanning columns taking the first), `pre` (language: a
  `language-X`/`lang-X` class of the `pre` or its `code`), `blockquote`, `caption`/`figcaption`.
* Projection: the elements' texts are aligned as one text (`align.align_pieces`); a block the
  output covers (`align.COVER_THRESHOLD`) gets the structure of the element with the most tokens
  matched in it, and the links of that element whose anchor text it holds (all of them when the
  element covers no other block); a block the output does not cover gets None.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from ..core.align import TokenizedPage, align_pieces
from ..core.segment import BLOCK_TAGS, BREAK_TAGS, DROP_TAGS, SegmentError, parse_html
from ..core.text import has_word, normalize_space
from ..core.types import STRUCTURED_FORMATS, Block, Link, Structure, check_choice

# Bump on any change to what the parsers or the projection make: cached projections are keyed by it.
STRUCTURE_VERSION = "3"  # 3: links left out as the gold leaves them out (no word in the text; empty, javascript: href)

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = frozenset(("ul", "ol", "menu", "dir"))
_CAPTIONS = frozenset(("caption", "figcaption"))
_LANGUAGE_RE = re.compile(r"^(?:language|lang)-(\S+)$")


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
    href = href.strip()
    if not has_word(text) or not href or href.lower().startswith("javascript:"):
        return None
    if url:
        try:
            href = urljoin(url, href)
        except ValueError:
            pass
    return Link(href, text)


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


@dataclass
class _Open:
    """An open element of the walk that gives its text a structure, holds lists or cells, or is a link."""

    element: Any
    tag: str
    structure: Structure | None = None
    ordered: bool = False  # a list
    row: int = -1  # a table: the row in progress and the next column in it
    col: int = 0
    href: str = ""  # a link
    anchor_from: int = 0  # a link: where its text starts among the pieces


def parse_html_elements(html: str, url: str | None = None) -> list[Element]:
    """HTML (a fragment or a page) → elements (see the module docstring)."""
    if not html or not html.strip():
        return []
    try:
        root = parse_html(html)
    except SegmentError:
        return []
    if root is None:
        return []
    return list(_walk(root, url))


def _walk(root: etree._Element, url: str | None) -> Iterator[Element]:
    """One pass of lxml's `iterwalk` (no recursion: outputs nest deep too), cutting as the segmenter cuts."""
    stack: list[_Open] = []  # the open elements that matter, innermost last
    pieces: list[str] = []  # text of the element in progress
    links: list[Link] = []  # its links
    pre = 0

    def flush() -> Iterator[Element]:
        text = _text(pieces, keep_newlines=pre > 0)
        if has_word(text):
            structure = next((o.structure for o in reversed(stack) if o.structure is not None), Structure())
            yield Element(replace(structure, links=tuple(links)), text)
        pieces.clear()
        links.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if not tag or tag in DROP_TAGS or tag in BREAK_TAGS:  # not entered; its tail comes at "end"
                walker.skip_subtree()
                if tag in BREAK_TAGS:
                    yield from flush()
                continue
            if tag in BLOCK_TAGS:
                yield from flush()
            opened = _open(tag, el, stack)
            if opened is None and tag == "a" and el.get("href") is not None and not any(o.tag == "a" for o in stack):
                opened = _Open(el, tag, href=el.get("href") or "", anchor_from=len(pieces))
            if opened is not None:
                stack.append(opened)
                pre += tag == "pre"
            if el.text:
                pieces.append(el.text)
            continue
        if stack and stack[-1].element is el:
            if tag == "a":
                o = stack.pop()
                link = _link(url, o.href, pieces[o.anchor_from :])
                if link is not None:
                    links.append(link)
            else:
                if tag in BLOCK_TAGS:
                    yield from flush()  # its text, with its own structure
                stack.pop()
                pre -= tag == "pre"
        elif tag in BLOCK_TAGS:
            yield from flush()
        if el.tail:
            pieces.append(el.tail)
    yield from flush()


def _open(tag: str, el: etree._Element, stack: list[_Open]) -> _Open | None:
    """The stack entry an element opens, if it gives structure or holds lists or cells."""
    if tag in _HEADINGS:
        return _Open(el, tag, Structure(kind="heading", level=_HEADINGS[tag]))
    if tag in _LISTS:
        return _Open(el, tag, ordered=tag == "ol")
    if tag == "li":
        lists = [o for o in stack if o.tag in _LISTS]
        return _Open(el, tag, Structure(kind="list_item", level=max(1, len(lists)), ordered=bool(lists) and lists[-1].ordered))
    if tag in ("table", "thead"):
        return _Open(el, tag)
    table = next((o for o in reversed(stack) if o.tag == "table"), None)
    if tag == "tr":
        if table is not None:
            table.row += 1
            table.col = 0
        return None
    if tag in ("td", "th"):
        row = col = -1
        if table is not None:
            row, col = max(table.row, 0), table.col
            table.col += _span(el.get("colspan"))
        header = tag == "th" or any(o.tag == "thead" for o in stack)
        return _Open(el, tag, Structure(kind="table_cell", row=row, col=col, header=header))
    if tag == "pre":
        return _Open(el, tag, Structure(kind="code", language=_language(el)))
    if tag == "blockquote":
        return _Open(el, tag, Structure(kind="quote"))
    if tag in _CAPTIONS:
        return _Open(el, tag, Structure(kind="caption"))
    return None


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _language(pre: etree._Element) -> str:
    """A code block's language, from a `language-X` / `lang-X` class of the `pre` or its `code`."""
    for el in (pre, *pre.iterchildren("code", "CODE")):
        for token in (el.get("class") or "").split():
            m = _LANGUAGE_RE.match(token)
            if m:
                return m.group(1).lower()
    return ""


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
# The cached form of a projection: per block a compact dict (fields that differ from the default), or None


_DEFAULT = asdict(Structure())


def structure_to_json(s: Structure | None) -> dict[str, Any] | None:
    if s is None:
        return None
    d = {k: v for k, v in asdict(s).items() if v != _DEFAULT[k]}
    if s.links:
        d["links"] = [[link.href, link.text] for link in s.links]
    return d


def structure_from_json(d: dict[str, Any] | None) -> Structure | None:
    if d is None:
        return None
    links = tuple(Link(href, text) for href, text in d.get("links", ()))
    return Structure(**{**{k: v for k, v in d.items() if k != "links"}, "links": links})
