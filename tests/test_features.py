"""features.page_features on real pages: shape, dtype, finiteness, determinism (with and without the
context memo), DOM cues read by column name, the line-feature subset, and language independence."""

from __future__ import annotations

import codecs
from dataclasses import replace

import numpy as np
import pytest

from boilerbench.core.segment import segment_html, segment_text
from boilerbench.core.text import ends_sentence
from boilerbench.core.types import PAGE_FORMATS, Block
from boilerbench.extractor import features
from boilerbench.extractor.features import (
    ANCESTOR_TAGS,
    FEATURE_NAMES,
    LINE_FEATURES,
    MAIN_RUN_NAMES,
    SURROUNDING_NAMES,
    TAGS,
    page_features,
)
from tests.conftest import RealPage

# fixture name in tests/fixtures → the conftest fixture that loads it
FIXTURE_OF = {
    "wcxb-0495-jefftk": "jefftk",
    "wcxb-0406-erikdemaine": "erikdemaine",
    "trafeval-0133-autopresse": "autopresse",
    "trafeval-0427-xinhuanet": "xinhuanet",
}
HTML_FIXTURES = list(FIXTURE_OF)
COL = {name: i for i, name in enumerate(FEATURE_NAMES)}
LINE_COL = {name: i for i, name in enumerate(LINE_FEATURES)}
# a validation page of the bundled corpus with both a <nav> menu and <p>s inside an <article>
NAV_ARTICLE_PAGE = "wcxb-0085"


def _ancestor_tags(context: str) -> list[str]:
    """The tag of each `tag.class#id@role!hidden` descriptor of a block's context."""
    out = []
    for d in context.split():
        tag = d
        for sep in ".#@!":
            tag = tag.split(sep, 1)[0]
        out.append(tag)
    return out


@pytest.fixture(scope="module")
def real_pages(request: pytest.FixtureRequest) -> dict[str, RealPage]:
    return {name: request.getfixturevalue(fixture) for name, fixture in FIXTURE_OF.items()}


@pytest.fixture(scope="module")
def pages(real_pages) -> dict[str, list[Block]]:
    blocks = {name: segment_html(rp.data) for name, rp in real_pages.items()}
    assert all(len(b) >= 5 for b in blocks.values())
    return blocks


@pytest.fixture(scope="module")
def vietnam_lines(vietnam_bytes: bytes) -> list[Block]:
    lines = segment_text(vietnam_bytes)
    assert len(lines) > 40
    return lines


def test_feature_names_are_unique() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert len(set(LINE_FEATURES)) == len(LINE_FEATURES)


@pytest.mark.parametrize("name", HTML_FIXTURES)
def test_shape_dtype_and_finite(pages, name: str) -> None:
    blocks = pages[name]
    full = page_features(blocks)
    assert full.shape == (len(blocks), len(FEATURE_NAMES))
    assert full.dtype == np.float32
    assert np.isfinite(full).all()
    lines = page_features(blocks, page_format="text")
    assert lines.shape == (len(blocks), len(LINE_FEATURES))
    assert lines.dtype == np.float32
    assert np.isfinite(lines).all()
    # not a constant matrix: blocks of a real page differ
    assert (full.std(axis=0) > 0).sum() > 20


def test_text_page_shape_and_finite(vietnam_lines) -> None:
    x = page_features(vietnam_lines, page_format="text")
    assert x.shape == (len(vietnam_lines), len(LINE_FEATURES))
    assert x.dtype == np.float32 and np.isfinite(x).all()
    full = page_features(vietnam_lines)
    assert full.shape == (len(vietnam_lines), len(FEATURE_NAMES)) and np.isfinite(full).all()


@pytest.mark.parametrize("page_format", ["html", "text"])
def test_empty_page(page_format: str) -> None:
    x = page_features([], page_format=page_format)
    assert x.shape == (0, len(LINE_FEATURES if page_format == "text" else FEATURE_NAMES))
    assert x.dtype == np.float32
    assert page_features(segment_html(b""), page_format=page_format).shape == x.shape


def test_deterministic_and_independent_of_the_context_memo(pages) -> None:
    blocks = pages["trafeval-0133-autopresse"]
    first = page_features(blocks)
    again = page_features(blocks)
    assert np.array_equal(first, again)
    assert features._CONTEXT_CUES  # the memo was used
    features._CONTEXT_CUES.clear()
    cold = page_features(blocks)
    assert np.array_equal(first, cold)
    # a memo row must not be changed by a later page sharing the context
    other = page_features(pages["wcxb-0495-jefftk"])
    assert np.array_equal(page_features(blocks), first)
    assert other.shape[1] == first.shape[1]


def test_one_page_does_not_depend_on_another(pages) -> None:
    """Features are per page: computing a page alone or after others gives the same rows."""
    features._CONTEXT_CUES.clear()
    alone = page_features(pages["wcxb-0406-erikdemaine"])
    for name in HTML_FIXTURES:
        page_features(pages[name])
    assert np.array_equal(page_features(pages["wcxb-0406-erikdemaine"]), alone)


def test_anc_nav_on_a_real_menu(pages) -> None:
    blocks = pages["trafeval-0133-autopresse"]
    x = page_features(blocks)
    in_nav = [b.index for b in blocks if "nav" in _ancestor_tags(b.context)]
    outside = [b.index for b in blocks if "nav" not in _ancestor_tags(b.context)]
    assert len(in_nav) >= 8 and len(outside) >= 20  # the page's two menus, and the rest
    assert (x[in_nav, COL["anc_nav"]] == 1.0).all()
    assert (x[outside, COL["anc_nav"]] == 0.0).all()
    # e.g. the menu entry "Start" is in the <nav>, the article headline is not
    start = next(b.index for b in blocks if b.text == "Start")
    headline = next(b.index for b in blocks if b.tag == "h1")
    assert x[start, COL["anc_nav"]] == 1.0 and x[headline, COL["anc_nav"]] == 0.0


def test_anc_article_and_tag_of_a_paragraph_in_an_article(real_page) -> None:
    rp = real_page(NAV_ARTICLE_PAGE)
    blocks = segment_html(rp.data)
    x = page_features(blocks)
    in_article = [b.index for b in blocks if b.tag == "p" and "article" in _ancestor_tags(b.context)]
    no_article = [b.index for b in blocks if "article" not in _ancestor_tags(b.context)]
    assert in_article and no_article
    assert (x[in_article, COL["anc_article"]] == 1.0).all()
    assert (x[in_article, COL["tag_p"]] == 1.0).all()
    assert (x[no_article, COL["anc_article"]] == 0.0).all()
    in_nav = [b.index for b in blocks if "nav" in _ancestor_tags(b.context)]
    assert in_nav and (x[in_nav, COL["anc_nav"]] == 1.0).all()


@pytest.mark.parametrize("name", HTML_FIXTURES)
def test_tag_one_hot(pages, name: str) -> None:
    blocks = pages[name]
    x = page_features(blocks)
    cols = [COL[f"tag_{t}"] for t in TAGS] + [COL["tag_other"]]
    assert (x[:, cols].sum(axis=1) == 1.0).all()
    for b in blocks:
        expected = f"tag_{b.tag}" if b.tag in TAGS else "tag_other"
        assert x[b.index, COL[expected]] == 1.0, (b.index, b.tag)


def test_link_density(pages) -> None:
    """An all-link block (a menu entry) has link density 1, a plain paragraph 0."""
    blocks = pages["wcxb-0495-jefftk"]
    x = page_features(blocks)
    menu = [b.index for b in blocks if b.text == "Contact"]
    assert menu and all(blocks[i].link_words == blocks[i].words > 0 for i in menu)
    assert (x[menu, COL["link_density"]] == 1.0).all()
    plain = next(b for b in blocks if b.text.startswith("Most of my stuff lives in the cloud"))
    assert plain.link_words == 0 and x[plain.index, COL["link_density"]] == 0.0
    partly = next(b for b in blocks if b.text.startswith("After reading a post"))
    assert 0 < x[partly.index, COL["link_density"]] < 1
    assert x[partly.index, COL["link_density"]] == pytest.approx(partly.link_words / partly.words)
    # the Chinese page: its related-headline <li> is one link
    zh = pages["trafeval-0427-xinhuanet"]
    assert page_features(zh)[zh[-1].index, COL["link_density"]] == 1.0


def test_text_statistics_follow_the_text(pages) -> None:
    blocks = pages["trafeval-0427-xinhuanet"]
    x = page_features(blocks)
    for b in blocks:
        assert x[b.index, COL["ends_sentence"]] == (1.0 if b.text.endswith("。") else 0.0), b.text[-5:]
        assert x[b.index, COL["log_words"]] == pytest.approx(np.log1p(b.words))
        assert x[b.index, COL["alpha_share"]] > 0.5  # CJK characters are letters
        assert x[b.index, COL["starts_upper"]] == 0.0
    longest = max(blocks, key=lambda b: b.words)
    assert x[longest.index, COL["share_of_longest"]] == 1.0
    assert np.allclose(x[:, COL["page_log_blocks"]], np.log1p(len(blocks)))


def test_neighbour_columns(pages) -> None:
    blocks = pages["wcxb-0406-erikdemaine"]
    x = page_features(blocks)
    n = len(blocks)
    # the first two blocks have no left neighbours, the last two no right ones: -1 fills
    assert (x[0, [COL["n-1_log_words"], COL["n-2_log_words"]]] == -1.0).all()
    assert (x[n - 1, [COL["n+1_log_words"], COL["n+2_log_words"]]] == -1.0).all()
    for i in range(1, n):
        assert x[i, COL["n-1_log_words"]] == x[i - 1, COL["log_words"]]
        assert x[i, COL["n-1_heading"]] == (1.0 if blocks[i - 1].tag in ("h1", "h2", "h3", "h4", "h5", "h6") else 0.0)
        assert x[i - 1, COL["n+1_link_density"]] == x[i, COL["link_density"]]


@pytest.mark.parametrize("name", HTML_FIXTURES)
def test_line_features_are_the_same_columns_of_the_full_matrix(pages, name: str) -> None:
    """By construction the text-mode matrix is the LINE_FEATURES columns of the full one, but for
    the main-run positions, which only text pages get."""
    assert set(LINE_FEATURES) - set(FEATURE_NAMES) == set(MAIN_RUN_NAMES)
    assert not any(n.endswith("same_parent") for n in LINE_FEATURES)
    blocks = pages[name]
    shared = [n for n in LINE_FEATURES if n in COL]
    x = page_features(blocks, page_format="text")
    assert np.array_equal(x[:, [LINE_COL[n] for n in shared]], page_features(blocks)[:, [COL[n] for n in shared]])


def test_line_features_of_a_text_page(vietnam_lines) -> None:
    shared = [n for n in LINE_FEATURES if n in COL]
    x = page_features(vietnam_lines, page_format="text")
    assert np.array_equal(x[:, [LINE_COL[n] for n in shared]], page_features(vietnam_lines)[:, [COL[n] for n in shared]])
    komentar = next(b.index for b in vietnam_lines if b.text == "Komentar (0)")
    assert x[komentar, LINE_COL["ends_sentence"]] == 0.0
    assert x[komentar, LINE_COL["starts_upper"]] == 1.0
    assert x[komentar, LINE_COL["link_density"]] == 0.0  # text lines carry no links


# --- no natural-language word lists -------------------------------------------------------------


def _string_collections(module) -> dict[str, set[str]]:
    out = {}
    for attr, value in vars(module).items():
        if attr.startswith("__") or attr in ("_CONTEXT_CUES", "_DESCRIPTOR_CUES"):  # memos keyed by pages' contexts
            continue
        if isinstance(value, dict):
            value = list(value)
        if isinstance(value, (list, tuple, set, frozenset)) and value and all(isinstance(v, str) for v in value):
            out[attr] = set(value)
    return out


def test_module_has_no_word_list() -> None:
    """Every string collection of the module is HTML tag names, pieces of feature names or the page
    formats (`FEATURES_VERSION`'s keys, one per model mode)."""
    allowed = (
        set(TAGS) | set(ANCESTOR_TAGS) | set(FEATURE_NAMES) | set(LINE_FEATURES) | set(SURROUNDING_NAMES) | set(PAGE_FORMATS)
    )
    collections = _string_collections(features)
    assert {"TAGS", "ANCESTOR_TAGS", "FEATURE_NAMES", "LINE_FEATURES"} <= set(collections)
    for attr, words in collections.items():
        foreign = sorted(w for w in words if w not in allowed and not any(n.endswith("_" + w) for n in FEATURE_NAMES))
        assert not foreign, f"features.{attr} holds words that are not tags or feature names: {foreign[:10]}"


def _rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


@pytest.mark.parametrize("name", ["wcxb-0495-jefftk", "wcxb-0406-erikdemaine"])
def test_features_do_not_read_the_words(pages, name: str) -> None:
    """Letters swapped for other letters (same case, same counts): the same features. No feature
    depends on which words a block holds, so none needs a word list of any language."""
    blocks = pages[name]
    scrambled = [replace(b, text=_rot13(b.text)) for b in blocks]
    assert [b.text for b in scrambled] != [b.text for b in blocks]
    assert np.array_equal(page_features(scrambled), page_features(blocks))


@pytest.mark.parametrize(("name", "language"), [("trafeval-0133-autopresse", "de"), ("trafeval-0427-xinhuanet", "zh")])
def test_german_and_chinese_pages(pages, real_pages, name: str, language: str) -> None:
    assert real_pages[name].page.language == language
    blocks = pages[name]
    x = page_features(blocks)
    assert np.isfinite(x).all()
    text_cols = [COL[n] for n in ("log_words", "log_chars", "alpha_share", "mean_word_len")]
    assert (x[:, text_cols] > 0).all()  # every block has words, whatever the language
    assert np.abs(x).sum(axis=1).min() > 0


# --- second stage: the first model's scores around each block ------------------------------------------

AROUND = {name: i for i, name in enumerate(features.SURROUNDING_NAMES)}


def _surroundings(pages_blocks, scores, page_format="html"):
    keys = np.concatenate([features.structure_keys(b, page_format) for b in pages_blocks])
    page = np.concatenate([np.full(len(b), i) for i, b in enumerate(pages_blocks)])
    return features.surrounding_features(np.concatenate(scores), page, keys, page_format)


def test_surrounding_features_of_a_page_do_not_depend_on_the_batch(pages) -> None:
    """Pages are concatenated for prediction: a page's surrounding columns must not see its neighbours."""
    a, b = pages["wcxb-0495-jefftk"], pages["trafeval-0427-xinhuanet"]
    rng = np.random.default_rng(0)
    sa, sb = rng.random(len(a)), rng.random(len(b))
    both = _surroundings([a, b], [sa, sb])
    assert both.shape == (len(a) + len(b), len(features.SURROUNDING_NAMES)) and np.isfinite(both).all()
    assert np.array_equal(both[: len(a)], _surroundings([a], [sa]))
    assert np.array_equal(both[len(a) :], _surroundings([b], [sb]))


def test_surrounding_features_read_the_scores_around_a_block(pages) -> None:
    blocks = pages["wcxb-0406-erikdemaine"]
    n = len(blocks)
    p = np.zeros(n)
    k = n // 2
    p[k] = 0.9  # one likely-content block in the middle
    x = _surroundings([blocks], [p])
    assert x[k, AROUND["p"]] == np.float32(0.9)
    assert x[k + 1, AROUND["p-1"]] == np.float32(0.9) and x[k - 1, AROUND["p+1"]] == np.float32(0.9)
    assert x[0, AROUND["p-1"]] == -1.0 and x[n - 1, AROUND["p+1"]] == -1.0  # past the page's ends
    assert x[k + 3, AROUND["since_content"]] == np.float32(np.log1p(3))
    assert x[k - 2, AROUND["until_content"]] == np.float32(np.log1p(2))
    # all of the page's likely content lies after the blocks before k, none after the blocks after k
    assert (x[:k, AROUND["content_after"]] == 1.0).all() and (x[k + 1 :, AROUND["content_before"]] == 1.0).all()
    assert (x[:, AROUND["page_p_max"]] == np.float32(0.9)).all()
    assert x[k, AROUND["p_rank"]] == 1.0


def test_surrounding_features_of_text_lines(vietnam_lines) -> None:
    p = np.linspace(0, 1, len(vietnam_lines))
    x = _surroundings([vietnam_lines], [p], page_format="text")
    assert x.shape == (len(vietnam_lines), len(features.LINE_SURROUNDING_NAMES)) and np.isfinite(x).all()
    assert features.surrounding_features(np.zeros(0), np.zeros(0), np.zeros((0, 4))).shape == (0, len(features.SURROUNDING_NAMES))


def test_article_group_on_a_text_dump(vietnam_lines) -> None:
    """In the vietnam.vn dump: the inline related headlines between the article's paragraphs are
    `between_prose`, the paragraphs themselves are not; `[iklan_2]` alone is `bracketed`."""
    x = page_features(vietnam_lines, page_format="text")
    texts = [b.text for b in vietnam_lines]
    between = {texts[i] for i in np.flatnonzero(x[:, LINE_COL["between_prose"]])}
    related = [t for t in texts if t.startswith(("AS dan Ukraina sebut", "Korea Utara mentransfer 1.000 rudal"))]
    assert related and set(related) <= between
    assert not any(len(t) > 200 for t in between)  # a paragraph is never "between" paragraphs
    bracketed = [texts[i] for i in np.flatnonzero(x[:, LINE_COL["bracketed"]])]
    assert bracketed == [t for t in texts if t.startswith("[") and t.endswith("]")] and "[iklan_2]" in bracketed
    # the site header is a title-like line (short, no sentence end); a paragraph is not
    assert x[0, LINE_COL["short_run"]] > 0 and texts[0].startswith("Vietnam.vn")
    assert x[texts.index(max(texts, key=len)), LINE_COL["short_run"]] == 0


def test_main_run_positions_on_a_text_dump(vietnam_lines) -> None:
    """In the vietnam.vn dump the main run of prose is the article, from its first paragraph to its
    last (the inline related headlines between them included); the site header lies before it, the
    placeholder, comments widget and footer lists after it, farther the farther down."""
    x = page_features(vietnam_lines, page_format="text")
    texts = [b.text for b in vietnam_lines]
    inside = np.flatnonzero(x[:, LINE_COL["inside_main_run"]])
    paragraphs = [i for i, t in enumerate(texts) if len(t) >= 100 and ends_sentence(t)]
    assert inside[0] == paragraphs[0] and inside[-1] == paragraphs[-1]
    assert (np.diff(inside) == 1).all()  # one run, with the related headlines inside
    assert texts.index("[iklan_2]") > inside[-1] and texts[0].startswith("Vietnam.vn")
    before, after = x[:, LINE_COL["before_main_run"]], x[:, LINE_COL["after_main_run"]]
    assert (before[: inside[0]] > 0).all() and (np.diff(before[: inside[0]]) < 0).all()
    assert (after[inside[-1] + 1 :] > 0).all() and (np.diff(after[inside[-1] + 1 :]) > 0).all()
    assert (before[inside] == 0).all() and (after[inside] == 0).all()
    # prose lines within reach: most inside the article, none at the end of the footer lists
    near = x[:, LINE_COL["near_prose"]]
    assert near[inside].min() > near[-1] and near[-1] == 0


def test_main_run_is_the_longest_of_the_runs_of_prose() -> None:
    """Two runs of prose lines farther apart than `_RUN_GAP`: the one with more characters is main;
    a page without prose has none."""
    prose = "A sentence of prose that is long enough to count as a paragraph of an article, and ends. " * 2
    other = "Shorter prose, still a paragraph long, in a teaser far below the article, and it also ends here. "
    lines = ["Menu"] + [prose] * 3 + ["Link"] * 12 + [other] * 2 + ["Footer"]
    x = page_features(segment_text("\n".join(lines)), page_format="text")
    assert x[:, LINE_COL["inside_main_run"]].tolist() == [0, 1, 1, 1] + [0] * 15
    assert x[1, LINE_COL["same_as_first"]] == 0
    empty = page_features(segment_text("Menu\nHome\nMenu"), page_format="text")
    assert empty[:, LINE_COL["inside_main_run"]].tolist() == [0, 0, 0]
    assert empty[:, LINE_COL["before_main_run"]].tolist() == [0, 0, 0]
    assert np.allclose(empty[:, LINE_COL["after_main_run"]], [1 / 3, 2 / 3, 1])
    assert empty[:, LINE_COL["same_as_first"]].tolist() == [0, 0, 1]


def test_context_run_counts_blocks_of_one_context_in_a_row() -> None:
    blocks = segment_html("<p>Intro.</p><ul class='rel'><li>One</li><li>Two</li><li>Three</li></ul><p>End.</p>")
    run = page_features(blocks)[:, COL["context_run"]]
    assert np.allclose(np.expm1(run), [1, 3, 3, 3, 1])
