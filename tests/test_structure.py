"""Blocks carry their structure (issue 27): the rules of `core/structure.py`'s docstring on small
pages, and on real ones, where the compiled and the Python walks must read the same structures."""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from dataclasses import fields

import pytest

from boilerbench.core import compiled, segment
from boilerbench.core.segment import parse_html, segment_html, segment_html_later, walk_tree
from boilerbench.core.structure import code_language
from boilerbench.core.types import STRUCTURE_FIELD_KINDS, STRUCTURE_KINDS, Block, Link, Structure

URL = "https://example.org/blog/post.html"


def structures(body: str, url: str | None = URL, head: str = "") -> list[tuple[str, Structure]]:
    html = f"<!DOCTYPE html><html><head><title>T</title>{head}</head><body>{body}</body></html>"
    blocks = segment_html(html, url=url)
    root = parse_html(html)
    assert root is not None
    assert compiled.WALK.active.segment_tree is not None  # `segment_html` took the compiled walk
    assert walk_tree(root, url) == blocks  # and the Python walk reads the same structures
    return [(b.text, b.known_structure) for b in blocks]


def only(body: str, **kw: object) -> Structure:
    (got,) = structures(body, **kw)  # type: ignore[arg-type]
    return got[1]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>text</p>", Structure()),
        ("<div>text</div>", Structure()),
        ("<h1>t</h1>", Structure("heading", level=1)),
        ("<h4>t <span>x</span></h4>", Structure("heading", level=4)),
        ("<ul><li>x</li></ul>", Structure("list_item", level=1)),
        ("<ol><li>x</li></ol>", Structure("list_item", level=1, ordered=True)),
        ("<ul><li><ol><li>x</li></ol></li></ul>", Structure("list_item", level=2, ordered=True)),
        ("<ol><li><div><ul><li>x</li></ul></div></li></ol>", Structure("list_item", level=2)),
        ("<ul><li><p>in a paragraph</p></li></ul>", Structure("list_item", level=1)),
        ("<li>stray</li>", Structure("list_item", level=0)),
        ("<table><tr><td>x</td></tr></table>", Structure("table_cell", row=0, col=0)),
        ("<table><tr><th>x</th></tr></table>", Structure("table_cell", row=0, col=0, header=True)),
        ("<table><tr><td><p>x</p></td></tr></table>", Structure("table_cell", row=0, col=0)),
        ("<table><tr><td><div><div>layout</div></div></td></tr></table>", Structure()),
        ("<pre>x = 1</pre>", Structure("code")),
        ("<pre><code class='hljs language-Python'>x = 1</code></pre>", Structure("code", language="python")),
        ("<div class='lang-rust'><pre>fn x</pre></div>", Structure("code", language="rust")),
        ("<blockquote>q</blockquote>", Structure("quote")),
        ("<blockquote><p>q</p></blockquote>", Structure("quote")),
        ("<figure><img src=x><figcaption>c</figcaption></figure>", Structure("caption")),
        ("<table><caption>c</caption><tr><td>x</td></tr></table>", Structure("caption")),
        ("<ul>stray text in a list</ul>", Structure("other")),
    ],
)
def test_kinds(body: str, expected: Structure) -> None:
    got = structures(body)
    assert got[0][1] == expected, got
    assert got[0][1].kind in STRUCTURE_KINDS


def test_table_rows_and_columns() -> None:
    """Rows counted across thead/tbody/tfoot; columns among the row's cells, spans not counted;
    header cells: th, or any cell of a thead row; a nested table counts its own rows."""
    got = structures(
        "<table><thead><tr><td>h0</td><td>h1</td></tr></thead>"
        "<tbody><tr><th>r1</th><td colspan=2>wide</td><td>after</td></tr>"
        "<tr><td>r2 <table><tr><td>inner</td></tr><tr><td>inner2</td></tr></table></td><td>r2c1</td></tr></tbody></table>"
    )
    cells = {text: (s.row, s.col, s.header) for text, s in got}
    assert cells == {
        "h0": (0, 0, True),
        "h1": (0, 1, True),
        "r1": (1, 0, True),
        "wide": (1, 1, False),
        "after": (1, 2, False),
        "r2": (2, 0, False),
        "inner": (0, 0, False),
        "inner2": (1, 0, False),
        "r2c1": (2, 1, False),
    }


def test_links_resolved_and_split_by_block() -> None:
    got = structures(
        "<p>See <a href='../a.html'>the  first</a>, <a href='https://other.org/x'>another</a> and "
        "<a href='javascript:void(0)'>a script</a> <a href='/img'><img src=x></a> <a>no href</a></p>"
        "<div><a href='/span'>over<br>two</a></div>"
        "<p><a href='http://[bad/'>unparseable</a></p>"
    )
    assert [s.links for _, s in got] == [
        (Link("https://example.org/a.html", "the first"), Link("https://other.org/x", "another")),
        (Link("https://example.org/span", "over"),),
        (Link("https://example.org/span", "two"),),
        (Link("http://[bad/", "unparseable"),),
    ]


def test_links_against_the_base_element_and_without_url() -> None:
    base = "<base href='/docs/'>"
    assert only("<p><a href='x'>x</a></p>", head=base).links == (Link("https://example.org/docs/x", "x"),)
    assert only("<p><a href='x'>x</a></p>", url=None, head=base).links == (Link("/docs/x", "x"),)
    assert only("<p><a href='x'>x</a></p>", url=None).links == (Link("x", "x"),)


def test_code_language_reads_the_first_named() -> None:
    root = parse_html("<div class='highlight-x lang-go'><pre class='language-'><code class='a language-js'>x</code></pre></div>")
    assert root is not None
    assert code_language(root.find(".//pre")) == "js"


def test_structure_json_round_trip() -> None:
    for s in (
        Structure(),
        Structure("heading", level=2),
        Structure("table_cell", row=3, col=1, header=True, links=(Link("https://a/", "a"),)),
        Structure(links=(Link("https://a/", "a"),)),
    ):
        assert Structure.from_json(s.to_json()) == s
    assert Structure().to_json() is None
    unread = Block(0, "/html", "p", "x", 1, 0)  # a block made without a structure claims none
    assert unread.structure is None
    with pytest.raises(ValueError, match="structure was not read"):
        unread.known_structure  # noqa: B018


def test_text_pages_have_no_structure(vietnam_bytes: bytes) -> None:
    assert {b.structure for b in segment.segment(vietnam_bytes, "text")} == {Structure()}


@pytest.mark.parametrize("name", ["jefftk", "erikdemaine", "autopresse", "gto_windows_1251"])
def test_real_pages_both_walks(name: str, request: pytest.FixtureRequest) -> None:
    """On real pages: the compiled and the Python walks read the same structures, and the pages'
    headings, list items, code and links are found."""
    real = request.getfixturevalue(name)
    blocks = segment.segment(real.data, url=real.page.url)
    root = parse_html(real.data)
    assert root is not None
    assert walk_tree(root, real.page.url) == blocks
    kinds = Counter(b.known_structure.kind for b in blocks)
    assert kinds["heading"] and kinds["list_item"], kinds
    links = [k for b in blocks for k in b.known_structure.links]
    assert links and all(k.href.startswith(("http://", "https://", "mailto:", "//")) or ":" in k.href for k in links)


def test_real_page_kinds(jefftk) -> None:
    """jefftk's post: its title a heading, its `<pre>` a code block, its menus list items."""
    blocks = segment.segment(jefftk.data, url=jefftk.page.url)
    by_tag = {b.tag: b.known_structure.kind for b in blocks}
    assert by_tag["pre"] == "code"
    assert by_tag["li"] == "list_item"
    assert any(b.known_structure.kind == "heading" for b in blocks)
    links = {k.text: k.href for b in blocks for k in b.known_structure.links}
    assert links["Posts"] == "https://www.jefftk.com/p/index"  # written `/p/index`
    assert links["◂◂RSS"] == "http://www.jefftk.com/news/back_from_1977.rss"  # absolute as written


def test_cached_labeled_blocks_keep_their_structure(jefftk) -> None:
    """The labeled-page cache stores each block's structure, and its key names the structure
    rules' version (a cache written before blocks had structures is not read)."""
    from boilerbench.benchmark import groundtruth, labels
    from boilerbench.core.structure import STRUCTURE_VERSION

    labeled = labels.label_page(jefftk.page, jefftk.data, jefftk.gold)
    assert any(b.block.known_structure.links for b in labeled.blocks)
    back = groundtruth._from_json(jefftk.page, jefftk.gold, groundtruth._to_json(labeled))
    assert back == labeled
    assert groundtruth.PIPELINE_VERSION.endswith("-" + STRUCTURE_VERSION)


@pytest.mark.parametrize(
    "base",
    [
        "https://example.org/a/b.html",
        "https://example.org/a/b.html?q=1#f",
        "http://example.org",
        "https://h.org/x//y/z",
        "ftp://h/x",
    ],
)
def test_hrefs_resolve_as_urljoin(base: str) -> None:
    """The plain hrefs written directly (absolute, rooted, relative, query, fragment) and the others
    (dot segments, empty query or fragment, line breaks, other schemes) resolve as urljoin does."""
    from urllib.parse import urljoin

    from boilerbench.core.structure import _resolved, base_parts

    hrefs = [
        "https://other.org/p?x=1#y", "http://other.org", "http://", "//cdn.org/x", "/root/p", "/root/../p", "rel/p.html",
        "p.html?x#y", "./p", "../p", "?page=2", "#top", "#", "?", "?#x", "mailto:a@b.org", "tel:+1", "a:b/c",
        "/a\nb", "x y", "http://[::1]/x", "_under", "%20x",
    ]  # fmt: skip
    parts = base_parts(base)
    for href in hrefs:
        try:
            want = urljoin(base, href)
        except ValueError:
            want = href
        assert _resolved(base, href, parts) == want, href


def test_field_kinds_say_which_kinds_fill_each_field(jefftk, erikdemaine, autopresse, real_page) -> None:
    """`STRUCTURE_FIELD_KINDS` (what the dataset writes as null elsewhere) says what the walks do: on
    real pages a field is at its default in every block of a kind not listed for it, and each field
    holds a value in some block of a listed kind (headings, nested lists, table cells and code with
    its language among these pages)."""
    assert set(STRUCTURE_FIELD_KINDS) == {f.name for f in fields(Structure)} - {"kind", "links"}
    assert all(set(kinds) <= set(STRUCTURE_KINDS) for kinds in STRUCTURE_FIELD_KINDS.values())
    pages = [jefftk, erikdemaine, autopresse, real_page("wcxb-0286"), real_page("wcxb-0426")]
    blocks = [b for real in pages for b in segment.segment(real.data, url=real.page.url)]
    default = Structure()
    filled: Counter[str] = Counter()
    for b in blocks:
        for name, kinds in STRUCTURE_FIELD_KINDS.items():
            value = getattr(b.structure, name)
            if b.known_structure.kind not in kinds:
                assert value == getattr(default, name), (name, b)
            elif value != getattr(default, name):
                filled[name] += 1
    assert set(filled) == set(STRUCTURE_FIELD_KINDS), filled


# --- structure=False: the text paths' blocks ----------------------------------------------------

REAL_PAGES = ["jefftk", "erikdemaine", "autopresse", "xinhuanet", "gto_windows_1251", "lhpat_shift_jis"]


@pytest.mark.parametrize("name", REAL_PAGES)
@pytest.mark.parametrize("python", [False, True], ids=["compiled", "python"])
def test_blocks_without_structure_are_the_same_blocks(name: str, python: bool, request: pytest.FixtureRequest) -> None:
    """Real pages segmented with `structure=False`, by either walk: every field of every block as
    with structure, but the structure, which is None (not read), not a paragraph by default."""
    real = request.getfixturevalue(name)
    with compiled.python_only() if python else contextlib.nullcontext():
        on = segment_html(real.data, url=real.page.url)
        off = segment_html(real.data, url=real.page.url, structure=False)
    assert on
    assert any(b.known_structure.links for b in on) and any(b.known_structure.kind != "paragraph" for b in on)
    assert all(b.structure is None for b in off)
    assert off == [dataclasses.replace(b, structure=None) for b in on]
    assert segment.segment(real.data, "html", real.page.url, structure=False) == off


@pytest.mark.parametrize("name", REAL_PAGES)
@pytest.mark.parametrize("python", [False, True], ids=["compiled", "python"])
def test_structure_read_later_is_the_walks(name: str, python: bool, request: pytest.FixtureRequest) -> None:
    """`segment_html_later`, by either walk: the blocks without their structure, and a reader that
    reads each block's as `segment_html` does, whichever blocks it is asked for, in any order
    (the Markdown writer asks for the kept ones, in page order, and those in tables)."""
    real = request.getfixturevalue(name)
    with compiled.python_only() if python else contextlib.nullcontext():
        on = segment_html(real.data, url=real.page.url)
        bare, reader = segment_html_later(real.data, url=real.page.url)
        assert reader is not None
        asked = [*range(len(on) - 1, 0, -3), 0]  # backwards, a list's later items before its first
        some = reader.read_some(asked, len(bare))
    assert on and bare == [dataclasses.replace(b, structure=None) for b in on]
    assert some == [on[i].structure if i in asked else None for i in range(len(on))]
    assert [reader.read(i) for i in range(len(on))] == [b.structure for b in on]
    assert segment_html_later(b"  ") == ([], None)


def test_what_needs_structure_refuses_blocks_without_it(jefftk) -> None:
    """The Markdown writer, the parser of systems' HTML and the labeled-page cache read structure:
    handed blocks segmented without it, each fails (the cache's stored None is a paragraph, so a
    block without structure must never be written there), where the same page with it works."""
    from boilerbench.benchmark import groundtruth, labels
    from boilerbench.core.types import CONTENT, LabeledBlock, LabeledPage
    from boilerbench.extractor.markdown import to_markdown

    off = segment_html(jefftk.data, url=jefftk.page.url, structure=False)
    on = segment_html(jefftk.data, url=jefftk.page.url)
    assert "[Posts](https://www.jefftk.com/p/index)" in to_markdown("html", on, [True] * len(on))
    for kept in ([True] * len(off), [False] * len(off)):  # even where nothing is kept
        with pytest.raises(ValueError, match="structure was not read"):
            to_markdown("html", off, kept)
    labeled = labels.label_page(jefftk.page, jefftk.data, jefftk.gold)
    assert groundtruth._to_json(labeled)
    bare = LabeledPage(jefftk.page, jefftk.gold, tuple(LabeledBlock(b, CONTENT, "paragraph") for b in off))
    with pytest.raises(ValueError, match="structure was not read"):
        groundtruth._to_json(bare)


def test_text_lines_are_paragraphs_either_way(vietnam_bytes: bytes, jefftk) -> None:
    """A text page's lines, and a page rendered as lines (`as_lines`), are paragraphs by
    definition: read, not unknown, whatever the switch."""
    assert segment.segment(vietnam_bytes, "text", structure=False) == segment.segment(vietnam_bytes, "text")
    lines, _ = segment.as_lines(segment_html(jefftk.data, structure=False))
    assert lines and {b.structure for b in lines} == {Structure()}
