"""The aligner: which blocks does a text cover (gold text and extractor outputs alike)?"""

from __future__ import annotations

import pytest

from boilerbench.core import align
from boilerbench.core.align import COVER_THRESHOLD, MIN_RUN, MIN_RUN_PASS2, TokenizedPage, find_snippet, project
from boilerbench.core.segment import segment_html
from boilerbench.core.text import tokenize
from boilerbench.core.types import Block


def blocks_of(*texts: str) -> list[Block]:
    return [Block(i, f"/html/body/p[{i + 1}]", "p", t, len(tokenize(t)), 0, "html body p", 3) for i, t in enumerate(texts)]


# Sentences from the vietnam.vn page of tests/fixtures (Indonesian edition).
A = "Korea Utara menyatakan akan berdiri berdampingan dengan Rusia untuk meraih kemenangan"
B = "Angkatan Udara Ukraina mengumumkan pada 1 November bahwa pasukan pertahanan udaranya telah menghancurkan 31 drone"
C = "Menteri Luar Negeri Korea Utara Choe Son-hui tiba di Moskow dan mengadakan pembicaraan dengan Sergey Lavrov"
MENU = "Warisan Angka Bisnis Lokal Produk"

CASES = [
    pytest.param([A, B, C], f"{A}\n\n{B}\n\n{C}", [True, True, True], id="exact-text-covers-all"),
    pytest.param([A, B, C], f"{A}\n\n{C}", [True, False, True], id="blocks-0-and-2-of-3"),
    pytest.param([A, B, C], f"{A} {B} {C}".upper(), [True, True, True], id="case-and-spacing-do-not-matter"),
    pytest.param([A, "Bisnis Lokal", B], f"{A}\n\n{B}", [True, False, True], id="menu-not-in-text"),
    # "bisnis" alone in the text, between unmatched words: chance, not coverage (MIN_RUN)
    pytest.param(
        [A, MENU, B], f"{A}\n\nPara pelaku bisnis di Jakarta menunggu.\n\n{B}", [True, False, True], id="lone-common-word-in-menu"
    ),
    pytest.param(
        [A, "Bisnis", B],
        f"{A}\n\nPara pelaku bisnis di Jakarta menunggu.\n\n{B}",
        [True, False, True],
        id="lone-word-equal-to-a-one-word-block",
    ),
    # gold order B, A while the DOM has A, B: pass 2 recovers the block pass 1 could not
    pytest.param([A, B], f"{B}\n\n{A}", [True, True], id="reordered-text"),
    pytest.param([MENU, A, B, C], f"{C}\n\n{A}\n\n{B}", [False, True, True, True], id="reordered-three"),
    pytest.param([A, B], "", [False, False], id="empty-text"),
    pytest.param([A, B], " ... — !!! ", [False, False], id="punctuation-only-text"),
    pytest.param([A, B], "Sesuatu yang sama sekali berbeda ditulis di sini", [False, False], id="unrelated-text"),
    pytest.param([], A, [], id="no-blocks"),
]


@pytest.mark.parametrize(("texts", "text", "covered"), CASES)
def test_cases(texts: list[str], text: str, covered: list[bool]) -> None:
    got = align.align(blocks_of(*texts), text)
    assert got.covered == covered
    assert len(got.matched) == len(got.sizes) == len(texts)
    assert all(0.0 <= c <= 1.0 for c in got.coverage)


def test_constants_are_what_the_docstring_says() -> None:
    assert COVER_THRESHOLD == 0.5 and MIN_RUN == 2 and MIN_RUN_PASS2 == 4


WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet".split()


@pytest.mark.parametrize(
    ("matched", "covered"),
    [(10, True), (6, True), (5, True), (4, False), (2, False), (0, False)],
)
def test_cover_threshold(matched: int, covered: bool) -> None:
    """A block is covered when at least COVER_THRESHOLD (half) of its tokens are matched."""
    blk = blocks_of(" ".join(WORDS))
    got = align.align(blk, " ".join(WORDS[:matched]))
    assert got.matched == (matched if matched >= MIN_RUN else 0,)
    assert got.covered == [covered]
    assert got.coverage == [pytest.approx(matched / 10 if matched >= MIN_RUN else 0.0)]


def test_threshold_applies_per_block_on_partial_blocks() -> None:
    left, right = " ".join(WORDS[:5]), " ".join(WORDS[5:])
    got = align.align(blocks_of(left + " " + right, "kilo lima mike november"), f"{left} kilo lima")
    assert got.matched == (5, 2)
    assert got.covered == [True, True]


def test_lone_first_word_matched_in_header_is_not_coverage() -> None:
    blk = blocks_of("Rust Blog", "Install Learn Community", "Rust has been named the most loved language every year since 2015")
    got = align.align(blk, "Rust has been named the most loved language every year since 2015")
    assert got.covered == [False, False, True]


def test_one_word_heading_before_its_paragraph_is_covered() -> None:
    """The case the short-run rule is for: a heading the page separated from its paragraph."""
    body = "What shapes can result from the following fold-and-cut process? Take a piece of paper."
    got = align.align(blocks_of("The Fold-and-Cut Problem", "Problem", body), f"Problem\n\n{body}")
    assert got.covered == [False, True, True]


def test_duplicated_title_goes_to_the_copy_among_content() -> None:
    title = "Korea Utara mendukung Rusia"
    got = align.align(blocks_of(title, MENU, title, A, B), f"{title}\n\n{A}\n\n{B}")
    assert got.covered == [False, False, True, True, True]


def test_tokenized_page_reuse_gives_same_result(jefftk) -> None:
    blocks = segment_html(jefftk.data)
    tp = TokenizedPage(blocks)
    gold = jefftk.gold.text
    assert align.align(tp, gold) == align.align(blocks, gold)
    assert align.align(tp, "") == align.align(blocks, "")
    assert len(tp.sizes) == len(blocks)
    assert sum(tp.sizes) == len(tp.ids) == len(tp.owner)


# --- find_snippet -----------------------------------------------------------------------------


def test_find_snippet() -> None:
    tp = TokenizedPage(blocks_of(A, B, C, A))
    assert find_snippet(tp, "meraih kemenangan. Angkatan Udara Ukraina") == [[0, 1]]  # spans two blocks
    assert find_snippet(tp, "Korea Utara") == [[0], [2], [3]]  # every occurrence
    assert find_snippet(tp, "korea  UTARA!") == [[0], [2], [3]]  # tokenised like everything else
    assert find_snippet(tp, "Korea Selatan") == []  # a token absent from the page
    assert find_snippet(tp, "Utara Korea") == []  # tokens present, sequence absent
    assert find_snippet(tp, "") == [] and find_snippet(tp, " — ") == []


def test_find_snippet_on_real_page(jefftk) -> None:
    blocks = segment_html(jefftk.data)
    tp = TokenizedPage(blocks)
    for s in jefftk.gold.with_snippets:
        hits = find_snippet(tp, s)
        assert len(hits) == 1, s
        assert all(tokenize(s)[0] in tokenize(blocks[i].text) for i in hits[0][:1])
    # 'Jeff Kaufman' is in the top and the bottom menu
    assert len(find_snippet(tp, "Jeff Kaufman")) == 2


# --- the anchored path for huge inputs -------------------------------------------------------


def _anchored_vs_normal(rp, monkeypatch: pytest.MonkeyPatch) -> tuple[list[bool], list[bool], int]:
    blocks = segment_html(rp.data)
    tp = TokenizedPage(blocks)
    gold = rp.gold.text
    normal = align.align(tp, gold).covered
    calls = []
    real = align._anchored_runs

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(align, "_anchored_runs", spy)
    monkeypatch.setattr(align, "MAX_CELLS", len(tp.ids) * len(tp.encode(gold)) // 20)
    anchored = align.align(tp, gold).covered
    return normal, anchored, len(calls)


def test_anchored_path_gives_same_coverage(jefftk, monkeypatch: pytest.MonkeyPatch) -> None:
    normal, anchored, calls = _anchored_vs_normal(jefftk, monkeypatch)
    assert calls >= 1  # the anchored path really ran
    assert anchored == normal
    assert sum(normal) > 5


def test_anchored_path_gives_same_coverage_old_markup(erikdemaine, monkeypatch: pytest.MonkeyPatch) -> None:
    normal, anchored, calls = _anchored_vs_normal(erikdemaine, monkeypatch)
    assert calls >= 1
    assert anchored == normal


# --- project ---------------------------------------------------------------------------------


def test_project_one_bool_per_block(jefftk) -> None:
    blocks = segment_html(jefftk.data)
    kept = project(blocks, jefftk.gold.text)
    assert len(kept) == len(blocks)
    assert all(isinstance(k, bool) for k in kept)
    assert kept == align.align(blocks, jefftk.gold.text).covered
    assert project(blocks, "") == [False] * len(blocks)


def test_project_an_extractor_output(jefftk) -> None:
    """An output made of some blocks' text (joined as extractors do) keeps exactly those blocks."""
    blocks = segment_html(jefftk.data)
    chosen = [b.index for b in blocks if b.tag in ("p", "pre") and b.words >= 8]
    assert len(chosen) >= 8
    output = "\n\n".join(blocks[i].text for i in chosen)
    assert [i for i, k in enumerate(project(blocks, output)) if k] == chosen
    everything = "\n".join(b.text for b in blocks)
    assert all(project(blocks, everything))
