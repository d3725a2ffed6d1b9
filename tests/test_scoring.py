"""scoring: block and word P/R/F1 (with the module docstring's empty cases), leakage, bootstrap,
paired test and the corpus aggregate."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest

from boilerbench.benchmark import scoring
from boilerbench.benchmark.corpora.store import Corpus
from boilerbench.benchmark.groundtruth import load_labeled
from boilerbench.benchmark.runner import decode_page
from boilerbench.benchmark.scoring import PageResult, element_counts
from boilerbench.core.categories import BOILERPLATE_CATEGORIES, CONTENT_CATEGORIES
from boilerbench.core.types import BOILERPLATE, CONTENT, Link, Structure

C, B, U = CONTENT, BOILERPLATE, None


def _page(corpus: Corpus, page_id: str):
    return next(p for p in corpus.pages if p.page_id == page_id)


# --- prf ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "fp", "fn", "expected"),
    [
        (3, 1, 1, (0.75, 0.75, 0.75)),
        (2, 2, 0, (0.5, 1.0, 2 / 3)),
        (1, 0, 3, (1.0, 0.25, 0.4)),
        (4, 0, 0, (1.0, 1.0, 1.0)),
        (0, 3, 2, (0.0, 0.0, 0.0)),  # something kept, none of it content
        (1.5, 0.5, 1.0, (0.75, 0.6, 2 / 3)),  # word-weighted counts are floats
        # the empty cases of the module docstring
        (0, 0, 0, (1.0, 1.0, 1.0)),  # no gold content, nothing kept
        (0, 4, 0, (0.0, 1.0, 0.0)),  # no gold content, something kept
        (0, 0, 5, (0.0, 0.0, 0.0)),  # gold content, nothing kept
    ],
)
def test_prf(tp: float, fp: float, fn: float, expected: tuple[float, float, float]) -> None:
    assert scoring.prf(tp, fp, fn) == pytest.approx(expected, abs=1e-12)


# --- block_scores -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "kept", "expected"),
    [
        ([C, C, B, B], [1, 0, 1, 0], (0.5, 0.5, 0.5)),
        ([C, C, C, B], [1, 1, 0, 0], (1.0, 2 / 3, 0.8)),
        ([C, B, B, B], [1, 1, 1, 1], (0.25, 1.0, 0.4)),
        # unlabeled blocks are never scored, kept or not
        ([C, U, B, C], [1, 1, 0, 1], (1.0, 1.0, 1.0)),
        ([C, U, U, B], [0, 1, 1, 0], (0.0, 0.0, 0.0)),
        ([U, C, U, B], [0, 1, 0, 1], (0.5, 1.0, 2 / 3)),
        # empty cases
        ([B, B, U], [0, 0, 1], (1.0, 1.0, 1.0)),  # no gold content & nothing (labeled) kept
        ([B, B], [1, 0], (0.0, 1.0, 0.0)),  # no gold content & something kept
        ([C, B, U], [0, 0, 1], (0.0, 0.0, 0.0)),  # gold content & nothing (labeled) kept
    ],
)
def test_block_scores(labels: list[str | None], kept: list[int], expected: tuple[float, float, float]) -> None:
    got = scoring.block_scores(labels, [bool(k) for k in kept])
    assert got is not None
    assert set(got) == {"block_precision", "block_recall", "block_f1"}  # no weighted keys without weights
    assert (got["block_precision"], got["block_recall"], got["block_f1"]) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("labels", [[], [U], [U, U, U]])
def test_block_scores_none_without_labeled_block(labels: list[str | None]) -> None:
    assert scoring.block_scores(labels, [True] * len(labels)) is None
    assert scoring.block_scores(labels, [True] * len(labels), [7] * len(labels)) is None


@pytest.mark.parametrize(
    ("labels", "kept", "weights", "unweighted", "weighted"),
    [
        # tp 10, fp 5, fn 30 words; the unlabeled 100-word block counts for nothing
        ([C, C, B, U], [1, 0, 1, 1], [10, 30, 5, 100], (0.5, 0.5, 0.5), (10 / 15, 10 / 40, 8 / 22)),
        # one long content block kept, two short menu entries kept
        ([C, B, B], [1, 1, 1], [90, 2, 3], (1 / 3, 1.0, 0.5), (90 / 95, 1.0, 180 / 185)),
        # weights change nothing when the decisions are all right
        ([C, B, C, B], [1, 0, 1, 0], [4, 9, 1, 2], (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
        ([B, B], [0, 0], [3, 4], (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
    ],
)
def test_block_scores_word_weighted(labels, kept, weights, unweighted, weighted) -> None:
    got = scoring.block_scores(labels, [bool(k) for k in kept], weights)
    assert got is not None
    assert (got["block_precision"], got["block_recall"], got["block_f1"]) == pytest.approx(unweighted, abs=1e-12)
    assert (got["block_precision_w"], got["block_recall_w"], got["block_f1_w"]) == pytest.approx(weighted, abs=1e-12)


@pytest.mark.parametrize(("n_labels", "n_kept"), [(3, 2), (2, 3), (0, 1), (1, 0)])
def test_block_scores_length_mismatch_raises(n_labels: int, n_kept: int) -> None:
    with pytest.raises(ValueError):
        scoring.block_scores([C] * n_labels, [True] * n_kept)


# --- word scores --------------------------------------------------------------------------------

_WCXB_WORD = re.compile(r"\w+")


def wcxb_word_prf(predicted: str, reference: str) -> tuple[float, float, float]:
    """WCXB's published word metric, written out independently: bags of lower-cased \\w+ words,
    overlap = multiset intersection; empty cases as the scoring module docstring states them."""
    pred = Counter(_WCXB_WORD.findall(predicted.lower()))
    ref = Counter(_WCXB_WORD.findall(reference.lower()))
    overlap = sum(min(n, ref[w]) for w, n in pred.items())
    n_pred, n_ref = sum(pred.values()), sum(ref.values())
    if n_ref == 0:
        return (1.0, 1.0, 1.0) if n_pred == 0 else (0.0, 1.0, 0.0)
    if n_pred == 0 or overlap == 0:
        return (0.0, 0.0, 0.0)
    p, r = overlap / n_pred, overlap / n_ref
    return p, r, 2 * p * r / (p + r)


def _word_tuple(d: dict[str, float]) -> tuple[float, float, float]:
    return d["word_precision"], d["word_recall"], d["word_f1"]


@pytest.mark.parametrize(
    ("predicted", "reference", "expected"),
    [
        # bags: {the 2, cat 2, sat 1} vs {the 2, cat 1, sat 1, on 1, mat 1}: overlap 4 of 5 / of 6
        ("The cat sat. The CAT!", "the cat sat on the mat", (0.8, 4 / 6, 8 / 11)),
        # \w+ keeps underscores and digits inside a word and splits on apostrophes
        ("snake_case v2 don't", "snake case v2 don t", (3 / 4, 3 / 5, 2 / 3)),
        ("Übersicht ÜBERSICHT", "übersicht", (0.5, 1.0, 2 / 3)),
        # empty cases
        ("", "", (1.0, 1.0, 1.0)),
        ("  — !!! ", "...", (1.0, 1.0, 1.0)),  # no word is no word
        ("kept something", "", (0.0, 1.0, 0.0)),
        ("", "gold words here", (0.0, 0.0, 0.0)),
        ("other words", "gold words here", (0.5, 1 / 3, 0.4)),
        ("nothing shared", "gold text", (0.0, 0.0, 0.0)),
    ],
)
def test_word_scores_hand_computed(predicted: str, reference: str, expected: tuple[float, float, float]) -> None:
    assert _word_tuple(scoring.word_scores(predicted, reference)) == pytest.approx(expected, abs=1e-12)
    assert _word_tuple(scoring.word_scores(predicted, reference)) == pytest.approx(wcxb_word_prf(predicted, reference), abs=1e-12)


def test_word_counts() -> None:
    assert scoring.word_counts("The cat sat. The CAT!", "the cat sat on the mat") == (4, 5, 6)
    assert scoring.word_counts("", "") == (0, 0, 0)
    assert scoring.word_scores_from_counts(4, 5, 6) == scoring.word_scores("The cat sat. The CAT!", "the cat sat on the mat")


_REAL_PAIRS = [
    ("wcxb-0495", "trafilatura"),
    ("wcxb-0495", "html-text"),
    ("wcxb-0406", "justext"),
    ("wcxb-0406", "resiliparse"),
    ("wcxb-4117", "boilerpy3"),
    ("wcxb-4117", "readability-lxml"),
]


@pytest.mark.parametrize(("page_id", "system"), _REAL_PAIRS)
def test_word_scores_match_wcxb_formula_on_real_pages(corpus: Corpus, page_id: str, system: str) -> None:
    from boilerbench.benchmark.systems import load_system

    page = _page(corpus, page_id)
    gold = corpus.gold[page_id].text
    assert gold  # full-gold WCXB page
    html = decode_page(corpus.read(page))
    output = load_system(system).fn(html, page.url, page.language)
    assert output.strip(), f"{system} extracted nothing from {page_id}"
    got = _word_tuple(scoring.word_scores(output, gold))
    assert got == pytest.approx(wcxb_word_prf(output, gold), abs=1e-12)
    assert 0 < got[2] < 1  # a real pair: neither disjoint nor identical bags
    # and the gold against itself is perfect, the output against itself too
    assert _word_tuple(scoring.word_scores(gold, gold)) == (1.0, 1.0, 1.0)
    assert _word_tuple(scoring.word_scores(output, output)) == (1.0, 1.0, 1.0)


# --- page_result on a real labeled page ---------------------------------------------------------


@pytest.fixture(scope="module")
def labeled_product(corpus: Corpus):
    """wcxb-4169 (a product page): content paragraphs and lists, footer and navigation blocks."""
    [labeled_page] = load_labeled(corpus, [_page(corpus, "wcxb-4169")], workers=1, progress=False, cache=False)
    assert {b.label for b in labeled_page.blocks} >= {C, B}
    return labeled_page


def _page_result(labeled_page, kept, words_matched=None) -> PageResult:
    return scoring.page_result(
        labeled_page.page.page_id,
        labeled_page.page.source,
        labeled_page.page.page_type,
        labeled_page.page.language,
        [b.label for b in labeled_page.blocks],
        [b.category for b in labeled_page.blocks],
        [b.block.words for b in labeled_page.blocks],
        kept,
        words_matched,
    )


def test_page_result_oracle_and_all_text(labeled_product) -> None:
    labeled_page = labeled_product
    labels = [b.label for b in labeled_page.blocks]
    oracle = _page_result(
        labeled_page, [lab == C for lab in labels], scoring.word_counts(labeled_page.gold.text, labeled_page.gold.text)
    )
    assert oracle.scores["block_f1"] == oracle.scores["block_f1_w"] == 1.0
    assert oracle.scores["word_f1"] == 1.0
    lk = scoring.leakage([oracle])
    assert lk["boilerplate_kept"] and set(lk["boilerplate_kept"].values()) == {0.0}
    assert lk["content_dropped"] and set(lk["content_dropped"].values()) == {0.0}

    everything = _page_result(labeled_page, [True] * len(labels))
    scored = [b.label for b in labeled_page.blocks if b.category != scoring.SCORED_APART]  # the title is scored apart
    n_content, n_labeled = scored.count(C), sum(lab is not None for lab in scored)
    assert everything.scores["block_recall"] == 1.0
    assert everything.scores["block_precision"] == pytest.approx(n_content / n_labeled)
    assert "word_f1" not in everything.scores  # no word counts given → no word scores
    lk = scoring.leakage([everything])
    assert set(lk["boilerplate_kept"].values()) == {1.0}
    assert set(lk["content_dropped"].values()) == {0.0}
    # kept_by_category counts labeled blocks only, per category
    cats = Counter(b.category for b in labeled_page.blocks if b.label is not None)
    assert {c: t for c, (_, t) in everything.kept_by_category.items()} == dict(cats)


def test_page_result_without_labeled_block() -> None:
    r = scoring.page_result("p", "wcxb", None, "en", [U, U], ["other", "other"], [3, 4], [True, False], (2, 4, 5))
    assert "block_f1" not in r.scores and "block_f1_w" not in r.scores
    assert r.scores["word_precision"] == 0.5 and r.scores["word_recall"] == 0.4
    assert r.kept_by_category == {}


# --- leakage ------------------------------------------------------------------------------------


def _pr(
    page_id: str,
    kept_by_category: dict[str, tuple[int, int]],
    corpus: str = "wcxb",
    page_type: str | None = "article",
    language: str = "en",
    scores: dict[str, float] | None = None,
    error: str | None = None,
) -> PageResult:
    return PageResult(page_id, corpus, page_type, language, scores or {}, kept_by_category, error)


def test_leakage_hand_made() -> None:
    results = [
        _pr("a", {"navigation": (2, 4), "footer": (0, 3), "paragraph": (5, 5), "heading": (0, 1)}),
        _pr("b", {"navigation": (1, 1), "ads": (1, 2), "paragraph": (3, 5), "table": (0, 0)}),
        _pr("c", {}),
    ]
    lk = scoring.leakage(results)
    # kept share per boilerplate category: navigation 3 of 5, footer 0 of 3, ads 1 of 2
    assert lk["boilerplate_kept"] == {"navigation": 0.6, "footer": 0.0, "ads": 0.5}
    # dropped share per content category: paragraph 2 of 10, heading 1 of 1; table has no block
    assert lk["content_dropped"] == {"paragraph": 0.2, "heading": 1.0}
    assert scoring.leakage([]) == {"boilerplate_kept": {}, "content_dropped": {}}


def test_leakage_rounds_and_separates_classes() -> None:
    lk = scoring.leakage([_pr("a", {"social": (1, 3), "quote": (2, 3)})])
    assert lk["boilerplate_kept"] == {"social": 0.3333}
    assert lk["content_dropped"] == {"quote": 0.3333}
    assert set(BOILERPLATE_CATEGORIES).isdisjoint(CONTENT_CATEGORIES)


# --- bootstrap ----------------------------------------------------------------------------------


def _values(n: int, seed: int = 1) -> list[float]:
    return list(np.random.default_rng(seed).beta(2, 1, size=n))


@pytest.mark.parametrize("n", [5, 40, 300])
def test_bootstrap_ci_seeded_and_contains_mean(n: int) -> None:
    vals = _values(n)
    lo, hi = scoring.bootstrap_ci(vals)
    assert (lo, hi) == scoring.bootstrap_ci(vals)  # seeded: same interval every time
    assert min(vals) <= lo <= float(np.mean(vals)) <= hi <= max(vals)
    assert lo < hi
    # another seed resamples differently; the seed is honoured
    assert scoring.bootstrap_ci(vals, seed=scoring.SEED + 1) != (lo, hi)


def test_bootstrap_ci_narrows_with_more_pages() -> None:
    lo_s, hi_s = scoring.bootstrap_ci(_values(20))
    lo_l, hi_l = scoring.bootstrap_ci(_values(2000))
    assert hi_l - lo_l < hi_s - lo_s


def test_bootstrap_ci_degenerate() -> None:
    assert scoring.bootstrap_ci([0.7] * 12) == pytest.approx((0.7, 0.7))
    lo, hi = scoring.bootstrap_ci([])
    assert math.isnan(lo) and math.isnan(hi)


def test_paired_bootstrap_identical_inputs() -> None:
    a = _values(50)
    t = scoring.paired_bootstrap(a, list(a))
    assert t["diff"] == 0.0
    assert t["p_value"] == 1.0
    assert t["ci_low"] == t["ci_high"] == 0.0


def test_paired_bootstrap_clearly_better_system() -> None:
    rng = np.random.default_rng(7)
    base = rng.uniform(0.2, 0.6, size=40)
    a, b = (base + rng.uniform(0.1, 0.3, size=40)).tolist(), base.tolist()
    t = scoring.paired_bootstrap(a, b)
    assert t["diff"] == pytest.approx(float(np.mean(np.subtract(a, b))))
    assert 0 < t["ci_low"] <= t["diff"] <= t["ci_high"]
    assert t["p_value"] < 0.01
    assert scoring.paired_bootstrap(a, b) == t  # seeded
    # the other way round: negative difference, same evidence
    r = scoring.paired_bootstrap(b, a)
    assert r["diff"] == pytest.approx(-t["diff"])
    assert r["ci_high"] < 0
    assert r["p_value"] < 0.01


def test_paired_bootstrap_no_evidence_on_noise() -> None:
    # a wins on half the pages by as much as it loses on the other half
    a = [0.9, 0.1] * 20
    b = [0.1, 0.9] * 20
    t = scoring.paired_bootstrap(a, b)
    assert t["diff"] == pytest.approx(0.0)
    assert t["ci_low"] < 0 < t["ci_high"]
    assert t["p_value"] > 0.5


def test_paired_bootstrap_empty() -> None:
    assert all(math.isnan(v) for v in scoring.paired_bootstrap([], []).values())


# --- aggregate / compare ------------------------------------------------------------------------


def _results() -> list[PageResult]:
    return [
        _pr(
            "w1",
            {"navigation": (1, 2), "paragraph": (3, 4)},
            "wcxb",
            "article",
            "en",
            {
                "block_f1": 1.0,
                "block_precision": 1.0,
                "block_recall": 1.0,
                "word_f1": 0.9,
                "word_precision": 0.8,
                "word_recall": 1.0,
            },
        ),
        _pr(
            "w2",
            {"footer": (0, 1)},
            "wcxb",
            "forum",
            "en",
            {
                "block_f1": 0.5,
                "block_precision": 0.25,
                "block_recall": 1.0,
                "word_f1": 0.5,
                "word_precision": 0.5,
                "word_recall": 0.5,
            },
        ),
        _pr(
            "t1",
            {"paragraph": (1, 1)},
            "trafilatura-eval",
            None,
            "de",
            {"block_f1": 0.0, "block_precision": 0.0, "block_recall": 0.0},
            error="TimeoutError: x",
        ),
        _pr("t2", {}, "trafilatura-eval", None, "fr", {}),  # no labeled block, no gold text
    ]


def test_aggregate_keys_and_breakdowns() -> None:
    agg = scoring.aggregate(_results())
    assert agg["pages"] == 4
    assert agg["errors"] == 1
    assert agg["block_f1"] == pytest.approx(0.5)  # mean over the 3 pages with block scores
    assert agg["block_precision"] == pytest.approx(round(1.25 / 3, 4))
    assert agg["word_f1"] == pytest.approx(0.7)  # the 2 pages with gold text
    assert agg["block_f1_w"] is None  # no page had weighted scores
    lo, hi = agg["block_f1_ci"]
    assert 0.0 <= lo <= agg["block_f1"] <= hi <= 1.0
    assert "word_f1_ci" in agg
    assert set(agg["by_corpus"]) == {"wcxb", "trafilatura-eval"}
    assert set(agg["by_page_type"]) == {"article", "forum", "unknown"}
    assert set(agg["by_language"]) == {"en", "de", "fr"}
    assert agg["by_corpus"]["wcxb"]["pages"] == 2
    assert agg["by_corpus"]["wcxb"]["block_f1"] == pytest.approx(0.75)
    assert agg["by_corpus"]["trafilatura-eval"]["pages"] == 2
    assert agg["by_corpus"]["trafilatura-eval"]["block_f1"] == 0.0
    assert agg["by_corpus"]["trafilatura-eval"]["word_f1"] is None
    assert agg["by_page_type"]["unknown"]["pages"] == 2
    assert agg["page_type_corpora"] == {"article": ["wcxb"], "forum": ["wcxb"], "unknown": ["trafilatura-eval"]}
    assert agg["by_language"]["fr"]["block_f1"] is None
    assert agg["leakage"] == scoring.leakage(_results())


def test_aggregate_without_word_scores_has_no_word_ci() -> None:
    agg = scoring.aggregate([r for r in _results() if "word_f1" not in r.scores])
    assert agg["word_f1"] is None
    assert "word_f1_ci" not in agg
    assert "block_f1_ci" in agg


def test_compare_against_best() -> None:
    good = [_pr(f"p{i}", {}, scores={"block_f1": 0.8 + 0.01 * (i % 5)}) for i in range(30)]
    bad = [_pr(f"p{i}", {}, scores={"block_f1": 0.3 + 0.02 * (i % 7)}) for i in range(30)]
    unscored = [_pr(f"p{i}", {}) for i in range(30)]
    out = scoring.compare({"good": good, "bad": bad, "unscored": unscored})
    assert set(out) == {"good", "bad"}
    assert out["good"]["against"] == out["bad"]["against"] == "good"
    assert out["good"]["diff"] == 0.0 and out["good"]["p_value"] == 1.0
    diff, p_value = out["bad"]["diff"], out["bad"]["p_value"]
    assert isinstance(diff, float) and isinstance(p_value, float)
    assert diff < 0 and p_value < 0.01
    assert scoring.compare({}) == {}


# --- the page title, scored apart ----------------------------------------------------------------


def test_the_page_title_is_scored_apart(real_page) -> None:
    """ctpost.com (Scrapinghub): its headline is content (the labels say so), but the block metrics
    leave it out, so an extractor that returns the title as metadata loses nothing there; whether a
    system keeps the title is `title_kept`, and leakage does not count it as dropped content."""
    from boilerbench.benchmark.labels import label_page

    rp = real_page("scrapinghub-05844573ca")
    labeled_page = label_page(rp.page, rp.data, rp.gold)
    title = [i for i, b in enumerate(labeled_page.blocks) if b.category == scoring.SCORED_APART]
    assert len(title) == 1 and labeled_page.blocks[title[0]].label == C
    oracle = [b.label == C for b in labeled_page.blocks]
    no_title = [k and i not in title for i, k in enumerate(oracle)]

    with_it, without_it = _page_result(labeled_page, oracle), _page_result(labeled_page, no_title)
    assert with_it.scores["block_f1"] == without_it.scores["block_f1"] == 1.0
    assert with_it.scores["block_f1_w"] == without_it.scores["block_f1_w"] == 1.0
    assert (with_it.scores["title_kept"], without_it.scores["title_kept"]) == (1.0, 0.0)
    assert "title" not in scoring.leakage([without_it])["content_dropped"]
    agg = scoring.aggregate([with_it, without_it])
    assert agg["title_kept"] == 0.5 and agg["block_f1"] == 1.0
    # keeping the title and nothing else is no content at all, not a hit
    only_title = _page_result(labeled_page, [i in title for i in range(len(labeled_page.blocks))])
    assert only_title.scores["block_f1"] == 0.0 and only_title.scores["title_kept"] == 1.0


def test_a_page_without_a_title_block_has_no_title_score() -> None:
    r = scoring.page_result("p", "wcxb", None, "en", [C, B, U], ["heading", "navigation", "title"], [3, 4, 5], [True] * 3, None)
    assert "title_kept" not in r.scores  # an unlabeled title block is not scored, apart or not
    assert r.scores["block_precision"] == 0.5
    assert scoring.aggregate([r])["title_kept"] is None


# --- structure (issue 27) -------------------------------------------------------------------------

PARA = Structure()
H1, H2 = Structure(kind="heading", level=1), Structure(kind="heading", level=2)
LI1, LI2 = Structure(kind="list_item", level=1), Structure(kind="list_item", level=2)
CODE = Structure(kind="code")
PAGE = "https://x.org/page"
CELL00, CELL01, CELL10 = (Structure(kind="table_cell", row=r, col=c) for r, c in ((0, 0), (0, 1), (1, 0)))
CODE = Structure(kind="code", language="python")
A, B_, X = (Link(f"https://e.org/{n}", n) for n in "abx")


def _with_links(s: Structure, *links: Link) -> Structure:
    return Structure(**{**s.__dict__, "links": links})


@pytest.mark.parametrize(
    ("labels", "categories", "gold", "predicted", "expected"),
    [
        # right level, wrong level (an FP and an FN), missed (None: not covered), a paragraph made a heading
        (
            [C, C, C, C],
            ["heading", "heading", "heading", "paragraph"],
            [H2, H2, H1, PARA],
            [H2, H1, None, H2],
            {"heading": (1, 2, 2), "list_item": (0, 0, 0), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (0, 0, 0)},
        ),
        # depth-aware list items; a list item kept as a paragraph is missed
        (
            [C, C, C],
            ["list", "list", "list"],
            [LI1, LI2, LI2],
            [LI1, LI1, PARA],
            {"heading": (0, 0, 0), "list_item": (1, 1, 2), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (0, 0, 0)},
        ),
        # cells in the right row and column; code whatever its language
        (
            [C, C, C, C],
            ["table", "table", "table", "code"],
            [CELL00, CELL01, CELL10, CODE],
            [CELL00, CELL10, CELL10, Structure(kind="code")],
            {"heading": (0, 0, 0), "list_item": (0, 0, 0), "table_cell": (2, 1, 1), "code": (1, 0, 0), "link": (0, 0, 0)},
        ),
        # links: per block, sets of hrefs (a repeated href counts once)
        (
            [C, C],
            ["paragraph", "paragraph"],
            [_with_links(PARA, A, B_), _with_links(PARA, A)],
            [_with_links(PARA, A, A, X), None],
            {"heading": (0, 0, 0), "list_item": (0, 0, 0), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (1, 1, 2)},
        ),
        # hrefs compared percent-decoded: a Markdown parser's "caf%C3%A9" is the DOM's "café"
        (
            [C],
            ["paragraph"],
            [_with_links(PARA, Link("https://e.org/café?q=a%20b", "c"))],
            [_with_links(PARA, Link(" https://e.org/caf%C3%A9?q=a%20b", "c"))],
            {"heading": (0, 0, 0), "list_item": (0, 0, 0), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (1, 0, 0)},
        ),
        # only content blocks count: boilerplate, unlabeled and the title (scored apart) are left out
        (
            [B, U, C, C],
            ["navigation", "other", "title", "heading"],
            [H2, H2, H1, H2],
            [H1, H1, None, H2],
            {"heading": (1, 0, 0), "list_item": (0, 0, 0), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (0, 0, 0)},
        ),
    ],
)
def test_structure_counts(labels, categories, gold, predicted, expected) -> None:
    assert scoring.structure_counts(labels, categories, gold, predicted) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # F1 of each element the page has; structure_score their mean
        (
            {"heading": (1, 2, 2), "list_item": (0, 0, 0), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (0, 0, 0)},
            {"heading_f1": 1 / 3, "structure_score": 1 / 3},  # P 1/3, R 1/3
        ),
        (
            {"heading": (2, 0, 0), "list_item": (1, 1, 2), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (1, 1, 2)},
            {"heading_f1": 1.0, "list_item_f1": 0.4, "link_f1": 0.4, "structure_score": 0.6},
        ),
        # an element only the output has scores 0; one neither has is not scored
        (
            {"heading": (0, 0, 0), "list_item": (0, 0, 0), "table_cell": (0, 3, 0), "code": (1, 0, 0), "link": (0, 0, 0)},
            {"table_cell_f1": 0.0, "code_f1": 1.0, "structure_score": 0.5},
        ),
        ({e: (0, 0, 0) for e in ("heading", "list_item", "table_cell", "code", "link")}, {}),
    ],
)
def test_structure_scores(counts, expected) -> None:
    got = scoring.structure_scores(counts)
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v)


def test_structure_scores_reach_the_aggregate_only_for_structured_outputs() -> None:
    counts = {"heading": (1, 0, 1), "list_item": (0, 0, 0), "table_cell": (0, 0, 0), "code": (0, 0, 0), "link": (0, 0, 0)}

    def result(i: int, structure: dict[str, tuple[int, int, int]] | None) -> PageResult:
        return scoring.page_result(f"p{i}", "x", None, "en", [C], ["heading"], [3], [True], None, None, structure)

    structured = [result(i, counts) for i in range(3)]
    text_only = [result(i, None) for i in range(3)]
    agg = scoring.aggregate(structured)
    assert agg["heading_f1"] == pytest.approx(2 / 3, abs=1e-4) and agg["structure_score"] == agg["heading_f1"]
    assert "list_item_f1" not in agg and agg["structure_score_ci"][0] <= agg["structure_score"]
    agg = scoring.aggregate(text_only)  # no structure key at all: its result file reads as before
    assert not any(k in agg for k in scoring.STRUCTURE_SCORES) and "structure_score_ci" not in agg
    assert not any(k in g for g in agg["by_corpus"].values() for k in scoring.STRUCTURE_SCORES)


# --- against a Markdown gold: element against element ---------------------------------------

H2 = Structure(kind="heading", level=2)
LI1, LI2 = Structure(kind="list_item", level=1), Structure(kind="list_item", level=2)
CODE = Structure(kind="code")
PAGE = "https://x.org/page"


@pytest.mark.parametrize(
    ("predicted", "gold", "element", "expected"),
    [
        # words decide, not Markdown's marks or case; the level must agree
        ([(H2, "Backup *strategy*")], [(H2, "backup strategy")], "heading", (1, 0, 0)),
        ([(Structure(kind="heading", level=3), "Backup strategy")], [(H2, "Backup strategy")], "heading", (0, 1, 1)),
        # a multiset: the second copy is matched only if the gold has two
        ([(LI1, "a b"), (LI1, "a b")], [(LI1, "a b")], "list_item", (1, 1, 0)),
        ([(LI2, "a b")], [(LI1, "a b")], "list_item", (0, 1, 1)),
        # a table cell in another column is another cell
        (
            [(Structure(kind="table_cell", row=1, col=0), "42")],
            [(Structure(kind="table_cell", row=1, col=1), "42")],
            "table_cell",
            (0, 1, 1),
        ),
        # links by href, percent-decoded, whatever element holds them
        (
            [(Structure(links=(Link("https://x.org/caf%C3%A9", "café"),)), "see café")],
            [(Structure(kind="list_item", level=1, links=(Link("https://x.org/café", "here"),)), "see here")],
            "link",
            (1, 0, 0),
        ),
        # an element with no word is no element (an image's list item)
        ([(LI1, "•")], [], "list_item", (0, 0, 0)),
        # a heading's permalink sign is no word
        ([(H2, "Backup strategy ¶")], [(H2, "Backup strategy #")], "heading", (1, 0, 0)),
        # code by its words: one listing cut in two at a blank line is the same code; a word too many is one
        ([(CODE, "fn main() {\n\n    let s = 1;\n}")], [(CODE, "fn main() {"), (CODE, "let s = 1;\n}")], "code", (5, 0, 0)),
        ([(CODE, "Run\nfn main() {}")], [(CODE, "fn main() {}")], "code", (2, 1, 0)),
        # links: the fragment names a place in the target page; a link to the page itself is not counted
        (
            [(Structure(links=(Link("https://x.org/b#one", "b"), Link(f"{PAGE}#top", "top"))), "b top")],
            [(Structure(links=(Link("https://x.org/b#`one`", "b"),)), "b")],
            "link",
            (1, 0, 0),
        ),
        (
            [(Structure(links=(Link("https://x.org/b/", "b"),)), "b")],
            [(Structure(links=(Link("https://x.org/b", "b"),)), "b")],
            "link",
            (0, 1, 1),
        ),
    ],
)
def test_element_counts(predicted, gold, element: str, expected: tuple[int, int, int]) -> None:
    assert element_counts(predicted, gold, PAGE)[element] == expected
