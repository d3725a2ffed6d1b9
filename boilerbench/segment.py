"""THE block segmenter: HTML → blocks, plain text → lines. Deterministic and versioned.

Block definition (version `SEGMENTER_VERSION`; any change to it bumps the version, since labels,
caches and published scores are all expressed in blocks):

* The page is parsed with lxml's HTML parser (libxml2: recovers from any malformed markup);
  comments and processing instructions are ignored, `<head>` is ignored.
* Dropped with everything inside: `head title meta link script style template svg math iframe object
  embed canvas noembed select datalist input`. `<noscript>` is kept: some pages carry their only
  copy of the text there. Hidden elements (`hidden`, `display:none`) are kept too, marked `!hidden`
  in `context`: tabs, accordions and streamed server-rendered sections (`<div hidden id="S:0">`)
  are hidden until scripts run, and human gold includes them (on WCXB test, dropping them costs
  0.7 points of gold word coverage and gains no boilerplate agreement).
* Block-level tags (`BLOCK_TAGS`: p, div, li, h1–h6, td, th, pre, section, nav, …) start and end a
  block; `<br>` and `<hr>` end one. Inline tags (a, span, b, em, …) never split a block.
* A block's text is its visible text with white space runs collapsed to one space (inside `<pre>`:
  line breaks kept, empty lines dropped), NFC-normalised; a block with no letter or digit is
  dropped (separators like "|" or "•").
* Each block records its owner element (nearest block-level ancestor): xpath and tag, its ancestors'
  tags and class/id/role tokens (`context`), depth, word count and words inside `<a>` links.
* Text pages (crawl dumps): one block per non-empty line with a letter or digit, tag `line`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from lxml import etree

from .text import decode_bytes, has_word, normalize_space, tokenize
from .types import Block

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
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_TOKEN_SPLIT_RE = re.compile(r"[\s]+")


_ENTER, _EXIT, _TEXT = 0, 1, 2


class SegmentError(ValueError):
    """The input cannot be segmented (binary, too large); the message says why."""


def _is_hidden(el: etree._Element) -> bool:
    attrib = el.attrib
    if "hidden" in attrib:
        return True
    style = attrib.get("style")
    return bool(style) and _HIDDEN_STYLE_RE.search(style) is not None


_DESCRIPTOR_SPLIT_RE = re.compile(r"[.#@!]")


def descriptor_tag(descriptor: str) -> str:
    """The tag of one `Block.context` descriptor (`div.menu#top@navigation` → `div`)."""
    return _DESCRIPTOR_SPLIT_RE.split(descriptor, maxsplit=1)[0]


def _describe(el: etree._Element, tag: str) -> str:
    """`tag.class1.class2#id@role`: the DOM cues of one ancestor, kept compact for `Block.context`."""
    attrib = el.attrib
    parts = [tag]
    cls = attrib.get("class")
    if cls:
        parts.extend("." + c for c in _TOKEN_SPLIT_RE.split(cls.strip())[:6] if c)
    ident = attrib.get("id")
    if ident:
        parts.append("#" + ident.strip().replace(" ", "_")[:60])
    role = attrib.get("role")
    if role:
        parts.append("@" + role.strip().replace(" ", "_")[:30])
    if _is_hidden(el):
        parts.append("!hidden")
    return "".join(parts)


def parse_html(source: str | bytes) -> etree._Element | None:
    """Parse (and decode) a page; None for an empty document. Raises SegmentError on unusable input."""
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
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = etree.fromstring(source, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root


def segment_html(source: str | bytes) -> list[Block]:
    """Cut a page into blocks (see the module docstring for the definition)."""
    root = parse_html(source)
    if root is None:
        return []
    return segment_tree(root)


def segment_tree(root: etree._Element) -> list[Block]:
    blocks: list[Block] = []
    pieces: list[tuple[str, bool]] = []  # (text, inside a link)
    owners: list[tuple[str, str]] = [("/html", "html")]  # (xpath, tag) of open block elements
    ancestors: list[list[Any]] = []  # [element, tag, descriptor]; descriptors made only for blocks
    link = pre = 0
    has_text = False

    def flush() -> None:
        nonlocal has_text
        if not has_text:
            pieces.clear()
            return
        has_text = False
        xpath, tag = owners[-1]
        raw = "".join(p for p, _ in pieces)
        text = normalize_space(unicodedata.normalize("NFC", raw), keep_newlines=pre > 0)
        link_raw = " ".join(p for p, in_link in pieces if in_link)
        pieces.clear()
        if not text or not has_word(text):
            return
        words = len(tokenize(text))
        link_words = min(words, len(tokenize(link_raw))) if link_raw else 0
        context = []
        for anc in ancestors:
            if anc[2] is None:
                anc[2] = _describe(anc[0], anc[1])
            context.append(anc[2])
        blocks.append(
            Block(
                index=len(blocks),
                xpath=xpath,
                tag=tag,
                text=text,
                words=words,
                link_words=link_words,
                context=" ".join(context),
                depth=len(context),
            )
        )

    # Iterative walk (pages nest thousands of levels deep): enter / exit / bare-text events.
    # xpaths are built on the way down, as lxml's getpath writes them (`[n]` only among same-tag
    # siblings), in linear time: getpath itself counts siblings on every call.
    root_path = "/" + (root.tag.lower() if isinstance(root.tag, str) else "html")
    stack: list[tuple[int, Any, str, str]] = [(_ENTER, root, root_path.lstrip("/"), root_path)]
    pop, push = stack.pop, stack.append
    while stack:
        event, el, tag, path = pop()
        if event == _TEXT:
            text = el
        elif event == _EXIT:
            if tag in BLOCK_TAGS:
                flush()
                owners.pop()
            if tag == "a":
                link -= 1
            elif tag == "pre":
                pre -= 1
            ancestors.pop()
            text = el.tail
        elif tag in DROP_TAGS:
            text = el.tail
        elif tag in BREAK_TAGS:
            flush()
            text = el.tail
        else:
            if tag in BLOCK_TAGS:
                flush()
                owners.append((path, tag))
            if tag == "a":
                link += 1
            elif tag == "pre":
                pre += 1
            ancestors.append([el, tag, None])
            text = el.text
            push((_EXIT, el, tag, path))
            children = [(c, c.tag.lower() if isinstance(c.tag, str) else None) for c in el]
            counts: dict[str, int] = {}
            for _, ctag in children:
                if ctag is not None:
                    counts[ctag] = counts.get(ctag, 0) + 1
            seen: dict[str, int] = {}
            entries = []
            for child, ctag in children:
                if ctag is None:
                    if child.tail:  # comments, entities: their text is not shown, their tail is
                        entries.append((_TEXT, child.tail, "", ""))
                    continue
                k = seen[ctag] = seen.get(ctag, 0) + 1
                cpath = f"{path}/{ctag}[{k}]" if counts[ctag] > 1 else f"{path}/{ctag}"
                entries.append((_ENTER, child, ctag, cpath))
            entries.reverse()
            stack.extend(entries)
        if text:
            pieces.append((text, link > 0))
            if not has_text and not text.isspace():
                has_text = True
    flush()
    return blocks


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
            )
        )
    return blocks


def segment(source: str | bytes, fmt: str = "html") -> list[Block]:
    """Dispatch on page format: "html" or "text"."""
    if fmt == "text":
        return segment_text(source)
    if fmt != "html":
        raise ValueError(f"unknown page format {fmt!r} (expected 'html' or 'text')")
    return segment_html(source)


def render_lines(blocks: list[Block]) -> str:
    """A page's blocks as a crawl-style text dump (one line per block line): the text-mode view."""
    return "\n".join(b.text for b in blocks)
