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
* table cells → a GFM table per run of kept cells of one table, in their rows and columns (spans
  not counted, as the structure counts none); the header row is the first row (GFM has no table
  without one), made of its header cells where the page marks them. A table whose kept cells
  are all in one column is a layout table: its cells are paragraphs.
* links → `[text](href)` around the anchor's text in its block, the href absolute when the page's
  URL was given (`<…>` around one with spaces or parentheses).
* Text that Markdown would read as markup is escaped: `\\`, `` ` ``, `*`, `_` (but inside a word),
  `[`, `]`, `<`, `&` before an entity, `|` in tables, and a line start that would open a block (`#`,
  `>`, `-`, `+`, `=`, `1.`).

A text page (a crawl's dump) keeps what its lines show: a line marked `# ` is a heading, `- `, `* `,
`• ` or `1. ` a list item; the other lines are paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..core.types import Block, Link, require_structure

_INLINE_RE = re.compile(r"[\\`*\[\]<]|_(?!(?<=[^\W_]_)[^\W_])|&(?=#?\w+;)")  # `_` between two letters or digits is safe
_BLOCK_START_RE = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+=]|(\d{1,9})([.)])(?=\s|$)|~~~|\*\*\*)")
_TEXT_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_TEXT_ITEM_RE = re.compile(r"^([-*•])\s+(.*)$")
_TEXT_ORDERED_RE = re.compile(r"^(\d{1,9})[.)]\s+(.*)$")
_HREF_NEEDS_BRACKETS_RE = re.compile(r"[\s()<>]")


def escape(text: str, table: bool = False) -> str:
    """Inline text as Markdown reads it back as that text (see the module docstring)."""
    out = _INLINE_RE.sub(r"\\\g<0>", text)
    if table:
        out = out.replace("|", "\\|")
    return out


def escape_line_start(line: str) -> str:
    """A line that would open a block (a heading, a quote, a list item, a thematic break or a
    setext underline) escaped so that it stays a paragraph's text."""
    m = _BLOCK_START_RE.match(line)
    if m is None:
        return line
    if m.group(3) is not None:  # "1." → "1\."
        return line[: m.end(3)] + "\\" + line[m.end(3) :]
    return line[: m.end(1)] + "\\" + line[m.end(1) :]


def _destination(href: str) -> str:
    if _HREF_NEEDS_BRACKETS_RE.search(href):
        return "<" + href.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"
    return href.replace("\\", "\\\\")


def inline(text: str, links: Sequence[Link] = (), table: bool = False) -> str:
    """A block's text as Markdown inline content: escaped, each link's anchor text (found in order
    in the text) as `[text](href)`."""
    out: list[str] = []
    at = 0
    for link in links:
        i = text.find(link.text, at)
        if i < 0 or not link.text:
            continue
        out.append(escape(text[at:i], table))
        out.append(f"[{escape(link.text, table)}]({_destination(link.href)})")
        at = i + len(link.text)
    out.append(escape(text[at:], table))
    return "".join(out)


def _paragraph(b: Block) -> str:
    text = inline(b.text, b.known_structure.links)
    if "\n" not in text:
        return escape_line_start(text)
    return "\n".join(escape_line_start(line) for line in text.split("\n"))


def _fence(b: Block) -> str:
    longest = max((len(run) for run in re.findall(r"`+", b.text)), default=0)
    fence = "`" * max(3, longest + 1)
    language = b.known_structure.language if "`" not in b.known_structure.language else ""
    return f"{fence}{language}\n{b.text}\n{fence}"


def _table_of(b: Block) -> str:
    """The xpath of the table a cell block is in (its last `table` step)."""
    path = b.xpath
    i = path.rfind("/table")
    return path[: path.find("/", i + 1)] if i >= 0 and path.find("/", i + 1) >= 0 else path


def _item_of(b: Block) -> str:
    """The `li` a list-item block is in: its owner, or the owner's parent (a `p` or `div` in it)."""
    return b.xpath if b.tag == "li" else b.xpath.rpartition("/")[0]


def _table(cells: Sequence[Block]) -> list[str]:
    """A run of kept cells of one table as a GFM table; a single column of cells as paragraphs."""
    grid: dict[tuple[int, int], list[str]] = {}
    header_cells: set[tuple[int, int]] = set()
    for b in cells:
        s = b.known_structure
        key = (s.row, s.col)
        grid.setdefault(key, []).append(inline(" ".join(b.text.split()), s.links, table=True))
        if s.header:
            header_cells.add(key)
    rows = sorted({r for r, _ in grid})
    cols = sorted({c for _, c in grid})
    if len(cols) < 2:
        return [_paragraph(b) for b in cells]
    width = max(cols) + 1
    lines = []
    for n, r in enumerate(rows):
        row = [" ".join(grid.get((r, c), [])) for c in range(width)]
        lines.append("| " + " | ".join(row) + " |")
        if n == 0:
            lines.append("|" + "|".join(" --- " for _ in range(width)) + "|")
    return ["\n".join(lines)]


def html_markdown(blocks: Sequence[Block], kept: Sequence[bool]) -> str:
    """The kept blocks of an HTML page as Markdown (see the module docstring); a ValueError for
    blocks segmented without their structure (`segment_html(..., structure=False)`)."""
    require_structure(blocks)
    parts: list[str] = []
    chosen = [b for b, k in zip(blocks, kept) if k]
    i = 0
    # list state: the open items' depths and text columns, outermost first, and the last item's `li`
    columns: list[tuple[int, int]] = []
    last_item = None
    while i < len(chosen):
        b = chosen[i]
        s = b.known_structure
        kind = s.kind
        if kind != "list_item":
            columns, last_item = [], None
        if kind == "heading":
            text = inline(" ".join(b.text.split()), s.links)
            if text.endswith("#"):  # a closing sequence would be dropped
                text = text[:-1] + "\\#"
            parts.append("#" * max(1, min(6, s.level)) + " " + text)
        elif kind == "code":
            parts.append(_fence(b))
        elif kind == "quote":
            quote = [b]
            while i + 1 < len(chosen) and chosen[i + 1].known_structure.kind == "quote":
                i += 1
                quote.append(chosen[i])
            body = "\n\n".join(_paragraph(q) for q in quote)
            parts.append("\n".join("> " + line if line else ">" for line in body.split("\n")))
        elif kind == "table_cell":
            table = _table_of(b)
            cells = [b]
            while (
                i + 1 < len(chosen) and chosen[i + 1].known_structure.kind == "table_cell" and _table_of(chosen[i + 1]) == table
            ):
                i += 1
                cells.append(chosen[i])
            parts.extend(_table(cells))
        elif kind == "list_item":
            depth = max(1, s.level)
            item = _item_of(b)
            text = _paragraph(b)
            if item == last_item and columns:  # another paragraph of the same item
                indent = " " * columns[-1][1]
                parts[-1] += "\n\n" + "\n".join(indent + line for line in text.split("\n"))
            else:
                while columns and columns[-1][0] >= depth:  # close the items this one is not inside
                    columns.pop()
                start = columns[-1][1] if columns else 0
                marker = "1. " if s.ordered else "- "
                columns.append((depth, start + len(marker)))
                lines = text.split("\n")
                block = "\n".join([" " * start + marker + lines[0]] + [" " * columns[-1][1] + line for line in lines[1:]])
                if last_item is not None and parts:
                    parts[-1] += "\n" + block  # a tight list: one item a line
                else:
                    parts.append(block)
            last_item = item
        else:
            parts.append(_paragraph(b))
        i += 1
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


def to_markdown(page_format: str, blocks: Sequence[Block], kept: Sequence[bool]) -> str:
    """The kept blocks of a page as Markdown: an HTML page's from their structure, a text page's
    from what its lines mark."""
    return text_markdown(blocks, kept) if page_format == "text" else html_markdown(blocks, kept)
