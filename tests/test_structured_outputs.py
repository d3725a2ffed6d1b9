"""benchmark.structure: the parsers of systems' structured outputs (Markdown, HTML) on constructed markup and on
real outputs of real extractors on fixture pages, the projection of their elements onto a page's
blocks, and the contract of every system with a structured mode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from boilerbench.benchmark import scoring, structure, systems
from boilerbench.benchmark.structure import Element, assign, parse, parse_html_elements, parse_markdown
from boilerbench.benchmark.systems._html import html_to_text
from boilerbench.core.align import TokenizedPage, align, align_pieces
from boilerbench.core.segment import segment_html
from boilerbench.core.text import decode_bytes
from boilerbench.core.types import STRUCTURE_KINDS, STRUCTURED_FORMATS, Block, Link, Structure
from tests.conftest import load_fixture

URL = "https://example.org/docs/page.html"


def _kinds(elements: list[Element]) -> list[tuple[Any, ...]]:
    """Each element as (text, kind, level, ordered, row, col, header, language, hrefs)."""
    return [
        (
            e.text,
            e.structure.kind,
            e.structure.level,
            e.structure.ordered,
            e.structure.row,
            e.structure.col,
            e.structure.header,
            e.structure.language,
            tuple(link.href for link in e.structure.links),
        )
        for e in elements
    ]


P = ("paragraph", 0, False, -1, -1, False, "")


def H(level: int) -> tuple[Any, ...]:
    return ("heading", level, False, -1, -1, False, "")


def LI(depth: int, ordered: bool = False) -> tuple[Any, ...]:
    return ("list_item", depth, ordered, -1, -1, False, "")


def TD(row: int, col: int, header: bool = False) -> tuple[Any, ...]:
    return ("table_cell", 0, False, row, col, header, "")


def CODE(language: str = "") -> tuple[Any, ...]:
    return ("code", 0, False, -1, -1, False, language)


QUOTE = ("quote", 0, False, -1, -1, False, "")


def _row(text: str, kind: tuple[Any, ...], *hrefs: str) -> tuple[Any, ...]:
    return (text, *kind, hrefs)


# --- Markdown --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("# One\n\nText.", [_row("One", H(1)), _row("Text.", P)]),
        ("Two\n---\n\n### Three ###", [_row("Two", H(2)), _row("Three", H(3))]),
        # nested lists: depth counts the lists around an item; every paragraph of an item is the item's
        (
            "- a\n  - b\n    1. c\n- d\n\n  d2\n",
            [_row("a", LI(1)), _row("b", LI(2)), _row("c", LI(3, True)), _row("d", LI(1)), _row("d2", LI(1))],
        ),
        # a GFM table: the header row is row 0
        (
            "| h1 | h2 |\n|----|----|\n| x  | y  |\n| z  |  w |\n",
            [
                _row("h1", TD(0, 0, True)),
                _row("h2", TD(0, 1, True)),
                _row("x", TD(1, 0)),
                _row("y", TD(1, 1)),
                _row("z", TD(2, 0)),
                _row("w", TD(2, 1)),
            ],
        ),
        ("```Python title\nx = 1\n```\n\n    indented code\n", [_row("x = 1", CODE("python")), _row("indented code", CODE())]),
        ("> quoted *it*", [_row("quoted it", QUOTE)]),
        # links resolved against the page URL; emphasis and inline code are text
        (
            "See [the `api`](../api/) and [home](/) or [ext](https://other.net/x).",
            [_row("See the api and home or ext.", P, "https://example.org/api/", "https://example.org/", "https://other.net/x")],
        ),
        # a raw HTML block is read by the HTML parser
        ("<div><h4>raw</h4><p>html</p></div>\n\nafter", [_row("raw", H(4)), _row("html", P), _row("after", P)]),
        ("", []),
        ("---\n\n***", []),  # thematic breaks only: no element
    ],
)
def test_markdown_elements(markdown: str, expected: list[tuple[Any, ...]]) -> None:
    assert _kinds(parse_markdown(markdown, URL)) == expected


def test_markdown_link_anchor_text() -> None:
    [element] = parse_markdown("Read [the **full** story](a.html) now", URL)
    assert element.structure.links == (Link("https://example.org/docs/a.html", "the full story"),)


# --- HTML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<h2>Title <a href='/x'>here</a></h2><p>Text</p>", [_row("Title here", H(2), "https://example.org/x"), _row("Text", P)]),
        # an item's text before and after its nested list is the item's; <li><p> is the item
        (
            "<ul><li>one<ul><li>two <b>b</b></li></ul>tail</li><li><p>p1</p><p>p2</p></li></ul><ol><li>first</li></ol>",
            [
                _row("one", LI(1)),
                _row("two b", LI(2)),
                _row("tail", LI(1)),
                _row("p1", LI(1)),
                _row("p2", LI(1)),
                _row("first", LI(1, True)),
            ],
        ),
        # thead cells are header cells; colspan is not counted (a GFM table has no spans: the gold's rule)
        (
            "<table><thead><tr><td>A</td><th colspan=2>B</th><th>C</th></tr></thead>"
            "<tbody><tr><td>1</td><td>2</td></tr><tr><td>3<br>4</td></tr></tbody></table>",
            [
                _row("A", TD(0, 0, True)),
                _row("B", TD(0, 1, True)),
                _row("C", TD(0, 2, True)),
                _row("1", TD(1, 0)),
                _row("2", TD(1, 1)),
                _row("3", TD(2, 0)),  # <br> cuts as the segmenter cuts
                _row("4", TD(2, 0)),
            ],
        ),
        # a table in a cell counts its own rows
        (
            "<table><tr><td>a</td><td><table><tr><td>in</td></tr></table></td></tr></table>",
            [_row("a", TD(0, 0)), _row("in", TD(0, 0))],
        ),
        ("<pre><code class='hljs language-Rust'>fn main() {}\nlet x;</code></pre>", [_row("fn main() {}\nlet x;", CODE("rust"))]),
        ("<pre class='lang-sh'>ls -l</pre>", [_row("ls -l", CODE("sh"))]),
        ("<blockquote><p>said</p></blockquote>", [_row("said", QUOTE)]),
        (
            "<figure><img src=a.png><figcaption>cap</figcaption></figure>loose <script>no()</script>text",
            [_row("cap", ("caption", 0, False, -1, -1, False, "")), _row("loose text", P)],
        ),
        # a heading in a list item is a heading; the innermost structure wins
        ("<ul><li><h3>In list</h3>item text</li></ul>", [_row("In list", H(3)), _row("item text", LI(1))]),
        ("", []),
        ("<p> | </p>", []),  # no letter or digit: no element, as no block
    ],
)
def test_html_elements(html: str, expected: list[tuple[Any, ...]]) -> None:
    assert _kinds(parse_html_elements(html, URL)) == expected


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Photo: <a href='big.jpg'><img src='small.jpg'></a> taken in <a href='javascript:void(0)'>May</a>"
        " <a href=''>here</a> by <a href=' /me '>me</a></p>",
        "Photo: [![small](small.jpg)](big.jpg) taken in [May](javascript:void(0)) [here]() by [me](/me)",
    ],
)
def test_links_left_out_as_the_gold_leaves_them_out(markup: str) -> None:
    """An image link (no letter or digit in its text) and an empty or `javascript:` href are no
    links of the gold's blocks, nor of an output's elements."""
    [element] = parse("html" if markup.startswith("<") else "markdown", markup, URL)
    assert element.structure.links == (Link("https://example.org/me", "me"),)


@pytest.mark.parametrize("fmt", STRUCTURED_FORMATS)
def test_parse_reads_each_format(fmt: str) -> None:
    markup = {"markdown": "## Head\n\n- item", "html": "<h2>Head</h2><ul><li>item</li></ul>"}[fmt]
    assert _kinds(parse(fmt, markup, URL)) == [_row("Head", H(2)), _row("item", LI(1))]


def test_parse_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="structured format must be one of"):
        parse("rst", "Head\n====", URL)


def test_a_projection_round_trips_through_its_cached_form() -> None:
    """Not covered (None) and a plain paragraph (which `Structure.to_json` writes as None) stay apart."""
    cell = Structure(kind="table_cell", row=2, col=1, header=True, links=(Link("https://a.b/", "x"),))
    projection = (cell, None, Structure(), Structure(kind="heading", level=3), None)
    cached = json.loads(json.dumps(structure.projection_to_json(projection)))
    assert structure.projection_from_json(cached) == projection
    assert cached["covered"] == "10110" and len(cached["structures"]) == 3


# --- projection onto blocks -------------------------------------------------------------------


def _blocks(*texts: str) -> list[Block]:
    return [Block(i, f"/p[{i + 1}]", "p", t, len(t.split()), 0) for i, t in enumerate(texts)]


def test_each_covered_block_gets_the_structure_of_its_element() -> None:
    blocks = _blocks(
        "Home About Contact",
        "Backup strategy",
        "Most of my stuff lives in the cloud",
        "Step one here",
        "Step two there",
        "Footer text",
    )
    elements = [
        Element(Structure(kind="heading", level=1), "Backup strategy"),
        Element(Structure(), "Most of my stuff lives in the cloud"),
        Element(Structure(kind="list_item", level=1, ordered=True), "Step one here"),
        Element(Structure(kind="list_item", level=1, ordered=True), "Step two there"),
    ]
    got = assign(blocks, elements)
    assert got == [None, elements[0].structure, Structure(), elements[2].structure, elements[3].structure, None]


def test_an_element_over_two_blocks_gives_each_the_links_whose_text_it_holds() -> None:
    blocks = _blocks("Read the manual first", "then ask on the forum please")
    links = (Link("https://a.org/manual", "manual"), Link("https://a.org/forum", "the forum"), Link("https://a.org/img", ""))
    element = Element(Structure(links=links), "Read the manual first then ask on the forum please")
    first, second = assign(blocks, [element])
    assert first is not None and second is not None
    assert first.links == (links[0], links[2]) and second.links == (links[1],)  # no anchor text: the first block


def test_a_block_takes_the_element_with_most_of_its_tokens() -> None:
    """An output that glued a heading to its paragraph's start gives the block the paragraph's kind."""
    blocks = _blocks("A short heading", "and a long paragraph of text that follows it here")
    elements = [
        Element(Structure(kind="heading", level=2), "A short heading and a"),
        Element(Structure(), "long paragraph of text that follows it here"),
    ]
    assert assign(blocks, elements) == [elements[0].structure, Structure()]


@pytest.fixture(scope="module")
def erik(erikdemaine) -> tuple[str, list[Block]]:
    html = decode_bytes(erikdemaine.data)
    return html, segment_html(html)


def test_pieces_align_as_their_joined_text(erik) -> None:
    """`align_pieces` is the aligner's own projection: the blocks it covers are those `align` covers
    for the pieces joined (here: a real output of readability-lxml, cut into its elements)."""
    html, blocks = erik
    elements = parse("html", systems.load_system("readability-lxml").structured_fn(html, URL, "en"), URL)  # type: ignore[misc]
    page = TokenizedPage(blocks)
    alignment, per_piece = align_pieces(page, [e.text for e in elements])
    assert alignment == align(page, "\n".join(e.text for e in elements))
    assert sum(sum(c.values()) for c in per_piece) == sum(alignment.matched)


# --- real outputs of real extractors on fixture pages ----------------------------------------

# What each structured system keeps of two fixture pages' structure, read from its real output:
# (fixture, system) → [(text the block starts with, kind, level)] for blocks of the page.
REAL = [
    (
        "erik",
        "readability-lxml",
        [("Problem", "heading", 2), ("Take a piece of paper", "list_item", 1), ("Unfold the pieces", "list_item", 1)],
    ),
    ("erik", "readability-js", [("Problem", "heading", 2), ("Fold it flat", "list_item", 1)]),
    (
        "erik",
        "resiliparse",
        [("The Fold-and-Cut Problem", "heading", 1), ("Problem", "heading", 2), ("Fold it flat", "list_item", 1)],
    ),
    ("erik", "newspaper4k", [("History", "heading", 2), ("Make one complete straight cut", "list_item", 1)]),
    ("erik", "magic-html", [("History", "heading", 2), ("Take a piece of paper", "list_item", 1)]),
    ("erik", "rs-trafilatura", [("Problem", "heading", 2), ("Fold it flat", "list_item", 1)]),
    ("erik", "boilerbench", [("Problem", "heading", 2), ("Take a piece of paper", "list_item", 1)]),
    ("jeff", "boilerbench", [("rsync -t -l -r -c ps:jtk/", "code", 0), ("Most of my stuff", "paragraph", 0)]),
    # trafilatura's Markdown writes the <pre> as plain lines, without a fence: a paragraph
    ("jeff", "trafilatura", [("rsync -t -l -r -c ps:jtk/", "paragraph", 0), ("Most of my stuff", "paragraph", 0)]),
    ("jeff", "rs-trafilatura", [("rsync -t -l -r -c ps:jtk/", "code", 0)]),
    ("jeff", "resiliparse", [("rsync -t -l -r -c ps:jtk/", "code", 0)]),
]


@pytest.fixture(scope="module")
def pages(erik, jefftk) -> dict[str, tuple[str, str, list[Block]]]:
    jeff_html = decode_bytes(jefftk.data)
    return {
        "erik": (erik[0], "https://erikdemaine.org/foldcut/", erik[1]),
        "jeff": (jeff_html, jefftk.page.url, segment_html(jeff_html)),
    }


def _structured(name: str, html: str, url: str) -> tuple[str, str]:
    try:
        system = systems.load_system(name)
    except systems.MissingSystem as e:
        pytest.skip(str(e))
    assert system.structured_fn is not None and system.structured_format is not None
    return system.structured_format, system.structured_fn(html, url, "en")


@pytest.mark.slow
@pytest.mark.parametrize(("page", "name", "expected"), REAL, ids=[f"{p}-{n}" for p, n, _ in REAL])
def test_real_output_parsed_and_projected(page: str, name: str, expected: list[tuple[str, str, int]], pages) -> None:
    html, url, blocks = pages[page]
    fmt, markup = _structured(name, html, url)
    projected = assign(blocks, parse(fmt, markup, url))
    for start, kind, level in expected:
        at = [i for i, b in enumerate(blocks) if b.text.startswith(start)]
        assert at, f"no block starts with {start!r}"
        got = projected[at[0]]
        assert got is not None, f"{name}: the block {start!r} is not covered"
        assert (got.kind, got.level) == (kind, level), f"{name}: {start!r} is {got}"


@pytest.mark.slow
def test_real_markdown_links_are_absolute(pages) -> None:
    """trafilatura's Markdown of jefftk: the link in its first paragraph, resolved against the page URL."""
    html, url, _ = pages["jeff"]
    fmt, markup = _structured("trafilatura", html, url)
    hrefs = {link.href for e in parse(fmt, markup, url) for link in e.structure.links}
    assert "https://kevq.uk/i-nearly-lost-all-of-my-data/" in hrefs
    assert all(h.startswith(("http://", "https://", "mailto:")) for h in hrefs), hrefs


# --- the contract of every system with a structured mode ----------------------------------------

# Systems whose text is their structured HTML rendered to text (`_html.html_to_text`): the two agree.
TEXT_FROM_HTML = ("readability-lxml", "readability-js", "magic-html")


def test_structured_systems_are_registered_with_a_format() -> None:
    assert set(systems.STRUCTURED) <= set(systems.REGISTRY)
    for name in systems.STRUCTURED:
        entry = systems.structured_entry(name)
        assert entry is not None and entry[0] in STRUCTURED_FORMATS
        assert callable(getattr(systems.module_of(name), entry[1]))
    assert systems.structured_entry("justext") is None


@pytest.mark.slow
@pytest.mark.parametrize("name", list(systems.STRUCTURED))
def test_structured_system_contract(name: str, pages) -> None:
    """Every structured mode loads with its system, returns a str in its format that parses into
    elements of known kinds covering blocks of the page it came from."""
    html, url, blocks = pages["erik"]
    fmt, markup = _structured(name, html, url)
    assert isinstance(markup, str) and markup.strip(), f"{name} returned no structured output"
    elements = parse(fmt, markup, url)
    assert elements and all(e.structure.kind in STRUCTURE_KINDS for e in elements)
    projected = assign(blocks, elements)
    assert len(projected) == len(blocks)
    assert any(s is not None for s in projected), f"{name}'s elements cover no block of the page"
    if name in TEXT_FROM_HTML:
        system = systems.load_system(name)
        assert html_to_text(markup) == system.fn(html, url, "en")


def test_markdown_and_html_of_the_same_content_read_alike() -> None:
    """The two parsers agree on what the same content is, so an extractor's format does not decide its
    score: the Markdown parser keeps the conventions the segmenter's rules (the HTML reading) set."""
    markdown = (
        "## Head\n\n- a\n  - b [l](/x)\n\n1. one\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n"
        "```py\ncode()\n```\n\n> quoted\n\nA paragraph."
    )
    html = (
        "<h2>Head</h2><ul><li>a<ul><li>b <a href='/x'>l</a></li></ul></li></ul><ol><li><p>one</p></li></ol>"
        "<table><thead><tr><th>x</th><th>y</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>"
        "<pre><code class='language-py'>code()</code></pre><blockquote><p>quoted</p></blockquote><p>A paragraph.</p>"
    )
    assert _kinds(parse("markdown", markdown, URL)) == _kinds(parse("html", html, URL))
    assert len(parse("html", html, URL)) == 11


@pytest.mark.parametrize(
    "fixture",
    ["wcxb-0495-jefftk", "wcxb-0406-erikdemaine", "trafeval-0133-autopresse", "scrapinghub-c4a3637c66-gto-windows-1251"],
)
def test_the_page_itself_as_an_output_keeps_all_its_structure(fixture: str) -> None:
    """The ceiling: a system whose HTML output were the whole page would be given back each block's
    own structure, links included, by the parser and the projection; every element F1 is 1."""
    page = load_fixture(fixture)
    html = decode_bytes(page.data)
    blocks = segment_html(html, url=page.page.url)
    projected = assign(blocks, parse("html", html, page.page.url))
    assert projected == [b.structure for b in blocks]
    labels = ["content"] * len(blocks)
    counts = scoring.structure_counts(labels, ["paragraph"] * len(blocks), [b.known_structure for b in blocks], projected)
    assert all(fp == fn == 0 for _, fp, fn in counts.values()) and sum(tp for tp, _, _ in counts.values()) > 0
