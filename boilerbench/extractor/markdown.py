"""The kept blocks as Markdown (issue 27): CommonMark, with GFM tables, written from each block's
structure (`core.structure`), what `extract(output="markdown")` and `clean --format markdown` give.

* heading → `#` × its level (the page's title, an `h1` block, is `#`); paragraph, caption, other →
  a paragraph; quote → `> `; code → a fenced block (backticks, one more than the longest run
  inside), its language after the fence.
* list item → `- ` or `1. `, nested under the item before it when deeper (indented to that
  item's text, so a CommonMark parser nests it); a list's depth in the Markdown is thus relative
  to the kept items: a menu's third-level items kept without their parents are a top-level list,
  and a level the kept items skip is not written (Markdown has no item without text). The blocks
  of one `li` (`<li><p>a</p><p>b</p></li>`) are paragraphs of one item.
* table cells → a GFM table per run of kept cells of one data table, each in its row and column of
  the page's table (spans not counted, as the structure counts none; a dropped cell is an empty
  cell, and rows up to the last kept one are written, so places hold); the header row is the first
  row (GFM has no table without one). The page's table decides, not the kept cells: a layout table
  (`_sources`: fewer than two columns, or a heading or another table inside it) has its kept
  cells written as paragraphs.
* links → `[text](href)` around the anchor's text in its block, every link of the block: each on
  the first occurrence of its text after the link before it (two anchors with one text, two
  occurrences). An anchor inside another (`<a><div><a>…</a></div></a>`, which lxml keeps and a
  browser's parser splits) is written, not the one holding it: CommonMark holds no link in a
  link and keeps the innermost. The href is absolute when the page's URL was given, written as
  CommonMark reads it back (`_destination`); a `!` before a link is escaped (`![` opens an image).
  Not written as links: a link inside code (a fence holds no link), and one whose href renderers
  refuse to link (`file:`, `data:`, `javascript:`, `vbscript:`: markdown-it's rule), written as its
  text.
* Text that Markdown would read as markup is escaped: `\\`, `` ` ``, `*`, `_` (but inside a word),
  `[`, `]`, `<`, `&` before an entity, `|` in tables, and a line start that would open a block (`#`,
  `>`, `-`, `+`, `=`, `1.`).

A text page (a crawl's dump) keeps what its lines show: a line marked `# ` is a heading, `- `, `* `,
`• ` or `1. ` a list item; the other lines are paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING, cast

from ..core.types import Block, Link, Structure, require_structure

if TYPE_CHECKING:
    from ..core.structure import StructureReader

# Bump on any change to what the writer makes: the benchmark's cached outputs of the shipped
# classifier's Markdown hang on it. 2: a data table's kept cells in their places, decided by the page's table.
# 3: every link of a block (two anchors with one text; nested anchors: the inner one), and hrefs
# escaped as CommonMark decodes them (`&amp;`, `\\`, line endings, `|` in a table); `!` before a
# link escaped; hrefs renderers refuse (`file:` …) written as text.
MARKDOWN_VERSION = "3"
_INLINE_CHARS = r"\\`*\[\]<"  # escaped wherever they are (a regex character class's content)
_INLINE_RE = re.compile(rf"[{_INLINE_CHARS}]|_(?!(?<=[^\W_]_)[^\W_])|&(?=#?\w+;)")  # `_` between two letters or digits is safe
# In the xpath of every block in a table or of a table cell (a `table`, `td` or `th` step), and of
# a few others (`tt`, `time`…): the blocks `_sources` reads the structure of (a superset).
_TABULAR = "/t"
_BLOCK_START_RE = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+=]|(\d{1,9})([.)])(?=\s|$)|~~~|\*\*\*)")
_TEXT_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_TEXT_ITEM_RE = re.compile(r"^([-*•])\s+(.*)$")
_TEXT_ORDERED_RE = re.compile(r"^(\d{1,9})[.)]\s+(.*)$")
_HREF_NEEDS_BRACKETS_RE = re.compile(r"[\s()<>\x00-\x1f\x7f]")  # what a bare destination cannot hold
_HREF_REFERENCE_RE = re.compile(r"&(?=#?\w+;)")  # an entity or numeric character reference's start
_HREF_LINE_END_RE = re.compile(r"[\r\n]")  # no destination holds one: percent-encoded
# hrefs a CommonMark renderer refuses to link (markdown-it's `validateLink`, against scripts: a
# local file, a script, inline data but an image): their anchor text is written as text
_REFUSED_HREF_RE = re.compile(r"^\s*(?:vbscript|javascript|file|data):(?!image/(?:gif|png|jpeg|webp);)", re.IGNORECASE)


def escape(text: str, table: bool = False) -> str:
    """Inline text as Markdown reads it back as that text (see the module docstring)."""
    # Most texts have none of the characters `_INLINE_RE` matches at (`_INLINE_CHARS`, `_`, `&`):
    # looking for each with `in` costs a fraction of a regex search for them (a character class is
    # tested character by character).
    if "\\" in text or "`" in text or "*" in text or "[" in text or "]" in text or "<" in text or "_" in text or "&" in text:
        out = _INLINE_RE.sub(r"\\\g<0>", text)
    else:
        out = text
    if table:
        out = out.replace("|", "\\|")
    return out


def escape_line_start(line: str) -> str:
    """A line that would open a block (a heading, a quote, a list item, a thematic break or a
    setext underline) escaped so that it stays a paragraph's text."""
    if line[:1].isalpha():  # (most lines) `_BLOCK_START_RE` opens with white space, a mark or a digit
        return line
    m = _BLOCK_START_RE.match(line)
    if m is None:
        return line
    if m.group(3) is not None:  # "1." → "1\."
        return line[: m.end(3)] + "\\" + line[m.end(3) :]
    return line[: m.end(1)] + "\\" + line[m.end(1) :]


def _destination(href: str, table: bool = False) -> str:
    """An href as a link destination that a CommonMark parser reads back as the href (spec 6.3,
    links; 2.4 and 2.5: backslash escapes and character references are read in a destination):
    `\\` doubled, `&` escaped where it starts a reference (`?a=1&amp;b` stays as written), a line
    ending percent-encoded (no destination holds one: the one place the href changes, as a browser
    reads it); in `<…>` when it has a space, a parenthesis, `<`, `>` or a control character, which
    a bare destination cannot hold, those `<` and `>` escaped; `|` escaped in a table's cell (GFM
    splits the row on it before it reads links)."""
    out = href
    if "\r" in out or "\n" in out:  # (most hrefs have neither, nor an `&`: no substitution)
        out = _HREF_LINE_END_RE.sub(lambda m: "%0D" if m.group() == "\r" else "%0A", out)
    out = out.replace("\\", "\\\\")
    if "&" in out:
        out = _HREF_REFERENCE_RE.sub(r"\\&", out)
    if table:
        out = out.replace("|", "\\|")
    if _HREF_NEEDS_BRACKETS_RE.search(out):
        return "<" + out.replace("<", "\\<").replace(">", "\\>") + ">"
    return out


def _placed(text: str, links: Sequence[Link]) -> list[tuple[int, int, Link]]:
    """Where each link goes in its block's text, as (start, end, link) in order: on the first
    occurrence of its anchor text after the link before it; one found only inside the link before
    it is an anchor nested in that one, and replaces it (CommonMark keeps the innermost of nested
    links). The links come in the order their anchors open, an outer one first."""
    spans: list[tuple[int, int, Link]] = []
    for link in links:
        if not link.text or _REFUSED_HREF_RE.match(link.href):
            continue
        i = text.find(link.text, spans[-1][1] if spans else 0)
        if i < 0 and spans:
            start, end, _ = spans[-1]
            j = text.find(link.text, start)
            if j >= 0 and j + len(link.text) <= end:
                spans.pop()
                i = j
        if i >= 0:
            spans.append((i, i + len(link.text), link))
    return spans


def inline(text: str, links: Sequence[Link] = (), table: bool = False) -> str:
    """A block's text as Markdown inline content: escaped, each link's anchor text (placed by
    `_placed`) as `[text](href)`."""
    if not links:
        return escape(text, table)
    out: list[str] = []
    at = 0
    for i, end, link in _placed(text, links):
        before = escape(text[at:i], table)
        if before.endswith("!"):  # "![" would open an image
            before = before[:-1] + "\\!"
        out.append(before)
        out.append(f"[{escape(link.text, table)}]({_destination(link.href, table)})")
        at = end
    out.append(escape(text[at:], table))
    return "".join(out)


def _paragraph(b: Block, s: Structure) -> str:
    text = inline(b.text, s.links) if s.links else escape(b.text)
    if "\n" not in text:
        return escape_line_start(text)
    return "\n".join(escape_line_start(line) for line in text.split("\n"))


def _fence(b: Block, s: Structure) -> str:
    longest = max((len(run) for run in re.findall(r"`+", b.text)), default=0)
    fence = "`" * max(3, longest + 1)
    language = s.language if "`" not in s.language else ""
    return f"{fence}{language}\n{b.text}\n{fence}"


def _table_of(b: Block) -> str:
    """The xpath of the table a cell block is in (its last `table` step)."""
    path = b.xpath
    i = path.rfind("/table")
    return path[: path.find("/", i + 1)] if i >= 0 and path.find("/", i + 1) >= 0 else path


def _item_of(b: Block) -> str:
    """The `li` a list-item block is in: its owner, or the owner's parent (a `p` or `div` in it)."""
    return b.xpath if b.tag == "li" else b.xpath.rpartition("/")[0]


@dataclass(frozen=True)
class _Source:
    """What the writer needs of a table of the page (all its blocks, kept or not): how many columns
    its rows have, and whether it lays out the page rather than holding data (`_sources`)."""

    width: int
    layout: bool


def needed(blocks: Sequence[Block], kept: Sequence[bool]) -> list[int]:
    """The indices of the blocks whose structure the writer reads: the kept ones, and when one of
    them may be a table cell, every block that may be in a table (`_sources` reads the page's tables
    from all their blocks, kept or not)."""
    chosen = list(compress(range(len(blocks)), kept))
    if any(_TABULAR in blocks[i].xpath for i in chosen):
        return [i for i, b in enumerate(blocks) if kept[i] or _TABULAR in b.xpath]
    return chosen


def _sources(blocks: Sequence[Block], structures: Sequence[Structure | None]) -> dict[str, _Source]:
    """Each table of the page (by `_table_of`), read from all its blocks, kept or not: a table is a
    layout table when it has fewer than two columns with text (one cell per row: a column of
    prose) or when it holds a heading or another table (a cell holding a part of the page, not a
    datum; a caption, a list or paragraphs in a cell are a data table's too)."""
    width: dict[str, int] = {}
    own: dict[int, str] = {}  # block → its table, for the cells
    for k, b in enumerate(blocks):
        if _TABULAR in b.xpath and (s := structures[k] or b.known_structure).kind == "table_cell":
            t = own[k] = _table_of(b)
            width[t] = max(width.get(t, 0), s.col + 1)
    layout: set[str] = set()
    wide = [t for t, w in width.items() if w >= 2]  # the others are layout tables anyway
    for k, b in enumerate(blocks):
        if not wide:
            break
        if "/table" not in b.xpath or (structures[k] or b.known_structure).kind not in ("heading", "table_cell"):
            continue
        path = b.xpath
        inside = [t for t in wide if path.startswith(t) and path[len(t) : len(t) + 1] == "/" and own.get(k) != t]
        if inside:  # tables it is in (their paths end before one of its steps) holding a heading or a nested table's cell
            layout.update(inside)
            wide = [t for t in wide if t not in layout]
    return {t: _Source(w, w < 2 or t in layout) for t, w in width.items()}


def _table(cells: Sequence[tuple[Block, Structure]], source: _Source) -> list[str]:
    """A run of kept cells of one table as a GFM table, each in its row and column of the page's
    table (empty cells where the page's were dropped, and empty rows up to the last kept one, so
    that places hold); a layout table's cells as paragraphs."""
    if source.layout:
        return [_paragraph(b, s) for b, s in cells]
    grid: dict[tuple[int, int], list[str]] = {}
    for b, s in cells:
        grid.setdefault((s.row, s.col), []).append(inline(" ".join(b.text.split()), s.links, table=True))
    width = max(source.width, max(c for _, c in grid) + 1)
    lines = []
    for r in range(max(r for r, _ in grid) + 1):
        row = [" ".join(grid.get((r, c), [])) for c in range(width)]
        lines.append("| " + " | ".join(row) + " |")
        if r == 0:
            lines.append("|" + "|".join(" --- " for _ in range(width)) + "|")
    return ["\n".join(lines)]


def html_markdown(blocks: Sequence[Block], kept: Sequence[bool], structures: Sequence[Structure | None] | None = None) -> str:
    """The kept blocks of an HTML page as Markdown (see the module docstring); a ValueError for
    blocks it reads (`needed`) segmented without their structure (`segment_html(...,
    structure=False)`). `structures`: each block's structure, for blocks that carry none (read
    later: `to_markdown`), None where not read; default, the blocks' own."""
    if structures is None:
        structures = [b.structure for b in blocks]
    parts: list[str] = []
    picked = list(compress(zip(blocks, structures), kept))
    if any(s is None for _, s in picked):
        require_structure([b for b, s in picked if s is None])
    chosen = cast("list[tuple[Block, Structure]]", picked)  # none is None (checked)
    sources = _sources(blocks, structures) if any(s.kind == "table_cell" for _, s in chosen) else {}
    i = 0
    # list state: the open items' depths and text columns, outermost first, and the last item's `li`
    columns: list[tuple[int, int]] = []
    last_item = None
    run: list[str] = []  # the pieces of the list being written: one part, joined when it ends (not grown piece by piece)
    while i < len(chosen):
        b, s = chosen[i]
        kind = s.kind
        if kind != "list_item":
            columns, last_item = [], None
            if run:
                parts.append("".join(run))
                run = []
        if kind == "heading":
            text = inline(" ".join(b.text.split()), s.links)
            if text.endswith("#"):  # a closing sequence would be dropped
                text = text[:-1] + "\\#"
            parts.append("#" * max(1, min(6, s.level)) + " " + text)
        elif kind == "code":
            parts.append(_fence(b, s))
        elif kind == "quote":
            quote = [chosen[i]]
            while i + 1 < len(chosen) and chosen[i + 1][1].kind == "quote":
                i += 1
                quote.append(chosen[i])
            body = "\n\n".join(_paragraph(q, qs) for q, qs in quote)
            parts.append("\n".join("> " + line if line else ">" for line in body.split("\n")))
        elif kind == "table_cell":
            table = _table_of(b)
            cells = [chosen[i]]
            while i + 1 < len(chosen) and chosen[i + 1][1].kind == "table_cell" and _table_of(chosen[i + 1][0]) == table:
                i += 1
                cells.append(chosen[i])
            parts.extend(_table(cells, sources[table]))
        elif kind == "list_item":
            depth = max(1, s.level)
            item = _item_of(b)
            text = _paragraph(b, s)
            if item == last_item and columns:  # another paragraph of the same item
                indent = " " * columns[-1][1]
                run.append("\n\n" + "\n".join(indent + line for line in text.split("\n")))
            else:
                while columns and columns[-1][0] >= depth:  # close the items this one is not inside
                    columns.pop()
                start = columns[-1][1] if columns else 0
                marker = "1. " if s.ordered else "- "
                columns.append((depth, start + len(marker)))
                lines = text.split("\n")
                block = "\n".join([" " * start + marker + lines[0]] + [" " * columns[-1][1] + line for line in lines[1:]])
                if last_item is not None:
                    run.append("\n" + block)  # a tight list: one item a line
                else:
                    run.append(block)
            last_item = item
        else:
            parts.append(_paragraph(b, s))
        i += 1
    if run:
        parts.append("".join(run))
    return "\n\n".join(parts)


def text_markdown(blocks: Sequence[Block], kept: Sequence[bool]) -> str:
    """The kept lines of a text page as Markdown: the headings and list items its lines mark, the
    other lines as paragraphs."""
    parts: list[str] = []
    for b, k in zip(blocks, kept):
        if not k:
            continue
        if m := _TEXT_HEADING_RE.match(b.text):
            parts.append(f"{m.group(1)} {escape(m.group(2))}")
        elif m := _TEXT_ITEM_RE.match(b.text):
            parts.append(f"- {escape_line_start(escape(m.group(2)))}")
        elif m := _TEXT_ORDERED_RE.match(b.text):
            parts.append(f"{m.group(1)}. {escape_line_start(escape(m.group(2)))}")
        else:
            parts.append(escape_line_start(escape(b.text)))
    return "\n\n".join(parts)


def to_markdown(page_format: str, blocks: Sequence[Block], kept: Sequence[bool], reader: StructureReader | None = None) -> str:
    """The kept blocks of a page as Markdown: an HTML page's from their structure, a text page's
    from what its lines mark. `reader`: what reads the structure of blocks segmented without it
    (`segment.segment_html_later`), for the blocks the writer reads (`needed`) only; without one,
    a ValueError unless every block's structure was read, even where nothing is kept."""
    if page_format == "text":
        return text_markdown(blocks, kept)
    if reader is None:
        require_structure(blocks)
        return html_markdown(blocks, kept)
    return html_markdown(blocks, kept, reader.read_some(needed(blocks, kept), len(blocks)))
