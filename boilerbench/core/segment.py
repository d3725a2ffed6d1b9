"""THE block segmenter: HTML → blocks, plain text → lines. Deterministic and versioned.

Block definition (version `SEGMENTER_VERSION`; any change to it bumps the version, since labels,
caches and published scores are all expressed in blocks):

* The page is parsed with lxml's HTML parser (libxml2: recovers from any malformed markup);
  comments and processing instructions are ignored, `<head>` is ignored.
* Dropped with everything inside: `head title meta link script style template svg math iframe object
  embed canvas noembed select datalist input`. `<noscript>` is kept: some pages carry their only
  copy of the text there. Hidden elements (`hidden`, `display:none`) are kept too, marked `!hidden`
  in `context`: tabs, accordions and streamed server-rendered sections (`<div hidden id="S:0">`)
  are hidden until scripts run, and human gold includes them (dropping them, tried on WCXB test,
  lost gold words and gained no boilerplate agreement).
* Block-level tags (`BLOCK_TAGS`: p, div, li, h1–h6, td, th, pre, section, nav, …) start and end a
  block; `<br>` and `<hr>` end one. Inline tags (a, span, b, em, …) never split a block.
* A block's text is its visible text with white space runs collapsed to one space (inside `<pre>`:
  line breaks kept, empty lines dropped), NFC-normalised; a block with no letter or digit is
  dropped (separators like "|" or "•").
* Each block records its owner element (nearest block-level ancestor): xpath and tag, its ancestors'
  tags and class/id/role tokens (`context`), depth, word count and words inside `<a>` links, and
  its structure (kind and links: `structure`, whose rules it is: `STRUCTURE_VERSION`) when the
  caller asks for it (`structure=True`, the default; None otherwise: see `Block`), or what reads
  it block by block when asked (`segment_html_later`).
* Text pages (crawl dumps): one block per non-empty line with a letter or digit, tag `line`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from . import compiled
from .structure import (
    PARAGRAPH,
    PARENT_KEYED_TAGS,
    TAG_STRUCTURES,
    Facts,
    StructureReader,
    anchor,
    tag_structure,
    with_structure,
)
from .text import decode_bytes, has_word, normalize_space, to_utf8, tokenize
from .types import PAGE_FORMATS, Block, Structure, check_choice

SEGMENTER_VERSION = "2"

MAX_BYTES = 50_000_000  # larger inputs are refused with a clear error, never parsed

DROP_TAGS = frozenset(
    "script style template svg math iframe object embed canvas noembed select datalist input head title meta link".split()
)
BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt fieldset
    figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup html legend li main menu nav
    noscript ol p pre section summary table tbody td tfoot th thead tr ul""".split()
)
BREAK_TAGS = frozenset(("br", "hr"))
# The owner of text outside every block-level element: the document itself.
DOCUMENT_TAG = "html"
DOCUMENT_XPATH = "/" + DOCUMENT_TAG
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_XML_DECL_BYTES_RE = re.compile(rb"^\s*<\?xml[^>]*\?>", re.I)


# How the walk treats a tag; ordered so that `>= _BLOCK` and `>= _BREAK` pick out groups.
_INLINE, _LINK, _BLOCK, _PRE, _BREAK, _DROP = range(6)
_KINDS: dict[str, tuple[int, str]] = {}  # tag → (kind, lower-case tag), filled by `_kind`
_KINDS_MAX = 10_000  # memo bound: malformed pages can invent any number of tag names


def _kind(tag: Any) -> tuple[int, str]:
    """(kind, lower-case tag) of an element's tag, memoised in `_KINDS`. Entities (the only nodes
    without a str tag that come as "start" events) are skipped: their text is not shown."""
    if not isinstance(tag, str):
        return (_DROP, "")
    low = tag.lower()
    if low in DROP_TAGS:
        kind = _DROP
    elif low in BREAK_TAGS:
        kind = _BREAK
    elif low == "pre":
        kind = _PRE
    elif low in BLOCK_TAGS:
        kind = _BLOCK
    elif low == "a":
        kind = _LINK
    else:
        kind = _INLINE
    if len(_KINDS) < _KINDS_MAX:
        _KINDS[tag] = (kind, low)
    return (kind, low)


for _tag in (*DROP_TAGS, *BREAK_TAGS, *BLOCK_TAGS, "a", "span", "b", "i", "em", "strong", "small", "img"):
    _kind(_tag)  # memoised up front, whatever junk tag names pages fill the memo with
del _tag


class SegmentError(ValueError):
    """The input cannot be segmented (binary, too large); the message says why."""


# One ancestor's descriptor in `Block.context` (`_describe`): its lower-case tag, then its first
# `CLASS_TOKENS` classes (each after a `CLASS_MARK`), its id and role (their first `ID_CHARS` and
# `ROLE_CHARS` characters, spaces as "_", after `ID_MARK` and `ROLE_MARK`), and `HIDDEN_MARK` when
# it is hidden. The compiled walk memoises `_describe`'s descriptors; it writes none of them itself.
CLASS_TOKENS = 6
ID_CHARS = 60
ROLE_CHARS = 30
CLASS_MARK, ID_MARK, ROLE_MARK = ".", "#", "@"
HIDDEN_MARK = "!hidden"
DESCRIPTOR_MARKS = CLASS_MARK + ID_MARK + ROLE_MARK + HIDDEN_MARK[0]  # where a descriptor's tag ends
_DESCRIPTOR_SPLIT_RE = re.compile(f"[{re.escape(DESCRIPTOR_MARKS)}]")


def descriptor_tag(descriptor: str) -> str:
    """The tag of one `Block.context` descriptor (`div.menu#top@navigation` → `div`)."""
    return _DESCRIPTOR_SPLIT_RE.split(descriptor, maxsplit=1)[0]


def _describe(tag: str, attributes: list[tuple[str, str]]) -> str:
    """`tag.class1.class2#id@role`: the DOM cues of one ancestor, kept compact for `Block.context`.

    `attributes`: the element's (name, value) pairs; `HIDDEN_MARK` marks `hidden` / `display:none` /
    `visibility:hidden`. (`str.split()` splits on exactly the characters `\\s` matches, so
    `cls.split()` is the class tokens without empty strings.)
    """
    if not attributes:
        return tag
    cls = ident = role = style = None
    hidden = False
    for name, value in attributes:
        if name == "class":
            cls = value
        elif name == "id":
            ident = value
        elif name == "role":
            role = value
        elif name == "style":
            style = value
        elif name == "hidden":
            hidden = True
    desc = tag
    if cls:
        tokens = cls.split()[:CLASS_TOKENS]
        if tokens:
            desc += CLASS_MARK + CLASS_MARK.join(tokens)
    if ident:
        desc += ID_MARK + ident.strip().replace(" ", "_")[:ID_CHARS]
    if role:
        desc += ROLE_MARK + role.strip().replace(" ", "_")[:ROLE_CHARS]
    if hidden or (style and _HIDDEN_STYLE_RE.search(style) is not None):
        desc += HIDDEN_MARK
    return desc


_CUE_ATTRIBUTES = ("class", "id", "role", "hidden", "style")


def _cue_attributes(el: etree._Element) -> list[tuple[str, str]]:
    """The attributes `_describe` reads, looked up one by one: unlike `el.items()`, this sees the
    defaults a DTD declares (possible in XML trees; lxml's HTML parser makes no declarations)."""
    return [(name, value) for name in _CUE_ATTRIBUTES if (value := el.get(name)) is not None]


def parse_html(source: str | bytes, utf8: bool = False) -> etree._Element | None:
    """Parse (and decode) a page; None for an empty document. Raises SegmentError on unusable input.

    Bytes are a page as served (its charset detected), unless `utf8`: then they are decoded text
    the caller encoded with `text.to_utf8` (the datatrove step's sandbox is sent that, so neither
    side converts the page to and from a str)."""
    if isinstance(source, str) or not utf8:
        if isinstance(source, bytes):
            if len(source) > MAX_BYTES:
                raise SegmentError(f"page is {len(source):,} bytes, over the {MAX_BYTES:,}-byte limit")
            try:
                source = decode_bytes(source)
            except ValueError as e:
                raise SegmentError(str(e)) from e
        elif len(source) > MAX_BYTES:
            raise SegmentError(f"page is {len(source):,} characters, over the {MAX_BYTES:,} limit")
        source = _XML_DECL_RE.sub("", source, count=1)
        if "\x00" in source:
            source = source.replace("\x00", "")
        if not source.strip():
            return None
        # UTF-8 bytes, not the str: libxml2 works in UTF-8, and given a str lxml hands it Latin-1,
        # UTF-16 or UCS-4 to convert first (work saved; the same tree on every corpus page).
        data = to_utf8(source)
    else:
        if len(source) > MAX_BYTES and len(source.decode("utf-8", "replace")) > MAX_BYTES:
            raise SegmentError(f"page is over the {MAX_BYTES:,}-character limit")
        data = _XML_DECL_BYTES_RE.sub(b"", source, count=1)
        if b"\x00" in data:
            data = data.replace(b"\x00", b"")
        if not data.strip():
            return None
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True, collect_ids=False, encoding="utf-8")
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root


def document_titles(source: str | bytes) -> tuple[str, ...]:
    """The titles a page gives itself: its `og:title` and its `<title>` (none when it has neither, or
    is not parseable HTML). What names the page's title block when a gold text names none."""
    try:
        root = parse_html(source)
    except SegmentError:
        return ()
    if root is None:
        return ()
    found = (root.xpath("//meta[@property='og:title' or @name='og:title']/@content")[:1], root.xpath("//title")[:1])
    titles = (normalize_space(t if isinstance(t, str) else "".join(t.itertext())) for f in found for t in f)
    return tuple(t for t in titles if has_word(t))


def segment_html(source: str | bytes, utf8: bool = False, url: str | None = None, structure: bool = True) -> list[Block]:
    """Cut a page into blocks (see the module docstring for the definition); `utf8`: see
    `parse_html`; `url`: the page's address, what its links are resolved against (`structure`).

    `structure`: read each block's structure (`Block.structure`; its links take most of the cost,
    which `bench`'s segmenter figure leaves out). On by default, since what reads structure from a block that
    lacks it fails; the paths that only keep text (`extract(output="text")`, `clean`'s text and
    jsonl, the datatrove text step, `bench`'s segmenter) turn it off, and their blocks say so
    (`structure` None)."""
    root = parse_html(source, utf8)
    if root is None:
        return []
    return segment_tree(root, url, structure)


def segment_html_later(
    source: str | bytes, utf8: bool = False, url: str | None = None
) -> tuple[list[Block], StructureReader | None]:
    """`segment_html`'s blocks without their structure (None), and what reads it block by block
    when asked (`structure.StructureReader`; None for an empty document): what reads the structure of
    some blocks only (the Markdown writer: the kept ones) pays for no other. The structures it reads
    are `segment_html`'s (which reads every block's through one)."""
    root = parse_html(source, utf8)
    if root is None:
        return [], None
    return segment_tree_later(root, url)


def emit_text(raw: str, link_raw: str, pre: bool) -> tuple[str, int, int] | None:
    """(text, words, link words) of a run's raw text and the part of it inside links; None when the
    run has no letter or digit (no block)."""
    if pre:
        text = normalize_space(unicodedata.normalize("NFC", raw), keep_newlines=True)
    elif raw.isascii():  # NFC is the identity on ASCII
        text = " ".join(raw.split())  # == normalize_space(raw): split() splits on `\s` runs
    else:
        text = " ".join(unicodedata.normalize("NFC", raw).split())
    if text.isascii():
        words = _ascii_word_count(text)
        if not words:  # == not has_word(text), on ASCII
            return None
    elif has_word(text):
        words = len(tokenize(text))
    else:
        return None
    return text, words, min(words, _word_count(link_raw)) if link_raw else 0


def segment_tree(root: etree._Element, url: str | None = None, structure: bool = True) -> list[Block]:
    """Cut a parsed page into blocks (see the module docstring for the definition): the compiled
    walk (`compiled.WALK`) when it is in use and covers the tree, else `walk_tree`, its Python
    twin. Both make the same blocks (`tests/test_compiled.py`); `structure`: see `segment_html`."""
    if (twin := compiled.WALK.active.segment_tree) is not None and isinstance(root.getroottree().parser, etree.HTMLParser):
        blocks = twin(root, url, structure)
        if blocks is not None:
            return blocks
    return walk_tree(root, url, structure)


def segment_tree_later(root: etree._Element, url: str | None = None) -> tuple[list[Block], StructureReader]:
    """`segment_tree`'s blocks without their structure, and the reader of each block's
    (`segment_html_later`): the compiled walk when it covers the tree, else `walk_tree_later`."""
    if (twin := compiled.WALK.active.segment_tree_later) is not None and isinstance(root.getroottree().parser, etree.HTMLParser):
        made = twin(root, url)
        if made is not None:
            return made
    return walk_tree_later(root, url)


class _Open:
    """An element the walk has entered, or the sentinel standing for the root's parent: what
    closing it, numbering its children and writing its xpath need."""

    __slots__ = ("anchor", "children", "element", "kind", "n", "parent", "tag", "xpath")

    def __init__(self, element: Any, kind: int, tag: str, n: int, parent: _Open | None) -> None:
        self.element = element
        self.kind = kind
        self.tag = tag
        self.n = n  # its number among its parent's children of the same tag
        self.parent = parent
        self.children: dict[str, int] | None = None  # tag → its children of that tag so far
        self.xpath: str | None = None  # written by `_xpath`, once a kept block is under it
        self.anchor: list[Any] | None = None  # a link's entry in the walk's `anchors`


def _events(root: etree._Element) -> tuple[Any, Any, dict[Any, tuple[int, str]]]:
    """The walk's events, the call that skips the subtree just started, and the tag kinds to read:
    lxml's `iterwalk`, except for a bare comment / PI / entity, which the walk has always read as
    one <html> element."""
    if isinstance(root.tag, str):
        walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
        return walker, walker.skip_subtree, _KINDS
    return (("start", root), ("end", root)), None, {root.tag: (_BLOCK, DOCUMENT_TAG)}


def walk_tree(root: etree._Element, url: str | None = None, structure: bool = True) -> list[Block]:
    """`segment_tree` in Python: the reference walk, and the one for trees the compiled walk leaves.
    With `structure`, each block's is read (`structure.StructureReader`) from what the walk
    recorded of it; without, each block's is None."""
    blocks, facts = _walk(root, structure)
    if facts is None:
        return blocks
    reader = StructureReader(root, url, facts)
    return [with_structure(b, reader.read(i)) for i, b in enumerate(blocks)]


def walk_tree_later(root: etree._Element, url: str | None = None) -> tuple[list[Block], StructureReader]:
    """`walk_tree`'s blocks without their structure (None), and the reader of each block's
    structure: `segment_tree_later` in Python."""
    blocks, facts = _walk(root, True)
    assert facts is not None
    return blocks, StructureReader(root, url, facts)


def _walk(root: etree._Element, structure: bool) -> tuple[list[Block], list[Facts] | None]:
    """The walk: blocks without structure and, with `structure`, each block's `Facts`.

    One pass of lxml's C-level `iterwalk` (pages nest thousands of levels deep, so no recursion).
    Per element, the walk only numbers it among its same-tag siblings; the rest is made for kept
    blocks only: ancestors' descriptors when the first block under them is kept (once per element,
    reused by later blocks), xpaths after the walk, when every sibling has been numbered. With
    `structure`, each block's facts are what `structure.StructureReader` reads its structure
    from: its owner's tags, element and anchors; without, no anchor is kept.
    """
    rows: list[tuple[Any, ...]] = []  # per block: (owner, tag, text, words, link_words, context, depth)
    facts: list[Facts] | None = [] if structure else None  # per block, with `structure`
    # The `<a href>`s with text in the run in progress: [href, first piece, end piece (-1: open)].
    anchors: list[list[Any]] = []
    pieces: list[str] = []  # text of the run in progress, from its first non-space piece on
    link_pieces: list[str] = []  # the pieces of it inside `<a>`
    top = _Open(None, _INLINE, "", 1, None)  # the innermost open element; first, the root's parent
    top.xpath = ""
    stack = [top]  # the open elements, under the sentinel
    descs: list[str] = []  # `_describe` of stack[1:], made lazily
    valid = 1  # stack[:valid] is unchanged since descs was last extended
    owners = [0]  # stack indices of the open block-level elements; 0: none (`/html`)
    link = pre = 0
    has_text = False
    html = isinstance(root.getroottree().parser, etree.HTMLParser)  # see `_cue_attributes`
    walker, skip_subtree, kinds = _events(root)

    def emit(owner: int) -> None:
        """Make the run in progress a block, if it has a letter or digit; clear it either way."""
        nonlocal valid
        raw = "".join(pieces)
        if link_pieces:
            link_raw = " ".join(link_pieces)
            link_pieces.clear()
        else:
            link_raw = ""
        made = emit_text(raw, link_raw, pre > 0)
        if made is None:
            pieces.clear()
            if anchors:
                anchors[:] = [a for a in anchors if a[2] < 0]
                for a in anchors:
                    a[1] = 0
            return
        size = len(stack)
        del descs[valid - 1 :]  # those of elements closed since
        valid = size
        for i in range(len(descs) + 1, size):
            el = stack[i].element
            descs.append(_describe(stack[i].tag, el.items() if html else _cue_attributes(el)))
        context = " ".join(descs)
        o = stack[owner] if owner else None
        rows.append((o, o.tag if o is not None else DOCUMENT_TAG, *made, context, size - 1))
        if facts is None:  # structure not read
            pieces.clear()
            return
        found = None
        if anchors:  # each anchor's text in this run; one still open goes on in the next run
            made_anchors = (
                anchor(href, "".join(pieces[start : len(pieces) if end < 0 else end])) for href, start, end in anchors
            )
            found = tuple(a for a in made_anchors if a is not None) or None
            anchors[:] = [a for a in anchors if a[2] < 0]
            for a in anchors:
                a[1] = 0
        pieces.clear()
        if o is not None:
            up = stack[owner - 1].tag  # its parent's (the sentinel's "" for the root)
            s = tag_structure(o.tag, up)
            key = stack[owner - 1] if s is None and o.tag in PARENT_KEYED_TAGS and owner > 1 else None
            facts.append(s if s is not None and found is None else (s, o.element, o.tag, up, key, found))
        else:  # no block-level element is open: the block is the document's
            s = tag_structure(DOCUMENT_TAG, "")
            facts.append(s if s is not None and found is None else (s, root, DOCUMENT_TAG, "", None, found))

    for event, el in walker:
        if event == "start":
            kind, tag = kinds.get(el.tag) or _kind(el.tag)
            kids = top.children  # number el among its parent's children (entities under "")
            if kids is None:
                kids = top.children = {}
            n = kids[tag] = kids.get(tag, 0) + 1
            if kind >= _BREAK:  # not entered: nothing inside is shown (its tail is, at "end")
                skip_subtree()
                if kind == _BREAK and has_text:
                    emit(owners[-1])
                    has_text = False
                continue
            if kind >= _BLOCK:
                if has_text:
                    emit(owners[-1])
                    has_text = False
                owners.append(len(stack))
                if kind == _PRE:
                    pre += 1
            elif kind == _LINK:
                link += 1
            top = _Open(el, kind, tag, n, top)
            stack.append(top)
            if kind == _LINK and facts is not None and (href := el.get("href")) is not None:
                top.anchor = [href, len(pieces), -1]
                anchors.append(top.anchor)
            text = el.text
        else:  # "end" (of an entered element, or of a skipped one), "comment", "pi"
            if top.element is el:
                kind = top.kind
                if kind >= _BLOCK:
                    if has_text:
                        emit(owners[-1])
                        has_text = False
                    owners.pop()
                    if kind == _PRE:
                        pre -= 1
                elif kind == _LINK:
                    link -= 1
                    if top.anchor is not None:
                        top.anchor[2] = len(pieces)
                stack.pop()
                top = stack[-1]
                if len(stack) < valid:
                    valid = len(stack)
            text = el.tail
        if text:
            # White space before a run's first word is left out: it would be stripped anyway.
            if has_text:
                pieces.append(text)
                if link:
                    link_pieces.append(text)
            elif not text.isspace():
                has_text = True
                pieces.append(text)
                if link:
                    link_pieces.append(text)
    if has_text:
        emit(owners[-1])
    blocks = [Block(i, _xpath(owner) if owner else DOCUMENT_XPATH, *fields) for i, (owner, *fields) in enumerate(rows)]
    return blocks, facts


# `\w` on ASCII, as a byte map: word characters → "1", others → "0".
_ASCII_WORD_MAP = bytes(49 if re.match(r"\w", chr(i)) else 48 for i in range(256))


def _ascii_word_count(text: str) -> int:
    """`len(tokenize(text))` for ASCII text, where NFKC and case folding change nothing and there
    is no CJK: the number of `\\w+` runs, counted as word starts without making the tokens."""
    flags = text.encode("ascii").translate(_ASCII_WORD_MAP)
    return flags.count(b"01") + flags.startswith(b"1")


# Code points `emit_text`'s rules reduce to "collapse white space, count `\w` runs" (see
# `plain_chars`): Latin scripts, spacing modifiers and general punctuation.
PLAIN_LIMIT = 0x2070
_PLAIN_RANGES = ((0, 0x300), (0x2000, PLAIN_LIMIT))
PLAIN, PLAIN_WORD, PLAIN_SPACE = 1, 2, 4


def plain_chars() -> bytes:
    """One byte per code point below `PLAIN_LIMIT`, for the compiled walk: 0 where text must go
    through `emit_text`, else `PLAIN` + `PLAIN_WORD` (a `\\w` character) + `PLAIN_SPACE` (white
    space to `str.split`). A code point is plain when NFC keeps it and it combines with nothing, and
    NFKC + case folding (`tokenize`) map it to a non-empty run of word characters if it is one, of
    non-word characters if not: on text made only of such code points, `emit_text` is white space
    collapsed and its word count the number of `\\w` runs. Computed from this Python's own Unicode
    database, so the two cannot disagree."""
    table = bytearray(PLAIN_LIMIT)
    word = re.compile(r"\w")
    for lo, hi in _PLAIN_RANGES:
        for cp in range(lo, hi):
            c = chr(cp)
            folded = unicodedata.normalize("NFKC", c).casefold()
            if (
                unicodedata.normalize("NFC", c) != c
                or any(unicodedata.combining(x) for x in c + folded)
                or not folded
                or not all((word.match(x) is not None) == (word.match(c) is not None) for x in folded)
            ):
                continue
            table[cp] = PLAIN | (PLAIN_WORD if word.match(c) else 0) | (PLAIN_SPACE if c.isspace() else 0)
    return bytes(table)


def _word_count(text: str) -> int:
    """`len(tokenize(text))`, faster on ASCII."""
    return _ascii_word_count(text) if text.isascii() else len(tokenize(text))


def _xpath(owner: _Open) -> str:
    """The xpath of a block's owner element, as lxml's getpath writes it (`[n]` only when the
    parent has more than one child of that tag), writing those of its ancestors on the way: each
    is written once, then shared by the blocks under it."""
    todo = []
    up: _Open | None = owner
    while up is not None and up.xpath is None:  # (a loop, not recursion: pages nest thousands of levels deep)
        todo.append(up)
        up = up.parent
    assert up is not None and up.xpath is not None  # the climb ends at the sentinel's "" at the latest
    xpath = up.xpath
    while todo:
        up = todo.pop()
        siblings = up.parent.children if up.parent is not None else None
        assert siblings is not None  # up was numbered among them
        xpath = up.xpath = xpath + (f"/{up.tag}[{up.n}]" if siblings[up.tag] > 1 else "/" + up.tag)
    return xpath


def segment_text(source: str | bytes) -> list[Block]:
    """A crawl's text dump → one block per non-empty line."""
    if isinstance(source, bytes):
        try:
            source = decode_bytes(source)
        except ValueError as e:
            raise SegmentError(str(e)) from e
    blocks: list[Block] = []
    for lineno, line in enumerate(source.splitlines(), start=1):
        text = normalize_space(unicodedata.normalize("NFC", line))
        if not text or not has_word(text):
            continue
        blocks.append(
            Block(
                index=len(blocks),
                xpath=f"/text/line[{lineno}]",
                tag="line",
                text=text,
                words=len(tokenize(text)),
                link_words=0,
                structure=PARAGRAPH,  # a text line's structure, by definition: read, not unknown
            )
        )
    return blocks


def as_lines(blocks: Sequence[Block]) -> tuple[list[Block], list[int]]:
    """A page rendered as a crawl's text dump: one line per block line (a `pre` block gives several),
    as the text-mode model sees it; also, for each line, the block it came from."""
    lines: list[Block] = []
    owner: list[int] = []
    for b in blocks:
        for line in segment_text(b.text):
            lines.append(
                Block(len(lines), f"/text/line[{len(lines) + 1}]", "line", line.text, line.words, 0, structure=PARAGRAPH)
            )
            owner.append(b.index)
    return lines, owner


def segment(source: str | bytes, page_format: str = "html", url: str | None = None, structure: bool = True) -> list[Block]:
    """Dispatch on page format: one of `PAGE_FORMATS` (`url`, `structure`: see `segment_html`; a
    text page's lines are paragraphs either way)."""
    if check_choice("page_format", page_format, PAGE_FORMATS) == "text":
        return segment_text(source)
    return segment_html(source, url=url, structure=structure)


def render_lines(blocks: list[Block]) -> str:
    """A page's blocks as a crawl-style text dump (one line per block line): the text-mode view."""
    return "\n".join(b.text for b in blocks)


@dataclass(frozen=True)
class WalkRules:
    """What the compiled walk (`_walk.segment_tree`) reads of this module when it binds: the data
    and the Python rules `walk_tree` follows, under names that are this interface's, not the
    module's private ones. The compiled walk writes no rule of its own: it receives these."""

    kinds: tuple[int, ...]  # the values of the tag kinds, in their order: inline, link, block, pre, break, drop
    kind_memo: dict[str, tuple[int, str]]  # tag → (kind, lower-case tag), shared with `kind`
    kind: Callable[[Any], tuple[int, str]]  # (kind, lower-case tag) of a tag, memoised
    cue_attributes: tuple[str, ...]  # the attributes `describe` reads
    describe: Callable[[str, list[tuple[str, str]]], str]  # one ancestor's descriptor in `Block.context`
    emit_text: Callable[[str, str, bool], tuple[str, int, int] | None]
    plain_flags: tuple[int, int, int]  # `PLAIN`, `PLAIN_WORD`, `PLAIN_SPACE`
    plain_chars: Callable[[], bytes]
    document: tuple[str, str]  # xpath and tag of the owner of text outside every block-level element
    block: type[Block]
    reader: type[StructureReader]  # what reads a page's block structures from the walk's facts
    tag_structures: dict[tuple[str, str], Any]  # (tag, parent tag) → structure without links, or None: `tag_structure`'s memo
    tag_structure: Callable[[str, str], Any]  # fills it: a block's structure where its owner's and parent's tags decide it
    anchor: Callable[[str, str], tuple[str, str] | None]  # a link's (href, text) from its raw text; None without a word
    structure: type[Structure]  # (a walk's fact for a block is its structure where nothing more is needed)
    parent_keyed: frozenset[str]  # `structure.PARENT_KEYED_TAGS`
    memo_limit: int  # `MEMO_LIMIT`: the compiled walk's memo of descriptors is bounded as `remember` bounds one


MEMO_LIMIT = 200_000  # a memo keyed by what pages hold is emptied past this many entries (a crawl would grow it forever)


def remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    """Put `value` in a memo, emptied first when it holds more than `MEMO_LIMIT` entries."""
    if len(memo) > MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


WALK_RULES = WalkRules(
    kinds=(_INLINE, _LINK, _BLOCK, _PRE, _BREAK, _DROP),
    kind_memo=_KINDS,
    kind=_kind,
    cue_attributes=_CUE_ATTRIBUTES,
    describe=_describe,
    emit_text=emit_text,
    plain_flags=(PLAIN, PLAIN_WORD, PLAIN_SPACE),
    plain_chars=plain_chars,
    document=(DOCUMENT_XPATH, DOCUMENT_TAG),
    block=Block,
    reader=StructureReader,
    tag_structures=TAG_STRUCTURES,
    tag_structure=tag_structure,
    anchor=anchor,
    structure=Structure,
    parent_keyed=PARENT_KEYED_TAGS,
    memo_limit=MEMO_LIMIT,
)
