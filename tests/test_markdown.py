"""`clean --format markdown` / `extract(output="markdown")` (issue 27): the Markdown writer of
`extractor/markdown.py`, read back by a CommonMark parser (markdown-it-py, its commonmark preset with
GFM tables), which must find each kept block's kind again: headings with their levels, list items
with their depth, table cells in their columns, code with its language, links with their hrefs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from boilerbench import extract
from boilerbench.core.segment import segment, segment_text
from boilerbench.core.types import CLEAN_OUTPUTS, EXTRACT_OUTPUTS, Block
from boilerbench.extractor.extract import classify
from boilerbench.extractor.markdown import escape, escape_line_start, html_markdown, text_markdown

REPO = Path(__file__).resolve().parents[1]
URL = "https://example.org/a/page.html"


@dataclass
class Parsed:
    """What a CommonMark parser reads in a Markdown text, element by element."""

    headings: list[tuple[int, str]] = field(default_factory=list)
    items: list[tuple[int, bool, str]] = field(default_factory=list)  # depth, ordered, text
    cells: list[tuple[int, str]] = field(default_factory=list)  # column, text
    code: list[tuple[str, str]] = field(default_factory=list)  # language, text
    links: list[tuple[str, str]] = field(default_factory=list)  # href, text
    paragraphs: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


_PARSER = MarkdownIt("commonmark").enable("table")


def parse(markdown: str) -> Parsed:
    out = Parsed()
    lists: list[bool] = []  # open lists, ordered or not
    in_item: list[bool] = []  # the innermost item has had its first paragraph
    heading = 0
    col = -1
    quote = 0
    for tok in _PARSER.parse(markdown):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(tok.type == "ordered_list_open")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open":
            in_item.append(False)
        elif tok.type == "list_item_close":
            in_item.pop()
        elif tok.type == "heading_open":
            heading = int(tok.tag[1])
        elif tok.type == "tr_open":
            col = -1
        elif tok.type in ("th_open", "td_open"):
            col += 1
        elif tok.type == "blockquote_open":
            quote += 1
        elif tok.type == "blockquote_close":
            quote -= 1
        elif tok.type == "fence":
            out.code.append((tok.info.strip(), tok.content.rstrip("\n")))
        elif tok.type == "inline":
            text = ""
            href = None
            for child in tok.children or []:
                if child.type == "link_open":
                    href, start = str(child.attrs["href"]), len(text)
                elif child.type == "link_close" and href is not None:
                    out.links.append((href, text[start:]))
                    href = None
                elif child.type in ("text", "code_inline"):
                    text += child.content
                elif child.type == "softbreak":
                    text += "\n"
            if heading:
                out.headings.append((heading, text))
                heading = 0
            elif col >= 0 and tok.level and not lists:
                out.cells.append((col, text))
            elif in_item and not in_item[-1]:
                out.items.append((len(lists), lists[-1], text))
                in_item[-1] = True
            elif quote:
                out.quotes.append(text)
            else:
                out.paragraphs.append(text)
        if tok.type in ("table_close",):
            col = -1
    return out


def found_again(blocks: list[Block], kept: list[bool], markdown: str) -> Counter[str]:
    """Each kept block's kind looked for in the parsed Markdown; the count of those not found, by
    kind (an empty Counter: every block found)."""
    got = parse(markdown)
    missing: Counter[str] = Counter()
    open_depths: list[int] = []  # the DOM depths of the open items of the list in progress
    for b, k in zip(blocks, kept):
        if not k:
            continue
        s = b.known_structure
        text = " ".join(b.text.split())
        if s.kind != "list_item":
            open_depths = []
        if s.kind == "heading":
            ok = (max(1, min(6, s.level)), text) in got.headings
        elif s.kind == "list_item":
            # nested under the item before it when deeper in the DOM: its Markdown depth
            while open_depths and open_depths[-1] >= max(1, s.level):
                open_depths.pop()
            open_depths.append(max(1, s.level))
            ok = any(d == len(open_depths) and o == s.ordered and text in t for d, o, t in got.items)
            # (or a later paragraph of the item before: an `li` of several blocks)
            ok = ok or any(text == p for p in got.paragraphs)
        elif s.kind == "table_cell":
            # (a layout table, its kept cells in one column, is written as paragraphs)
            ok = any(c == s.col and text in t for c, t in got.cells) or text in got.paragraphs
        elif s.kind == "code":
            ok = (s.language, b.text) in got.code
        elif s.kind == "quote":
            ok = any(text in q for q in got.quotes)
        else:
            ok = any(text == p for p in got.paragraphs)
        if not ok:
            missing[s.kind] += 1
        for link in s.links:  # (the parser percent-encodes a destination: compared as it reads it)
            if (_PARSER.normalizeLink(link.href), link.text) not in got.links:
                missing["link"] += 1
    return missing


# --- the writer on small pages ----------------------------------------------------------------


def md(body: str, url: str | None = URL) -> str:
    blocks = segment(f"<html><body>{body}</body></html>".encode(), url=url)
    return html_markdown(blocks, [True] * len(blocks))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<h1>Title</h1><p>Text.</p>", "# Title\n\nText."),
        ("<h3>Sub</h3>", "### Sub"),
        ("<ul><li>a</li><li>b<ol><li>c</li></ol></li></ul>", "- a\n- b\n  1. c"),
        ("<ol><li>a<ul><li>b</li></ul></li></ol>", "1. a\n   - b"),
        ("<ul><li><p>one</p><p>two</p></li></ul>", "- one\n\n  two"),
        ("<pre><code class='language-py'>x = 1\ny = 2</code></pre>", "```py\nx = 1\ny = 2\n```"),
        ("<pre>a ``` b</pre>", "````\na ``` b\n````"),
        ("<blockquote><p>q1</p><p>q2</p></blockquote>", "> q1\n>\n> q2"),
        (
            "<table><tr><th>h1</th><th>h2</th></tr><tr><td>a|b</td><td>c</td></tr></table>",
            "| h1 | h2 |\n| --- | --- |\n| a\\|b | c |",
        ),
        ("<table><tr><td>layout</td></tr><tr><td>cells</td></tr></table>", "layout\n\ncells"),
        ("<p>See <a href='/x'>the x</a> now</p>", "See [the x](https://example.org/x) now"),
        ("<p><a href='/a b'>spaced</a></p>", "[spaced](<https://example.org/a b>)"),
        ("<p>1. not a list</p><p># not a heading</p>", "1\\. not a list\n\n\\# not a heading"),
        (
            "<p>*stars* and snake_case and _under_ and [brackets] &amp; &amp;copy; &lt;b&gt;</p>",
            "\\*stars\\* and snake_case and \\_under\\_ and \\[brackets\\] & \\&copy; \\<b>",
        ),
    ],
)
def test_writer(body: str, expected: str) -> None:
    assert md(body) == expected


def test_escapes_read_back_as_the_text() -> None:
    for text in (
        "a*b*c",
        "x_y_z",
        "_a_",
        "name __proto__ here",
        "a__b",
        "1_000_",
        "[l](u)",
        "<tag>",
        "&amp; &#169;",
        "`code`",
        "back\\slash",
        "AT&T",
    ):
        assert parse(escape(text)).paragraphs == [text], text
    for line in ("# h", "> q", "- i", "+ i", "1. i", "2) i", "=", "---", "***"):
        assert parse(escape_line_start(escape(line))).paragraphs == [line], line


def test_text_pages_keep_what_their_lines_mark(vietnam_bytes: bytes) -> None:
    lines = segment_text("# Heading\n- item\n1. first\nplain *text*")
    assert text_markdown(lines, [True] * 4) == "# Heading\n\n- item\n\n1. first\n\nplain \\*text\\*"
    blocks = segment_text(vietnam_bytes)
    kept = classify(vietnam_bytes, "text").kept
    got = parse(text_markdown(blocks, kept))
    assert len(got.paragraphs) + len(got.items) + len(got.headings) == sum(kept)


# --- round trip on real pages -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["jefftk", "erikdemaine", "autopresse", "xinhuanet", "gto_windows_1251", "lhpat_shift_jis"])
def test_round_trip_fixture_pages(name: str, request: pytest.FixtureRequest) -> None:
    """The shipped classifier's Markdown of each fixture page: every kept block's kind, and every
    link, found again by the parser."""
    real = request.getfixturevalue(name)
    d = classify(real.data, "html", url=real.page.url)
    markdown = d.markdown
    assert markdown == extract(real.data, real.page.url, output="markdown")
    assert found_again(d.blocks, d.kept, markdown) == Counter()
    assert sum(d.kept) == 0 or markdown


# pages of the bundled corpus with the kinds the fixtures lack: code with its language, data
# tables, ordered and nested lists, quotes
RICH_PAGES = ["wcxb-5372", "trafeval-0828", "wcxb-0426", "wcxb-5103", "wcxb-0286", "wcxb-2853", "wcxb-0533"]


@pytest.mark.parametrize("page_id", RICH_PAGES)
def test_round_trip_every_block(page_id: str, real_page) -> None:
    """Every block of structure-rich corpus pages written (all kept): each found again."""
    real = real_page(page_id)
    blocks = segment(real.data, url=real.page.url)
    kept = [True] * len(blocks)
    markdown = html_markdown(blocks, kept)
    kinds = Counter(b.known_structure.kind for b in blocks)
    assert kinds["list_item"] and len(kinds) >= 4, kinds
    assert found_again(blocks, kept, markdown) == Counter()


# --- the API, the CLI ---------------------------------------------------------------------------


def test_output_choices() -> None:
    assert "markdown" in CLEAN_OUTPUTS and "markdown" in EXTRACT_OUTPUTS
    assert extract("", output="markdown") == ""
    bad: Any = "md"  # (outside the type's choices: a caller without type checks)
    with pytest.raises(ValueError, match="output must be one of"):
        extract("<p>x</p>", output=bad)


def test_cli_clean_format_markdown(jefftk, tmp_path: Path) -> None:
    page = tmp_path / "site" / "post.html"
    page.parent.mkdir()
    page.write_bytes(jefftk.data)
    run = [sys.executable, "-m", "boilerbench", "clean", "--format", "markdown"]
    out = subprocess.run([*run, str(page)], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.rstrip("\n") == classify(jefftk.data, "html", name=str(page)).markdown
    assert "```" in out and "\n- " in out
    subprocess.run([*run, str(page.parent), "--out", str(tmp_path / "out")], cwd=REPO, capture_output=True, check=True)
    assert (tmp_path / "out" / "post.md").read_text(encoding="utf-8") == out


def test_warc_rows_carry_markdown(tmp_path: Path, jefftk) -> None:
    """A WARC record's row: `markdown` beside `text`, links resolved against the record's URL."""
    pytest.importorskip("warcio")
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from boilerbench.extractor.clean import clean_warc

    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(jefftk.page.url, "response", payload=BytesIO(jefftk.data), http_headers=headers)
        )
    (row,) = list(clean_warc(str(path), output="markdown", workers=1, progress=False))
    assert row["markdown"] == classify(jefftk.data, "html", url=jefftk.page.url).markdown
    assert "](https://www.jefftk.com/p/you-should-be-logging-shell-history)" in row["markdown"]
    json.dumps(row)


@pytest.mark.slow
def test_datatrove_step_writes_markdown(jefftk) -> None:
    """`BoilerbenchExtractor(output="markdown")`: each document's text is its Markdown, links
    resolved against the document's url; the default stays the text."""
    pytest.importorskip("datatrove")
    from datatrove.data import Document

    from boilerbench.core.text import decode_bytes
    from boilerbench.integrations.datatrove import BoilerbenchExtractor

    html = decode_bytes(jefftk.data)
    url = jefftk.page.url
    markdown = classify(html, "html", url=url).markdown
    assert "](https://www.jefftk.com/p/you-should-be-logging-shell-history)" in markdown
    for output, want in (("markdown", markdown), ("text", classify(html, "html").text)):
        step = BoilerbenchExtractor(page_format="html", timeout=30, output=output)
        (doc,) = step.run(iter([Document(text=html, id="a", metadata={"url": url})]))
        assert doc.text == want, output
    with pytest.raises(ValueError, match="output must be one of"):
        BoilerbenchExtractor(output="jsonl")
