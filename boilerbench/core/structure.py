"""A block's structure (issue 27), read from the DOM: what kind of element holds its text (heading
with level, list item with depth and list type, table cell with row and column, code with language,
quote, caption, paragraph) and the links inside it.

The rules are written once, here. Both walks (`segment.walk_tree` and its compiled twin) record each
block's raw facts (`Facts`): the owner element (nearest block-level ancestor; None for the
document) with its lower-case tag and its parent's, and the block's anchors, made by `anchor`:
(href as written, text) pairs. A `StructureReader` reads a block's structure from them when asked
(with the makers `page_structure(root, url)` returns), so that what needs only some blocks'
structure (the Markdown writer: the kept blocks) pays for no other. The rest is read from the
owner element here:

* `h1`–`h6` → heading, level 1–6; `pre` → code, its language from the first `language-X` or `lang-X`
  class token of the `pre`, its first `code` child or the `pre`'s parent; `blockquote` → quote;
  `figcaption`, `caption` → caption; text directly in a list or table container (`ul`, `ol`, `dl`,
  `menu`, `dir`, `table`, `thead`, `tbody`, `tfoot`, `tr`) → other; any other owner → paragraph.
* `li` → list item: depth = the number of list elements (`ul`, `ol`, `menu`, `dir`) among its
  ancestors (1 = top level), ordered when the nearest one is an `ol`.
* `td`, `th` → table cell: row = the index of its `tr` among its table's rows (those directly in the
  `table` and those in its `thead`, `tbody`, `tfoot`, in document order; a cell outside a `tr`: row
  0), col = its index among the row's `td`/`th` children. `colspan` and `rowspan` are not counted:
  a Markdown table (GFM) has no spans, and the systems' Markdown cells are counted the same way.
  Header: a `th`, or a cell of a row inside `thead`.
* A `p` or `div` owner directly inside an `li`, `td`, `th`, `blockquote`, `figcaption` or `caption`
  takes that parent's kind (`<li><p>…</p></li>` is a list item), read from the parent. One level
  only: a layout table's cells hold whole articles in nested `div`s, and those stay paragraphs.
* Links: each `<a href>` (an `href` attribute, even empty) whose text is in the block, text
  normalised as block text is (white space collapsed, NFC); one that spans a block boundary (an
  `<a>` holding a `<br>` or a `<p>`) is a link in each block it has text in. Left out: anchors
  with no letter or digit (image links), and `href`s that are empty or `javascript:`. The href is
  resolved against the page's `<base href>` and URL (`urljoin`); without a URL, against the
  `<base href>` alone, else as written (and as written where `urljoin` cannot parse it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from .text import has_word
from .types import Block, Link, Structure

STRUCTURE_VERSION = "1"  # any change to the rules above bumps it: caches of labeled blocks hold structures

HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
LIST_TAGS = frozenset(("ul", "ol", "menu", "dir"))
ORDERED_LIST_TAG = "ol"
# As lxml's tag filters match them: lower case, as lxml's HTML parser writes every tag, and upper
# case (an XML tree keeps its tags' case).
_LIST_TAG_NAMES = (*LIST_TAGS, *(t.upper() for t in LIST_TAGS))
CELL_TAGS = frozenset(("td", "th"))
HEADER_CELL_TAG = "th"
ROW_TAG = "tr"
TABLE_TAG = "table"
ROW_GROUP_TAGS = frozenset(("thead", "tbody", "tfoot"))
HEADER_GROUP_TAG = "thead"
CODE_TAG = "pre"
QUOTE_TAGS = frozenset(("blockquote",))
CAPTION_TAGS = frozenset(("figcaption", "caption"))
CONTAINER_TAGS = LIST_TAGS | ROW_GROUP_TAGS | {"dl", TABLE_TAG, ROW_TAG}  # text directly in them: "other"
_CELL_TAG_NAMES = (*CELL_TAGS, *(t.upper() for t in CELL_TAGS))
_ROW_TAG_NAMES = (ROW_TAG, *ROW_GROUP_TAGS, ROW_TAG.upper(), *(t.upper() for t in ROW_GROUP_TAGS))
# The owners that take their parent's kind, and the parents they take it from.
PASS_THROUGH = frozenset(("p", "div"))
PASS_TO = frozenset(("li", *CELL_TAGS, *QUOTE_TAGS, *CAPTION_TAGS))
LANGUAGE_PREFIXES = ("language-", "lang-")
DROPPED_SCHEMES = ("javascript:",)

PARAGRAPH = Structure()
OTHER = Structure(kind="other")
# The structure of an owner tag that needs nothing more (no element read), without links.
_BY_TAG: dict[str, Structure] = {
    **{tag: Structure(kind="heading", level=n) for tag, n in HEADING_TAGS.items()},
    **{tag: Structure(kind="quote") for tag in QUOTE_TAGS},
    **{tag: Structure(kind="caption") for tag in CAPTION_TAGS},
    **{tag: OTHER for tag in CONTAINER_TAGS},
}
# Owner tags whose structure is read from the element (and its parent, its table, its list).
_READ = frozenset(("li", CODE_TAG, *CELL_TAGS, *PASS_THROUGH))
# Owner tags whose structure (links aside) is the same for every child of one parent element (a
# list item's is its list's): the walks read it once per parent.
PARENT_KEYED_TAGS = frozenset(("li",))

Anchor = tuple[str, str]  # (href as written, anchor text: see `anchor`)


def anchor(href: str, raw: str) -> Anchor | None:
    """A link's (href as written, text) from the raw text it has in a block, the text normalised as
    a block's text is (`segment.emit_text`, outside `<pre>`: white space collapsed, NFC); None
    when the text has no letter or digit (an image link). What both walks hand the maker."""
    text = " ".join((raw if raw.isascii() else unicodedata.normalize("NFC", raw)).split())
    return (href, text) if has_word(text) else None


def _tag(el: Any) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def code_language(pre: Any) -> str:
    """The language a `pre` names: the first `language-X` / `lang-X` class token of the `pre`, of
    its first `code` child, or of its parent (highlighters put it on any of them); "" for none."""
    code = next((c for c in pre if _tag(c) == "code"), None)
    for el in (pre, code, pre.getparent()):
        if el is None:
            continue
        for token in (el.get("class") or "").split():
            low = token.lower()
            for prefix in LANGUAGE_PREFIXES:
                if low.startswith(prefix) and len(low) > len(prefix):
                    return low[len(prefix) :]
    return ""


def tag_structure(tag: str, parent: str) -> Structure | None:
    """The structure, links aside, of a block whose owner has lower-case `tag` and its parent
    `parent`, where the two tags decide it; None where the elements must be read (a list item, a
    table cell, code). Memoised in `TAG_STRUCTURES`: the walks look a block's tags up there first, and make
    no owner element and call no maker for a block without links whose tags decide it."""
    key = (tag, parent)
    if key in TAG_STRUCTURES:
        return TAG_STRUCTURES[key]
    if tag not in _READ:
        s = _BY_TAG.get(tag, PARAGRAPH)
    elif tag in PASS_THROUGH and parent not in PASS_TO:
        s = PARAGRAPH
    elif tag in PASS_THROUGH and parent in _BY_TAG:
        s = _BY_TAG[parent]
    else:
        s = None
    if len(TAG_STRUCTURES) > TAG_STRUCTURES_LIMIT:  # bounded: pages can invent any number of tag names
        TAG_STRUCTURES.clear()
    TAG_STRUCTURES[key] = s
    return s


TAG_STRUCTURES: dict[tuple[str, str], Structure | None] = {}
TAG_STRUCTURES_LIMIT = 100_000


# Segmenting makes a structure for every block: the frozen dataclasses' `__init__` (one
# `object.__setattr__` per field) would cost more than the rest of the maker, so those without
# links are made once (`_interned`), and those with links and the links themselves are made as
# that `__init__` makes them, their fields set in order (what the compiled walk does for blocks).
_new = object.__new__
_INTERNED: dict[tuple[Any, ...], Structure] = {}


def _interned(
    kind: str, level: int = 0, ordered: bool = False, row: int = -1, col: int = -1, header: bool = False, language: str = ""
) -> Structure:
    key = (kind, level, ordered, row, col, header, language)
    s = _INTERNED.get(key)
    if s is None:
        s = _INTERNED[key] = Structure(*key)
        if len(_INTERNED) > INTERNED_LIMIT:  # bounded: row and column numbers and languages vary
            _INTERNED.clear()
    return s


INTERNED_LIMIT = 100_000


def _with_links(s: Structure, links: tuple[Link, ...]) -> Structure:
    out = _new(Structure)
    out.__dict__.update(s.__dict__)
    out.__dict__["links"] = links
    return out


def _link(href: str, text: str) -> Link:
    out = _new(Link)
    fields = out.__dict__
    fields["href"] = href
    fields["text"] = text
    return out


class PageStructure(NamedTuple):
    """One page's makers of block structures, what `StructureReader` calls (see the module
    docstring): `read(owner, tag, parent)`, the structure of a block whose owner's and parent's tags
    do not decide it (`tag_structure` is None), from its owner element; `with_links(structure,
    anchors)`, the structure with the block's links (`anchor`'s pairs), hrefs resolved by `resolve`."""

    read: Callable[[Any, str, str], Structure]
    with_links: Callable[[Structure, Sequence[Anchor]], Structure]
    resolve: Callable[[str], str]  # an href as written → absolute; "" for one left out


def page_structure(root: Any, url: str | None = None) -> PageStructure:
    """The makers of one page's block structures (`PageStructure`), with what they have read of the
    page (its base URL; each list's depth, each table's rows, each row's cells: read once)."""
    base = None
    if isinstance(root.tag, str) and root.tag.lower() == "html":
        base = next((b.get("href") for b in root.iterfind("head/base") if b.get("href")), None)
    base = _resolved(url, base.strip()) if base else url
    parts = base_parts(base)
    hrefs: dict[str, str] = {}
    lists: dict[Any, Structure] = {}
    rows: dict[Any, dict[Any, int]] = {}
    cells: dict[Any, tuple[int, bool, dict[Any, int]]] = {}  # by row: `read_row`

    def read_owner(owner: Any, tag: str, parent: str) -> Structure:
        return read(owner.getparent(), parent) if tag in PASS_THROUGH else read(owner, tag)

    def with_links(s: Structure, anchors: Sequence[Anchor]) -> Structure:
        found = links(anchors)
        return _with_links(s, found) if found else s

    def read(owner: Any, tag: str) -> Structure:
        if tag == "li":
            up = owner.getparent()
            got = lists.get(up)
            if got is None:
                depth, ordered = list_of(up)
                got = lists[up] = _interned("list_item", depth, ordered)
            return got
        if tag == CODE_TAG:
            return _interned("code", language=code_language(owner))
        return cell(owner, tag)

    def cell(cell: Any, tag: str) -> Structure:
        row = cell.getparent()
        got = cells.get(row)
        if got is None:
            if row is None or _tag(row) != ROW_TAG:
                return _interned("table_cell", 0, False, 0, 0, tag == HEADER_CELL_TAG)
            got = cells[row] = read_row(row)
        r, header, cols = got
        return _interned("table_cell", 0, False, r, cols.get(cell, 0), header or tag == HEADER_CELL_TAG)

    def read_row(row: Any) -> tuple[int, bool, dict[Any, int]]:
        """A row's number in its table, whether it is a header row (in a thead) and its cells'
        columns."""
        group = row.getparent()
        in_group = group is not None and _tag(group) in ROW_GROUP_TAGS
        table = group.getparent() if in_group else group
        r = 0
        if table is not None:
            numbers = rows.get(table)
            if numbers is None:
                numbers = rows[table] = {tr: i for i, tr in enumerate(_table_rows(table))}
            r = numbers.get(row, 0)
        cols = {c: i for i, c in enumerate(row.iterchildren(*_CELL_TAG_NAMES))}
        return r, in_group and _tag(group) == HEADER_GROUP_TAG, cols

    def links(anchors: Sequence[Anchor]) -> tuple[Link, ...]:
        out = []
        for href, text in anchors:
            absolute = hrefs.get(href)
            if absolute is None:
                absolute = hrefs[href] = resolve_href(href, base, parts)
            if absolute:
                out.append(_link(absolute, text))
        return tuple(out)

    def resolve(href: str) -> str:
        return resolve_href(href, base, parts)

    return PageStructure(read_owner, with_links, resolve)


# What a walk records of one block for its structure (`StructureReader`): the `Structure` itself
# where its owner's and parent's tags decide it and it has no link (most blocks), else (the
# structure the tags decide or None, the owner element (None: the document), its lower-case tag,
# its parent's, the key of its parent element for a `PARENT_KEYED_TAGS` block (else None), and
# its anchors: `anchor`'s pairs, None for none).
Facts = Structure | tuple[Structure | None, Any, str, str, Any, tuple[Anchor, ...] | None]


class StructureReader:
    """A page's block structures, each read when asked, from the `Facts` a walk recorded of the
    block, by the rules of `page_structure` (made on the first read). The walks read nothing
    themselves: `segment_html` reads every block's structure through one of these, and what needs
    only some (the Markdown writer: the kept blocks, `segment_html_later`) reads those only."""

    __slots__ = ("_by_parent", "_facts", "_makers", "_root", "_url")

    def __init__(self, root: Any, url: str | None, facts: list[Facts]) -> None:
        self._root, self._url, self._facts = root, url, facts
        self._makers: PageStructure | None = None
        self._by_parent: dict[Any, Structure] = {}  # the structures of `PARENT_KEYED_TAGS` blocks, by parent

    def read(self, i: int) -> Structure:
        """The structure of block `i` (its index in the walk's blocks)."""
        f = self._facts[i]
        if isinstance(f, Structure):
            return f
        s, owner, tag, parent, key, anchors = f
        makers = self._makers
        if makers is None:
            makers = self._makers = page_structure(self._root, self._url)
        if s is None:
            if key is None:
                s = makers.read(owner, tag, parent)
            else:  # read once per parent element
                s = self._by_parent.get(key)
                if s is None:
                    s = self._by_parent[key] = makers.read(owner, tag, parent)
        return makers.with_links(s, anchors) if anchors else s

    def read_some(self, indices: Iterable[int], count: int) -> list[Structure | None]:
        """`count` entries, one per block: the structure of those at `indices`, None for the others
        (not read)."""
        out: list[Structure | None] = [None] * count
        facts = self._facts
        for i in indices:
            f = facts[i]
            out[i] = f if type(f) is Structure else self.read(i)  # (most blocks: the structure itself)
        return out


def with_structure(b: Block, s: Structure) -> Block:
    """`dataclasses.replace(b, structure=s)`, its fields set as the frozen dataclass's `__init__`
    sets them, without the call (a walk makes one a block)."""
    out = _new(Block)
    fields = out.__dict__
    fields.update(b.__dict__)
    fields["structure"] = s
    return out


def resolve_href(href: str, base: str | None, parts: BaseParts | None = None) -> str:
    """A link's href as written → absolute against `base` (`_resolved`); "" for one the links leave
    out (empty, or a `DROPPED_SCHEMES` one). The gold's rule, which the parsers of systems' outputs
    read too."""
    h = href.strip()
    return "" if not h or h.lower().startswith(DROPPED_SCHEMES) else _resolved(base, h, parts)


def list_of(parent: Any) -> tuple[int, bool]:
    """(depth, ordered) of the list items under `parent`: the list elements among `parent` and its
    ancestors, and whether the nearest is an `ol` (a stray `li`: depth 0)."""
    if parent is None:
        return (0, False)
    lists = [parent] if _tag(parent) in LIST_TAGS else []
    lists += parent.iterancestors(*_LIST_TAG_NAMES)  # filtered by lxml: no proxy for the others
    return (len(lists), bool(lists) and _tag(lists[0]) == ORDERED_LIST_TAG)


def _resolved(base: str | None, href: str, parts: BaseParts | None = None) -> str:
    """`href` resolved against `base` (`urljoin`); as written without a base, or where `urljoin`
    refuses it (an address it cannot parse, e.g. `http://[not-an-ip]/`). Most hrefs of a page are
    absolute (`https://host/…`), rooted (`/a/b`), relative (`b.html`), a query (`?p=2`) or a
    fragment (`#top`), and `urljoin` costs more than the rest of a block's structure: plain ones
    are written here as `urljoin` writes them, from the base's `parts`; the others (dot segments,
    empty queries or fragments, tabs and line breaks, which `urljoin` rewrites) go through
    `urljoin`."""
    if not base:
        return href
    if parts is not None and href.isprintable() and "?#" not in href and not href.endswith(("#", "?")) and "/." not in href:
        first = href[:1]
        if href.startswith("https://"):
            if href[8:9].isalnum():
                return href
        elif href.startswith("http://"):
            if href[7:8].isalnum():
                return href
        elif first == "/":
            if href[1:2] != "/":
                return parts.origin + href
        elif first == "#":
            return parts.no_fragment + href
        elif first == "?":
            return parts.no_query + href
        elif (first.isalnum() or first == "_") and ":" not in href.partition("/")[0]:
            return parts.directory + href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


class BaseParts(NamedTuple):
    """What `_resolved` appends a plain href to: `https://host`, the base without its fragment,
    without its query and fragment, and its folder (up to its path's last `/`)."""

    origin: str
    no_fragment: str
    no_query: str
    directory: str


def base_parts(base: str | None) -> BaseParts | None:
    """The parts of an http(s) base that `urljoin` keeps as written (None for any other: every
    href is then resolved by `urljoin`)."""
    if not base or not base.startswith(("http://", "https://")) or not base.isprintable() or "/." in base:
        return None
    try:
        split = urlsplit(base)
    except ValueError:
        return None
    if not split.netloc or urlunsplit(split) != base or "//" in split.path:  # `urljoin` drops empty segments
        return None
    origin = f"{split.scheme}://{split.netloc}"
    no_fragment = base.partition("#")[0]
    no_query = no_fragment.partition("?")[0]
    path = split.path or "/"
    return BaseParts(origin, no_fragment, no_query, origin + path[: path.rfind("/") + 1])


def _table_rows(table: Any) -> list[Any]:
    """A table's `tr`s, those directly in it and those in its row groups, in document order."""
    rows = []
    for child in table.iterchildren(*_ROW_TAG_NAMES):
        if _tag(child) == ROW_TAG:
            rows.append(child)
        else:
            rows.extend(child.iterchildren(ROW_TAG, ROW_TAG.upper()))
    return rows
